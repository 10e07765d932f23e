// Pure parsers for the /proc/<pid> files the start-up scan reads. They take
// file contents, so they are tested without a filesystem.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/process.h"

namespace vigil::process {

struct StatFields {
    std::string comm;
    std::uint32_t ppid = 0;
    std::uint64_t starttime = 0;  // field 22, clock ticks since boot
};

// /proc/<pid>/stat. comm is taken between the first '(' and the LAST ')',
// since a comm may itself contain spaces and parentheses.
Result<StatFields> parse_stat(std::string_view text);

struct StatusFields {
    std::uint32_t tgid = 0;
    std::uint32_t nspid = 0;  // last NSpid value (innermost namespace)
    model::Credentials creds;
    model::Capabilities caps;
};

// /proc/<pid>/status: Tgid, Uid/Gid (real, effective, saved, fs), NSpid,
// CapInh/CapPrm/CapEff. Tgid, Uid and Gid are required.
Result<StatusFields> parse_status(std::string_view text);

// /proc/<pid>/cmdline: NUL-separated argv, argv[0] included. Empty for
// kernel threads. Empty arguments in the middle are kept.
std::vector<std::string> split_cmdline(std::string_view raw);

// A /proc/<pid>/ns/* link target "mnt:[4026531841]" -> 4026531841; 0 if the
// text has another shape.
std::uint32_t parse_ns_link(std::string_view link);

// /proc/<pid>/cgroup -> leaf name of the default hierarchy's cgroup: the
// last path component of the v2 line "0::/a/b" ("/" for the root). Without
// a v2 line, the first line's path is used (v1-only hosts). Empty if none.
std::string cgroup_leaf(std::string_view cgroup_file);

}  // namespace vigil::process
