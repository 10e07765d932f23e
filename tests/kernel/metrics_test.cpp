// /metrics of a real vigild while real events and a real Sigkill happen: the
// counters exist and move by the right amounts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "metrics_scrape.h"

namespace vigil::kt {
namespace {

constexpr const char* kKillPolicy = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-metrics-kill
spec:
  kprobes:
  - call: sys_write
    args:
    - index: 0
      type: fd
    selectors:
    - matchArgs:
      - index: 0
        operator: Postfix
        values: ["/kt-metrics-forbidden"]
      matchActions:
      - action: Sigkill
)";

class MetricsTest : public AgentTest {
protected:
    void SetUp() override {
        std::ofstream(dir_ / "kill.yaml") << kKillPolicy;
        AgentTest::SetUp();
        if (HasFatalFailure()) return;
        port_ = metrics_port_from_log(agent().stderr_text());
        ASSERT_NE(port_, 0) << "no metrics line in vigild's log";
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--tracing-policy-dir=" + dir_.path(), "--metrics-server=127.0.0.1:0"};
        return o;
    }
    TempDir dir_{"vigil-kt-metrics"};
    int port_ = 0;
};

TEST_F(MetricsTest, CountersMoveWithRealEventsAndEnforcement) {
    int status = 0;
    http_get(port_, "/readyz", &status);
    EXPECT_EQ(status, 200);
    http_get(port_, "/healthz", &status);
    EXPECT_EQ(status, 200);

    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    auto before = parse_metrics(http_get(port_, "/metrics"));
    ASSERT_FALSE(before.empty());
    for (const char* name : {"vigil_build_info", "vigil_ringbuf_received_total", "vigil_ringbuf_lost_total",
                             "vigil_notify_overflowed_events_total", "vigil_process_cache_size",
                             "vigil_grpc_subscribers"}) {
        bool found = false;
        for (const auto& [k, v] : before) found = found || k.rfind(name, 0) == 0;
        EXPECT_TRUE(found) << name << " missing";
    }
    EXPECT_GE(before["vigil_grpc_subscribers"], 1.0);
    EXPECT_EQ(before["vigil_tracingpolicy_loaded{state=\"enabled\"}"], 1.0);

    const std::string target = dir_ / "kt-metrics-forbidden";
    VIGIL_ASSERT_OK_AND_ASSIGN(killed, run_to_exit({trigger_path(), "write", target, "x"}));
    EXPECT_EQ(describe_wait_status(killed), "killed by signal 9");
    VIGIL_ASSERT_OK_AND_ASSIGN(ev, stream.value()->wait_for(
                                       [](const tetragon::GetEventsResponse& e) { return e.has_process_kprobe(); },
                                       "the Sigkill event"));
    const std::string exec_id = ev.process_kprobe().process().exec_id();
    VIGIL_ASSERT_OK(stream.value()->wait_for(exit_of(exec_id), "exit of the killed writer").ok()
                        ? Status{}
                        : Status{make_error("no exit")});

    auto after = parse_metrics(http_get(port_, "/metrics"));
    const std::string kill_key =
        "vigil_policy_events_total{policy=\"kt-metrics-kill\",hook=\"kprobe:__x64_sys_write\",action=\"Sigkill\"}";
    EXPECT_EQ(after[kill_key] - before[kill_key], 1.0) << "Sigkill events";
    const std::string sel_key =
        "vigil_policy_selector_matches_total{policy=\"kt-metrics-kill\",hook=\"__x64_sys_write\",selector=\"0\"}";
    EXPECT_EQ(after[sel_key] - before[sel_key], 1.0) << "the selector's kernel match counter";
    EXPECT_GE(after["vigil_events_total{type=\"PROCESS_EXEC\",namespace=\"\"}"] -
                  before["vigil_events_total{type=\"PROCESS_EXEC\",namespace=\"\"}"],
              1.0);
    EXPECT_GE(after["vigil_events_total{type=\"PROCESS_EXIT\",namespace=\"\"}"] -
                  before["vigil_events_total{type=\"PROCESS_EXIT\",namespace=\"\"}"],
              1.0);
    EXPECT_EQ(after["vigil_events_total{type=\"PROCESS_KPROBE\",namespace=\"\"}"] -
                  before["vigil_events_total{type=\"PROCESS_KPROBE\",namespace=\"\"}"],
              1.0);
    EXPECT_GT(after["vigil_ringbuf_received_total"], before["vigil_ringbuf_received_total"]);
    EXPECT_EQ(after["vigil_ringbuf_lost_total"], 0.0);
}

}  // namespace
}  // namespace vigil::kt
