#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace vigil::metrics {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool to_u64(std::string_view s, std::uint64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
    auto close = text.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    // Fields after "pid (comm)", numbered from 3 (state) as in proc(5).
    std::vector<std::string_view> f;
    std::string_view rest = text.substr(close + 1);
    std::size_t i = 0;
    while (i < rest.size()) {
        while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) ++i;
        std::size_t j = i;
        while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
        if (j > i) f.push_back(rest.substr(i, j - i));
        i = j;
    }
    auto field = [&](std::size_t n) { return f[n - 3]; };  // proc(5) numbering
    if (f.size() < 24 - 2) return std::nullopt;
    ProcStat s;
    if (!to_u64(field(14), s.utime_ticks) || !to_u64(field(15), s.stime_ticks) ||
        !to_u64(field(22), s.start_ticks) || !to_u64(field(23), s.vsize_bytes) ||
        !to_u64(field(24), s.rss_pages)) {
        return std::nullopt;
    }
    return s;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) {
    auto pos = proc_stat.find("\nbtime ");
    if (pos == std::string_view::npos) return std::nullopt;
    auto rest = proc_stat.substr(pos + 7);
    rest = rest.substr(0, rest.find('\n'));
    std::uint64_t v = 0;
    if (!to_u64(rest, v)) return std::nullopt;
    return v;
}

Status register_process_metrics(Registry& registry, const std::string& procfs) {
    const std::string self = procfs + "/self";
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    auto stat = [self] { return parse_proc_stat(read_file(self + "/stat")); };
    // A failed read yields no sample rather than a misleading zero.
    auto collect = [stat](auto pick) -> Collector {
        return [stat, pick] {
            auto s = stat();
            if (!s) return std::vector<Sample>{};
            return std::vector<Sample>{{{}, pick(*s)}};
        };
    };
    std::vector<Status> results;
    results.push_back(registry.add_family(
        "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
        MetricType::kCounter, {},
        collect([tick](const ProcStat& s) { return static_cast<double>(s.utime_ticks + s.stime_ticks) / tick; })));
    results.push_back(registry.add_family(
        "process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge, {},
        collect([page](const ProcStat& s) { return static_cast<double>(s.rss_pages) * page; })));
    results.push_back(registry.add_family(
        "process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge, {},
        collect([](const ProcStat& s) { return static_cast<double>(s.vsize_bytes); })));
    results.push_back(registry.add_family(
        "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        MetricType::kGauge, {}, [stat, procfs, tick] {
            auto s = stat();
            auto boot = parse_boot_time(read_file(procfs + "/stat"));
            if (!s || !boot) return std::vector<Sample>{};
            return std::vector<Sample>{{{}, static_cast<double>(*boot) + static_cast<double>(s->start_ticks) / tick}};
        }));
    results.push_back(registry.add_family(
        "process_open_fds", "Number of open file descriptors.", MetricType::kGauge, {}, [self] {
            std::error_code ec;
            double n = 0;
            for (std::filesystem::directory_iterator it(self + "/fd", ec), end; !ec && it != end;
                 it.increment(ec)) {
                ++n;
            }
            if (ec) return std::vector<Sample>{};
            return std::vector<Sample>{{{}, n}};
        }));
    results.push_back(registry.add_gauge("process_max_fds", "Maximum number of open file descriptors.", [] {
        rlimit rl{};
        if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0.0;
        return rl.rlim_cur == RLIM_INFINITY ? HUGE_VAL : static_cast<double>(rl.rlim_cur);
    }));
    for (auto& r : results) {
        if (!r) return r;
    }
    return {};
}

}  // namespace vigil::metrics
