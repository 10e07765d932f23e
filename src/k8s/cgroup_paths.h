// From a cgroup v2 id (what bpf_get_current_cgroup_id() records, the
// kernfs node id of the cgroup's directory) back to the cgroup's path, so a
// process in a cgroup nested inside a container's (systemd in the
// container, `crio-<id>.scope/container`, a workload making its own
// sub-cgroups) resolves to that container although BPF records only the
// leaf name. open_by_handle_at(2) with a kernfs file handle does this in
// one system call (root, CAP_DAC_READ_SEARCH); the kernel reconnects a
// directory's dentry, so /proc/self/fd/N names its full path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vigil::k8s {

// The mount point of the first cgroup2 file system in a /proc/self/mounts
// text ("" when there is none: a v1-only host).
std::string cgroup2_mount_point(std::string_view proc_mounts);

// "/sys/fs/cgroup/unified/a/b" under mount "/sys/fs/cgroup/unified" -> "/a/b";
// the mount itself -> "/"; nullopt when `path` is not below `mount`.
std::optional<std::string> path_below_mount(std::string_view path, std::string_view mount);

class CgroupPathLookup {
public:
    // Opens the cgroup2 mount (found from /proc/self/mounts when `mount` is
    // empty). Errors name the mount and the system call.
    static Result<CgroupPathLookup> open(std::string mount = "");
    CgroupPathLookup(CgroupPathLookup&& other) noexcept;
    CgroupPathLookup& operator=(CgroupPathLookup&& other) noexcept;
    CgroupPathLookup(const CgroupPathLookup&) = delete;
    CgroupPathLookup& operator=(const CgroupPathLookup&) = delete;
    ~CgroupPathLookup();

    // The cgroup's path relative to the mount ("/kubepods.slice/..."), or an
    // error (ESTALE: the cgroup is gone; EPERM: not privileged).
    Result<std::string> path_of(std::uint64_t cgroup_id) const;
    const std::string& mount() const { return mount_; }

private:
    CgroupPathLookup(int fd, std::string mount) : fd_(fd), mount_(std::move(mount)) {}
    int fd_ = -1;
    std::string mount_;
};

}  // namespace vigil::k8s
