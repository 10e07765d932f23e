// Policy hook data, independent of the BPF ABI and of protobuf: what a hook
// captures (HookArgSpec, produced from a policy) and what one call produced
// (HookEvent, produced by ingest/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/process.h"
#include "model/selector.h"

namespace vigil::model {

// How the kernel captures an argument. Policy types map onto these
// (e.g. char_buf -> kUserBuffer, fd -> kFd).
enum class ArgKind : std::uint8_t {
    kNone = 0,
    kS32,
    kU32,
    kS64,
    kU64,
    kUserString,
    kUserBuffer,
    kFd,
    kSockaddr,
};

struct HookArgSpec {
    ArgKind kind = ArgKind::kNone;
    std::uint8_t index = 0;       // 0-based argument position
    std::uint8_t size_index = 0;  // 1-based position of the length argument, 0 none
    bool return_copy = false;     // buffer read at return, length = return value
    std::uint32_t max_data = 0;   // bytes captured at most
};

// Kernel-side limits of hooks (bpf/include/vigil/abi.h; probe/ asserts they agree).
inline constexpr std::uint32_t kMaxHooks = 1024;
inline constexpr std::size_t kMaxHookArgs = 5;
inline constexpr std::uint32_t kMaxArgData = 4096;

// A `syscall: true` hook attached through the syscall tracepoints.
struct SyscallHookSpec {
    std::uint32_t hook_id = 0;  // < kMaxHooks
    std::string syscall;        // without arch prefix: "write", "openat"
    bool at_return = false;     // emit at sys_exit with the return value
    std::vector<HookArgSpec> args;  // at most kMaxHookArgs
    HookSelectors selectors;        // evaluated in the kernel
};

struct HookArgInfo {
    std::string type;   // the policy's type name: "int", "fd", "char_buf", "sockaddr", ...
    std::string label;  // the policy's label, copied into the event
};

// What the agent knows about a hook: where it came from and how to show it.
struct HookInfo {
    std::string policy_name;
    std::string function_name;  // "__x64_sys_write"
    std::string message;
    std::vector<std::string> tags;
    std::vector<HookArgInfo> args;  // same order as the captured arguments
    std::string return_type;        // returnArg type; empty when not a return hook
};

struct HookArgValue {
    ArgKind kind = ArgKind::kNone;
    bool truncated = false;
    bool error = false;
    std::uint32_t orig_size = 0;  // length before truncation (buffers)
    std::uint64_t value = 0;      // raw register: integer, pointer, fd
    std::string bytes;            // buffer, string, fd path, sockaddr bytes
};

struct HookEvent {
    ProcessKey key;
    std::uint32_t hook_id = 0;
    std::uint32_t tid = 0;
    std::uint64_t ktime = 0;
    bool has_return = false;
    std::int64_t ret = 0;
    bool procfs_key = false;  // the process predates vigild and was never seen exec'ing
    // What the matching selector did: 0 Post, 2 Sigkill, 3 Signal (ActionKind values).
    std::uint8_t action = 0;
    std::uint8_t selector = 0;  // matching selector index + 1; 0 when the hook has none
    bool monitored = false;     // monitor mode: the action was counted, not taken
    std::vector<HookArgValue> args;
};

}  // namespace vigil::model
