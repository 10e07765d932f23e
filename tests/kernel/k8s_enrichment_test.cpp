// Kubernetes enrichment end to end: vigild with --enable-k8s-api against the
// fake API server (real list/watch protocol, 127.0.0.1), and a real process
// placed in a cgroup named the way containerd's systemd driver names a
// container's. Its exec event must carry the pod, container and workload.
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

class K8sEnrichmentTest : public AgentTest {
protected:
    void SetUp() override {
        mount_ = cgroup2_mount();
        if (mount_.empty()) GTEST_SKIP() << "no cgroup2 hierarchy mounted";
        container_id_ = random_token() + random_token() + random_token() + random_token() +
                        random_token().substr(0, 4) + "0123abcd0123abcd";  // 64 hex
        container_id_ = container_id_.substr(0, 64);
        const std::string pod_uid = "1b2c3d4e-" + random_token().substr(0, 4) + "-4f00-8a00-" + random_token();
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
        if (!cgroup_.empty()) {
            ::rmdir(cgroup_.c_str());
            ::rmdir(slice_.c_str());
        }
    }
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

}  // namespace
}  // namespace vigil::kt
