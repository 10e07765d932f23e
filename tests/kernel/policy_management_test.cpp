// Live policy management in a running vigild: the watched directory,
// enable/disable, mode changes, a broken policy next to working ones, and
// gRPC-added policies surviving a restart.
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"

namespace vigil::kt {
namespace {

std::string open_policy(const std::string& name, const std::string& prefix) {
    return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: " + name +
           "\nspec:\n  kprobes:\n  - call: sys_openat\n    args:\n    - index: 0\n      type: int\n"
           "    - index: 1\n      type: string\n    selectors:\n    - matchArgs:\n      - index: 1\n"
           "        operator: Prefix\n        values: [\"" + prefix + "\"]\n";
}

// Writes atomically (temp file + rename), as configuration tools do.
void put_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, path);
}

class PolicyManagementTest : public AgentTest {
protected:
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--tracing-policy-dir=" + dir_.path(), "--state-dir=" + state_.path()};
        return o;
    }
    std::optional<tetragon::TracingPolicyStatus> find(const std::string& name) {
        auto stub = agent().stub();
        grpc::ClientContext ctx;
        tetragon::ListTracingPoliciesResponse resp;
        if (!stub->ListTracingPolicies(&ctx, {}, &resp).ok()) return std::nullopt;
        for (const auto& p : resp.policies()) {
            if (p.name() == name) return p;
        }
        return std::nullopt;
    }
    // Polls the list until `pred` holds for the policy (or its absence).
    bool wait_policy(const std::string& name,
                     const std::function<bool(const std::optional<tetragon::TracingPolicyStatus>&)>& pred) {
        auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (pred(find(name))) return true;
            std::this_thread::sleep_for(50ms);  // polling an RPC: there is nothing to wait on
        }
        return false;
    }
    // Opens `path` with the trigger and reports whether an openat event for it arrived
    // before the trigger's exit event.
    bool open_is_posted(const std::string& path) {
        auto stream = agent().subscribe_binaries({"vigil_trigger$"});
        EXPECT_TRUE(stream.ok()) << stream.error();
        if (!stream.ok()) return false;
        const std::string marker = "mark-" + random_token();
        std::ofstream(path) << "x";
        auto st = run_to_exit({trigger_path(), "open", path});
        EXPECT_TRUE(st.ok());
        auto barrier = run_to_exit({trigger_path(), "exit", "0", marker});
        EXPECT_TRUE(barrier.ok());
        auto exec = stream.value()->wait_for(exec_with_argument(marker), "barrier exec");
        EXPECT_TRUE(exec.ok()) << exec.error();
        if (!exec.ok()) return false;
        auto exit = stream.value()->wait_for(exit_of(exec.value().process_exec().process().exec_id()),
                                             "barrier exit");
        EXPECT_TRUE(exit.ok()) << exit.error();
        for (const auto& e : stream.value()->events()) {
            if (e.has_process_kprobe() && e.process_kprobe().args_size() == 2 &&
                e.process_kprobe().args(1).string_arg() == path) {
                return true;
            }
        }
        return false;
    }
    TempDir dir_{"vigil-kt-pdir"};
    TempDir state_{"vigil-kt-state"};
    TempDir work_{"vigil-kt-pwork"};
};

TEST_F(PolicyManagementTest, DirectoryChangesApplyLive) {
    const std::string file = dir_ / "live.yaml";
    put_file(file, open_policy("kt-live", work_ / "a-"));
    ASSERT_TRUE(wait_policy("kt-live", [](auto& p) { return p && p->state() == tetragon::TP_STATE_ENABLED; }));
    EXPECT_TRUE(open_is_posted(work_ / "a-1"));
    EXPECT_FALSE(open_is_posted(work_ / "b-1"));

    // Changed in place: the new selector applies, the old one is gone.
    put_file(file, open_policy("kt-live", work_ / "b-"));
    ASSERT_TRUE(wait_policy("kt-live", [&](auto& p) { return p && p->id() > 1; }));
    EXPECT_TRUE(open_is_posted(work_ / "b-2"));
    EXPECT_FALSE(open_is_posted(work_ / "a-2"));

    // A broken file next to it: listed with its error, the other keeps working.
    put_file(dir_ / "broken.yaml", "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n"
                                   "  name: kt-broken\nspec:\n  kprobes:\n  - call: sys_write\n    argz: []\n");
    ASSERT_TRUE(wait_policy("kt-broken", [](auto& p) { return p && p->state() == tetragon::TP_STATE_LOAD_ERROR; }));
    auto broken = find("kt-broken");
    ASSERT_TRUE(broken);
    EXPECT_NE(broken->error().find("broken.yaml:8"), std::string::npos) << broken->error();
    EXPECT_NE(broken->error().find("argz"), std::string::npos) << broken->error();
    EXPECT_TRUE(open_is_posted(work_ / "b-3"));

    std::filesystem::remove(file);
    ASSERT_TRUE(wait_policy("kt-live", [](auto& p) { return !p.has_value(); }));
    EXPECT_FALSE(open_is_posted(work_ / "b-4"));
}

TEST_F(PolicyManagementTest, DisableEnableAndModeChange) {
    put_file(dir_ / "toggle.yaml", open_policy("kt-toggle", work_ / "t-"));
    ASSERT_TRUE(wait_policy("kt-toggle", [](auto& p) { return p && p->state() == tetragon::TP_STATE_ENABLED; }));
    auto stub = agent().stub();
    auto configure = [&](std::optional<bool> enable, std::optional<tetragon::TracingPolicyMode> mode) {
        grpc::ClientContext ctx;
        tetragon::ConfigureTracingPolicyRequest req;
        req.set_name("kt-toggle");
        if (enable) req.set_enable(*enable);
        if (mode) req.set_mode(*mode);
        tetragon::ConfigureTracingPolicyResponse resp;
        return stub->ConfigureTracingPolicy(&ctx, req, &resp);
    };
    ASSERT_TRUE(configure(false, std::nullopt).ok());
    EXPECT_EQ(find("kt-toggle")->state(), tetragon::TP_STATE_DISABLED);
    EXPECT_FALSE(open_is_posted(work_ / "t-1"));
    ASSERT_TRUE(configure(true, std::nullopt).ok());
    EXPECT_EQ(find("kt-toggle")->state(), tetragon::TP_STATE_ENABLED);
    EXPECT_TRUE(open_is_posted(work_ / "t-2"));
    ASSERT_TRUE(configure(std::nullopt, tetragon::TP_MODE_MONITOR).ok());
    EXPECT_EQ(find("kt-toggle")->mode(), tetragon::TP_MODE_MONITOR);
    grpc::ClientContext ctx;
    tetragon::ConfigureTracingPolicyRequest req;
    req.set_name("kt-nope");
    req.set_enable(true);
    tetragon::ConfigureTracingPolicyResponse resp;
    EXPECT_EQ(stub->ConfigureTracingPolicy(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PolicyManagementTest, GrpcAddedPolicySurvivesRestart) {
    auto stub = agent().stub();
    {
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml(open_policy("kt-persist", work_ / "p-"));
        tetragon::AddTracingPolicyResponse resp;
        auto st = stub->AddTracingPolicy(&ctx, req, &resp);
        ASSERT_TRUE(st.ok()) << st.error_message();
    }
    stop_agent();
    auto restarted = Vigild::start(vigild_options());
    ASSERT_TRUE(restarted.ok()) << restarted.error();
    agent_ = std::move(restarted).value();
    VIGIL_ASSERT_OK(agent_->wait_ready());
    auto p = find("kt-persist");
    ASSERT_TRUE(p) << "policy lost across the restart";
    EXPECT_EQ(p->state(), tetragon::TP_STATE_ENABLED);
    EXPECT_EQ(p->domain(), "grpc");
    EXPECT_TRUE(open_is_posted(work_ / "p-1"));
}

}  // namespace
}  // namespace vigil::kt
