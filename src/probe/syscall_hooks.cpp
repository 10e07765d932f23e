// BaseSensor's policy-hook half: capture plans in vigil_hooks, and the
// generic syscall programs attached to syscalls/sys_{enter,exit}_<name>
// with the hook id as BPF cookie.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <cerrno>
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
    auto fail = [&](Status st) {
        for (bpf_link* l : state.links) bpf_link__destroy(l);
        state.links.clear();
        clear_hook_maps(spec.hook_id, state);
        return st;
    };
    // Selectors before the plan, the plan before the links: a hook never
    // runs with a half-written configuration.
    if (auto st = write_selectors(spec.hook_id, spec.selectors, state); !st) {
        return fail(make_error(what + ": " + st.error()));
    }
    __u32 key = spec.hook_id;
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_hooks), &key, &cfg, BPF_ANY) != 0) {
        return fail(make_error(what + ": writing its capture plan failed: " + std::strerror(errno)));
    }
    auto attach = [&](bpf_program* prog, const std::string& tp) -> Status {
        LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = spec.hook_id);
        bpf_link* l = bpf_program__attach_tracepoint_opts(prog, "syscalls", tp.c_str(), &opts);
        if (!l) return make_error(what + ": attaching syscalls/" + tp + " failed: " + std::strerror(errno));
        state.links.push_back(l);
        return {};
    };
    Status st = attach(skel_->progs.vigil_sys_enter, enter);
    if (st && spec.at_return) st = attach(skel_->progs.vigil_sys_exit, exit);
    if (!st) return fail(st);
    hooks_[spec.hook_id] = std::move(state);
    return {};
}

void BaseSensor::detach_hook(std::uint32_t hook_id) {
    std::lock_guard lock(hooks_mu_);
    auto it = hooks_.find(hook_id);
    if (it == hooks_.end()) return;
    for (bpf_link* l : it->second.links) bpf_link__destroy(l);
    it->second.links.clear();
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
    for (__u32 slot = 0; slot < 4; ++slot) {
        __u32 key = hook_id * 4 + slot;
        if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) continue;
        std::uint64_t sum = 0;
        for (auto v : per_cpu) sum += v;
        *out[slot] = sum;
    }
    return c;
}

}  // namespace vigil::probe
