#include "k8s/cgroup_identity.h"

#include <array>
#include <vector>

namespace vigil::k8s {
namespace {

constexpr std::size_t kContainerIdLength = 64;
constexpr std::size_t kDockerFieldLength = 31;

bool is_hex(std::string_view s) {
    for (char c : s) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (!ok) return false;
    }
    return !s.empty();
}

bool is_container_id(std::string_view s) { return s.size() == kContainerIdLength && is_hex(s); }

// A pod uid is a UUID (36 chars with dashes) or, for static pods, the 32-hex
// hash the kubelet computes from the manifest.
bool is_pod_uid(std::string_view s) {
    if (s.size() != 32 && s.size() != 36) return false;
    for (char c : s) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

enum class SegmentKind { kOther, kPod, kContainer, kMonitor };

struct Segment {
    SegmentKind kind = SegmentKind::kOther;
    std::string id;  // pod uid or container id
    ContainerRuntime runtime = ContainerRuntime::kUnknown;
};

struct ScopePrefix {
    std::string_view prefix;
    SegmentKind kind;
    ContainerRuntime runtime;
};

// Longer prefixes first: "crio-conmon-" must win over "crio-".
constexpr std::array<ScopePrefix, 6> kScopePrefixes{{
    {"cri-containerd-", SegmentKind::kContainer, ContainerRuntime::kContainerd},
    {"crio-conmon-", SegmentKind::kMonitor, ContainerRuntime::kCrio},
    {"crio-", SegmentKind::kContainer, ContainerRuntime::kCrio},
    {"docker-", SegmentKind::kContainer, ContainerRuntime::kDocker},
    {"libpod-conmon-", SegmentKind::kMonitor, ContainerRuntime::kPodman},
    {"libpod-", SegmentKind::kContainer, ContainerRuntime::kPodman},
}};

// "kubepods-burstable-pod1234_5678.slice" (also with kind's "kubelet-" in
// front) -> "1234-5678".
std::optional<std::string> systemd_pod_uid(std::string_view name) {
    if (!ends_with(name, ".slice")) return std::nullopt;
    name.remove_suffix(6);
    auto pos = name.rfind("-pod");
    if (pos == std::string_view::npos) return std::nullopt;
    if (name.substr(0, pos).find("kubepods") == std::string_view::npos) return std::nullopt;
    std::string uid(name.substr(pos + 4));
    for (char& c : uid) {
        if (c == '_') c = '-';
    }
    if (!is_pod_uid(uid)) return std::nullopt;
    return uid;
}

Segment classify(std::string_view name) {
    if (auto uid = systemd_pod_uid(name)) return {SegmentKind::kPod, std::move(*uid), {}};
    if (starts_with(name, "pod") && is_pod_uid(name.substr(3))) {
        return {SegmentKind::kPod, std::string(name.substr(3)), {}};
    }
    std::string_view base = name;
    if (ends_with(base, ".scope")) base.remove_suffix(6);
    for (const auto& p : kScopePrefixes) {
        if (starts_with(base, p.prefix) && is_container_id(base.substr(p.prefix.size()))) {
            return {p.kind, std::string(base.substr(p.prefix.size())), p.runtime};
        }
    }
    // cgroupfs driver and plain docker name the cgroup after the bare id.
    if (is_container_id(name)) return {SegmentKind::kContainer, std::string(name), {}};
    return {};
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    while (!path.empty()) {
        auto slash = path.find('/');
        auto part = path.substr(0, slash);
        if (!part.empty() && part != "." && part != "..") parts.push_back(part);
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

std::string join_prefix(const std::vector<std::string_view>& parts, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) {
        out += '/';
        out += parts[i];
    }
    return out;
}

std::string_view trim_line(std::string_view s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
    return s;
}

bool has_controller(std::string_view controllers, std::string_view wanted) {
    while (!controllers.empty()) {
        auto comma = controllers.find(',');
        if (controllers.substr(0, comma) == wanted) return true;
        if (comma == std::string_view::npos) break;
        controllers.remove_prefix(comma + 1);
    }
    return false;
}

// Lower is better: the v2 line, then memory, pids, cpuset (Tetragon's v1
// order), then anything else.
int line_rank(std::string_view hierarchy_id, std::string_view controllers) {
    if (hierarchy_id == "0" && controllers.empty()) return 0;
    if (has_controller(controllers, "memory")) return 1;
    if (has_controller(controllers, "pids")) return 2;
    if (has_controller(controllers, "cpuset")) return 3;
    return 4;
}

}  // namespace

std::optional<CgroupIdentity> identify_cgroup_path(std::string_view path) {
    auto parts = split_path(path);
    CgroupIdentity id;
    bool found_pod = false;
    bool slot_taken = false;  // a container (or a runtime monitor) already seen below the pod
    for (std::size_t i = 0; i < parts.size(); ++i) {
        Segment seg = classify(parts[i]);
        switch (seg.kind) {
            case SegmentKind::kPod:
                // A pod below a container (a kind node is itself a docker
                // container) restarts the search: the pod's container counts.
                id = CgroupIdentity{};
                id.pod_uid = std::move(seg.id);
                found_pod = true;
                slot_taken = false;
                break;
            case SegmentKind::kContainer:
                if (slot_taken) break;
                slot_taken = true;
                id.container_id = std::move(seg.id);
                id.runtime = seg.runtime;
                if (id.runtime == ContainerRuntime::kUnknown && i > 0 && parts[i - 1] == "docker") {
                    id.runtime = ContainerRuntime::kDocker;
                }
                id.container_cgroup = join_prefix(parts, i + 1);
                break;
            case SegmentKind::kMonitor:
                // conmon runs beside the container, not in it.
                slot_taken = true;
                break;
            case SegmentKind::kOther:
                break;
        }
    }
    if (!found_pod && !id.has_container()) return std::nullopt;
    return id;
}

std::optional<CgroupIdentity> identify_proc_cgroup(std::string_view file) {
    std::optional<CgroupIdentity> best;
    int best_rank = 0;
    while (!file.empty()) {
        auto nl = file.find('\n');
        auto line = trim_line(file.substr(0, nl));
        file.remove_prefix(nl == std::string_view::npos ? file.size() : nl + 1);

        auto c1 = line.find(':');
        if (c1 == std::string_view::npos) continue;
        auto c2 = line.find(':', c1 + 1);
        if (c2 == std::string_view::npos) continue;
        auto found = identify_cgroup_path(line.substr(c2 + 1));
        if (!found) continue;
        // A container beats a pod-level result; then the rank decides.
        int rank = line_rank(line.substr(0, c1), line.substr(c1 + 1, c2 - c1 - 1)) +
                   (found->has_container() ? 0 : 100);
        if (!best || rank < best_rank) {
            best = std::move(found);
            best_rank = rank;
        }
    }
    return best;
}

std::optional<CgroupIdentity> identify_cgroup_leaf(std::string_view leaf) {
    Segment seg = classify(leaf);
    CgroupIdentity id;
    if (seg.kind == SegmentKind::kPod) {
        id.pod_uid = std::move(seg.id);
        return id;
    }
    if (seg.kind != SegmentKind::kContainer) return std::nullopt;
    id.container_id = std::move(seg.id);
    id.runtime = seg.runtime;
    return id;
}

std::string_view runtime_prefix(ContainerRuntime runtime) {
    switch (runtime) {
        case ContainerRuntime::kContainerd: return "containerd://";
        case ContainerRuntime::kCrio: return "cri-o://";
        case ContainerRuntime::kDocker: return "docker://";
        case ContainerRuntime::kPodman: return "podman://";
        case ContainerRuntime::kUnknown: break;
    }
    return "";
}

std::string full_container_id(const CgroupIdentity& identity) {
    if (identity.container_id.empty()) return "";
    return std::string(runtime_prefix(identity.runtime)) + identity.container_id;
}

std::string_view strip_runtime_prefix(std::string_view container_id) {
    auto pos = container_id.find("://");
    return pos == std::string_view::npos ? container_id : container_id.substr(pos + 3);
}

std::string docker_field(std::string_view container_id) {
    return std::string(strip_runtime_prefix(container_id).substr(0, kDockerFieldLength));
}

}  // namespace vigil::k8s
