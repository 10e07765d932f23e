// Events a policy posted before it was deleted are delivered, not dropped:
// when DeleteTracingPolicy returns, records of its hook may still wait in
// the ring buffer; vigild must still know which policy and hook they belong
// to. Each round: a Post policy on sys_write, a writer making a known number
// of matching writes, the delete straight after the writer exits, then a
// barrier: the stream must hold exactly one event per write.
#include <fstream>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "metrics_scrape.h"

namespace vigil::kt {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPolicyName = "kt-in-flight";
constexpr int kRounds = 5;
constexpr int kWrites = 3000;

bool is_ours(const tetragon::GetEventsResponse& ev) {
    return ev.has_process_kprobe() && ev.process_kprobe().policy_name() == kPolicyName;
}

class PolicyRemovalInFlightTest : public AgentTest {
protected:
    void SetUp() override {
        AgentTest::SetUp();
        if (HasFatalFailure()) return;
        port_ = metrics_port_from_log(agent().stderr_text());
        ASSERT_NE(port_, 0) << "no metrics line in vigild's log";
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        // Queues that hold every round, so any loss is vigild's, not a queue's.
        o.extra_args = {"--metrics-server=127.0.0.1:0", "--event-queue-size=100000"};
        return o;
    }
    std::string policy() const {
        return std::string("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: ") + kPolicyName +
               "\nspec:\n  kprobes:\n  - call: sys_write\n    args:\n    - index: 0\n      type: fd\n"
               "    selectors:\n    - matchArgs:\n      - index: 0\n        operator: Prefix\n"
               "        values: [\"" + work_.path() + "/\"]\n";
    }
    double metric(const std::string& name) {
        auto m = parse_metrics(http_get(port_, "/metrics"));
        auto it = m.find(name);
        return it == m.end() ? -1 : it->second;
    }
    TempDir work_{"vigil-kt-in-flight"};
    int port_ = 0;
};

TEST_F(PolicyRemovalInFlightTest, EventsPostedBeforeTheDeleteAreDelivered) {
    auto stub = agent().stub();
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
    std::string counts;
    int short_rounds = 0;
    std::size_t seen_before = 0;
    for (int round = 0; round < kRounds; ++round) {
        {
            grpc::ClientContext ctx;
            tetragon::AddTracingPolicyRequest req;
            req.set_yaml(policy());
            tetragon::AddTracingPolicyResponse resp;
            const auto st = stub->AddTracingPolicy(&ctx, req, &resp);
            ASSERT_TRUE(st.ok()) << "AddTracingPolicy: " << st.error_message();
        }
        const std::string path = work_ / ("round-" + std::to_string(round));
        VIGIL_ASSERT_OK_AND_ASSIGN(
            st, run_to_exit({trigger_path(), "write-many", path, std::to_string(kWrites), "1"}));
        ASSERT_EQ(describe_wait_status(st), "exited 0");
        {
            grpc::ClientContext ctx;
            tetragon::DeleteTracingPolicyRequest req;
            req.set_name(kPolicyName);
            tetragon::DeleteTracingPolicyResponse resp;
            const auto del = stub->DeleteTracingPolicy(&ctx, req, &resp);
            ASSERT_TRUE(del.ok()) << "DeleteTracingPolicy: " << del.error_message();
        }
        // Everything the ring buffer held before the barrier's exec is delivered by then.
        const std::string marker = "barrier-" + random_token();
        VIGIL_ASSERT_OK_AND_ASSIGN(bst, run_to_exit({trigger_path(), "exit", "0", marker}));
        ASSERT_EQ(describe_wait_status(bst), "exited 0");
        VIGIL_ASSERT_OK(stream->wait_for(exec_with_argument(marker), "the barrier exec"));
        const auto events = stream->events();
        int n = 0;
        for (std::size_t i = seen_before; i < events.size(); ++i) n += is_ours(events[i]) ? 1 : 0;
        seen_before = events.size();
        counts += " " + std::to_string(n);
        if (n != kWrites) ++short_rounds;
    }
    std::cout << "events per round (each should be " << kWrites << "):" << counts << "\n";
    ASSERT_EQ(metric("vigil_ringbuf_lost_total"), 0) << "the ring buffer overran: the rounds prove nothing";
    EXPECT_EQ(metric("vigil_notify_overflowed_events_total"), 0);
    EXPECT_EQ(metric("vigil_ringbuf_decode_errors_total{reason=\"unknown_hook\"}"), 0)
        << "records of the deleted hook were read after vigild forgot the hook";
    EXPECT_EQ(short_rounds, 0) << "events posted before the delete were lost:" << counts;
}

}  // namespace
}  // namespace vigil::kt
