// The standard process_* metrics every Prometheus client library exports
// (CPU seconds, resident and virtual memory, open and max fds, start time),
// read from procfs at scrape time. They back the dashboard's agent CPU and
// memory panels without depending on cAdvisor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "metrics/registry.h"

namespace vigil::metrics {

struct ProcStat {
    std::uint64_t utime_ticks = 0;
    std::uint64_t stime_ticks = 0;
    std::uint64_t start_ticks = 0;  // since boot
    std::uint64_t vsize_bytes = 0;
    std::uint64_t rss_pages = 0;
};

// Parses /proc/<pid>/stat. The command name may hold spaces and ')', so
// fields are counted from the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);
// "btime" from /proc/stat: boot time, seconds since the epoch.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat);

// Registers process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds and
// process_start_time_seconds for this process, read from `procfs`.
Status register_process_metrics(Registry& registry, const std::string& procfs = "/proc");

}  // namespace vigil::metrics
