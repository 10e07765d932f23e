// Pod JSON (as the API server sends it) to PodInfo.
#include "k8s/pod_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vigil::k8s {
namespace {

using nlohmann::json;

// Trimmed from `kubectl get pod -o json` of a Deployment pod on containerd.
const char* kDeploymentPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "name": "web-5d8f7c9b6-x2k4p", "generateName": "web-5d8f7c9b6-", "namespace": "shop",
    "uid": "6b3a0d5e-6c2f-4f1e-9d5b-1a2b3c4d5e6f", "resourceVersion": "48213",
    "creationTimestamp": "2024-05-01T10:20:00Z",
    "labels": {"app": "web", "pod-template-hash": "5d8f7c9b6"},
    "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-05-01T10:19:00Z"},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f7c9b6",
                         "uid": "1111", "controller": true, "blockOwnerDeletion": true}]
  },
  "spec": {
    "nodeName": "node-a",
    "initContainers": [{"name": "init-db", "image": "busybox:1.36"}],
    "containers": [
      {"name": "nginx", "image": "nginx:1.25",
       "securityContext": {"privileged": true},
       "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}},
       "readinessProbe": {"exec": {"command": ["/bin/sh", "-c", "test -f /ready"]}}},
      {"name": "sidecar", "image": "envoy:1.30"}
    ]
  },
  "status": {
    "phase": "Running",
    "initContainerStatuses": [{"name": "init-db", "image": "docker.io/library/busybox:1.36",
      "imageID": "docker.io/library/busybox@sha256:aaaa",
      "containerID": "containerd://1111111111111111111111111111111111111111111111111111111111111111",
      "state": {"terminated": {"exitCode": 0, "startedAt": "2024-05-01T10:20:01Z"}}}],
    "containerStatuses": [
      {"name": "nginx", "image": "docker.io/library/nginx:1.25",
       "imageID": "docker.io/library/nginx@sha256:bbbb",
       "containerID": "containerd://8f2e4c1a9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f",
       "ready": true, "restartCount": 0,
       "state": {"running": {"startedAt": "2024-05-01T10:20:30Z"}}},
      {"name": "sidecar", "image": "docker.io/envoyproxy/envoy:v1.30", "imageID": "",
       "ready": false, "restartCount": 0,
       "state": {"waiting": {"reason": "ContainerCreating"}}}
    ],
    "ephemeralContainerStatuses": [{"name": "debugger", "image": "busybox", "imageID": "sha256:cccc",
      "containerID": "containerd://2222222222222222222222222222222222222222222222222222222222222222",
      "state": {"running": {"startedAt": "2024-05-01T11:00:00.5+01:00"}}}]
  }
})";

TEST(PodJson, DeploymentPod) {
    auto p = pod_from_json(json::parse(kDeploymentPod));
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_EQ(p->namespace_, "shop");
    EXPECT_EQ(p->name, "web-5d8f7c9b6-x2k4p");
    EXPECT_EQ(p->uid, "6b3a0d5e-6c2f-4f1e-9d5b-1a2b3c4d5e6f");
    EXPECT_EQ(p->node_name, "node-a");
    EXPECT_EQ(p->resource_version, "48213");
    EXPECT_EQ(p->phase, "Running");
    EXPECT_EQ(p->labels, (Labels{{"app", "web"}, {"pod-template-hash", "5d8f7c9b6"}}));
    EXPECT_EQ(p->annotations.size(), 1u);
    EXPECT_EQ(p->workload, "web");
    EXPECT_EQ(p->workload_kind, "Deployment");

    ASSERT_EQ(p->containers.size(), 4u);
    const auto& init = p->containers[0];
    EXPECT_TRUE(init.init);
    EXPECT_EQ(init.name, "init-db");
    EXPECT_EQ(init.start_time_unix_ns, 0);  // not running

    const auto& nginx = p->containers[1];
    EXPECT_FALSE(nginx.init);
    EXPECT_EQ(nginx.id, "containerd://8f2e4c1a9b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f");
    EXPECT_EQ(nginx.name, "nginx");
    EXPECT_EQ(nginx.image_id, "docker.io/library/nginx@sha256:bbbb");
    EXPECT_EQ(nginx.image_name, "docker.io/library/nginx:1.25");
    EXPECT_EQ(nginx.start_time_unix_ns, 1714558830LL * 1000000000LL);
    EXPECT_TRUE(nginx.privileged);
    EXPECT_EQ(nginx.liveness_exec, (std::vector<std::string>{"cat", "/tmp/healthy"}));
    EXPECT_EQ(nginx.readiness_exec, (std::vector<std::string>{"/bin/sh", "-c", "test -f /ready"}));

    const auto& sidecar = p->containers[2];
    EXPECT_EQ(sidecar.id, "");  // still being created
    EXPECT_FALSE(sidecar.privileged);

    const auto& dbg = p->containers[3];
    EXPECT_TRUE(dbg.ephemeral);
    EXPECT_EQ(dbg.start_time_unix_ns, (1714557600LL) * 1000000000LL + 500000000LL);
}

TEST(PodJson, MinimalPendingPod) {
    auto p = pod_from_json(json::parse(R"({"metadata":{"name":"p","namespace":"default","uid":"u1"}})"));
    ASSERT_TRUE(p.ok()) << p.error();
    EXPECT_EQ(p->workload, "p");
    EXPECT_EQ(p->workload_kind, "Pod");
    EXPECT_TRUE(p->containers.empty());
}

TEST(PodJson, NullFieldsAreAbsent) {
    auto p = pod_from_json(json::parse(
        R"({"metadata":{"name":"p","namespace":"d","uid":"u","labels":null,"ownerReferences":null},
            "spec":null,"status":{"containerStatuses":null}})"));
    ASSERT_TRUE(p.ok()) << p.error();
}

TEST(PodJson, RequiredFieldsMissing) {
    auto no_uid = pod_from_json(json::parse(R"({"metadata":{"name":"p","namespace":"d"}})"));
    ASSERT_FALSE(no_uid.ok());
    EXPECT_NE(no_uid.error().find("uid"), std::string::npos);
    EXPECT_FALSE(pod_from_json(json::parse(R"({"metadata":{"uid":"u","namespace":"d"}})")).ok());
    EXPECT_FALSE(pod_from_json(json::parse(R"({"metadata":{"uid":"u","name":"p"}})")).ok());
    EXPECT_FALSE(pod_from_json(json::parse(R"({"kind":"Pod"})")).ok());
    EXPECT_FALSE(pod_from_json(json::parse(R"([1,2])")).ok());
}

TEST(PodJson, WrongTypesAreErrorsNamingTheField) {
    auto bad_labels = pod_from_json(json::parse(
        R"({"metadata":{"name":"p","namespace":"d","uid":"u","labels":{"a":1}}})"));
    ASSERT_FALSE(bad_labels.ok());
    EXPECT_NE(bad_labels.error().find("labels"), std::string::npos) << bad_labels.error();
    EXPECT_NE(bad_labels.error().find("d/p"), std::string::npos) << bad_labels.error();

    auto bad_status = pod_from_json(json::parse(
        R"({"metadata":{"name":"p","namespace":"d","uid":"u"},"status":{"containerStatuses":{}}})"));
    ASSERT_FALSE(bad_status.ok());
    EXPECT_NE(bad_status.error().find("containerStatuses"), std::string::npos) << bad_status.error();

    auto bad_time = pod_from_json(json::parse(
        R"({"metadata":{"name":"p","namespace":"d","uid":"u"},"status":{"containerStatuses":[
            {"name":"c","state":{"running":{"startedAt":"yesterday"}}}]}})"));
    ASSERT_FALSE(bad_time.ok());
    EXPECT_NE(bad_time.error().find("startedAt"), std::string::npos) << bad_time.error();
}

TEST(PodJson, NodeLabels) {
    auto l = labels_from_json(json::parse(
        R"({"kind":"Node","metadata":{"name":"n","labels":{"kubernetes.io/hostname":"n","zone":"a"}}})"));
    ASSERT_TRUE(l.ok()) << l.error();
    EXPECT_EQ(l->at("zone"), "a");
    auto none = labels_from_json(json::parse(R"({"metadata":{"name":"n"}})"));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    EXPECT_FALSE(labels_from_json(json::parse(R"({"kind":"Node"})")).ok());
}

TEST(Rfc3339, Forms) {
    EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339_ns("2024-05-01T10:20:30Z"), 1714558830LL * 1000000000LL);
    EXPECT_EQ(parse_rfc3339_ns("2024-05-01T10:20:30.123456789Z"), 1714558830LL * 1000000000LL + 123456789);
    EXPECT_EQ(parse_rfc3339_ns("2024-05-01T12:20:30+02:00"), 1714558830LL * 1000000000LL);
    EXPECT_EQ(parse_rfc3339_ns("2024-05-01T08:20:30-02:00"), 1714558830LL * 1000000000LL);
}

TEST(Rfc3339, Malformed) {
    for (const char* s : {"", "2024-05-01", "2024-05-01T10:20:30", "2024-05-01 10:20:30Z", "2024-13-01T10:20:30Z",
                          "2024-05-01T10:20:30.Z", "2024-05-01T10:20:30Zjunk", "2024-05-01T10:20:30+0200",
                          "abcd-ef-ghTij:kl:mnZ"}) {
        EXPECT_FALSE(parse_rfc3339_ns(s).has_value()) << s;
    }
}

}  // namespace
}  // namespace vigil::k8s
