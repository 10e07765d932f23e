// Vigil's metric set: every documented name is registered, the callbacks
// reach the scrape under the right names and labels, and the Grafana
// dashboard queries only names the agent exports.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "common/version.h"
#include "metrics/agent_metrics.h"
#include "metrics/exposition.h"

namespace vigil::metrics {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in) << "cannot read " << path;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

AgentSources fake_sources() {
    AgentSources s;
    s.events = [] {
        return std::vector<Sample>{{{"PROCESS_EXEC", ""}, 10}, {{"PROCESS_KPROBE", "default"}, 4}};
    };
    s.policy_events = [] {
        return std::vector<Sample>{{{"block-write", "kprobe:__x64_sys_write", "Sigkill"}, 2}};
    };
    s.ringbuf_received = [] { return 100.0; };
    s.ringbuf_lost = [] { return 1.0; };
    s.decode_errors = [] { return std::vector<Sample>{{{"short_record"}, 3}}; };
    s.bpf_errors = [] { return std::vector<Sample>{{{"ringbuf_reserve"}, 1}, {{"probe_read"}, 0}}; };
    s.notify_overflowed = [] { return 6.0; };
    s.subscriber_drops = [] { return std::vector<Sample>{{{"export-file"}, 5}, {{"grpc:1"}, 1}}; };
    s.export_file_errors = [] { return 0.0; };
    s.process_cache_size = [] { return 250.0; };
    s.process_cache_capacity = [] { return 65536.0; };
    s.process_cache_evictions = [] { return 7.0; };
    s.pod_cache_size = [] { return 12.0; };
    s.watcher_errors = [] { return std::vector<Sample>{{{"pods", "watch"}, 2}}; };
    s.policies_by_state = [] {
        return std::vector<Sample>{{{"enabled"}, 2}, {{"disabled"}, 0}, {{"load_error"}, 1}, {{"error"}, 0}};
    };
    s.grpc_subscribers = [] { return 1.0; };
    return s;
}

TEST(AgentMetrics, EverySourceReachesTheScrapeUnderItsName) {
    Registry r;
    Health h;
    ASSERT_TRUE(register_agent_metrics(r, fake_sources(), h));
    auto p = parse_exposition(render(r));
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->value("vigil_build_info", {{"version", kVersion}, {"compiler", p->samples[0].labels["compiler"]}}), 1);
    EXPECT_EQ(p->value("vigil_agent_ready"), 0);
    EXPECT_EQ(p->value("vigil_events_total", {{"type", "PROCESS_EXEC"}, {"namespace", ""}}), 10);
    EXPECT_EQ(p->value("vigil_events_total", {{"type", "PROCESS_KPROBE"}, {"namespace", "default"}}), 4);
    EXPECT_EQ(p->value("vigil_policy_events_total",
                       {{"policy", "block-write"}, {"hook", "kprobe:__x64_sys_write"}, {"action", "Sigkill"}}),
              2);
    EXPECT_EQ(p->value("vigil_ringbuf_received_total"), 100);
    EXPECT_EQ(p->value("vigil_ringbuf_lost_total"), 1);
    EXPECT_EQ(p->value("vigil_ringbuf_decode_errors_total", {{"reason", "short_record"}}), 3);
    EXPECT_EQ(p->value("vigil_bpf_missed_events_total", {{"error", "ringbuf_reserve"}}), 1);
    EXPECT_EQ(p->value("vigil_notify_overflowed_events_total"), 6);
    EXPECT_EQ(p->value("vigil_subscriber_dropped_events_total", {{"subscriber", "export-file"}}), 5);
    EXPECT_EQ(p->value("vigil_export_file_errors_total"), 0);
    EXPECT_EQ(p->value("vigil_process_cache_size"), 250);
    EXPECT_EQ(p->value("vigil_process_cache_capacity"), 65536);
    EXPECT_EQ(p->value("vigil_process_cache_evicted_total"), 7);
    EXPECT_EQ(p->value("vigil_pod_cache_size"), 12);
    EXPECT_EQ(p->value("vigil_watcher_errors_total", {{"resource", "pods"}, {"error", "watch"}}), 2);
    EXPECT_EQ(p->value("vigil_tracingpolicy_loaded", {{"state", "load_error"}}), 1);
    EXPECT_EQ(p->value("vigil_grpc_subscribers"), 1);
    EXPECT_EQ(p->type.at("vigil_events_total"), "counter");
    EXPECT_EQ(p->type.at("vigil_tracingpolicy_loaded"), "gauge");
    EXPECT_GT(*p->value("process_resident_memory_bytes"), 0);
    EXPECT_GT(*p->value("process_open_fds"), 0);

    h.set("base-sensor", true);
    auto ready = parse_exposition(render(r));
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->value("vigil_agent_ready"), 1);
}

TEST(AgentMetrics, UnsetSourcesDeclareTheFamilyWithoutASample) {
    Registry r;
    Health h;
    ASSERT_TRUE(register_agent_metrics(r, AgentSources{}, h));
    auto p = parse_exposition(render(r));
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->type.at("vigil_pod_cache_size"), "gauge");
    EXPECT_FALSE(p->value("vigil_pod_cache_size").has_value());
    EXPECT_EQ(p->sum("vigil_events_total"), 0);
    EXPECT_TRUE(p->value("vigil_agent_ready").has_value());
}

// docs/metrics.md lists each metric as a table row "| `name` | ...".
std::set<std::string> documented_names() {
    std::set<std::string> out;
    std::istringstream in(slurp(std::string(VIGIL_SOURCE_DIR) + "/docs/metrics.md"));
    std::regex row(R"(^\| `([a-z_:]+)` \|)");
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_search(line, m, row)) out.insert(m[1]);
    }
    return out;
}

TEST(AgentMetrics, DocsListExactlyTheRegisteredNames) {
    Registry r;
    Health h;
    ASSERT_TRUE(register_agent_metrics(r, AgentSources{}, h));
    auto names = r.names();
    std::set<std::string> registered(names.begin(), names.end());
    EXPECT_EQ(documented_names(), registered);
}

TEST(AgentMetrics, DashboardQueriesOnlyExportedNames) {
    Registry r;
    Health h;
    ASSERT_TRUE(register_agent_metrics(r, AgentSources{}, h));
    auto names = r.names();
    std::set<std::string> exported(names.begin(), names.end());

    std::string json = slurp(std::string(VIGIL_SOURCE_DIR) + "/deploy/helm/vigil/dashboards/vigil.json");
    std::regex expr_re(R"re("expr"\s*:\s*"((?:[^"\\]|\\.)*)")re");
    std::regex name_re(R"(\b(vigil_[a-z_]+|process_[a-z_]+)\b)");
    int exprs = 0;
    std::set<std::string> used;
    for (std::sregex_iterator it(json.begin(), json.end(), expr_re), end; it != end; ++it) {
        ++exprs;
        std::string e = (*it)[1];
        for (std::sregex_iterator n(e.begin(), e.end(), name_re); n != end; ++n) {
            used.insert((*n)[1]);
            EXPECT_TRUE(exported.count((*n)[1])) << "dashboard query uses " << (*n)[1]
                                                  << ", which vigild does not export: " << e;
        }
    }
    EXPECT_GE(exprs, 8) << "the dashboard should have its panels' queries";
    // The panels the issue asks for.
    for (const char* must : {"vigil_events_total", "vigil_policy_events_total", "vigil_ringbuf_lost_total",
                             "process_cpu_seconds_total", "process_resident_memory_bytes",
                             "vigil_tracingpolicy_loaded"}) {
        EXPECT_TRUE(used.count(must)) << "dashboard has no panel on " << must;
    }
}

}  // namespace
}  // namespace vigil::metrics
