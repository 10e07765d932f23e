#include "agent/privileges.h"

#include <dirent.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>

namespace vigil::agent {

namespace {

constexpr int kCapDacReadSearch = 2;
constexpr int kCapSetPcap = 8;
constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

// The plan the signal handler applies in each thread. A signal handler can
// only reach data through a global; it is written once, before any signal.
struct Plan {
    CapMask keep = 0;
    int last_cap = 0;
    bool drop_bounding = false;
};
std::atomic<const Plan*> g_plan{nullptr};

// Only raw system calls: this runs inside a signal handler.
void apply_in_this_thread(const Plan& p) {
    if (p.drop_bounding) {
        // Before capset: dropping from the bounding set needs CAP_SETPCAP.
        for (int cap = 0; cap <= p.last_cap; ++cap) {
            if (!(p.keep & cap_bit(cap))) ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
    }
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);  // EINVAL before 4.3: none to clear
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &hdr, data) != 0) return;
    for (int i = 0; i < 2; ++i) {
        const auto keep = static_cast<std::uint32_t>(p.keep >> (32 * i));
        data[i].effective &= keep;
        data[i].permitted &= keep;
        data[i].inheritable = 0;
    }
    ::syscall(SYS_capset, &hdr, data);
}

void on_drop_signal(int) {
    const int saved = errno;
    if (const Plan* p = g_plan.load()) apply_in_this_thread(*p);
    errno = saved;
}

// A real-time signal no library of vigild's uses; glibc reserves the ones
// below SIGRTMIN for itself (setxid broadcast, thread cancellation).
int drop_signal() { return SIGRTMIN + 7; }

int last_cap() {
    std::ifstream in("/proc/sys/kernel/cap_last_cap");
    int n = 0;
    if (in >> n && n > 0 && n < 64) return n;
    return kCapBpf;  // 5.8+ kernels
}

CapMask parse_hex(const std::string& text) {
    try {
        return static_cast<CapMask>(std::stoull(text, nullptr, 16));
    } catch (const std::exception&) {
        return ~CapMask{0};  // unreadable: treat as "holds everything", so verification fails loudly
    }
}

std::string tids_and_caps(const std::vector<ThreadCaps>& bad, CapMask keep) {
    std::string out;
    for (const auto& t : bad) {
        if (!out.empty()) out += "; ";
        out += "thread " + std::to_string(t.tid) + " still has effective " +
               describe_caps(t.effective & ~keep) + " permitted " + describe_caps(t.permitted & ~keep) +
               " bounding " + describe_caps(t.bounding & ~keep) + " inheritable " +
               describe_caps(t.inheritable) + " ambient " + describe_caps(t.ambient);
    }
    return out;
}

}  // namespace

CapMask runtime_capabilities() {
    // CAP_DAC_READ_SEARCH: open_by_handle_at, which turns a cgroup id from the
    // kernel into its path (nested container cgroups, k8s/cgroup_paths).
    return cap_bit(kCapBpf) | cap_bit(kCapPerfmon) | cap_bit(kCapSysAdmin) | cap_bit(kCapDacReadSearch);
}

CapMask known_capabilities() {
    const int last = last_cap();
    return last >= 63 ? ~CapMask{0} : (cap_bit(last + 1) - 1);
}

std::string describe_caps(CapMask mask) {
    static constexpr const char* kNames[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};
    std::string out;
    for (int cap = 0; cap < 64; ++cap) {
        if (!(mask & cap_bit(cap))) continue;
        if (!out.empty()) out += ",";
        out += cap < static_cast<int>(std::size(kNames)) ? kNames[cap] : "cap_" + std::to_string(cap);
    }
    return out.empty() ? "none" : out;
}

Result<std::vector<ThreadCaps>> read_thread_caps(const std::string& procfs) {
    const std::string dir = procfs + "/self/task";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return make_error("cannot list " + dir + ": " + std::strerror(errno));
    std::vector<ThreadCaps> out;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::ifstream in(dir + "/" + e->d_name + "/status");
        if (!in) continue;  // the thread ended meanwhile
        ThreadCaps t;
        t.tid = std::atoi(e->d_name);
        std::string line;
        while (std::getline(in, line)) {
            auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string key = line.substr(0, colon);
            std::string value = line.substr(colon + 1);
            if (key == "CapInh") t.inheritable = parse_hex(value);
            else if (key == "CapPrm") t.permitted = parse_hex(value);
            else if (key == "CapEff") t.effective = parse_hex(value);
            else if (key == "CapBnd") t.bounding = parse_hex(value);
            else if (key == "CapAmb") t.ambient = parse_hex(value);
        }
        out.push_back(t);
    }
    ::closedir(d);
    return out;
}

Status drop_capabilities(CapMask keep) {
    using Clock = std::chrono::steady_clock;
    auto before = read_thread_caps();
    if (!before) return make_error("dropping capabilities: " + before.error());

    // Static: the handler may still run for a queued signal after we return.
    static Plan plan;
    if (g_plan.load() == nullptr) {
        plan.keep = keep;
        plan.last_cap = last_cap();
        // Without CAP_SETPCAP (vigild given only CAP_BPF+CAP_PERFMON) the
        // bounding set cannot shrink; it then only matters for execve, which
        // vigild never does.
        __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2] = {};
        if (::syscall(SYS_capget, &hdr, data) != 0) {
            return make_error(std::string("dropping capabilities: capget: ") + std::strerror(errno));
        }
        plan.drop_bounding = (data[0].effective & cap_bit(kCapSetPcap)) != 0;
        g_plan.store(&plan);
    } else if (plan.keep != keep) {
        return make_error("dropping capabilities: already dropped to " + describe_caps(plan.keep));
    }

    struct sigaction sa {};
    sa.sa_handler = on_drop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (::sigaction(drop_signal(), &sa, nullptr) != 0) {
        return make_error(std::string("dropping capabilities: sigaction: ") + std::strerror(errno));
    }
    apply_in_this_thread(plan);

    auto holds_too_much = [&](const ThreadCaps& t) {
        return (t.effective & ~keep) || (t.permitted & ~keep) || t.inheritable || t.ambient ||
               (plan.drop_bounding && (t.bounding & ~keep & known_capabilities()));
    };
    // Threads created meanwhile copy their creator's sets, so rescanning until
    // one pass finds nothing left over covers them too.
    const pid_t pid = ::getpid();
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    std::map<int, Clock::time_point> signalled;
    for (;;) {
        auto threads = read_thread_caps();
        if (!threads) return make_error("dropping capabilities: " + threads.error());
        std::vector<ThreadCaps> bad;
        for (const auto& t : *threads) {
            if (holds_too_much(t)) bad.push_back(t);
        }
        if (bad.empty()) return {};
        if (Clock::now() >= deadline) {
            return make_error("dropping capabilities to " + describe_caps(keep) +
                              " failed (does a thread block signal " + std::to_string(drop_signal()) +
                              "?): " + tids_and_caps(bad, keep));
        }
        const auto now = Clock::now();
        for (const auto& t : bad) {
            auto it = signalled.find(t.tid);
            // Re-signal now and then: a signal sent to a thread that was just
            // being created may land before it could act on it.
            if (it != signalled.end() && now - it->second < std::chrono::milliseconds(200)) continue;
            ::syscall(SYS_tgkill, pid, t.tid, drop_signal());
            signalled[t.tid] = now;
        }
        // Handlers run as soon as the threads are scheduled; poll /proc, which
        // is the only place that shows another thread's sets.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

}  // namespace vigil::agent
