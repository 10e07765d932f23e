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
    kKernelString,  // string in kernel memory (or user memory, whichever reads)
    kKernelBuffer,  // char_buf in kernel memory (or user memory)
    kFile,          // struct file *
    kPath,          // struct path *
    kDentry,        // struct dentry *
    kBinprm,        // struct linux_binprm *
    kSock,          // struct sock *
    kSkb,           // struct sk_buff *
    kCred,          // struct cred *
    kCaps,          // kernel_cap_t *
    kIovec,         // struct iovec * (user memory), count from size_index
};

// Where a tracepoint argument's value sits in the tracepoint's record.
enum class TracepointSource : std::uint8_t {
    kNone = 0,   // not a tracepoint argument
    kValue,      // an integer or pointer field: tp_size bytes at tp_offset
    kDataLoc,    // __data_loc: the field holds length << 16 | offset of the data
    kInline,     // an array inside the record: its address is the value
};

struct HookArgSpec {
    ArgKind kind = ArgKind::kNone;
    std::uint8_t index = 0;       // 0-based argument position
    std::uint8_t size_index = 0;  // 1-based position of the length argument, 0 none
    bool return_copy = false;     // buffer read at return, length = return value
    std::uint32_t max_data = 0;   // bytes captured at most
    // Tracepoint hooks: the record field read into this argument.
    TracepointSource tp_source = TracepointSource::kNone;
    std::uint16_t tp_offset = 0;
    std::uint8_t tp_size = 0;
    bool tp_signed = false;
};

// Kernel-side limits of hooks (bpf/include/vigil/abi.h; probe/ asserts they agree).
inline constexpr std::uint32_t kMaxHooks = 1024;
inline constexpr std::size_t kMaxHookArgs = 5;
inline constexpr std::uint32_t kMaxArgData = 4096;

// How a hook is attached; chosen by the policy compiler from the kernel's
// features (docs/policy.md, "Attach methods").
enum class AttachMethod : std::uint8_t {
    kSyscallTracepoint,  // syscalls/sys_enter_X (+ sys_exit_X), one shared attachment per syscall
    kKprobe,             // kprobe (+ kretprobe)
    kKprobeMulti,        // kprobe.multi link (+ kretprobe.multi), the hook id as cookie
    kFentry,             // fentry, or fexit for return hooks
    kFmodRet,            // fmod_ret: may make the function return an error (Override)
    kLsm,                // BPF LSM program on the hook: may deny (Override)
    kTracepoint,         // perf tracepoint subsys/event, fields by offset
    kRawTracepoint,      // raw tracepoint, TP_PROTO arguments
    kUprobe,             // uprobe (+ uretprobe) on a user binary
};

inline const char* attach_method_name(AttachMethod m) {
    switch (m) {
        case AttachMethod::kSyscallTracepoint: return "syscall tracepoint";
        case AttachMethod::kKprobe: return "kprobe";
        case AttachMethod::kKprobeMulti: return "kprobe.multi";
        case AttachMethod::kFentry: return "fentry";
        case AttachMethod::kFmodRet: return "fmod_ret";
        case AttachMethod::kLsm: return "lsm";
        case AttachMethod::kTracepoint: return "tracepoint";
        case AttachMethod::kRawTracepoint: return "raw tracepoint";
        case AttachMethod::kUprobe: return "uprobe";
    }
    return "?";
}

// One hook as the kernel side attaches it.
struct HookSpec {
    std::uint32_t hook_id = 0;  // < kMaxHooks
    AttachMethod method = AttachMethod::kSyscallTracepoint;
    std::string syscall;  // syscall hooks: the name without arch prefix ("write"); else empty
    // The attach point: kernel function ("__x64_sys_write", "security_file_open"), LSM hook
    // ("file_open"), tracepoint ("sched/sched_process_fork"), raw tracepoint, uprobe symbol.
    std::string target;
    std::string binary;         // uprobes: the binary
    std::uint64_t offset = 0;   // uprobes: offset in the binary when there is no symbol
    bool at_return = false;     // emit at return with the return value
    std::vector<HookArgSpec> args;  // at most kMaxHookArgs
    HookSelectors selectors;        // evaluated in the kernel
};

struct HookArgInfo {
    std::string type;   // the policy's type name: "int", "fd", "char_buf", "sockaddr", ...
    std::string label;  // the policy's label, copied into the event
};

// Which Tetragon event a hook produces.
enum class HookEventKind : std::uint8_t { kKprobe, kTracepoint, kUprobe, kLsm };

// What the agent knows about a hook: where it came from and how to show it.
struct HookInfo {
    HookEventKind kind = HookEventKind::kKprobe;
    std::string policy_name;
    std::string function_name;  // kprobes: "__x64_sys_write"; LSM: "file_open"
    std::string subsys, event;  // tracepoints
    std::string path, symbol;   // uprobes
    std::uint64_t offset = 0;   // uprobes attached by offset
    std::string message;
    std::vector<std::string> tags;
    std::vector<HookArgInfo> args;  // same order as the captured arguments
    std::string return_type;        // returnArg type; empty when not a return hook
    // Per selector (index = HookEvent::selector - 1): its GetUrl/DnsLookup actions.
    std::vector<std::vector<RemoteAction>> remote_actions;

    // The GetUrl/DnsLookup actions of `selector` (1-based, as in HookEvent); none
    // for 0 (no selector) or a number past the hook's selectors.
    const std::vector<RemoteAction>& remote_actions_of(std::uint32_t selector) const {
        static const std::vector<RemoteAction> kNone;
        return selector > 0 && selector <= remote_actions.size() ? remote_actions[selector - 1] : kNone;
    }
};

// Structured arguments, decoded by ingest/ from the kernel's fixed layouts.
struct SockValue {
    std::uint16_t family = 0, type = 0, protocol = 0;
    std::uint8_t state = 0;
    std::uint32_t mark = 0, priority = 0;
    std::uint16_t sport = 0, dport = 0;
    std::uint64_t cookie = 0;
    std::uint8_t saddr[16] = {}, daddr[16] = {};  // AF_INET: the first 4 bytes
};

struct SkbValue {
    std::uint32_t hash = 0, len = 0, priority = 0, mark = 0;
    std::uint16_t family = 0;  // 0 when not IP
    std::uint8_t proto = 0;
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t saddr[16] = {}, daddr[16] = {};
};

struct CredValue {
    std::uint32_t uid = 0, gid = 0, suid = 0, sgid = 0, euid = 0, egid = 0, fsuid = 0, fsgid = 0;
    std::uint64_t cap_permitted = 0, cap_effective = 0, cap_inheritable = 0;
};

struct HookArgValue {
    ArgKind kind = ArgKind::kNone;
    bool truncated = false;
    bool error = false;
    std::uint32_t orig_size = 0;  // length before truncation (buffers)
    std::uint64_t value = 0;      // raw register: integer, pointer, fd
    std::string bytes;            // buffer, string, fd path, sockaddr bytes
    SockValue sock;               // kSock
    SkbValue skb;                 // kSkb
    CredValue cred;               // kCred
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
