#include "probe/environment.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace vigil::probe {

namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;
constexpr long kTraceFsMagic = 0x74726163;
constexpr long kDebugFsMagic = 0x64626720;

std::uint64_t effective_caps() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            return std::stoull(line.substr(7), nullptr, 16);
        }
    }
    return 0;
}

bool has_cap(std::uint64_t caps, int cap) { return (caps >> cap) & 1u; }

bool is_fs(const char* path, long magic) {
    struct statfs st {};
    return statfs(path, &st) == 0 && static_cast<long>(st.f_type) == magic;
}

Status ensure_fs(const char* path, const char* type, long magic, const char* fix) {
    if (is_fs(path, magic)) {
        return {};
    }
    ::mkdir(path, 0700);
    if (::mount(type, path, type, 0, nullptr) != 0 || !is_fs(path, magic)) {
        return make_error(std::string(type) + " is not mounted at " + path +
                          " and mounting it failed (" + std::strerror(errno) + "); fix: " + fix);
    }
    spdlog::info("mounted {} at {}", type, path);
    return {};
}

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    // Verifier logs arrive as one message and end with the actual error, so
    // the whole text is kept (bounded at 1 MiB).
    va_list again;
    va_copy(again, args);
    char small[1024];
    int n = std::vsnprintf(small, sizeof(small), fmt, args);
    std::string msg;
    if (n >= static_cast<int>(sizeof(small))) {
        msg.resize(std::min(static_cast<std::size_t>(n), std::size_t{1} << 20) + 1);
        std::vsnprintf(msg.data(), msg.size(), fmt, again);
        msg.resize(msg.size() - 1);
    } else if (n > 0) {
        msg.assign(small, static_cast<std::size_t>(n));
    }
    va_end(again);
    while (!msg.empty() && msg.back() == '\n') {
        msg.pop_back();
    }
    switch (level) {
        case LIBBPF_WARN:
            spdlog::warn("libbpf: {}", msg);
            break;
        case LIBBPF_INFO:
            spdlog::debug("libbpf: {}", msg);
            break;
        default:
            spdlog::trace("libbpf: {}", msg);
            break;
    }
    return n;
}

}  // namespace

Status check_privileges() {
    if (geteuid() == 0 && has_cap(effective_caps(), 21 /* CAP_SYS_ADMIN */)) {
        return {};
    }
    std::uint64_t caps = effective_caps();
    if (has_cap(caps, 21) || (has_cap(caps, 39 /* CAP_BPF */) && has_cap(caps, 38 /* CAP_PERFMON */))) {
        return {};
    }
    return make_error(
        "vigild needs root (or CAP_BPF and CAP_PERFMON, with CAP_SYS_RESOURCE on kernels "
        "before 5.11) to load BPF programs; fix: run it as root, e.g. `sudo make run`, or "
        "grant those capabilities");
}

Status check_btf(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_size > 0) {
        return {};
    }
    return make_error("no kernel BTF at " + path +
                      ": Vigil's CO-RE programs need a kernel built with "
                      "CONFIG_DEBUG_INFO_BTF=y (every current distribution kernel has it); fix: "
                      "boot such a kernel");
}

Status ensure_mounts() {
    if (auto s = ensure_fs("/sys/fs/bpf", "bpf", kBpfFsMagic, "mount -t bpf bpf /sys/fs/bpf");
        !s) {
        return s;
    }
    // tracefs lives at /sys/kernel/tracing; older setups only have it
    // through debugfs at /sys/kernel/debug/tracing, which is fine too.
    if (is_fs("/sys/kernel/debug", kDebugFsMagic) &&
        is_fs("/sys/kernel/debug/tracing", kTraceFsMagic)) {
        return {};
    }
    return ensure_fs("/sys/kernel/tracing", "tracefs", kTraceFsMagic,
                     "mount -t tracefs tracefs /sys/kernel/tracing");
}

void raise_memlock_limit() {
    struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_MEMLOCK, &r) != 0) {
        // Harmless since 5.11 (BPF memory is charged to the memory cgroup);
        // on older kernels a later map/program load fails and says so.
        spdlog::debug("could not lift RLIMIT_MEMLOCK: {}", std::strerror(errno));
    }
}

void route_libbpf_logs() { libbpf_set_print(libbpf_print); }

}  // namespace vigil::probe
