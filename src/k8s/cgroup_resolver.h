// A process's container from what the exec record carries: the leaf cgroup
// name (no system call: the usual case, a process in the container's own
// cgroup) and, when the leaf alone names no container, the full path found
// from the cgroup id. So a process in a cgroup nested inside a container's
// (systemd inside it, `crio-<id>.scope/container`, sub-cgroups a workload
// makes) resolves to the container. Results for ids are cached: a cgroup id
// is never reused while the machine runs. Processes from the start-up /proc
// scan have no cgroup id; their /proc/<pid>/cgroup is read instead.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/result.h"
#include "k8s/cgroup_identity.h"
#include "model/process.h"

namespace vigil::k8s {

struct CgroupResolverStats {
    std::uint64_t path_lookups = 0;   // cgroup id -> path system calls
    std::uint64_t lookup_errors = 0;  // of those, failed (cgroup gone, no privilege)
    std::uint64_t proc_reads = 0;     // /proc/<pid>/cgroup reads
    std::size_t cached = 0;
    std::string last_error;
};

class CgroupResolver {
public:
    // id -> path below the cgroup2 mount ("/kubepods.slice/..."); see CgroupPathLookup.
    using PathById = std::function<Result<std::string>(std::uint64_t cgroup_id)>;
    // pid -> the text of /proc/<pid>/cgroup, nullopt if unreadable.
    using ProcCgroup = std::function<std::optional<std::string>(std::uint32_t pid)>;

    CgroupResolver(PathById path_by_id, ProcCgroup proc_cgroup, std::size_t capacity = 8192);

    std::optional<CgroupIdentity> identify(const model::Process& p) const;
    CgroupResolverStats stats() const;

private:
    template <typename Key, typename Compute>
    std::optional<CgroupIdentity> cached(std::map<Key, std::optional<CgroupIdentity>>& cache, const Key& key,
                                         Compute compute) const;

    PathById path_by_id_;
    ProcCgroup proc_cgroup_;
    std::size_t capacity_;
    mutable std::mutex mu_;
    mutable std::map<std::uint64_t, std::optional<CgroupIdentity>> by_id_;
    // (pid, start ktime): a scanned process, which has no cgroup id.
    mutable std::map<std::pair<std::uint32_t, std::uint64_t>, std::optional<CgroupIdentity>> by_process_;
    mutable CgroupResolverStats stats_;
};

// The production lookups: open_by_handle_at on the cgroup2 mount (null when
// it cannot be opened: ids are then not resolved) and <procfs>/<pid>/cgroup.
CgroupResolver::PathById cgroup_path_by_id(std::string cgroup2_mount = "");
CgroupResolver::ProcCgroup proc_cgroup_reader(std::string procfs = "/proc");

}  // namespace vigil::k8s
