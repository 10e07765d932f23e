// Kubernetes metadata attached to a process (Tetragon's Pod and Container
// messages, flattened), produced by the agent's pod resolver.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace vigil::model {

struct ContainerMeta {
    std::string id;          // with runtime prefix: "containerd://<64 hex>"
    std::string name;
    std::string image_id;
    std::string image_name;
    std::int64_t start_time_unix_ns = 0;  // 0: unknown
    bool privileged = false;
    bool maybe_exec_probe = false;
};

struct PodMeta {
    std::string namespace_;
    std::string name;
    std::string uid;
    std::map<std::string, std::string> labels;
    std::string workload;
    std::string workload_kind;
    bool has_container = false;
    ContainerMeta container;
};

// What enrichment found for one process.
struct ProcessK8s {
    std::string docker;  // container id, 31 chars (Tetragon's Process.docker); "" outside containers
    bool has_pod = false;
    PodMeta pod;
};

}  // namespace vigil::model
