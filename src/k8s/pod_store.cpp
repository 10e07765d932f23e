#include "k8s/pod_store.h"

#include <set>

#include "k8s/cgroup_identity.h"

namespace vigil::k8s {

PodStore::PodStore(std::size_t retired_capacity) : retired_capacity_(retired_capacity) {}

void PodStore::index_containers(const std::shared_ptr<const PodInfo>& pod) {
    for (std::size_t i = 0; i < pod->containers.size(); ++i) {
        auto bare = strip_runtime_prefix(pod->containers[i].id);
        if (!bare.empty()) containers_.insert_or_assign(std::string(bare), Slot{pod, i});
    }
}

void PodStore::unindex_containers(const PodInfo& pod) {
    for (const auto& c : pod.containers) {
        auto it = containers_.find(strip_runtime_prefix(c.id));
        if (it != containers_.end() && it->second.pod.get() == &pod) containers_.erase(it);
    }
}

// Remembers a pod version that went away, with only the container ids that
// are no longer live, and evicts the oldest snapshot beyond capacity.
void PodStore::retire(const std::shared_ptr<const PodInfo>& pod) {
    if (retired_capacity_ == 0) return;
    retired_.push_back(pod);
    for (std::size_t i = 0; i < pod->containers.size(); ++i) {
        auto bare = strip_runtime_prefix(pod->containers[i].id);
        if (!bare.empty() && containers_.find(bare) == containers_.end()) {
            retired_containers_.insert_or_assign(std::string(bare), Slot{pod, i});
        }
    }
    while (retired_.size() > retired_capacity_) {
        auto old = retired_.front();
        retired_.pop_front();
        for (const auto& c : old->containers) {
            auto it = retired_containers_.find(strip_runtime_prefix(c.id));
            if (it != retired_containers_.end() && it->second.pod == old) retired_containers_.erase(it);
        }
    }
}

std::optional<PodChange> PodStore::upsert(PodInfo info) {
    auto it = pods_.find(info.uid);
    if (it != pods_.end() && *it->second == info) return std::nullopt;
    auto pod = std::make_shared<const PodInfo>(std::move(info));
    PodChangeKind kind = PodChangeKind::kAdded;
    if (it != pods_.end()) {
        kind = PodChangeKind::kUpdated;
        auto old = it->second;
        unindex_containers(*old);
        it->second = pod;
        index_containers(pod);
        // Container instances that were replaced (restarts) stay findable.
        bool lost_container = false;
        for (const auto& c : old->containers) {
            auto bare = strip_runtime_prefix(c.id);
            if (!bare.empty() && containers_.find(bare) == containers_.end()) lost_container = true;
        }
        if (lost_container) retire(old);
    } else {
        pods_.emplace(pod->uid, pod);
        index_containers(pod);
    }
    // A container seen again live no longer needs its retired entry.
    for (const auto& c : pod->containers) {
        auto r = retired_containers_.find(strip_runtime_prefix(c.id));
        if (r != retired_containers_.end()) retired_containers_.erase(r);
    }
    return PodChange{kind, pod};
}

std::optional<PodChange> PodStore::remove(const std::string& uid) {
    auto it = pods_.find(uid);
    if (it == pods_.end()) return std::nullopt;
    auto old = it->second;
    unindex_containers(*old);
    pods_.erase(it);
    retire(old);
    return PodChange{PodChangeKind::kDeleted, old};
}

std::vector<PodChange> PodStore::replace_all(std::vector<PodInfo> pods,
                                            const std::vector<std::string>& keep) {
    std::vector<PodChange> changes;
    std::set<std::string> seen(keep.begin(), keep.end());
    for (auto& p : pods) seen.insert(p.uid);
    std::vector<std::string> gone;
    for (const auto& [uid, _] : pods_) {
        if (seen.count(uid) == 0) gone.push_back(uid);
    }
    for (const auto& uid : gone) {
        if (auto c = remove(uid)) changes.push_back(std::move(*c));
    }
    for (auto& p : pods) {
        if (auto c = upsert(std::move(p))) changes.push_back(std::move(*c));
    }
    return changes;
}

std::optional<ContainerLookup> PodStore::find_in(const ContainerIndex& index, std::string_view id,
                                                 bool retired) {
    auto it = index.lower_bound(id);
    if (it == index.end() || it->first.compare(0, id.size(), id) != 0) return std::nullopt;
    if (it->first.size() != id.size()) {
        auto next = std::next(it);
        if (next != index.end() && next->first.compare(0, id.size(), id) == 0) return std::nullopt;
    }
    return ContainerLookup{it->second.pod, &it->second.pod->containers[it->second.index], retired};
}

std::optional<ContainerLookup> PodStore::find_container(std::string_view id) const {
    id = strip_runtime_prefix(id);
    if (id.size() < kMinPrefix) return std::nullopt;
    if (auto live = find_in(containers_, id, false)) return live;
    return find_in(retired_containers_, id, true);
}

std::shared_ptr<const PodInfo> PodStore::find_pod(std::string_view uid) const {
    if (auto it = pods_.find(std::string(uid)); it != pods_.end()) return it->second;
    for (auto r = retired_.rbegin(); r != retired_.rend(); ++r) {
        if ((*r)->uid == uid) return *r;
    }
    return nullptr;
}

std::vector<std::shared_ptr<const PodInfo>> PodStore::pods() const {
    std::vector<std::shared_ptr<const PodInfo>> out;
    out.reserve(pods_.size());
    for (const auto& [_, p] : pods_) out.push_back(p);
    return out;
}

}  // namespace vigil::k8s
