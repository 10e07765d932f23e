// TracingPolicy objects from the cluster, end to end: vigild with
// --enable-k8s-api against the fake API server; a TracingPolicy created,
// modified and deleted over the watch stream takes effect (sys_openat
// events appear and disappear, ListTracingPolicies and `vigil tracingpolicy
// list` show it), a nodeSelector that does not match this node keeps it
// unloaded, and a TracingPolicyNamespaced is listed under its namespace.
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent_fixture.h"
#include "fake_apiserver/fake_apiserver.h"
#include "fake_apiserver/fake_cluster.h"

namespace vigil::kt {
namespace {

using nlohmann::json;

// Observe-only: posts openat calls whose path starts with `prefix`.
json open_spec(const std::string& prefix) {
    return json::parse(R"({"kprobes": [{"call": "sys_openat",
        "args": [{"index": 0, "type": "int"}, {"index": 1, "type": "string"}],
        "selectors": [{"matchArgs": [{"index": 1, "operator": "Prefix", "values": [")" + prefix + R"("]}]}]}]})");
}

class K8sPoliciesTest : public AgentTest {
protected:
    void SetUp() override {
        cluster_.apply("nodes", {{"metadata", {{"name", node_}, {"labels", {{"vigil.test/role", "edge"}}}}}});
        server_ = std::make_unique<fake_k8s::FakeApiServer>(cluster_, fake_k8s::FakeServerOptions{});
        server_->start();
        std::ofstream(kube_ / "config") << server_->kubeconfig_yaml(false);
        AgentTest::SetUp();
    }
    void TearDown() override {
        AgentTest::TearDown();
        if (server_) server_->stop();
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.node_name = node_;
        o.extra_args = {"--enable-k8s-api=true", "--k8s-kubeconfig-path=" + (kube_ / "config"),
                        "--tracing-policy-dir=" + kube_.path() + "/none"};
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
    bool wait_policy(const std::string& name,
                     const std::function<bool(const std::optional<tetragon::TracingPolicyStatus>&)>& pred) {
        auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (pred(find(name))) return true;
            std::this_thread::sleep_for(50ms);  // polling an RPC: there is nothing to wait on
        }
        return false;
    }
    // Opens `path` with the trigger; whether a kprobe event for it arrived
    // before the exit of a later barrier process.
    bool open_is_posted(const std::string& path) {
        auto stream = agent().subscribe_binaries({"vigil_trigger$"});
        EXPECT_TRUE(stream.ok()) << stream.error();
        if (!stream.ok()) return false;
        const std::string marker = "mark-" + random_token();
        std::ofstream(path) << "x";
        EXPECT_TRUE(run_to_exit({trigger_path(), "open", path}).ok());
        EXPECT_TRUE(run_to_exit({trigger_path(), "exit", "0", marker}).ok());
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
    // `vigil tracingpolicy list -o json`, as text.
    std::string cli_list() {
        TempDir out{"vigil-kt-cli"};
        SpawnOptions so;
        so.stdout_path = out / "stdout";
        auto st = run_to_exit({build_dir() + "/vigil", "--server-address", agent().socket_target(),
                               "tracingpolicy", "list", "-o", "json"},
                              so);
        EXPECT_TRUE(st.ok() && st.value() == 0) << (st.ok() ? describe_wait_status(st.value()) : st.error());
        std::ifstream in(out / "stdout");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    const std::string node_ = "vigil-kt-node";
    fake_k8s::FakeCluster cluster_;
    std::unique_ptr<fake_k8s::FakeApiServer> server_;
    TempDir kube_{"vigil-kt-kube"};
    TempDir work_{"vigil-kt-k8sp"};
};

TEST_F(K8sPoliciesTest, CreatedModifiedAndDeletedOverTheWatch) {
    cluster_.apply("tracingpolicies", fake_k8s::make_tracing_policy("kt-k8s-open", open_spec(work_ / "a-")));
    ASSERT_TRUE(wait_policy("kt-k8s-open", [](auto& p) { return p && p->state() == tetragon::TP_STATE_ENABLED; }))
        << agent().stderr_tail();
    auto p = find("kt-k8s-open");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->domain(), "k8s");
    EXPECT_EQ(p->info(), "k8s:kt-k8s-open");
    EXPECT_EQ(p->namespace_(), "");
    const std::string listed = cli_list();
    EXPECT_NE(listed.find("kt-k8s-open"), std::string::npos) << listed;
    EXPECT_TRUE(open_is_posted(work_ / "a-1"));
    EXPECT_FALSE(open_is_posted(work_ / "b-1"));

    // Modified: the new selector applies, the old one is gone.
    const auto old_id = p->id();
    cluster_.apply("tracingpolicies", fake_k8s::make_tracing_policy("kt-k8s-open", open_spec(work_ / "b-")));
    ASSERT_TRUE(wait_policy("kt-k8s-open", [&](auto& q) {
        return q && q->id() != old_id && q->state() == tetragon::TP_STATE_ENABLED;
    }));
    EXPECT_TRUE(open_is_posted(work_ / "b-2"));
    EXPECT_FALSE(open_is_posted(work_ / "a-2"));

    // Deleted: unloaded, no more events.
    cluster_.remove("tracingpolicies", "", "kt-k8s-open");
    ASSERT_TRUE(wait_policy("kt-k8s-open", [](auto& q) { return !q.has_value(); }));
    EXPECT_FALSE(open_is_posted(work_ / "b-3"));
    EXPECT_EQ(cli_list().find("kt-k8s-open"), std::string::npos);
}

TEST_F(K8sPoliciesTest, NodeSelectorThatDoesNotMatchKeepsItUnloaded) {
    auto elsewhere = fake_k8s::make_tracing_policy("kt-k8s-elsewhere", open_spec(work_ / "e-"));
    elsewhere["spec"]["nodeSelector"] = {{"matchLabels", {{"vigil.test/role", "core"}}}};
    auto here = fake_k8s::make_tracing_policy("kt-k8s-here", open_spec(work_ / "h-"));
    here["spec"]["nodeSelector"] = {{"matchLabels", {{"vigil.test/role", "edge"}}}};
    cluster_.apply("tracingpolicies", elsewhere);
    cluster_.apply("tracingpolicies", here);
    // Both are in the same list (or stream, in order): once the second is
    // loaded, the first has been decided on.
    ASSERT_TRUE(wait_policy("kt-k8s-here", [](auto& p) { return p && p->state() == tetragon::TP_STATE_ENABLED; }))
        << agent().stderr_tail();
    EXPECT_FALSE(find("kt-k8s-elsewhere").has_value());
    EXPECT_TRUE(open_is_posted(work_ / "h-1"));
    EXPECT_FALSE(open_is_posted(work_ / "e-1"));

    // Re-targeted at this node: loaded.
    elsewhere["spec"]["nodeSelector"]["matchLabels"]["vigil.test/role"] = "edge";
    cluster_.apply("tracingpolicies", elsewhere);
    ASSERT_TRUE(
        wait_policy("kt-k8s-elsewhere", [](auto& p) { return p && p->state() == tetragon::TP_STATE_ENABLED; }));
    EXPECT_TRUE(open_is_posted(work_ / "e-2"));
}

TEST_F(K8sPoliciesTest, NamespacedPolicyIsListedUnderItsNamespace) {
    cluster_.apply("tracingpoliciesnamespaced",
                   fake_k8s::make_tracing_policy("kt-k8s-ns", open_spec(work_ / "n-"), "shop"));
    ASSERT_TRUE(wait_policy("kt-k8s-ns", [](auto& p) { return p && p->state() == tetragon::TP_STATE_ENABLED; }))
        << agent().stderr_tail();
    auto p = find("kt-k8s-ns");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->namespace_(), "shop");
    EXPECT_EQ(p->info(), "k8s:shop/kt-k8s-ns");
    cluster_.remove("tracingpoliciesnamespaced", "shop", "kt-k8s-ns");
    ASSERT_TRUE(wait_policy("kt-k8s-ns", [](auto& q) { return !q.has_value(); }));
}

}  // namespace
}  // namespace vigil::kt
