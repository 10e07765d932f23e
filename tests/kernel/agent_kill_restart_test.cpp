// vigild killed with SIGKILL, then restarted on the same run and state
// directories: nothing of the killed agent stays in the kernel (Vigil pins
// nothing), the stale pid file does not block the new one, which reloads its
// policies (policy directory and gRPC-added, persisted in --state-dir),
// attaches exactly one set of programs and enforces again. The time from the
// restart to enforcement is measured (docs/reliability.md).
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "bpf_objects.h"

namespace vigil::kt {
namespace {

using Clock = std::chrono::steady_clock;

std::string kill_policy(const std::string& name, const std::string& prefix) {
    return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: " + name +
           "\nspec:\n  kprobes:\n  - call: sys_write\n    args:\n    - index: 0\n      type: fd\n"
           "    selectors:\n    - matchArgs:\n      - index: 0\n        operator: Prefix\n"
           "        values: [\"" + prefix + "\"]\n      matchActions:\n      - action: Sigkill\n";
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// What a vigild holds in the kernel: program names (one entry per program)
// and, per program name, how many links attach it.
struct BpfSet {
    std::set<std::uint32_t> prog_ids, link_ids;
    std::multiset<std::string> programs;
    std::map<std::string, int> links_by_program;
};

Result<BpfSet> bpf_set_of(pid_t pid) {
    const HeldBpfObjects held = bpf_objects_held_by(pid);
    auto progs = list_bpf_programs();
    if (!progs) return make_error(progs.error());
    auto links = list_bpf_links();
    if (!links) return make_error(links.error());
    BpfSet s;
    std::map<std::uint32_t, std::string> names;
    for (const auto& p : *progs) {
        names[p.id] = p.name;
        if (held.prog_ids.count(p.id)) {
            s.prog_ids.insert(p.id);
            s.programs.insert(p.name);
        }
    }
    for (const auto& l : *links) {
        if (!held.link_ids.count(l.id)) continue;
        s.link_ids.insert(l.id);
        ++s.links_by_program[names.count(l.prog_id) ? names[l.prog_id] : "?"];
    }
    return s;
}

std::string describe(const BpfSet& s) {
    std::string out = "programs:";
    for (const auto& p : s.programs) out += " " + p;
    out += "; links:";
    for (const auto& [p, n] : s.links_by_program) out += " " + p + "=" + std::to_string(n);
    return out;
}

class AgentKillRestartTest : public AgentTest {
protected:
    void SetUp() override {
        std::ofstream(policies_ / "kill.yaml") << kill_policy("kt-restart-file", file_prefix_);
        AgentTest::SetUp();
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.run_dir = run_.path();
        o.extra_args = {"--tracing-policy-dir=" + policies_.path(), "--state-dir=" + state_.path()};
        return o;
    }
    // A write to `path` (holding "original") is killed and leaves it unchanged.
    void expect_write_killed(const std::string& path) {
        // Written elsewhere and renamed in: a write of this process to the
        // protected path would be killed too.
        const std::string staged = work_ / "staged";
        std::ofstream(staged) << "original";
        std::filesystem::rename(staged, path);
        VIGIL_ASSERT_OK_AND_ASSIGN(st, run_to_exit({trigger_path(), "write", path, "tampered"}));
        EXPECT_EQ(describe_wait_status(st), "killed by signal 9") << "writer of " << path;
        EXPECT_EQ(read_all(path), "original") << path << " changed";
    }
    // Writes to new files under `prefix` until one is killed; the time that took.
    Result<Clock::duration> time_until_a_write_is_killed(const std::string& prefix, Clock::time_point since) {
        const auto deadline = Clock::now() + kReadyTimeout;
        for (int i = 0; Clock::now() < deadline; ++i) {
            auto st = run_to_exit({trigger_path(), "write", prefix + "canary-" + std::to_string(i), "x"});
            if (!st) return make_error(st.error());
            if (WIFSIGNALED(*st) && WTERMSIG(*st) == SIGKILL) return Clock::now() - since;
            if (!(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)) {
                return make_error("canary writer " + describe_wait_status(*st));
            }
        }
        return make_error("no write under " + prefix + " was killed within " +
                          std::to_string(kReadyTimeout.count()) + " ms of the restart");
    }

    TempDir run_{"vigil-kt-run"};
    TempDir state_{"vigil-kt-state"};
    TempDir policies_{"vigil-kt-policies"};
    TempDir work_{"vigil-kt-restart"};
    const std::string file_prefix_ = work_ / "file-protected-";
    const std::string grpc_prefix_ = work_ / "grpc-protected-";
};

TEST_F(AgentKillRestartTest, NothingStaysAfterSigkillAndRestartEnforcesAgain) {
    {
        auto stub = agent().stub();
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml(kill_policy("kt-restart-grpc", grpc_prefix_));
        tetragon::AddTracingPolicyResponse resp;
        const auto st = stub->AddTracingPolicy(&ctx, req, &resp);
        ASSERT_TRUE(st.ok()) << "AddTracingPolicy: " << st.error_message();
    }
    expect_write_killed(file_prefix_ + "data");
    expect_write_killed(grpc_prefix_ + "data");
    ASSERT_FALSE(HasFailure()) << "the policies do not enforce before the kill";

    VIGIL_ASSERT_OK_AND_ASSIGN(before, bpf_set_of(agent().pid()));
    ASSERT_FALSE(before.prog_ids.empty());
    std::cout << "the agent holds " << describe(before) << "\n";
    const pid_t old_pid = agent().pid();
    ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
    const auto status = agent().wait_exit(kStopTimeout);
    ASSERT_TRUE(status) << "vigild survived SIGKILL";
    ASSERT_EQ(describe_wait_status(*status), "killed by signal 9");

    // The kernel frees programs and links asynchronously once the last fd is gone.
    std::size_t progs_left = 0, links_left = 0;
    const auto deadline = Clock::now() + kEventTimeout;
    for (;;) {
        VIGIL_ASSERT_OK_AND_ASSIGN(progs, list_bpf_programs());
        VIGIL_ASSERT_OK_AND_ASSIGN(links, list_bpf_links());
        progs_left = std::count_if(progs.begin(), progs.end(), [&](const BpfProg& p) { return before.prog_ids.count(p.id); });
        links_left = std::count_if(links.begin(), links.end(), [&](const BpfLink& l) {
            return before.link_ids.count(l.id) || before.prog_ids.count(l.prog_id);
        });
        if ((progs_left == 0 && links_left == 0) || Clock::now() >= deadline) break;
        std::this_thread::sleep_for(100ms);  // re-list; nothing to block on
    }
    EXPECT_EQ(progs_left, 0u) << "programs of the killed vigild are still loaded";
    EXPECT_EQ(links_left, 0u) << "links of the killed vigild are still in the kernel";
    // The killed agent's pid file is still there, naming it: the restart must not trip on it.
    const std::string pid_file = run_ / "vigild.pid";
    ASSERT_TRUE(std::filesystem::exists(pid_file));
    EXPECT_EQ(read_all(pid_file), std::to_string(old_pid) + "\n");

    const auto restart = Clock::now();
    VIGIL_ASSERT_OK_AND_ASSIGN(restarted, Vigild::start(vigild_options()));
    agent_ = std::move(restarted);
    VIGIL_ASSERT_OK_AND_ASSIGN(file_back, time_until_a_write_is_killed(file_prefix_, restart));
    VIGIL_ASSERT_OK_AND_ASSIGN(grpc_back, time_until_a_write_is_killed(grpc_prefix_, restart));
    VIGIL_ASSERT_OK(agent().wait_ready());
    const auto ready = Clock::now() - restart;
    auto ms = [](Clock::duration d) { return std::chrono::duration_cast<Millis>(d).count(); };
    std::cout << "restart to enforcement: directory policy " << ms(file_back) << " ms, gRPC policy "
              << ms(grpc_back) << " ms; gRPC ready by " << ms(ready) << " ms\n";
    RecordProperty("enforcement_back_ms", static_cast<int>(ms(std::max(file_back, grpc_back))));
    EXPECT_LE(std::max(file_back, grpc_back), scaled(10s)) << "enforcement took longer than the documented bound";

    expect_write_killed(file_prefix_ + "data");
    expect_write_killed(grpc_prefix_ + "data");
    EXPECT_EQ(read_all(pid_file), std::to_string(agent().pid()) + "\n");

    // Both policies are back, the gRPC one from the state directory.
    {
        auto stub = agent().stub();
        grpc::ClientContext ctx;
        tetragon::ListTracingPoliciesResponse resp;
        ASSERT_TRUE(stub->ListTracingPolicies(&ctx, {}, &resp).ok());
        std::map<std::string, tetragon::TracingPolicyStatus> by_name;
        for (const auto& p : resp.policies()) by_name[p.name()] = p;
        ASSERT_EQ(by_name.size(), 2u);
        EXPECT_EQ(by_name["kt-restart-file"].state(), tetragon::TP_STATE_ENABLED);
        EXPECT_EQ(by_name["kt-restart-grpc"].state(), tetragon::TP_STATE_ENABLED);
        EXPECT_EQ(by_name["kt-restart-grpc"].domain(), "grpc");
    }

    // Exactly one set: the new agent holds what the killed one held, no more.
    VIGIL_ASSERT_OK_AND_ASSIGN(after, bpf_set_of(agent().pid()));
    EXPECT_EQ(after.programs, before.programs) << "before: " << describe(before) << "\nafter: " << describe(after);
    EXPECT_EQ(after.links_by_program, before.links_by_program)
        << "before: " << describe(before) << "\nafter: " << describe(after);
    // And no program of ours is loaded without an owner (pinned or leaked).
    // Another agent on the machine may be exiting right now, so an ownerless
    // program counts only if it stays.
    std::vector<BpfProg> ownerless;
    const auto leak_deadline = Clock::now() + kEventTimeout;
    for (;;) {
        VIGIL_ASSERT_OK_AND_ASSIGN(progs, list_bpf_programs());
        const HeldBpfObjects anyone = bpf_objects_held_by_anyone();
        ownerless.clear();
        for (const auto& p : progs) {
            if (before.programs.count(p.name) && !anyone.prog_ids.count(p.id)) ownerless.push_back(p);
        }
        if (ownerless.empty() || Clock::now() >= leak_deadline) break;
        std::this_thread::sleep_for(100ms);  // re-list; nothing to block on
    }
    for (const auto& p : ownerless) ADD_FAILURE() << "program " << p.id << " (" << p.name << ") has no owner";
}

}  // namespace
}  // namespace vigil::kt
