// Removing one policy must not make another policy's hook on the same
// syscall miss a call. Where syscalls are hooked through the syscall
// tracepoints (this machine's kernel), the hooks of one syscall are a list
// the BPF program walks on every call; a policy removed while a call is
// walking it must leave the rest of the list where it is.
//
// Each round: a policy "before" and then a policy "after" on sys_write; a
// writer process makes a known number of writes to the file "after"
// matches (NoPost: the selector counts in the kernel, nothing is posted);
// "before" is deleted while the writes run. The kernel's match counter of
// "after" must equal the number of writes.
#include <sys/stat.h>

#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "metrics_scrape.h"

namespace vigil::kt {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRounds = 10;
constexpr int kWrites = 100000;

std::string write_policy(const std::string& name, const std::string& path, const std::string& action) {
    return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: " + name +
           "\nspec:\n  kprobes:\n  - call: sys_write\n    args:\n    - index: 0\n      type: fd\n"
           "    selectors:\n    - matchArgs:\n      - index: 0\n        operator: Equal\n"
           "        values: [\"" + path + "\"]\n      matchActions:\n      - action: " + action + "\n";
}

class PolicyRemovalNeighbourTest : public AgentTest {
protected:
    void SetUp() override {
        AgentTest::SetUp();
        if (HasFatalFailure()) return;
        port_ = metrics_port_from_log(agent().stderr_text());
        ASSERT_NE(port_, 0) << "no metrics line in vigild's log";
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--metrics-server=127.0.0.1:0"};
        return o;
    }
    grpc::Status add(const std::string& yaml) {
        auto stub = agent().stub();
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml(yaml);
        tetragon::AddTracingPolicyResponse resp;
        return stub->AddTracingPolicy(&ctx, req, &resp);
    }
    grpc::Status remove(const std::string& name) {
        auto stub = agent().stub();
        grpc::ClientContext ctx;
        tetragon::DeleteTracingPolicyRequest req;
        req.set_name(name);
        tetragon::DeleteTracingPolicyResponse resp;
        return stub->DeleteTracingPolicy(&ctx, req, &resp);
    }
    // The kernel's match counter of the policy's only selector; -1 if absent.
    double matches(const std::string& policy) {
        const std::string prefix = "vigil_policy_selector_matches_total{policy=\"" + policy + "\"";
        for (const auto& [k, v] : parse_metrics(http_get(port_, "/metrics"))) {
            if (k.rfind(prefix, 0) == 0) return v;
        }
        return -1;
    }
    TempDir work_{"vigil-kt-neighbour"};
    int port_ = 0;
};

TEST_F(PolicyRemovalNeighbourTest, RemovingAnEarlierHookOnTheSyscallSkipsNoCallOfALaterOne) {
    const std::string target = work_ / "target";
    int short_rounds = 0, deleted_during_writes = 0;
    std::string report;
    for (int round = 0; round < kRounds; ++round) {
        {
            const auto st = add(write_policy("kt-before", work_ / "never-written", "Post"));
            ASSERT_TRUE(st.ok()) << "AddTracingPolicy kt-before: " << st.error_message();
        }
        {
            const auto st = add(write_policy("kt-after", target, "NoPost"));
            ASSERT_TRUE(st.ok()) << "AddTracingPolicy kt-after: " << st.error_message();
        }
        ASSERT_EQ(matches("kt-after"), 0);
        std::remove(target.c_str());
        VIGIL_ASSERT_OK_AND_ASSIGN(
            writer, Child::spawn({trigger_path(), "write-many", target, std::to_string(kWrites), "1"}));
        // Delete "before" while the writes run: once the file has grown.
        struct stat sb {};
        const auto deadline = Clock::now() + kEventTimeout;
        while ((::stat(target.c_str(), &sb) != 0 || sb.st_size == 0) && writer.running() && Clock::now() < deadline) {
            std::this_thread::yield();  // polling a file's size: nothing to block on
        }
        {
            const auto st = remove("kt-before");
            ASSERT_TRUE(st.ok()) << "DeleteTracingPolicy kt-before: " << st.error_message();
        }
        if (!writer.wait(0ms)) ++deleted_during_writes;
        const auto status = writer.wait(kEventTimeout);
        ASSERT_TRUE(status) << "writer still running";
        ASSERT_EQ(describe_wait_status(*status), "exited 0");
        const double m = matches("kt-after");
        report += " " + std::to_string(static_cast<long long>(m));
        if (m != kWrites) ++short_rounds;
        {
            const auto st = remove("kt-after");
            ASSERT_TRUE(st.ok()) << "DeleteTracingPolicy kt-after: " << st.error_message();
        }
    }
    std::cout << "matches of kt-after per round (each should be " << kWrites << "):" << report << "; "
              << deleted_during_writes << " deletes returned while the writer ran\n";
    EXPECT_GT(deleted_during_writes, kRounds / 2) << "the writes were too short to race with the deletes";
    EXPECT_EQ(short_rounds, 0) << "rounds where removing kt-before made kt-after miss calls:" << report;
}

}  // namespace
}  // namespace vigil::kt
