#include "k8s/cgroup_resolver.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "k8s/cgroup_paths.h"

namespace vigil::k8s {

CgroupResolver::CgroupResolver(PathById path_by_id, ProcCgroup proc_cgroup, std::size_t capacity)
    : path_by_id_(std::move(path_by_id)), proc_cgroup_(std::move(proc_cgroup)), capacity_(capacity) {}

template <typename Key, typename Compute>
std::optional<CgroupIdentity> CgroupResolver::cached(std::map<Key, std::optional<CgroupIdentity>>& cache,
                                                     const Key& key, Compute compute) const {
    std::lock_guard lock(mu_);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    auto found = compute();
    // Bounded by forgetting everything at once: entries are cheap to
    // recompute, and host cgroups are few.
    if (by_id_.size() + by_process_.size() >= capacity_) {
        by_id_.clear();
        by_process_.clear();
    }
    cache.emplace(key, found);
    stats_.cached = by_id_.size() + by_process_.size();
    return found;
}

std::optional<CgroupIdentity> CgroupResolver::identify(const model::Process& p) const {
    if (auto leaf = identify_cgroup_leaf(p.cgroup_name); leaf && leaf->has_container()) return leaf;
    // The root cgroup (or none recorded) names nothing, nested or not.
    if (p.cgroup_name.empty() || p.cgroup_name == "/") return std::nullopt;
    if (p.cgroup_id != 0) {
        if (!path_by_id_) return identify_cgroup_leaf(p.cgroup_name);
        return cached(by_id_, p.cgroup_id, [&]() -> std::optional<CgroupIdentity> {
            ++stats_.path_lookups;
            auto path = path_by_id_(p.cgroup_id);
            if (!path) {
                ++stats_.lookup_errors;
                stats_.last_error = path.error();
                return identify_cgroup_leaf(p.cgroup_name);
            }
            return identify_cgroup_path(*path);
        });
    }
    if (!proc_cgroup_) return identify_cgroup_leaf(p.cgroup_name);
    return cached(by_process_, std::make_pair(p.pid, p.start_ktime), [&]() -> std::optional<CgroupIdentity> {
        ++stats_.proc_reads;
        auto text = proc_cgroup_(p.pid);
        if (!text) return identify_cgroup_leaf(p.cgroup_name);
        return identify_proc_cgroup(*text);
    });
}

CgroupResolverStats CgroupResolver::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

CgroupResolver::PathById cgroup_path_by_id(std::string cgroup2_mount) {
    auto lookup = CgroupPathLookup::open(std::move(cgroup2_mount));
    if (!lookup) return nullptr;
    auto shared = std::make_shared<CgroupPathLookup>(std::move(lookup).value());
    return [shared](std::uint64_t id) { return shared->path_of(id); };
}

CgroupResolver::ProcCgroup proc_cgroup_reader(std::string procfs) {
    return [procfs = std::move(procfs)](std::uint32_t pid) -> std::optional<std::string> {
        std::ifstream in(procfs + "/" + std::to_string(pid) + "/cgroup");
        if (!in) return std::nullopt;
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
}

}  // namespace vigil::k8s
