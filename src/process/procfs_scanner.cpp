#include "process/procfs_scanner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "process/process_key.h"
#include "process/procfs_parse.h"

namespace vigil::process {
namespace {

namespace fs = std::filesystem;

// /proc files report size 0, so read until EOF rather than by size.
std::optional<std::string> read_small_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out;
    std::array<char, 4096> buf;
    while (true) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

std::optional<std::string> read_link(const std::string& path) {
    std::error_code ec;
    fs::path target = fs::read_symlink(path, ec);
    if (ec) return std::nullopt;
    return target.string();
}

// Tetragon's Namespaces order, matching model::Namespaces.
constexpr std::array<const char*, 10> kNsNames = {
    "uts", "ipc", "mnt", "pid", "pid_for_children", "net", "time", "time_for_children",
    "cgroup", "user"};

struct Scanned {
    model::Process process;
    std::uint64_t starttime = 0;
};

// Everything about one tgid; nullopt when it vanished (stat/status gone).
std::optional<Scanned> scan_one(const std::string& dir, std::uint32_t pid) {
    auto stat_text = read_small_file(dir + "/stat");
    auto status_text = read_small_file(dir + "/status");
    if (!stat_text || !status_text) return std::nullopt;
    auto stat = parse_stat(*stat_text);
    auto status = parse_status(*status_text);
    if (!stat || !status) return std::nullopt;
    if (status->tgid != pid) return std::nullopt;  // only thread-group leaders

    Scanned s;
    s.starttime = stat->starttime;
    model::Process& p = s.process;
    p.key = {pid, procfs_ktime(stat->starttime)};
    p.pid = pid;
    p.tid = pid;
    p.ppid = stat->ppid;
    p.nspid = status->nspid;
    p.creds = status->creds;
    p.caps = status->caps;
    p.start_ktime = p.key.ktime;
    p.flags = model::kFlagProcFS;

    // Unset (or unreadable) loginuid is (uid_t)-1, as the kernel reports it.
    if (auto auid = read_small_file(dir + "/loginuid")) {
        std::uint32_t v = 0;
        auto [ptr, ec] = std::from_chars(auid->data(), auid->data() + auid->size(), v);
        if (ec == std::errc() && ptr != auid->data()) p.auid = v;
    }

    std::vector<std::string> argv;
    if (auto cmdline = read_small_file(dir + "/cmdline")) argv = split_cmdline(*cmdline);
    if (auto exe = read_link(dir + "/exe")) {
        p.binary = *exe;
    } else if (argv.empty()) {
        p.binary = "[" + stat->comm + "]";  // kernel thread, as Tetragon names it
    } else {
        p.binary = argv.front();  // exe unreadable (permissions): best effort
    }
    if (argv.size() > 1) p.argv.assign(argv.begin() + 1, argv.end());

    if (auto cwd = read_link(dir + "/cwd")) {
        p.cwd = *cwd;
        if (p.cwd == "/") p.flags |= model::kFlagRootCwd;
    } else {
        p.flags |= model::kFlagNoCwd;
    }

    for (std::size_t i = 0; i < kNsNames.size(); ++i) {
        if (auto link = read_link(dir + "/ns/" + kNsNames[i])) p.ns[i] = parse_ns_link(*link);
    }

    if (auto cg = read_small_file(dir + "/cgroup")) p.cgroup_name = cgroup_leaf(*cg);
    return s;
}

// Stable parent-before-child order: by start time then pid, with each
// process's not-yet-emitted ancestors pulled in front of it. Start time
// alone is not enough: ties within one tick and pid wrap-around break it.
std::vector<model::Process> order_parents_first(std::vector<Scanned> all) {
    std::sort(all.begin(), all.end(), [](const Scanned& a, const Scanned& b) {
        if (a.starttime != b.starttime) return a.starttime < b.starttime;
        return a.process.pid < b.process.pid;
    });
    std::unordered_map<std::uint32_t, std::size_t> index;
    for (std::size_t i = 0; i < all.size(); ++i) index[all[i].process.pid] = i;

    std::vector<model::Process> out;
    out.reserve(all.size());
    std::vector<bool> emitted(all.size(), false);
    std::vector<std::size_t> chain;
    for (std::size_t i = 0; i < all.size(); ++i) {
        chain.clear();
        std::unordered_set<std::size_t> on_chain;  // guards against ppid cycles
        for (std::size_t j = i; !emitted[j] && on_chain.insert(j).second;) {
            chain.push_back(j);
            auto it = index.find(all[j].process.ppid);
            if (it == index.end()) break;
            j = it->second;
        }
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
            emitted[*it] = true;
            out.push_back(std::move(all[*it].process));
        }
    }
    return out;
}

}  // namespace

Result<std::vector<model::Process>> scan_procfs(const std::string& procfs_root) {
    std::error_code ec;
    fs::directory_iterator dir(procfs_root, ec);
    if (ec) return make_error("scan_procfs: cannot list " + procfs_root + ": " + ec.message());

    std::vector<Scanned> all;
    for (; dir != fs::directory_iterator(); dir.increment(ec)) {
        if (ec) return make_error("scan_procfs: listing " + procfs_root + ": " + ec.message());
        const std::string name = dir->path().filename().string();
        std::uint32_t pid = 0;
        auto [ptr, perr] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (perr != std::errc() || ptr != name.data() + name.size()) continue;
        if (auto s = scan_one(dir->path().string(), pid)) all.push_back(std::move(*s));
    }

    // Parent keys need the parent's start time, known once all are read.
    std::unordered_map<std::uint32_t, std::uint64_t> start_of;
    for (const Scanned& s : all) start_of[s.process.pid] = s.process.key.ktime;
    for (Scanned& s : all) {
        model::Process& p = s.process;
        if (p.ppid == 0) {
            p.parent_key = kKernelKey;
        } else if (auto it = start_of.find(p.ppid); it != start_of.end()) {
            p.parent_key = {p.ppid, it->second};
        } else {
            p.parent_key = {p.ppid, 0};  // parent vanished mid-scan: unknown
        }
    }
    return order_parents_first(std::move(all));
}

}  // namespace vigil::process
