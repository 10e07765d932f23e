// The base sensor: the one embedded BPF skeleton (exec, fork, exit), loaded,
// attached and drained here. Only probe/ includes libbpf and the skeleton.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/hook.h"
#include "model/process.h"
#include "model/selector.h"

struct vigil_bpf;
struct vigil_hooks_bpf;
struct ring_buffer;
struct bpf_link;

namespace vigil::probe {

struct SensorOptions {
    // Ring buffer size in bytes; 0 keeps the built-in default (4 MiB).
    // Must be a power of two multiple of the page size (the kernel's rule).
    std::size_t ringbuf_bytes = 0;
};

// Called for every ring-buffer record, on the polling thread. The bytes are
// only valid during the call.
using RecordHandler = std::function<void(const std::uint8_t* data, std::size_t size)>;

struct AttachedProgram {
    std::string name;     // BPF program name, e.g. vigil_exec
    std::string hook;     // e.g. raw_tp/sched_process_exec
    std::uint32_t link_id = 0;
};

using HookSpec = model::HookSpec;

struct HookCounters {
    std::uint64_t calls = 0;      // times the hook ran
    std::uint64_t posted = 0;     // records it sent to the ring buffer
    std::uint64_t enforced = 0;   // Sigkill/Signal sent
    std::uint64_t monitored = 0;  // Sigkill/Signal due but not sent (monitor mode)
};

// Per selector of a hook (selector_maps.cpp, map vigil_sel_stats).
struct SelectorCounters {
    std::uint64_t matched = 0;       // calls this selector was the first to match
    std::uint64_t rate_limited = 0;  // posts its rateLimit suppressed
};

class BaseSensor {
public:
    static Result<std::unique_ptr<BaseSensor>> load(const SensorOptions& opts,
                                                    RecordHandler handler);
    ~BaseSensor();
    BaseSensor(const BaseSensor&) = delete;
    BaseSensor& operator=(const BaseSensor&) = delete;

    // Waits up to timeout_ms for records and hands each to the handler.
    // Returns the number of records consumed, or a negative errno.
    int poll(int timeout_ms);

    // Per-CPU BPF counters summed over CPUs, indexed by enum vigil_stat.
    std::vector<std::uint64_t> kernel_stats() const;

    const std::vector<AttachedProgram>& programs() const { return programs_; }

    // Detaches every link and frees every map and program. Idempotent.
    void close();

    static constexpr std::uint32_t kMaxHooks = model::kMaxHooks;
    static constexpr std::size_t kMaxHookArgs = model::kMaxHookArgs;
    static constexpr std::uint32_t kMaxArgData = model::kMaxArgData;
    // Writes the hook's capture plan and selectors, then attaches it by its
    // method. Errors name the hook and the kernel's reason; nothing stays
    // attached after an error.
    Status attach_hook(const HookSpec& spec);
    // Detaches the hook's links and clears its plan. Unknown ids are ignored.
    void detach_hook(std::uint32_t hook_id);
    HookCounters hook_counters(std::uint32_t hook_id) const;
    // One entry per selector slot (VIGIL_SELECTORS_MAX); empty if unknown.
    std::vector<SelectorCounters> selector_counters(std::uint32_t hook_id) const;
    // Switches an attached hook between enforcing and monitor mode in place.
    void set_hook_monitor(std::uint32_t hook_id, bool monitor);
    // matchBinaries needs each process's binary; BPF records it at exec, and
    // vigild hands in those of processes found by the /proc scan.
    void set_process_binary(std::uint32_t tgid, const std::string& path);
    // matchCapabilityChanges and matchNamespaceChanges compare with a
    // baseline BPF takes at exec and fork; these processes started earlier.
    void set_process_creds(std::uint32_t tgid, const model::Capabilities& caps, const model::Namespaces& ns);

private:
    BaseSensor() = default;
    static int on_record(void* ctx, void* data, std::size_t size);

    vigil_bpf* skel_ = nullptr;
    ring_buffer* rb_ = nullptr;
    RecordHandler handler_;
    std::vector<AttachedProgram> programs_;
    // What a hook put into the selector maps, so detaching removes exactly it.
    struct HookState {
        std::string syscall;  // syscall tracepoint hooks: the dispatch slot it sits in
        vigil_hooks_bpf* obj = nullptr;  // other methods: the hook's own program instance
        std::vector<bpf_link*> links;
        std::vector<std::pair<int, std::vector<std::uint8_t>>> set_keys;  // map fd, key bytes
        std::vector<std::uint32_t> follow_slots;
        std::string tp_use;  // tracepoint hooks: its entry in tp_in_use_
    };
    Status write_selectors(std::uint32_t hook_id, const model::HookSelectors& sel, HookState& st);
    void clear_hook_maps(std::uint32_t hook_id, HookState& st);
    Result<std::uint32_t> add_bin_follow_set(std::uint32_t set_id, std::uint8_t op, HookState& st);
    void reset_selector_counters(std::uint32_t hook_id);

    mutable std::mutex hooks_mu_;
    std::map<std::uint32_t, HookState> hooks_;
    // One attachment per hooked syscall (a program attaches to a tracepoint
    // once); its cookie is the slot whose vigil_dispatch entry lists the hooks.
    struct SyscallSlot {
        std::uint32_t slot = 0;
        bpf_link* enter = nullptr;
        bpf_link* exit = nullptr;
        std::vector<std::uint32_t> hooks;
    };
    std::map<std::string, SyscallSlot> syscalls_;
    std::vector<bool> slot_used_ = std::vector<bool>(512, false);
    Status write_dispatch(const SyscallSlot& s);
    Status attach_syscall_tracepoint(const HookSpec& spec, const std::string& what);
    Status attach_generic(const HookSpec& spec, const std::string& what, HookState& state);
    // Shared program instances of the cookie-capable methods, by family
    // (generic_hooks.cpp); loaded on first use, freed by close().
    Result<vigil_hooks_bpf*> family(const HookSpec& spec, const std::string& what, HookState& state);
    std::map<std::string, vigil_hooks_bpf*> families_;
    // "<family>|<tracepoint>" pairs attached: the kernel takes a program once per
    // tracepoint (EEXIST), so another hook on it uses the family's next instance.
    std::set<std::string> tp_in_use_;
    void detach_generic(HookState& state);
    void remove_from_slot(std::uint32_t hook_id, const std::string& syscall);
    void release_slot(const std::string& syscall);
    std::uint32_t next_set_id_ = 1;
    std::vector<bool> follow_slot_used_ = std::vector<bool>(64, false);

    // In-kernel scoping by cgroup (scope_maps.cpp). A scoped hook runs only
    // for tasks in (or below) a cgroup of its scope's set; scope id 0 means
    // unscoped. Set a hook's scope before attach_hook so its first call is
    // already scoped; an empty set means the hook runs nowhere.
public:
    // Records the hook's scope (used by attach_hook) and, if the hook is
    // attached, switches it in place.
    Status set_hook_scope(std::uint32_t hook_id, std::uint32_t scope_id);
    // Makes the scope's set exactly `cgroup_ids`: new pairs are added before
    // old ones go, so a cgroup in both sets never drops out. Errors name the
    // scope and the kernel's reason (e.g. the map is full).
    Status replace_scope_cgroups(std::uint32_t scope_id, const std::set<std::uint64_t>& cgroup_ids);
    std::set<std::uint64_t> scope_cgroups(std::uint32_t scope_id) const;

private:
    std::uint32_t hook_scope(std::uint32_t hook_id) const;
    mutable std::mutex scope_mu_;  // after hooks_mu_ when both are held
    std::map<std::uint32_t, std::uint32_t> hook_scopes_;             // hook id -> scope id
    std::map<std::uint32_t, std::set<std::uint64_t>> scope_cgroups_;  // what the map holds
};

}  // namespace vigil::probe
