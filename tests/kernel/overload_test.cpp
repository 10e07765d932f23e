// Overload, counted exactly: a write storm into a ring buffer far too small
// for it. Every record is either delivered or counted as lost, and the count
// reaches subscribers as a loss notice (rate_limit_info) on the stream, in the
// kernel's counter and in the metric, all agreeing.
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "metrics_scrape.h"

namespace vigil::kt {
namespace {

class OverloadTest : public AgentTest {
protected:
    void SetUp() override {
        std::ofstream(policies_ / "storm.yaml") << R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-storm
spec:
  kprobes:
  - call: sys_write
    args:
    - index: 0
      type: fd
    - index: 1
      type: char_buf
      sizeArgIndex: 3
    selectors:
    - matchArgs:
      - index: 0
        operator: Prefix
        values:
        - /tmp/vigil-kt-storm-
)";
        AgentTest::SetUp();
        if (HasFatalFailure()) return;
        port_ = metrics_port_from_log(agent().stderr_text());
        ASSERT_NE(port_, 0) << "no metrics line in vigild's log";
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        // 16 KiB holds three or four 4 KiB write records: the storm must overrun it. The
        // subscriber queues are large, so every loss is the ring buffer's.
        o.extra_args = {"--tracing-policy-dir=" + policies_.path(), "--rb-size=16384",
                        "--event-queue-size=100000", "--metrics-server=127.0.0.1:0"};
        return o;
    }
    double metric(const std::string& name) {
        auto m = parse_metrics(http_get(port_, "/metrics"));
        auto it = m.find(name);
        return it == m.end() ? -1 : it->second;
    }
    TempDir policies_{"vigil-kt-policies"};
    TempDir work_{"vigil-kt-storm-"};
    int port_ = 0;
};

TEST_F(OverloadTest, RingBufferOverrunIsDeliveredOrCountedAndNoticed) {
    tetragon::GetEventsRequest all;  // no filter: loss notices carry no process
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe(all));
    const std::string path = work_ / "target";
    constexpr int kWrites = 3000;
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "write-many", path, std::to_string(kWrites), "4000"}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");

    auto delivered = [&] {
        std::uint64_t d = 0;
        for (const auto& e : stream->events()) {
            if (e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-storm") ++d;
        }
        return d;
    };
    auto notices = [&] {
        std::size_t k = 0;
        for (const auto& e : stream->events()) k += e.has_rate_limit_info() ? 1 : 0;
        return k;
    };
    // Waits (up to 500 ms) for a loss notice after the ones already seen.
    auto next_notice = [&] {
        const std::size_t seen = notices();
        std::size_t k = 0;
        (void)stream->wait_for(
            [&](const tetragon::GetEventsResponse& e) { return e.has_rate_limit_info() && ++k > seen; },
            "a further loss notice", std::chrono::milliseconds(500));
    };
    auto noticed = [&] {
        std::uint64_t n = 0;
        for (const auto& e : stream->events()) {
            if (e.has_rate_limit_info()) n += e.rate_limit_info().number_of_dropped_process_events();
        }
        return n;
    };
    // Every write is accounted for on the stream: delivered, or in a loss notice.
    const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
    while (delivered() + noticed() < kWrites && std::chrono::steady_clock::now() < deadline) next_notice();
    const std::uint64_t d = delivered(), n = noticed();
    SCOPED_TRACE("delivered " + std::to_string(d) + ", noticed lost " + std::to_string(n));
    EXPECT_GT(n, 0u) << "a 16 KiB ring buffer must overrun under this storm";
    EXPECT_GT(d, 0u);
    EXPECT_GE(d + n, static_cast<std::uint64_t>(kWrites)) << "a write neither delivered nor counted";
    // The kernel's counter, the metric and the notices agree once the last notice is out.
    const auto deadline2 = std::chrono::steady_clock::now() + kEventTimeout;
    while (metric("vigil_ringbuf_lost_total") != static_cast<double>(noticed()) &&
           std::chrono::steady_clock::now() < deadline2) {
        next_notice();
    }
    EXPECT_EQ(metric("vigil_ringbuf_lost_total"), static_cast<double>(noticed()));
    EXPECT_EQ(metric("vigil_notify_overflowed_events_total"), 0) << "no subscriber dropped anything";
    // Losses other than the storm's (another process's exec in the same window) only add up.
    EXPECT_LE(static_cast<double>(kWrites - d), metric("vigil_ringbuf_lost_total"));
}

}  // namespace
}  // namespace vigil::kt
