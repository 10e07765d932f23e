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

namespace vigil::kt {
namespace {

// GET http://127.0.0.1:<port><path>; the body, or "" on any failure.
std::string http_get(int port, const std::string& path, int* status = nullptr) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0) {
        ::close(fd);
        return "";
    }
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        return "";
    }
    std::string resp;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) resp.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    if (status && resp.size() > 12) *status = std::atoi(resp.substr(9, 3).c_str());
    auto body = resp.find("\r\n\r\n");
    return body == std::string::npos ? "" : resp.substr(body + 4);
}

// "name{labels}" -> value, from the text exposition format.
std::map<std::string, double> parse(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto sp = line.rfind(' ');
        if (sp == std::string::npos) continue;
        out[line.substr(0, sp)] = std::atof(line.c_str() + sp + 1);
    }
    return out;
}

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
        std::smatch m;
        const std::string err = agent().stderr_text();
        ASSERT_TRUE(std::regex_search(err, m, std::regex("metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics")))
            << "no metrics line in vigild's log";
        port_ = std::stoi(m[1]);
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
    auto before = parse(http_get(port_, "/metrics"));
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

    auto after = parse(http_get(port_, "/metrics"));
    const std::string kill_key =
        "vigil_policy_events_total{policy=\"kt-metrics-kill\",hook=\"kprobe:__x64_sys_write\",action=\"Sigkill\"}";
    EXPECT_EQ(after[kill_key] - before[kill_key], 1.0) << "Sigkill events";
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
