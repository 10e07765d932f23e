// Kubernetes enrichment end to end: vigild with --enable-k8s-api against the
// fake API server (real list/watch protocol, 127.0.0.1), and a real process
// placed in a cgroup named the way containerd's systemd driver names a
// container's. Its exec event must carry the pod, container and workload;
// also from a cgroup nested inside the container's, for a pod the API server
// announces only after the exec (held and retried), and after the API
// server was down (events flow meanwhile, enrichment resumes).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "metrics_scrape.h"
#include "fake_apiserver/fake_apiserver.h"
#include "fake_apiserver/fake_cluster.h"

namespace vigil::kt {
namespace {

// Where the unified (v2) cgroup hierarchy is mounted; "" if nowhere.
std::string cgroup2_mount() {
    std::ifstream in("/proc/self/mounts");
    std::string dev, dir, type, rest;
    while (in >> dev >> dir >> type && std::getline(in, rest)) {
        if (type == "cgroup2") return dir;
    }
    return "";
}

std::string random_container_id() {
    std::string id = random_token() + random_token() + random_token() + random_token() +
                     random_token().substr(0, 4) + "0123abcd0123abcd";
    return id.substr(0, 64);
}

std::string random_pod_uid() { return "1b2c3d4e-" + random_token().substr(0, 4) + "-4f00-8a00-" + random_token(); }

// A running pod with one container, as the kubelet reports it.
nlohmann::json simple_pod(const std::string& ns, const std::string& name, const std::string& uid,
                          const std::string& node, const std::string& container_id) {
    return nlohmann::json::parse(R"({
      "metadata": {"name": ")" + name + R"(", "namespace": ")" + ns + R"(", "uid": ")" + uid + R"(",
                   "labels": {"app": ")" + name + R"("}},
      "spec": {"nodeName": ")" + node + R"(", "containers": [{"name": "main", "image": "busybox"}]},
      "status": {"phase": "Running",
                 "containerStatuses": [{"name": "main", "containerID": "containerd://)" + container_id + R"(",
                                        "image": "docker.io/library/busybox:1", "imageID": "busybox@sha256:1",
                                        "state": {"running": {"startedAt": "2026-11-29T00:00:00Z"}}}]}
    })");
}

class K8sEnrichmentTest : public AgentTest {
protected:
    void SetUp() override {
        mount_ = cgroup2_mount();
        if (mount_.empty()) GTEST_SKIP() << "no cgroup2 hierarchy mounted";
        container_id_ = random_container_id();
        const std::string pod_uid = random_pod_uid();
        std::string slice_uid = pod_uid;
        for (char& c : slice_uid) if (c == '-') c = '_';
        slice_ = mount_ + "/vigil-kt-kubepods-" + random_token() + ".slice";
        cgroup_ = slice_ + "/cri-containerd-" + container_id_ + ".scope";
        std::filesystem::create_directories(cgroup_);

        cluster_.apply("nodes", {{"metadata", {{"name", node_}, {"labels", {{"topology.kubernetes.io/zone", "z1"}}}}}});
        // Written as JSON text: nested initializer lists make ambiguous arrays.
        cluster_.apply("pods", nlohmann::json::parse(R"({
          "metadata": {"name": "web-7d4f8b9c6-abcde", "generateName": "web-7d4f8b9c6-", "namespace": "shop",
                       "uid": ")" + pod_uid + R"(",
                       "labels": {"app": "web", "pod-template-hash": "7d4f8b9c6"},
                       "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                            "name": "web-7d4f8b9c6", "uid": "rs-uid", "controller": true}]},
          "spec": {"nodeName": ")" + node_ + R"(", "containers": [{"name": "nginx", "image": "nginx:1.25"}]},
          "status": {"phase": "Running",
                     "containerStatuses": [{"name": "nginx", "containerID": "containerd://)" + container_id_ + R"(",
                                            "image": "docker.io/library/nginx:1.25",
                                            "imageID": "docker.io/library/nginx@sha256:)" + std::string(64, 'a') + R"(",
                                            "ready": true,
                                            "state": {"running": {"startedAt": "2026-11-29T00:00:00Z"}}}]}
        })"));
        server_ = std::make_unique<fake_k8s::FakeApiServer>(cluster_, fake_k8s::FakeServerOptions{});
        server_->start();
        std::ofstream(kubeconfig_ / "config") << server_->kubeconfig_yaml(false);
        AgentTest::SetUp();
    }
    void TearDown() override {
        AgentTest::TearDown();
        if (server_) server_->stop();
        for (auto it = extra_cgroups_.rbegin(); it != extra_cgroups_.rend(); ++it) ::rmdir(it->c_str());
        if (!cgroup_.empty()) {
            ::rmdir(cgroup_.c_str());
            ::rmdir(slice_.c_str());
        }
    }
    // A cgroup (created, removed at TearDown) below the test's slice.
    std::string make_cgroup(const std::string& relative) {
        std::string path = slice_;
        std::string rest = relative;
        while (!rest.empty()) {
            auto slash = rest.find('/');
            path += "/" + rest.substr(0, slash);
            if (!std::filesystem::exists(path)) {
                std::filesystem::create_directory(path);
                extra_cgroups_.push_back(path);
            }
            rest = slash == std::string::npos ? "" : rest.substr(slash + 1);
        }
        return path;
    }
    // Runs the trigger in `cgroup` with a fresh marker; its exec event.
    Result<tetragon::GetEventsResponse> exec_in(EventStream& stream, const std::string& cgroup) {
        const std::string marker = "--k8s-" + random_token();
        const std::string cmd = "echo $$ > " + cgroup + "/cgroup.procs && exec " + trigger_path() + " exit 0 " + marker;
        auto st = run_to_exit({"/bin/sh", "-c", cmd});
        if (!st.ok()) return make_error(st.error());
        if (describe_wait_status(st.value()) != "exited 0") {
            return make_error("trigger in " + cgroup + ": " + describe_wait_status(st.value()));
        }
        return stream.wait_for(exec_with_argument(marker), "exec " + marker);
    }
    // Runs the trigger in `cgroup` until its exec event has pod data.
    Result<tetragon::GetEventsResponse> exec_until_pod(EventStream& stream, const std::string& cgroup,
                                                       Millis timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::string last;
        while (std::chrono::steady_clock::now() < deadline) {
            auto ev = exec_in(stream, cgroup);
            if (!ev.ok()) return ev;
            if (ev.value().process_exec().process().has_pod()) return ev;
            last = ev.value().DebugString();
        }
        return make_error("no exec in " + cgroup + " carried pod data in time; last:\n" + last);
    }
    std::vector<std::string> extra_cgroups_;
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.node_name = node_;
        o.extra_args = {"--enable-k8s-api=true", "--k8s-kubeconfig-path=" + (kubeconfig_ / "config"),
                        "--tracing-policy-dir=" + kubeconfig_.path() + "/none", "--metrics-server=127.0.0.1:0"};
        return o;
    }
    std::string mount_, slice_, cgroup_, container_id_;
    const std::string node_ = "vigil-kt-node";
    fake_k8s::FakeCluster cluster_;
    std::unique_ptr<fake_k8s::FakeApiServer> server_;
    TempDir kubeconfig_{"vigil-kt-kube"};
};

TEST_F(K8sEnrichmentTest, ExecInAContainerCgroupCarriesPodMetadata) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    // The pod cache syncs asynchronously after start: run until an event has
    // pod data, bounded by a deadline.
    const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
    std::optional<tetragon::GetEventsResponse> got;
    while (!got && std::chrono::steady_clock::now() < deadline) {
        const std::string marker = "--k8s-" + random_token();
        const std::string cmd = "echo $$ > " + cgroup_ + "/cgroup.procs && exec " + trigger_path() + " exit 0 " + marker;
        VIGIL_ASSERT_OK_AND_ASSIGN(st, run_to_exit({"/bin/sh", "-c", cmd}));
        ASSERT_EQ(describe_wait_status(st), "exited 0");
        VIGIL_ASSERT_OK_AND_ASSIGN(ev, stream.value()->wait_for(exec_with_argument(marker), "exec " + marker));
        if (ev.process_exec().process().has_pod()) got = ev;
    }
    ASSERT_TRUE(got) << "no exec event carried pod data before the deadline";
    const auto& p = got->process_exec().process();
    SCOPED_TRACE(p.DebugString());
    EXPECT_EQ(p.docker(), container_id_.substr(0, 31));
    EXPECT_EQ(p.pod().namespace_(), "shop");
    EXPECT_EQ(p.pod().name(), "web-7d4f8b9c6-abcde");
    EXPECT_EQ(p.pod().workload(), "web");
    EXPECT_EQ(p.pod().workload_kind(), "Deployment");
    EXPECT_EQ(p.pod().pod_labels().at("app"), "web");
    EXPECT_EQ(p.pod().container().id(), "containerd://" + container_id_);
    EXPECT_EQ(p.pod().container().name(), "nginx");
    EXPECT_EQ(p.pod().container().image().name(), "docker.io/library/nginx:1.25");
    EXPECT_EQ(got->node_labels().at("topology.kubernetes.io/zone"), "z1");

    // Metrics: events counted under the pod's namespace; ready once the pod cache synced.
    const int port = metrics_port_from_log(agent().stderr_text());
    ASSERT_NE(port, 0);
    int status = 0;
    auto metrics = parse_metrics(http_get(port, "/metrics", &status));
    EXPECT_GE(metrics["vigil_events_total{type=\"PROCESS_EXEC\",namespace=\"shop\"}"], 1.0);
    EXPECT_GE(metrics["vigil_pod_cache_size"], 1.0);
    http_get(port, "/readyz", &status);
    EXPECT_EQ(status, 200);

    // The filters see pods too: a namespace filter selects it.
    tetragon::GetEventsRequest req;
    req.add_allow_list()->add_namespace_("shop");
    auto shop = agent().subscribe(req);
    ASSERT_TRUE(shop.ok()) << shop.error();
    const std::string marker = "--k8s-ns-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(st2, run_to_exit({"/bin/sh", "-c", "echo $$ > " + cgroup_ + "/cgroup.procs && exec " +
                                                                      trigger_path() + " exit 0 " + marker}));
    (void)st2;
    VIGIL_ASSERT_OK(shop.value()->wait_for(exec_with_argument(marker), "namespace-filtered exec").ok()
                        ? Status{}
                        : Status{make_error("namespace filter did not pass the pod's exec")});
}

TEST_F(K8sEnrichmentTest, NestedCgroupInsideTheContainerResolvesToIt) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    // As systemd or a supervisor inside the container would make them.
    const std::string nested = make_cgroup("cri-containerd-" + container_id_ + ".scope/system.slice/app.service");
    VIGIL_ASSERT_OK_AND_ASSIGN(ev, exec_until_pod(*stream.value(), nested, kEventTimeout));
    const auto& p = ev.process_exec().process();
    EXPECT_EQ(p.docker(), container_id_.substr(0, 31));
    EXPECT_EQ(p.pod().name(), "web-7d4f8b9c6-abcde");
    EXPECT_EQ(p.pod().container().id(), "containerd://" + container_id_);
}

TEST_F(K8sEnrichmentTest, EventsWaitForAPodAnnouncedAfterTheExec) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    // The cache is watching (the first pod is enriched).
    VIGIL_ASSERT_OK(exec_until_pod(*stream.value(), cgroup_, kEventTimeout).ok()
                        ? Status{}
                        : Status{make_error("the pod cache never synced")});

    // A container the API server has not announced yet: its process runs
    // and exits first, then the pod arrives over the watch.
    const std::string late_id = random_container_id();
    const std::string late = make_cgroup("cri-containerd-" + late_id + ".scope");
    const std::string marker = "--k8s-late-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(st, run_to_exit({"/bin/sh", "-c", "echo $$ > " + late + "/cgroup.procs && exec " +
                                                                   trigger_path() + " exit 0 " + marker}));
    ASSERT_EQ(describe_wait_status(st), "exited 0");
    cluster_.apply("pods", simple_pod("late", "late-pod", random_pod_uid(), node_, late_id));
    VIGIL_ASSERT_OK_AND_ASSIGN(ev, stream.value()->wait_for(exec_with_argument(marker), "exec " + marker));
    const auto& p = ev.process_exec().process();
    EXPECT_EQ(p.docker(), late_id.substr(0, 31));
    ASSERT_TRUE(p.has_pod()) << "the exec was sent before its pod arrived: " << p.DebugString();
    EXPECT_EQ(p.pod().namespace_(), "late");
    EXPECT_EQ(p.pod().name(), "late-pod");
}

TEST_F(K8sEnrichmentTest, PodThatNeverComesIsAMissNotALoss) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    VIGIL_ASSERT_OK(exec_until_pod(*stream.value(), cgroup_, kEventTimeout).ok()
                        ? Status{}
                        : Status{make_error("the pod cache never synced")});
    const std::string orphan_id = random_container_id();
    const std::string orphan = make_cgroup("cri-containerd-" + orphan_id + ".scope");
    VIGIL_ASSERT_OK_AND_ASSIGN(ev, exec_in(*stream.value(), orphan));
    EXPECT_EQ(ev.process_exec().process().docker(), orphan_id.substr(0, 31));
    EXPECT_FALSE(ev.process_exec().process().has_pod());
    const int port = metrics_port_from_log(agent().stderr_text());
    ASSERT_NE(port, 0);
    int status = 0;
    auto metrics = parse_metrics(http_get(port, "/metrics", &status));
    EXPECT_GE(metrics["vigil_pod_enrichment_misses_total"], 1.0);
}

TEST_F(K8sEnrichmentTest, ApiServerDownEventsFlowThenEnrichmentResumes) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    VIGIL_ASSERT_OK(exec_until_pod(*stream.value(), cgroup_, kEventTimeout).ok()
                        ? Status{}
                        : Status{make_error("the pod cache never synced")});

    server_->stop();
    // A pod created while the agent cannot see the API server.
    const std::string new_id = random_container_id();
    const std::string fresh = make_cgroup("cri-containerd-" + new_id + ".scope");
    cluster_.apply("pods", simple_pod("later", "new-pod", random_pod_uid(), node_, new_id));
    VIGIL_ASSERT_OK_AND_ASSIGN(down, exec_in(*stream.value(), fresh));
    EXPECT_FALSE(down.process_exec().process().has_pod());  // flowed, without pod data
    EXPECT_EQ(down.process_exec().process().docker(), new_id.substr(0, 31));
    // Known pods keep their data from the cache meanwhile.
    VIGIL_ASSERT_OK_AND_ASSIGN(known, exec_in(*stream.value(), cgroup_));
    EXPECT_TRUE(known.process_exec().process().has_pod());

    // Back: the agent reconnects (exponential backoff, so allow for a few
    // retries) and learns the new pod.
    server_->start();
    VIGIL_ASSERT_OK_AND_ASSIGN(up, exec_until_pod(*stream.value(), fresh, 60s));
    EXPECT_EQ(up.process_exec().process().pod().name(), "new-pod");
}

}  // namespace
}  // namespace vigil::kt
