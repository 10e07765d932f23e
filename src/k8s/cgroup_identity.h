// Which container (and which pod) a cgroup belongs to, from its path alone.
// Pure functions over the cgroup layouts container runtimes and the kubelet
// create, so they are tested without a filesystem:
//   systemd driver  /kubepods.slice/kubepods-burstable.slice/
//                   kubepods-burstable-pod<uid, '-' as '_'>.slice/cri-containerd-<id>.scope
//                   (crio-<id>.scope for CRI-O, docker-<id>.scope for cri-dockerd)
//   cgroupfs driver /kubepods/burstable/pod<uid>/<id>   (CRI-O: .../crio-<id>)
//   docker          /system.slice/docker-<id>.scope, /docker/<id>
//   podman          /machine.slice/libpod-<id>.scope[/container]
// A cgroup below a container's (systemd inside it, `crio-<id>.scope/container`,
// docker-in-docker) resolves to that container: the container is the first
// container cgroup below the pod, or the outermost one when there is no pod.
// Runtime monitor scopes (crio-conmon-<id>, libpod-conmon-<id>) are not
// containers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigil::k8s {

enum class ContainerRuntime { kUnknown, kContainerd, kCrio, kDocker, kPodman };

struct CgroupIdentity {
    std::string container_id;  // bare id (64 hex); empty for a pod-level cgroup
    ContainerRuntime runtime = ContainerRuntime::kUnknown;  // unknown: cgroupfs driver
    std::string pod_uid;           // with dashes; empty outside Kubernetes
    std::string container_cgroup;  // path of the container's own cgroup ("" if none)

    bool has_container() const { return !container_id.empty(); }
    friend bool operator==(const CgroupIdentity&, const CgroupIdentity&) = default;
};

// A cgroup path as /proc/<pid>/cgroup prints it ("/kubepods/..."). Leading
// "/.." parts (a path seen from another cgroup namespace) are ignored.
// nullopt when the path shows neither a pod nor a container.
std::optional<CgroupIdentity> identify_cgroup_path(std::string_view path);

// The whole /proc/<pid>/cgroup file. The v2 line ("0::/...") is preferred,
// then the v1 hierarchies Tetragon reads (memory, pids, cpuset), then any
// other line; a line naming a container wins over one naming only a pod.
std::optional<CgroupIdentity> identify_proc_cgroup(std::string_view file);

// One cgroup directory name (the leaf kernfs name BPF records). Knows no
// pod; a nested name ("container", "init.scope") yields nullopt, so callers
// with the full path should use identify_cgroup_path instead.
std::optional<CgroupIdentity> identify_cgroup_leaf(std::string_view leaf);

// "containerd://", "cri-o://", "docker://", "podman://"; "" when unknown.
std::string_view runtime_prefix(ContainerRuntime runtime);

// The id as Kubernetes' container status spells it: "containerd://<id>".
// The bare id when the runtime is unknown (cgroupfs driver), "" without one.
std::string full_container_id(const CgroupIdentity& identity);

// Tetragon's Process.docker field: the id without any "<runtime>://" prefix,
// cut to its first 31 characters.
std::string docker_field(std::string_view container_id);

// "containerd://abc" -> "abc"; an id without a prefix is returned as is.
std::string_view strip_runtime_prefix(std::string_view container_id);

}  // namespace vigil::k8s
