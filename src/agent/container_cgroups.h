// From container ids to the cgroup ids BPF sees, for scoping hooks to pods
// (PolicyScopes): the cgroup2 hierarchy is walked and each directory's path
// identified (k8s::identify_cgroup_path: systemd and cgroupfs drivers,
// containerd, CRI-O, docker, podman); a container's own cgroup directory
// gives its id. Cgroups nested below a container's are not needed: the
// kernel side matches them through their ancestors.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "common/result.h"

namespace vigil::agent {

// The cgroup id of a cgroup v2 directory: what bpf_get_current_cgroup_id()
// returns for tasks in it (the kernfs node id, as name_to_handle_at gives
// it). Outside a cgroup2 file system (tests), the inode number.
Result<std::uint64_t> cgroup_id_of_dir(const std::string& path);

class ContainerCgroups {
public:
    // `mount`: the cgroup2 mount point ("" finds it in /proc/self/mounts;
    // none found: every lookup finds nothing). max_depth bounds the walk.
    explicit ContainerCgroups(std::string mount = "", int max_depth = 10);

    // Bare container ids -> the id of each one's own cgroup; ids not found
    // are absent. One walk for the whole set, ending once all are found.
    std::map<std::string, std::uint64_t> find(const std::set<std::string>& container_ids) const;

    const std::string& mount() const { return mount_; }

private:
    std::string mount_;
    int max_depth_;
};

}  // namespace vigil::agent
