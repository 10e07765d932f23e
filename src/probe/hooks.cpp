// BaseSensor's policy-hook half, common to every attach method: the capture
// plan in vigil_hooks, the selectors, the counters; then the method's own
// attach (syscall_tracepoints.cpp, generic_hooks.cpp).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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
static_assert(static_cast<int>(model::ArgKind::kKernelString) == VIGIL_ARG_KSTRING);
static_assert(static_cast<int>(model::ArgKind::kIovec) == VIGIL_ARG_IOVEC);
static_assert(static_cast<int>(model::ArgKind::kIovec) + 1 == VIGIL_ARG_TYPE_COUNT);

namespace {

std::string describe(const HookSpec& spec) {
    std::string what = std::string(model::attach_method_name(spec.method)) + " hook on ";
    if (spec.method == model::AttachMethod::kUprobe) {
        return what + spec.binary + ":" + (spec.target.empty() ? std::to_string(spec.offset) : spec.target);
    }
    return what + "'" + (spec.method == model::AttachMethod::kSyscallTracepoint ? spec.syscall : spec.target) + "'";
}

__u8 tp_flags(const model::HookArgSpec& a) {
    switch (a.tp_source) {
        case model::TracepointSource::kDataLoc: return VIGIL_TP_DATALOC;
        case model::TracepointSource::kInline: return VIGIL_TP_INLINE;
        case model::TracepointSource::kValue: return a.tp_signed ? VIGIL_TP_SIGNED : 0;
        case model::TracepointSource::kNone: return 0;
    }
    return 0;
}

}  // namespace

Status BaseSensor::attach_hook(const HookSpec& spec) {
    const std::string what = describe(spec);
    if (!skel_) return make_error(what + ": the sensor is closed");
    if (spec.hook_id >= kMaxHooks) return make_error(what + ": hook id out of range");
    if (spec.args.size() > kMaxHookArgs) {
        return make_error(what + ": at most " + std::to_string(kMaxHookArgs) + " arguments");
    }
    const bool tracepoint = spec.method == model::AttachMethod::kTracepoint;
    vigil_hook_config cfg{};
    cfg.flags = VIGIL_HOOK_CFG_VALID | (spec.at_return ? VIGIL_HOOK_CFG_RETURN : 0) |
                (spec.selectors.monitor ? VIGIL_HOOK_CFG_MONITOR : 0) |
                (tracepoint ? VIGIL_HOOK_CFG_TRACEPOINT : 0);
    cfg.nselectors = static_cast<__u32>(spec.selectors.selectors.size());
    cfg.nargs = static_cast<__u32>(spec.args.size());
    cfg.scope_id = hook_scope(spec.hook_id);  // set_hook_scope before attaching (scope_maps.cpp)
    for (const auto& sel : spec.selectors.selectors) {
        for (const auto& f : sel.args) {
            if (f.pos < VIGIL_HOOK_ARGS_MAX) cfg.sel_args |= 1u << f.pos;
        }
    }
    for (std::size_t i = 0; i < spec.args.size(); ++i) {
        const auto& a = spec.args[i];
        if (a.index > 5 || a.size_index > 6) return make_error(what + ": argument index out of range");
        if (static_cast<int>(a.kind) >= VIGIL_ARG_TYPE_COUNT) return make_error(what + ": unknown argument kind");
        cfg.args[i].type = static_cast<__u8>(a.kind);
        cfg.args[i].index = a.index;
        cfg.args[i].size_index = a.size_index;
        cfg.args[i].flags = a.return_copy ? VIGIL_ARG_CFG_RETURN_COPY : 0;
        cfg.args[i].max_data = a.max_data == 0 || a.max_data > kMaxArgData ? kMaxArgData : a.max_data;
        cfg.args[i].tp_off = a.tp_offset;
        cfg.args[i].tp_size = a.tp_size;
        cfg.args[i].tp_flags = tp_flags(a);
    }
    std::lock_guard lock(hooks_mu_);
    if (hooks_.count(spec.hook_id)) return make_error(what + ": hook id already in use");
    HookState state;
    // Selectors before the plan, the plan before any attachment: a hook
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
    Status st;
    if (spec.method == model::AttachMethod::kSyscallTracepoint) {
        state.syscall = spec.syscall;
        st = attach_syscall_tracepoint(spec, what);
    } else {
        st = attach_generic(spec, what, state);
    }
    if (!st) {
        detach_generic(state);
        clear_hook_maps(spec.hook_id, state);
        return st;
    }
    hooks_[spec.hook_id] = std::move(state);
    return {};
}

void BaseSensor::detach_hook(std::uint32_t hook_id) {
    std::lock_guard lock(hooks_mu_);
    auto it = hooks_.find(hook_id);
    if (it == hooks_.end()) return;
    if (!it->second.syscall.empty()) remove_from_slot(hook_id, it->second.syscall);
    detach_generic(it->second);
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
