#include "agent/container_cgroups.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "k8s/cgroup_identity.h"
#include "k8s/cgroup_paths.h"

namespace vigil::agent {

Result<std::uint64_t> cgroup_id_of_dir(const std::string& path) {
    struct statfs fs {};
    if (::statfs(path.c_str(), &fs) != 0) {
        return make_error("cgroup " + path + ": statfs: " + std::strerror(errno));
    }
    if (fs.f_type == CGROUP2_SUPER_MAGIC) {
        // kernfs file handles are the node's 64-bit id (Linux >= 5.5).
        alignas(file_handle) unsigned char storage[sizeof(file_handle) + sizeof(std::uint64_t)];
        auto* fh = reinterpret_cast<file_handle*>(storage);
        fh->handle_bytes = sizeof(std::uint64_t);
        int mount_id = 0;
        if (::name_to_handle_at(AT_FDCWD, path.c_str(), fh, &mount_id, 0) == 0 &&
            fh->handle_bytes == sizeof(std::uint64_t)) {
            std::uint64_t id = 0;
            std::memcpy(&id, fh->f_handle, sizeof(id));
            return id;
        }
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return make_error("cgroup " + path + ": stat: " + std::strerror(errno));
    return static_cast<std::uint64_t>(st.st_ino);
}

ContainerCgroups::ContainerCgroups(std::string mount, int max_depth) : mount_(std::move(mount)), max_depth_(max_depth) {
    if (mount_.empty()) {
        std::ifstream in("/proc/self/mounts");
        std::stringstream ss;
        ss << in.rdbuf();
        mount_ = k8s::cgroup2_mount_point(ss.str());
    }
}

std::map<std::string, std::uint64_t> ContainerCgroups::find(const std::set<std::string>& container_ids) const {
    namespace fs = std::filesystem;
    std::map<std::string, std::uint64_t> out;
    if (mount_.empty() || container_ids.empty()) return out;
    std::error_code ec;
    fs::recursive_directory_iterator it(mount_, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (!it->is_directory(ec) || it->is_symlink(ec)) {
            it.disable_recursion_pending();
            continue;
        }
        auto rel = k8s::path_below_mount(it->path().string(), mount_);
        if (!rel) continue;
        // Only a container's own cgroup counts; below it, the walk goes on
        // all the same: a node that is itself a container (kind) has the
        // pods' containers below its own.
        auto id = k8s::identify_cgroup_path(*rel);
        if (id && id->has_container() && id->container_cgroup == *rel && container_ids.count(id->container_id) &&
            !out.count(id->container_id)) {
            if (auto cg = cgroup_id_of_dir(it->path().string())) out[id->container_id] = cg.value();
            if (out.size() == container_ids.size()) break;
        }
        if (it.depth() + 1 >= max_depth_) it.disable_recursion_pending();
    }
    return out;
}

}  // namespace vigil::agent
