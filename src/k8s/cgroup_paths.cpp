#include "k8s/cgroup_paths.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace vigil::k8s {

namespace {

// include/linux/exportfs.h: FILEID_KERNFS, a handle holding the 64-bit
// kernfs node id (u64, native byte order).
constexpr int kFileIdKernfs = 0xfe;

// /proc/mounts escapes space, tab, newline and backslash as \ooo.
std::string unescape_mount_field(std::string_view s) {
    auto oct = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::string cgroup2_mount_point(std::string_view proc_mounts) {
    std::istringstream in{std::string(proc_mounts)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string dev, dir, type;
        if (fields >> dev >> dir >> type && type == "cgroup2") return unescape_mount_field(dir);
    }
    return "";
}

std::optional<std::string> path_below_mount(std::string_view path, std::string_view mount) {
    while (mount.size() > 1 && mount.back() == '/') mount.remove_suffix(1);
    if (mount == "/") mount = "";
    if (path.substr(0, mount.size()) != mount) return std::nullopt;
    std::string_view rest = path.substr(mount.size());
    if (rest.empty()) return std::string("/");
    if (rest.front() != '/') return std::nullopt;  // "/sys/fs/cgroupX" is not below "/sys/fs/cgroup"
    return std::string(rest);
}

Result<CgroupPathLookup> CgroupPathLookup::open(std::string mount) {
    if (mount.empty()) {
        std::ifstream in("/proc/self/mounts");
        std::stringstream ss;
        ss << in.rdbuf();
        mount = cgroup2_mount_point(ss.str());
        if (mount.empty()) return make_error("no cgroup2 file system in /proc/self/mounts");
    }
    int fd = ::open(mount.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return make_error("open " + mount + ": " + std::strerror(errno));
    return CgroupPathLookup(fd, std::move(mount));
}

CgroupPathLookup::CgroupPathLookup(CgroupPathLookup&& other) noexcept
    : fd_(other.fd_), mount_(std::move(other.mount_)) {
    other.fd_ = -1;
}

CgroupPathLookup& CgroupPathLookup::operator=(CgroupPathLookup&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        mount_ = std::move(other.mount_);
        other.fd_ = -1;
    }
    return *this;
}

CgroupPathLookup::~CgroupPathLookup() {
    if (fd_ >= 0) ::close(fd_);
}

Result<std::string> CgroupPathLookup::path_of(std::uint64_t cgroup_id) const {
    struct {
        file_handle fh;
        std::uint64_t id;
    } handle{};
    handle.fh.handle_bytes = sizeof(cgroup_id);
    handle.fh.handle_type = kFileIdKernfs;
    std::memcpy(handle.fh.f_handle, &cgroup_id, sizeof(cgroup_id));
    int fd = ::open_by_handle_at(fd_, &handle.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return make_error("cgroup id " + std::to_string(cgroup_id) + " under " + mount_ +
                          ": open_by_handle_at: " + std::strerror(errno));
    }
    char buf[4096];
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf));
    int err = errno;
    ::close(fd);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof(buf)) {
        return make_error("cgroup id " + std::to_string(cgroup_id) + ": readlink " + link + ": " +
                          (n < 0 ? std::strerror(err) : "path too long"));
    }
    auto rel = path_below_mount(std::string_view(buf, static_cast<std::size_t>(n)), mount_);
    if (!rel) {
        return make_error("cgroup id " + std::to_string(cgroup_id) + ": " + std::string(buf, static_cast<std::size_t>(n)) +
                          " is not below " + mount_);
    }
    return std::move(*rel);
}

}  // namespace vigil::k8s
