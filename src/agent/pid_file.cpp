#include "agent/pid_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace vigil::agent {

Result<std::unique_ptr<PidFile>> PidFile::acquire(const std::string& run_dir) {
    std::error_code ec;
    std::filesystem::create_directories(run_dir, ec);
    if (ec) return make_error("--run-dir " + run_dir + ": cannot create it: " + ec.message());
    std::string path = run_dir + "/vigild.pid";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return make_error("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char buf[32] = {};
        ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
        ::close(fd);
        std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        if (err == EWOULDBLOCK) {
            return make_error("another vigild (pid " + pid + ") is already running with --run-dir " +
                              run_dir + "; stop it first, or give this one its own --run-dir");
        }
        return make_error("cannot lock " + path + ": " + std::strerror(err));
    }
    std::string text = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        int err = errno;
        ::close(fd);
        return make_error("cannot write " + path + ": " + std::strerror(err));
    }
    return std::unique_ptr<PidFile>(new PidFile(fd, path));
}

PidFile::~PidFile() {
    if (fd_ >= 0) {
        ::unlink(path_.c_str());
        ::close(fd_);  // releases the lock
    }
}

}  // namespace vigil::agent
