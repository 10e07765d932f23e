// The pods of this node, indexed by pod uid and by container id, plus a
// bounded memory of pods (and container instances) that went away, so events
// that arrive after a pod's deletion or a container's restart still resolve.
// Plain data structure, not thread-safe: PodCache locks around it.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "k8s/pod_info.h"

namespace vigil::k8s {

enum class PodChangeKind { kAdded, kUpdated, kDeleted };

struct PodChange {
    PodChangeKind kind;
    std::shared_ptr<const PodInfo> pod;  // the new version; the last one for kDeleted
};

struct ContainerLookup {
    std::shared_ptr<const PodInfo> pod;
    const ContainerInfo* container = nullptr;  // points into *pod, alive as long as pod
    bool retired = false;  // from a deleted pod or a container instance that was replaced
};

class PodStore {
public:
    // retired_capacity: how many pod snapshots to remember after they go.
    explicit PodStore(std::size_t retired_capacity = 1024);

    // A full list replaces everything; returns what changed against before.
    // Pods in `keep` (uids whose new object was unusable) keep their stored version.
    std::vector<PodChange> replace_all(std::vector<PodInfo> pods,
                                       const std::vector<std::string>& keep = {});
    // An ADDED/MODIFIED object; nullopt when identical to what is stored.
    std::optional<PodChange> upsert(PodInfo pod);
    // A DELETED object; nullopt for an unknown uid.
    std::optional<PodChange> remove(const std::string& uid);

    // By container id: "containerd://<64 hex>", a bare id, or a unique prefix
    // of at least 12 characters (Tetragon's 31-char docker field). Live
    // pods first, then retired ones. nullopt if unknown or ambiguous.
    std::optional<ContainerLookup> find_container(std::string_view id) const;
    // By pod uid, live first, then retired. nullptr if unknown.
    std::shared_ptr<const PodInfo> find_pod(std::string_view uid) const;

    std::vector<std::shared_ptr<const PodInfo>> pods() const;
    std::size_t size() const { return pods_.size(); }
    std::size_t container_count() const { return containers_.size(); }
    std::size_t retired_size() const { return retired_.size(); }

    static constexpr std::size_t kMinPrefix = 12;

private:
    struct Slot {
        std::shared_ptr<const PodInfo> pod;
        std::size_t index;  // into pod->containers
    };
    using ContainerIndex = std::map<std::string, Slot, std::less<>>;

    void index_containers(const std::shared_ptr<const PodInfo>& pod);
    void unindex_containers(const PodInfo& pod);
    void retire(const std::shared_ptr<const PodInfo>& pod);
    static std::optional<ContainerLookup> find_in(const ContainerIndex& index, std::string_view id,
                                                  bool retired);

    std::size_t retired_capacity_;
    std::unordered_map<std::string, std::shared_ptr<const PodInfo>> pods_;
    ContainerIndex containers_;
    std::deque<std::shared_ptr<const PodInfo>> retired_;  // oldest first
    ContainerIndex retired_containers_;
};

}  // namespace vigil::k8s
