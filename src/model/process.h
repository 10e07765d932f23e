// Plain data describing processes and lifecycle events, independent of the
// BPF ABI and of protobuf. ingest/ produces these; process/ keeps them;
// export/ maps them to Tetragon's proto messages.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::model {

// Identity of one process image: host tgid plus the boot-clock ns of the
// exec or fork that created it (see abi.h vigil_process_key).
struct ProcessKey {
    std::uint32_t pid = 0;
    std::uint64_t ktime = 0;

    friend bool operator==(const ProcessKey&, const ProcessKey&) = default;
};

// Process.flags words, emitted in Tetragon's order by export/.
enum ProcessFlag : std::uint32_t {
    kFlagExecve = 1u << 0,
    kFlagProcFS = 1u << 1,
    kFlagTruncArgs = 1u << 2,
    kFlagErrorFilename = 1u << 3,
    kFlagErrorArgs = 1u << 4,
    kFlagNoCwd = 1u << 5,
    kFlagRootCwd = 1u << 6,
    kFlagErrorCwd = 1u << 7,
    kFlagClone = 1u << 8,
    kFlagErrorCgroupName = 1u << 9,
    kFlagTruncFilename = 1u << 10,  // Vigil-specific: path cut at a limit
    kFlagUnknown = 1u << 11,        // stub for a process missing from the cache
};

struct Credentials {
    std::uint32_t uid = 0, euid = 0, suid = 0, fsuid = 0;
    std::uint32_t gid = 0, egid = 0, sgid = 0, fsgid = 0;
};

struct Capabilities {
    std::uint64_t permitted = 0;
    std::uint64_t effective = 0;
    std::uint64_t inheritable = 0;
};

// Namespace inode numbers in Tetragon's Namespaces order:
// uts, ipc, mnt, pid, pid_for_children, net, time, time_for_children,
// cgroup, user. 0 means unknown.
using Namespaces = std::array<std::uint32_t, 10>;

struct Process {
    ProcessKey key;
    ProcessKey parent_key;          // parent image; pid 0 ktime 1 = kernel
    std::string exec_id;            // base64("node:ktime:pid")
    std::string parent_exec_id;
    std::uint32_t pid = 0;
    std::uint32_t tid = 0;
    std::uint32_t ppid = 0;         // real parent tgid
    std::uint32_t nspid = 0;        // pid inside its own pid namespace
    std::uint32_t auid = 0xffffffffu;
    Credentials creds;
    Capabilities caps;
    Namespaces ns{};
    std::string binary;             // absolute path
    std::vector<std::string> argv;  // argv[1..]
    std::string cwd;
    std::uint64_t start_ktime = 0;  // boot-clock ns of exec/fork
    std::uint64_t cgroup_id = 0;
    std::string cgroup_name;        // leaf cgroup name
    std::uint32_t flags = 0;        // ProcessFlag bits
};

struct ExecEvent {
    Process process;
    std::uint64_t ktime = 0;
};

struct ExitEvent {
    ProcessKey key;
    std::uint32_t tid = 0;
    std::uint32_t exit_code = 0;  // wait status: code << 8 | signal
    std::uint64_t ktime = 0;
};

}  // namespace vigil::model
