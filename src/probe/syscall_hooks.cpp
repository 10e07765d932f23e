// BaseSensor's policy-hook half: capture plans in vigil_hooks, and the
// generic syscall programs attached to syscalls/sys_{enter,exit}_<name>
// with the hook id as BPF cookie.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <string>

#include "probe/base_sensor.h"
#include "vigil.skel.h"
#include "vigil/abi.h"

namespace vigil::probe {

static_assert(BaseSensor::kMaxHooks == VIGIL_HOOK_MAX);
static_assert(BaseSensor::kMaxHookArgs == VIGIL_HOOK_ARGS_MAX);
static_assert(BaseSensor::kMaxArgData == VIGIL_ARG_DATA_MAX);
static_assert(static_cast<int>(model::ArgKind::kSockaddr) == VIGIL_ARG_SOCKADDR);
static_assert(static_cast<int>(model::ArgKind::kFd) == VIGIL_ARG_FD);
static_assert(static_cast<int>(model::ArgKind::kS32) == VIGIL_ARG_S32);

namespace {

bool tracepoint_exists(const std::string& name) {
    for (const char* root : {"/sys/kernel/tracing/events/syscalls/",
                             "/sys/kernel/debug/tracing/events/syscalls/"}) {
        if (::access((std::string(root) + name).c_str(), F_OK) == 0) return true;
    }
    return false;
}

}  // namespace

Status BaseSensor::attach_syscall_hook(const SyscallHookSpec& spec) {
    const std::string what = "hook on syscall '" + spec.syscall + "'";
    if (!skel_) return make_error(what + ": the sensor is closed");
    if (spec.hook_id >= kMaxHooks) return make_error(what + ": hook id out of range");
    if (spec.args.size() > kMaxHookArgs) {
        return make_error(what + ": at most " + std::to_string(kMaxHookArgs) + " arguments");
    }
    const std::string enter = "sys_enter_" + spec.syscall;
    const std::string exit = "sys_exit_" + spec.syscall;
    if (!tracepoint_exists(enter)) {
        return make_error(what + ": this kernel has no tracepoint syscalls/" + enter +
                          " (not a syscall of this architecture, or syscall tracepoints are "
                          "disabled: CONFIG_FTRACE_SYSCALLS)");
    }

    vigil_hook_config cfg{};
    cfg.flags = VIGIL_HOOK_CFG_VALID | (spec.at_return ? VIGIL_HOOK_CFG_RETURN : 0) |
                (spec.selectors.monitor ? VIGIL_HOOK_CFG_MONITOR : 0);
    cfg.nselectors = static_cast<__u32>(spec.selectors.selectors.size());
    cfg.nargs = static_cast<__u32>(spec.args.size());
    for (std::size_t i = 0; i < spec.args.size(); ++i) {
        const auto& a = spec.args[i];
        if (a.index > 5 || a.size_index > 6) return make_error(what + ": argument index out of range");
        cfg.args[i].type = static_cast<__u8>(a.kind);
        cfg.args[i].index = a.index;
        cfg.args[i].size_index = a.size_index;
        cfg.args[i].flags = a.return_copy ? VIGIL_ARG_CFG_RETURN_COPY : 0;
        cfg.args[i].max_data = a.max_data == 0 || a.max_data > kMaxArgData ? kMaxArgData : a.max_data;
    }
    std::lock_guard lock(hooks_mu_);
    if (hooks_.count(spec.hook_id)) return make_error(what + ": hook id already in use");
    HookState state;
    state.syscall = spec.syscall;
    // Selectors before the plan, the plan before dispatch and links: a hook
    // never runs with a half-written configuration.
    if (auto st = write_selectors(spec.hook_id, spec.selectors, state); !st) {
        clear_hook_maps(spec.hook_id, state);
        return make_error(what + ": " + st.error());
    }
    // Counters start at zero: an earlier hook may have had this id.
    {
        int ncpu = libbpf_num_possible_cpus();
        std::vector<std::uint64_t> zeros(ncpu > 0 ? static_cast<std::size_t>(ncpu) : 1, 0);
        for (__u32 slot = 0; slot < VIGIL_HOOK_STAT_SLOTS; ++slot) {
            __u32 k = spec.hook_id * VIGIL_HOOK_STAT_SLOTS + slot;
            bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_hook_stats), &k, zeros.data(), BPF_ANY);
        }
    }
    __u32 key = spec.hook_id;
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_hooks), &key, &cfg, BPF_ANY) != 0) {
        clear_hook_maps(spec.hook_id, state);
        return make_error(what + ": writing its capture plan failed: " + std::strerror(errno));
    }
    const bool new_slot = !syscalls_.count(spec.syscall);
    if (new_slot) {
        auto free_slot = std::find(slot_used_.begin(), slot_used_.end(), false);
        if (free_slot == slot_used_.end()) {
            clear_hook_maps(spec.hook_id, state);
            return make_error(what + ": too many hooked syscalls");
        }
        *free_slot = true;
        syscalls_[spec.syscall].slot = static_cast<std::uint32_t>(free_slot - slot_used_.begin());
    }
    SyscallSlot& slot = syscalls_[spec.syscall];
    auto undo = [&](Status st) {
        slot.hooks.erase(std::remove(slot.hooks.begin(), slot.hooks.end(), spec.hook_id), slot.hooks.end());
        (void)write_dispatch(slot);
        if (slot.hooks.empty()) release_slot(spec.syscall);
        clear_hook_maps(spec.hook_id, state);
        return st;
    };
    if (slot.hooks.size() >= VIGIL_DISPATCH_MAX) {
        return undo(make_error(what + ": at most " + std::to_string(VIGIL_DISPATCH_MAX) +
                               " hooks on one syscall"));
    }
    slot.hooks.push_back(spec.hook_id);
    if (auto st = write_dispatch(slot); !st) return undo(make_error(what + ": " + st.error()));
    auto attach = [&](bpf_program* prog, const std::string& tp, bpf_link*& out) -> Status {
        LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = slot.slot);
        out = bpf_program__attach_tracepoint_opts(prog, "syscalls", tp.c_str(), &opts);
        if (!out) return make_error(what + ": attaching syscalls/" + tp + " failed: " + std::strerror(errno));
        return {};
    };
    if (!slot.enter) {
        if (auto st = attach(skel_->progs.vigil_sys_enter, enter, slot.enter); !st) return undo(st);
    }
    if (spec.at_return && !slot.exit) {
        if (auto st = attach(skel_->progs.vigil_sys_exit, exit, slot.exit); !st) return undo(st);
    }
    hooks_[spec.hook_id] = std::move(state);
    return {};
}

Status BaseSensor::write_dispatch(const SyscallSlot& s) {
    vigil_dispatch d{};
    d.n = static_cast<__u32>(s.hooks.size());
    std::copy(s.hooks.begin(), s.hooks.end(), d.hooks);
    __u32 key = s.slot;
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_dispatch_map), &key, &d, BPF_ANY) != 0) {
        return make_error(std::string("writing the syscall dispatch entry failed: ") + std::strerror(errno));
    }
    return {};
}

// Detaches a syscall nobody hooks any more and frees its slot.
void BaseSensor::release_slot(const std::string& syscall) {
    auto it = syscalls_.find(syscall);
    if (it == syscalls_.end()) return;
    if (it->second.enter) bpf_link__destroy(it->second.enter);
    if (it->second.exit) bpf_link__destroy(it->second.exit);
    slot_used_[it->second.slot] = false;
    syscalls_.erase(it);
}

void BaseSensor::detach_hook(std::uint32_t hook_id) {
    std::lock_guard lock(hooks_mu_);
    auto it = hooks_.find(hook_id);
    if (it == hooks_.end()) return;
    auto sit = syscalls_.find(it->second.syscall);
    if (sit != syscalls_.end()) {
        auto& hooks = sit->second.hooks;
        hooks.erase(std::remove(hooks.begin(), hooks.end(), hook_id), hooks.end());
        if (skel_) (void)write_dispatch(sit->second);
        if (hooks.empty()) release_slot(it->second.syscall);
    }
    if (skel_) clear_hook_maps(hook_id, it->second);
    hooks_.erase(it);
}

void BaseSensor::set_hook_monitor(std::uint32_t hook_id, bool monitor) {
    std::lock_guard lock(hooks_mu_);
    if (!skel_ || !hooks_.count(hook_id)) return;
    int fd = bpf_map__fd(skel_->maps.vigil_hooks);
    __u32 key = hook_id;
    vigil_hook_config cfg{};
    if (bpf_map_lookup_elem(fd, &key, &cfg) != 0) return;
    cfg.flags = monitor ? (cfg.flags | VIGIL_HOOK_CFG_MONITOR) : (cfg.flags & ~VIGIL_HOOK_CFG_MONITOR);
    // Programs copy the whole entry at entry, so a call sees the old or the
    // new flags, never a mix.
    bpf_map_update_elem(fd, &key, &cfg, BPF_EXIST);
}

HookCounters BaseSensor::hook_counters(std::uint32_t hook_id) const {
    HookCounters c;
    if (!skel_ || hook_id >= kMaxHooks) return c;
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) return c;
    std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
    int fd = bpf_map__fd(skel_->maps.vigil_hook_stats);
    std::uint64_t* out[] = {&c.calls, &c.posted, &c.enforced, &c.monitored};
    static_assert(VIGIL_HOOK_STAT_SLOTS == 4, "HookCounters has one field per slot");
    for (__u32 slot = 0; slot < VIGIL_HOOK_STAT_SLOTS; ++slot) {
        __u32 key = hook_id * VIGIL_HOOK_STAT_SLOTS + slot;
        if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) continue;
        std::uint64_t sum = 0;
        for (auto v : per_cpu) sum += v;
        *out[slot] = sum;
    }
    return c;
}

}  // namespace vigil::probe
