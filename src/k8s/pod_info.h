// Plain data the pod cache hands out: what enrichment needs from a Pod
// object, already flattened (Tetragon's Pod / Container messages).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vigil::k8s {

using Labels = std::map<std::string, std::string>;

struct ContainerInfo {
    std::string id;          // as the status says, "containerd://<64 hex>"; may be empty while pending
    std::string name;
    std::string image_id;    // status imageID, "docker.io/library/nginx@sha256:..."
    std::string image_name;  // status image, "docker.io/library/nginx:1.25"
    std::int64_t start_time_unix_ns = 0;  // state.running.startedAt; 0 when not running
    bool privileged = false;              // spec securityContext.privileged
    bool init = false;                    // an init container
    bool ephemeral = false;               // an ephemeral (debug) container
    // spec exec probes, for Tetragon's maybe_exec_probe
    std::vector<std::string> liveness_exec;
    std::vector<std::string> readiness_exec;

    friend bool operator==(const ContainerInfo&, const ContainerInfo&) = default;
};

struct PodInfo {
    std::string namespace_;
    std::string name;
    std::string uid;
    std::string node_name;
    Labels labels;
    Labels annotations;
    std::string workload;
    std::string workload_kind;
    std::string resource_version;
    std::string phase;
    std::vector<ContainerInfo> containers;  // init, regular, then ephemeral

    friend bool operator==(const PodInfo&, const PodInfo&) = default;
};

}  // namespace vigil::k8s
