// A policy deleted and added again, many times over gRPC, while its hook
// fires: writer processes hammer sys_write (the hooked syscall) and other
// clients list policies and scrape metrics meanwhile. No crash, the agent
// keeps serving; after the final delete no event of the policy arrives, no
// writer was ever killed (no stale enforcement), and a write to the file the
// policy protected succeeds.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "metrics_scrape.h"

namespace vigil::kt {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPolicyName = "kt-race";
constexpr int kCycles = 100;   // delete + add
constexpr int kWriters = 2;    // threads, each running writer processes back to back

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_ours(const tetragon::GetEventsResponse& ev) {
    return ev.has_process_kprobe() && ev.process_kprobe().policy_name() == kPolicyName;
}

// Runs trigger execs with a fresh marker until one shows on the stream (a
// loaded hub may drop one for this subscriber); the index of its exec event
// in events(). Everything the ring buffer held before it is delivered by then.
Result<std::size_t> barrier(EventStream& s) {
    const auto deadline = Clock::now() + kEventTimeout;
    while (Clock::now() < deadline) {
        const std::string marker = "barrier-" + random_token();
        auto st = run_to_exit({trigger_path(), "exit", "0", marker});
        if (!st) return make_error(st.error());
        if (!s.wait_for(exec_with_argument(marker), "barrier exec", 1s)) continue;
        const auto events = s.events();
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (exec_with_argument(marker)(events[i])) return i;
        }
    }
    return make_error("no barrier exec reached the stream within " + std::to_string(kEventTimeout.count()) + " ms");
}

// Writer processes, back to back on each thread, until stop(): most writes
// go to files no selector matches (the hook runs, finds nothing), some to a
// file the Post selector matches. Every exit status is kept.
class Writers {
public:
    Writers(std::string dir, int threads) : dir_(std::move(dir)) {
        for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { run(t); });
    }
    ~Writers() { stop(); }
    void stop() {
        stop_.store(true);
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
    }
    int runs() const { return runs_.load(); }
    std::vector<std::string> failures() const {
        std::lock_guard lock(mu_);
        return failures_;
    }

private:
    void run(int t) {
        const std::string id = std::to_string(t);
        for (int i = 0; !stop_.load(); ++i) {
            const bool posted = i % 5 == 4;
            const std::string path = dir_ + (posted ? "/posted-" : "/quiet-") + id;
            auto st = run_to_exit({trigger_path(), "write-many", path, posted ? "100" : "2000", "8"});
            std::string what = st ? describe_wait_status(*st) : st.error();
            if (what != "exited 0") {
                std::lock_guard lock(mu_);
                failures_.push_back("writer of " + path + ": " + what);
            }
            runs_.fetch_add(1);
        }
    }

    const std::string dir_;
    std::atomic<bool> stop_{false};
    std::atomic<int> runs_{0};
    mutable std::mutex mu_;
    std::vector<std::string> failures_;
    std::vector<std::thread> threads_;  // last: started once the rest exists
};

class PolicyRaceTest : public AgentTest {
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
    std::string policy() const {
        return std::string("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: ") + kPolicyName +
               "\nspec:\n  kprobes:\n  - call: sys_write\n    args:\n    - index: 0\n      type: fd\n"
               "    selectors:\n"
               "    - matchArgs:\n      - index: 0\n        operator: Prefix\n        values: [\"" + work_.path() +
               "/posted-\"]\n"
               "    - matchArgs:\n      - index: 0\n        operator: Equal\n        values: [\"" + protected_ +
               "\"]\n      matchActions:\n      - action: Sigkill\n";
    }
    grpc::Status add(tetragon::FineGuidanceSensors::Stub& stub) {
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml(policy());
        tetragon::AddTracingPolicyResponse resp;
        return stub.AddTracingPolicy(&ctx, req, &resp);
    }
    grpc::Status remove(tetragon::FineGuidanceSensors::Stub& stub) {
        grpc::ClientContext ctx;
        tetragon::DeleteTracingPolicyRequest req;
        req.set_name(kPolicyName);
        tetragon::DeleteTracingPolicyResponse resp;
        return stub.DeleteTracingPolicy(&ctx, req, &resp);
    }
    // The protected file holds "original"; a write of "tampered": its status text.
    std::string write_protected() {
        // Written elsewhere and renamed in: a write of this process to the
        // protected path would be killed too.
        const std::string staged = work_ / "staged";
        std::ofstream(staged) << "original";
        std::filesystem::rename(staged, protected_);
        auto st = run_to_exit({trigger_path(), "write", protected_, "tampered"});
        return st ? describe_wait_status(*st) : st.error();
    }

    TempDir work_{"vigil-kt-race"};
    const std::string protected_ = work_ / "protected";
    int port_ = 0;
};

TEST_F(PolicyRaceTest, DeleteAndAddWhileTheHookFiresLeavesNoStaleEnforcement) {
    auto stub = agent().stub();
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
    {
        const auto st = add(*stub);
        ASSERT_TRUE(st.ok()) << "AddTracingPolicy: " << st.error_message();
    }
    // The policy works: it kills the protected file's writer and posts the others.
    ASSERT_EQ(write_protected(), "killed by signal 9");
    ASSERT_EQ(read_all(protected_), "original");

    Writers writers(work_.path(), kWriters);
    VIGIL_ASSERT_OK(stream->wait_for(is_ours, "a write event while the writers run"));

    // Policy listings and metric scrapes read hook state while it changes.
    std::atomic<bool> stop_readers{false};
    std::atomic<int> reads{0}, read_failures{0};
    std::thread reader([&] {
        auto s = agent().stub();
        while (!stop_readers.load()) {
            grpc::ClientContext ctx;
            ctx.set_deadline(std::chrono::system_clock::now() + 5s);
            tetragon::ListTracingPoliciesResponse resp;
            if (!s->ListTracingPolicies(&ctx, {}, &resp).ok()) read_failures.fetch_add(1);
            if (http_get(port_, "/metrics").empty()) read_failures.fetch_add(1);
            reads.fetch_add(1);
        }
    });

    const auto churn_start = Clock::now();
    int failed_calls = 0;
    std::string first_failure;
    auto check = [&](const grpc::Status& st, const char* call) {
        if (st.ok()) return;
        if (failed_calls++ == 0) first_failure = std::string(call) + ": " + st.error_message();
    };
    for (int i = 0; i < kCycles; ++i) {
        check(remove(*stub), "DeleteTracingPolicy");
        check(add(*stub), "AddTracingPolicy");
    }
    const auto final_delete = remove(*stub);
    const auto churn = Clock::now() - churn_start;
    stop_readers.store(true);
    reader.join();
    EXPECT_EQ(failed_calls, 0) << "first failure: " << first_failure;
    ASSERT_TRUE(final_delete.ok()) << "final DeleteTracingPolicy: " << final_delete.error_message();
    ASSERT_TRUE(agent().running()) << "vigild died during the churn";
    EXPECT_EQ(read_failures.load(), 0) << "listings or scrapes failed during the churn";

    // After the final delete: the writers go on, and nothing of the policy shows.
    VIGIL_ASSERT_OK_AND_ASSIGN(after_delete, barrier(*stream));
    const int runs_at_delete = writers.runs();
    const auto deadline = Clock::now() + kEventTimeout;
    while (writers.runs() < runs_at_delete + 4 * kWriters && Clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);  // the writers count their runs; nothing to block on
    }
    EXPECT_GE(writers.runs(), runs_at_delete + 4 * kWriters) << "the writers stalled after the delete";
    writers.stop();
    VIGIL_ASSERT_OK(barrier(*stream));
    const auto events = stream->events();
    int during = 0, stale = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (!is_ours(events[i])) continue;
        if (i < after_delete) {
            ++during;
        } else {
            ++stale;
        }
    }
    const auto m = parse_metrics(http_get(port_, "/metrics"));
    auto metric = [&](const std::string& k) { auto it = m.find(k); return it == m.end() ? -1.0 : it->second; };
    std::cout << kCycles << " delete+add cycles in " << std::chrono::duration_cast<Millis>(churn).count()
              << " ms while " << writers.runs() << " writer processes ran; " << during
              << " policy events before the final delete, " << stale << " after; " << reads.load()
              << " listings+scrapes; hook_no_config "
              << metric("vigil_bpf_missed_events_total{error=\"hook_no_config\"}") << ", ring buffer lost "
              << metric("vigil_ringbuf_lost_total") << "\n";
    EXPECT_GT(during, 0) << "the hook never posted during the churn";
    EXPECT_EQ(stale, 0) << "events of the deleted policy after its final delete";
    const auto failures = writers.failures();
    EXPECT_TRUE(failures.empty()) << failures.size() << " writer(s) did not exit 0, first: " << failures.front();

    // Nothing enforces any more: the protected file can be written.
    EXPECT_EQ(write_protected(), "exited 0");
    EXPECT_EQ(read_all(protected_), "tampered");

    // The agent still serves, and the policy can come back and work.
    VIGIL_ASSERT_OK(agent().wait_ready(5s));
    {
        grpc::ClientContext ctx;
        tetragon::ListTracingPoliciesResponse resp;
        ASSERT_TRUE(stub->ListTracingPolicies(&ctx, {}, &resp).ok());
        EXPECT_EQ(resp.policies_size(), 0);
    }
    {
        const auto st = add(*stub);
        ASSERT_TRUE(st.ok()) << "AddTracingPolicy after the churn: " << st.error_message();
    }
    EXPECT_EQ(write_protected(), "killed by signal 9");
    EXPECT_EQ(read_all(protected_), "original");
}

}  // namespace
}  // namespace vigil::kt
