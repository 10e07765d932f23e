// In-kernel scoping of policies to pods, end to end: vigild with
// --enable-k8s-api against the fake API server, pods whose containers are
// cgroups made the way containerd's systemd driver names them, and a
// sys_write Sigkill policy on a test file. The same writer is killed inside
// the policy's scope and lives outside it: a TracingPolicyNamespaced selects
// its namespace, a podSelector selects by label (and relabelling a pod over
// the watch moves it in and out of scope), a containerSelector selects by
// container name, and a process in a cgroup nested inside a selected
// container is in scope too.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent_fixture.h"
#include "fake_apiserver/fake_apiserver.h"
#include "fake_apiserver/fake_cluster.h"

namespace vigil::kt {
namespace {

using nlohmann::json;

std::string cgroup2_mount() {
    std::ifstream in("/proc/self/mounts");
    std::string dev, dir, type, rest;
    while (in >> dev >> dir >> type && std::getline(in, rest)) {
        if (type == "cgroup2") return dir;
    }
    return "";
}

std::string random_container_id() {
    std::string id;
    while (id.size() < 64) id += random_token();
    return id.substr(0, 64);
}

// Kills writes to files whose path starts with `prefix`.
json sigkill_writes(const std::string& prefix) {
    return json::parse(R"({"kprobes": [{"call": "sys_write", "syscall": true,
        "args": [{"index": 0, "type": "fd"}],
        "selectors": [{"matchArgs": [{"index": 0, "operator": "Prefix", "values": [")" + prefix + R"("]}],
                       "matchActions": [{"action": "Sigkill"}]}]}]})");
}

class K8sScopingTest : public AgentTest {
protected:
    struct Pod {
        fake_k8s::PodSpec spec;
        std::vector<std::string> cgroups;  // one per container, same order
    };

    void SetUp() override {
        mount_ = cgroup2_mount();
        if (mount_.empty()) GTEST_SKIP() << "no cgroup2 hierarchy mounted";
        slice_ = mount_ + "/vigil-kt-scope-" + random_token() + ".slice";
        std::filesystem::create_directories(slice_);
        cluster_.apply("nodes", {{"metadata", {{"name", node_}}}});
        server_ = std::make_unique<fake_k8s::FakeApiServer>(cluster_, fake_k8s::FakeServerOptions{});
        server_->start();
        std::ofstream(kube_ / "config") << server_->kubeconfig_yaml(false);
        AgentTest::SetUp();
    }
    void TearDown() override {
        AgentTest::TearDown();
        if (server_) server_->stop();
        for (auto it = made_.rbegin(); it != made_.rend(); ++it) ::rmdir(it->c_str());
        if (!slice_.empty()) ::rmdir(slice_.c_str());
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.node_name = node_;
        o.extra_args = {"--enable-k8s-api=true", "--k8s-kubeconfig-path=" + (kube_ / "config"),
                        "--tracing-policy-dir=" + kube_.path() + "/none"};
        return o;
    }

    std::string make_dir(const std::string& path) {
        std::filesystem::create_directory(path);
        made_.push_back(path);
        return path;
    }
    // A running pod of this node, its containers' cgroups created first (as
    // the runtime does before the kubelet reports the container).
    Pod add_pod(const std::string& ns, const std::string& name, std::map<std::string, std::string> labels,
                const std::vector<std::string>& containers = {"main"}) {
        Pod p;
        p.spec.ns = ns;
        p.spec.name = name;
        p.spec.uid = "0c1d2e3f-" + random_token().substr(0, 4) + "-4000-8000-" + random_token();
        p.spec.node = node_;
        p.spec.labels = std::move(labels);
        for (const auto& c : containers) {
            const std::string id = random_container_id();
            p.cgroups.push_back(make_dir(slice_ + "/cri-containerd-" + id + ".scope"));
            p.spec.containers.emplace_back(c, "containerd://" + id);
        }
        cluster_.apply("pods", fake_k8s::make_pod(p.spec));
        return p;
    }
    void relabel(Pod& p, std::map<std::string, std::string> labels) {
        p.spec.labels = std::move(labels);
        cluster_.apply("pods", fake_k8s::make_pod(p.spec));
    }

    // The trigger writes `payload` to `path` from inside `cgroup` ("" = the
    // test's own); how it ended.
    std::string write_from(const std::string& cgroup, const std::string& path, const std::string& payload = "data") {
        const std::string exec = "exec " + trigger_path() + " write " + path + " " + payload;
        const std::string cmd = cgroup.empty() ? exec : "echo $$ > " + cgroup + "/cgroup.procs && " + exec;
        auto st = run_to_exit({"/bin/sh", "-c", cmd});
        return st.ok() ? describe_wait_status(st.value()) : st.error();
    }
    // Writes until the outcome is `want` (the agent applies pod and policy
    // changes asynchronously), bounded by a deadline; the last outcome.
    std::string write_until(const std::string& want, const std::string& cgroup, const std::string& path) {
        const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
        std::string last;
        do {
            last = write_from(cgroup, path);
            if (last == want) break;
        } while (std::chrono::steady_clock::now() < deadline);
        return last;
    }
    static std::string read_file(const std::string& path) {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), {});
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
    bool wait_enabled(const std::string& name) {
        auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto p = find(name);
            if (p && p->state() == tetragon::TP_STATE_ENABLED) return true;
            std::this_thread::sleep_for(50ms);  // polling an RPC: there is nothing to wait on
        }
        return false;
    }

    const std::string kKilled = "killed by signal 9";
    const std::string kExited = "exited 0";
    const std::string node_ = "vigil-kt-node";
    std::string mount_, slice_;
    std::vector<std::string> made_;
    fake_k8s::FakeCluster cluster_;
    std::unique_ptr<fake_k8s::FakeApiServer> server_;
    TempDir kube_{"vigil-kt-kube"};
    TempDir work_{"vigil-kt-scope"};
};

TEST_F(K8sScopingTest, NamespacedPolicyKillsInItsNamespaceOnly) {
    Pod a = add_pod("kt-a", "writer", {{"app", "writer"}});
    Pod b = add_pod("kt-b", "writer", {{"app", "writer"}});
    cluster_.apply("tracingpoliciesnamespaced",
                   fake_k8s::make_tracing_policy("kt-scope-ns", sigkill_writes(work_ / "guarded-"), "kt-a"));
    ASSERT_TRUE(wait_enabled("kt-scope-ns")) << agent().stderr_tail();

    // In namespace A: killed at the write (once the pod is known), nothing written.
    EXPECT_EQ(write_until(kKilled, a.cgroups[0], work_ / "guarded-a"), kKilled) << agent().stderr_tail();
    EXPECT_EQ(write_from(a.cgroups[0], work_ / "guarded-a1"), kKilled);
    EXPECT_EQ(read_file(work_ / "guarded-a1"), "");
    // The same program, same policy, in namespace B: lives and writes.
    EXPECT_EQ(write_from(b.cgroups[0], work_ / "guarded-b"), kExited);
    EXPECT_EQ(read_file(work_ / "guarded-b"), "data");
    // Outside any pod: not in scope either.
    EXPECT_EQ(write_from("", work_ / "guarded-host"), kExited);
    // Nested inside A's container (systemd in it): in scope, through the ancestor walk.
    const std::string nested = make_dir(make_dir(a.cgroups[0] + "/system.slice") + "/app.service");
    EXPECT_EQ(write_from(nested, work_ / "guarded-nested"), kKilled);

    // The pod goes: its cgroup leaves the scope.
    cluster_.remove("pods", "kt-a", "writer");
    EXPECT_EQ(write_until(kExited, a.cgroups[0], work_ / "guarded-a2"), kExited);
}

TEST_F(K8sScopingTest, PodSelectorFollowsLabelsOverTheWatch) {
    Pod in = add_pod("kt-a", "in", {{"app", "writer"}, {"vigil.test/guard", "on"}});
    Pod out = add_pod("kt-b", "out", {{"app", "writer"}});
    auto policy = fake_k8s::make_tracing_policy("kt-scope-label", sigkill_writes(work_ / "guarded-"));
    policy["spec"]["podSelector"] = json::parse(R"({"matchLabels": {"vigil.test/guard": "on"}})");
    cluster_.apply("tracingpolicies", policy);
    ASSERT_TRUE(wait_enabled("kt-scope-label")) << agent().stderr_tail();

    EXPECT_EQ(write_until(kKilled, in.cgroups[0], work_ / "guarded-1"), kKilled) << agent().stderr_tail();
    EXPECT_EQ(write_from(out.cgroups[0], work_ / "guarded-2"), kExited);

    // Relabelled into scope.
    relabel(out, {{"app", "writer"}, {"vigil.test/guard", "on"}});
    EXPECT_EQ(write_until(kKilled, out.cgroups[0], work_ / "guarded-3"), kKilled);
    // And the first one out of it.
    relabel(in, {{"app", "writer"}, {"vigil.test/guard", "off"}});
    EXPECT_EQ(write_until(kExited, in.cgroups[0], work_ / "guarded-4"), kExited);
    EXPECT_EQ(read_file(work_ / "guarded-4"), "data");
    EXPECT_EQ(write_from(out.cgroups[0], work_ / "guarded-5"), kKilled);
}

TEST_F(K8sScopingTest, ContainerSelectorPicksContainersByName) {
    Pod p = add_pod("kt-a", "two", {{"app", "writer"}}, {"app", "sidecar"});
    auto policy = fake_k8s::make_tracing_policy("kt-scope-container", sigkill_writes(work_ / "guarded-"));
    policy["spec"]["containerSelector"] =
        json::parse(R"({"matchExpressions": [{"key": "name", "operator": "In", "values": ["app"]}]})");
    cluster_.apply("tracingpolicies", policy);
    ASSERT_TRUE(wait_enabled("kt-scope-container")) << agent().stderr_tail();

    EXPECT_EQ(write_until(kKilled, p.cgroups[0], work_ / "guarded-app"), kKilled) << agent().stderr_tail();
    EXPECT_EQ(write_from(p.cgroups[1], work_ / "guarded-sidecar"), kExited);
}

TEST_F(K8sScopingTest, HostSelectorAddsHostProcessesToTheSelectedPods) {
    Pod in = add_pod("kt-a", "in", {{"app", "writer"}, {"vigil.test/guard", "on"}});
    Pod out = add_pod("kt-b", "out", {{"app", "writer"}});
    auto policy = fake_k8s::make_tracing_policy("kt-scope-host-pods", sigkill_writes(work_ / "guarded-"));
    policy["spec"]["podSelector"] = json::parse(R"({"matchLabels": {"vigil.test/guard": "on"}})");
    policy["spec"]["hostSelector"] = json::object();
    cluster_.apply("tracingpolicies", policy);
    ASSERT_TRUE(wait_enabled("kt-scope-host-pods")) << agent().stderr_tail();

    // The selected pod, once known.
    EXPECT_EQ(write_until(kKilled, in.cgroups[0], work_ / "guarded-pod"), kKilled) << agent().stderr_tail();
    // The other pod, once known as a pod (until then its processes look like host ones).
    EXPECT_EQ(write_until(kExited, out.cgroups[0], work_ / "guarded-other"), kExited) << agent().stderr_tail();
    EXPECT_EQ(read_file(work_ / "guarded-other"), "data");
    // Nested inside the unselected pod's container: still that pod, not the host.
    const std::string nested = make_dir(out.cgroups[0] + "/app.service");
    EXPECT_EQ(write_from(nested, work_ / "guarded-other-nested"), kExited);
    // Host processes: the test's own cgroup, and a service cgroup outside kubepods.
    EXPECT_EQ(write_from("", work_ / "guarded-host"), kKilled);
    EXPECT_EQ(read_file(work_ / "guarded-host"), "");
    const std::string service = make_dir(slice_ + "/host-daemon.service");
    EXPECT_EQ(write_from(service, work_ / "guarded-service"), kKilled);
}

TEST_F(K8sScopingTest, HostSelectorAloneCoversHostProcessesOnly) {
    Pod p = add_pod("kt-a", "any", {{"app", "writer"}});
    auto policy = fake_k8s::make_tracing_policy("kt-scope-host", sigkill_writes(work_ / "guarded-"));
    policy["spec"]["hostSelector"] = json::object();
    cluster_.apply("tracingpolicies", policy);
    ASSERT_TRUE(wait_enabled("kt-scope-host")) << agent().stderr_tail();

    EXPECT_EQ(write_from("", work_ / "guarded-host"), kKilled) << agent().stderr_tail();
    EXPECT_EQ(read_file(work_ / "guarded-host"), "");
    // Every pod is out of scope once vigild knows it is a pod.
    EXPECT_EQ(write_until(kExited, p.cgroups[0], work_ / "guarded-pod"), kExited) << agent().stderr_tail();
    EXPECT_EQ(read_file(work_ / "guarded-pod"), "data");

    // The pod deleted: its cgroup is no longer a pod's, so a process left in it is a host one.
    cluster_.remove("pods", "kt-a", "any");
    EXPECT_EQ(write_until(kKilled, p.cgroups[0], work_ / "guarded-gone"), kKilled);
}

}  // namespace
}  // namespace vigil::kt
