#include "tmpfs_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace vigil::kt {

Result<std::unique_ptr<TmpfsMount>> TmpfsMount::mount(const std::string& dir, std::size_t size_bytes) {
    const std::string opts = "size=" + std::to_string(size_bytes) + ",mode=0755";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
        return make_error("mount -t tmpfs -o " + opts + " " + dir + ": " + std::strerror(errno));
    }
    return std::unique_ptr<TmpfsMount>(new TmpfsMount(dir));
}

void TmpfsMount::unmount() {
    if (!mounted_) return;
    ::umount2(dir_.c_str(), MNT_DETACH);
    mounted_ = false;
}

Result<std::size_t> fill_until_full(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return make_error("open " + path + ": " + std::strerror(errno));
    std::vector<char> block(4096, 'f');
    std::size_t total = 0;
    // Page-sized writes, then single bytes for whatever a page boundary left.
    for (std::size_t chunk : {block.size(), std::size_t{1}}) {
        for (;;) {
            const ssize_t n = ::write(fd, block.data(), chunk);
            if (n > 0) {
                total += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == ENOSPC) break;
            const std::string err = n < 0 ? std::strerror(errno) : "wrote nothing";
            ::close(fd);
            return make_error("filling " + path + ": " + err);
        }
    }
    ::close(fd);
    return total;
}

}  // namespace vigil::kt
