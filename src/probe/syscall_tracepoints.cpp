// Syscall hooks through syscalls/sys_{enter,exit}_<name>, for kernels without
// kprobes: one attachment of the main object's vigil_sys_enter/exit per
// hooked syscall, whose cookie is a dispatch slot listing the hooks on it.
//
// The programs walk that list while userspace rewrites it, so a hook never
// moves: a removed hook leaves a free position (kFreePosition, skipped by
// the programs) that a later hook may take, and every position past the
// list's end is free too. A call walking the list during an update then sees
// each position's old or new hook, never a neighbour shifted into the place
// it already passed (which made the next hook miss that call) or hook 0.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string>

#include "probe/base_sensor.h"
#include "vigil.skel.h"
#include "vigil/abi.h"

namespace vigil::probe {

namespace {

constexpr std::uint32_t kFreePosition = VIGIL_HOOK_MAX;

bool tracepoint_exists(const std::string& name) {
    for (const char* root : {"/sys/kernel/tracing/events/syscalls/",
                             "/sys/kernel/debug/tracing/events/syscalls/"}) {
        if (::access((std::string(root) + name).c_str(), F_OK) == 0) return true;
    }
    return false;
}

}  // namespace

// Called with hooks_mu_ held, after the hook's plan is written.
Status BaseSensor::attach_syscall_tracepoint(const HookSpec& spec, const std::string& what) {
    const std::string enter = "sys_enter_" + spec.syscall;
    const std::string exit = "sys_exit_" + spec.syscall;
    if (!tracepoint_exists(enter)) {
        return make_error(what + ": this kernel has no tracepoint syscalls/" + enter +
                          " (not a syscall of this architecture, or syscall tracepoints are "
                          "disabled: CONFIG_FTRACE_SYSCALLS)");
    }
    const bool new_slot = !syscalls_.count(spec.syscall);
    if (new_slot) {
        auto free_slot = std::find(slot_used_.begin(), slot_used_.end(), false);
        if (free_slot == slot_used_.end()) return make_error(what + ": too many hooked syscalls");
        *free_slot = true;
        syscalls_[spec.syscall].slot = static_cast<std::uint32_t>(free_slot - slot_used_.begin());
    }
    SyscallSlot& slot = syscalls_[spec.syscall];
    auto undo = [&](Status st) {
        remove_from_slot(spec.hook_id, spec.syscall);
        return st;
    };
    auto free = std::find(slot.hooks.begin(), slot.hooks.end(), kFreePosition);
    if (free != slot.hooks.end()) {
        *free = spec.hook_id;
    } else if (slot.hooks.size() < VIGIL_DISPATCH_MAX) {
        slot.hooks.push_back(spec.hook_id);
    } else {
        return undo(make_error(what + ": at most " + std::to_string(VIGIL_DISPATCH_MAX) +
                               " hooks on one syscall"));
    }
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
    return {};
}

Status BaseSensor::write_dispatch(const SyscallSlot& s) {
    vigil_dispatch d{};
    d.n = static_cast<__u32>(s.hooks.size());
    std::fill(std::begin(d.hooks), std::end(d.hooks), kFreePosition);
    std::copy(s.hooks.begin(), s.hooks.end(), d.hooks);
    __u32 key = s.slot;
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_dispatch_map), &key, &d, BPF_ANY) != 0) {
        return make_error(std::string("writing the syscall dispatch entry failed: ") + std::strerror(errno));
    }
    return {};
}

// Takes a hook out of its syscall's dispatch list, leaving its position free
// (the others stay where they are); the last one detaches.
void BaseSensor::remove_from_slot(std::uint32_t hook_id, const std::string& syscall) {
    auto sit = syscalls_.find(syscall);
    if (sit == syscalls_.end()) return;
    auto& hooks = sit->second.hooks;
    std::replace(hooks.begin(), hooks.end(), hook_id, kFreePosition);
    // Free positions at the end leave the list: everything past its end is free.
    while (!hooks.empty() && hooks.back() == kFreePosition) hooks.pop_back();
    if (skel_) (void)write_dispatch(sit->second);
    if (hooks.empty()) release_slot(syscall);
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

}  // namespace vigil::probe
