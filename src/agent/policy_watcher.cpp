#include "agent/policy_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

namespace vigil::agent {

namespace {

bool is_policy_file(const std::string& name) {
    auto ext = std::filesystem::path(name).extension().string();
    return (ext == ".yaml" || ext == ".yml") && !name.empty() && name[0] != '.';
}

}  // namespace

Result<std::unique_ptr<PolicyWatcher>> PolicyWatcher::start(const std::string& dir, PolicyManager& policies) {
    int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0) return make_error(std::string("inotify: ") + std::strerror(errno));
    // Only completed writes and renames: an editor's half-written file is
    // not loaded.
    if (inotify_add_watch(in, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
        int err = errno;
        ::close(in);
        return make_error("--tracing-policy-dir " + dir + ": cannot watch it: " + std::strerror(err));
    }
    int stop = eventfd(0, EFD_CLOEXEC);
    if (stop < 0) {
        ::close(in);
        return make_error(std::string("eventfd: ") + std::strerror(errno));
    }
    return std::unique_ptr<PolicyWatcher>(new PolicyWatcher(dir, policies, in, stop));
}

PolicyWatcher::PolicyWatcher(std::string dir, PolicyManager& policies, int inotify_fd, int stop_fd)
    : dir_(std::move(dir)), policies_(policies), inotify_fd_(inotify_fd), stop_fd_(stop_fd) {
    thread_ = std::thread([this] { run(); });
}

PolicyWatcher::~PolicyWatcher() {
    std::uint64_t one = 1;
    if (::write(stop_fd_, &one, sizeof(one)) < 0) {
        spdlog::warn("policy watcher: cannot signal stop: {}", std::strerror(errno));
    }
    if (thread_.joinable()) thread_.join();
    ::close(inotify_fd_);
    ::close(stop_fd_);
}

void PolicyWatcher::run() {
    alignas(inotify_event) char buf[16384];
    for (;;) {
        pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            spdlog::error("policy watcher: poll: {}", std::strerror(errno));
            return;
        }
        if (fds[1].revents) return;
        ssize_t n = ::read(inotify_fd_, buf, sizeof(buf));
        if (n <= 0) continue;
        for (char* p = buf; p < buf + n;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            p += sizeof(inotify_event) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                spdlog::warn("policy watcher: inotify queue overflow; reloading every file of {}", dir_);
                std::error_code ec;
                for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
                    if (is_policy_file(e.path().filename())) policies_.reload_file(e.path());
                }
                continue;
            }
            if (ev->len == 0 || !is_policy_file(ev->name)) continue;
            policies_.reload_file(dir_ + "/" + ev->name);
        }
    }
}

}  // namespace vigil::agent
