// The compiler from a parsed TracingPolicy to the kernel plan: the hooks this
// kernel and this Vigil can attach, with their capture plans and compiled
// selectors. Pure (no libbpf): probe/ writes the plan into the BPF maps.
// Each hook gets the best attach method the kernel offers (docs/policy.md,
// "Attach methods"); what cannot be attached gets an error naming the policy
// location and the missing piece (a kernel feature, or a Vigil feature not
// built yet), so a policy loads whole or not at all.
#pragma once

#include <string>
#include <vector>

#include "model/features.h"
#include "model/hook.h"
#include "policy/model.h"
#include "policy/tracepoint_format.h"

namespace vigil::policy {

struct PlannedHook {
    model::HookSpec spec;  // hook_id filled in when attached
    model::HookInfo info;
};

struct HookPlan {
    std::vector<PlannedHook> hooks;
    // "file:line:col: spec.kprobes[0].args[1].type: unsupported: ..." lines.
    std::vector<std::string> errors;
    bool ok() const { return errors.empty(); }
};

// `formats` reads tracepoint field lists (probe::read_tracepoint_format on a
// live system); without it, tracepoint hooks get an error.
HookPlan plan_hooks(const policy::Policy& p, const model::KernelFeatures& features,
                    const TracepointFormatLookup& formats = {});

// "sys_write", "__x64_sys_write", "write" -> "write"; "" when `call` names
// another architecture's syscall.
std::string syscall_base_name(const std::string& call);
// "write" -> "__x64_sys_write" on x86-64 (the symbol Tetragon reports).
std::string syscall_symbol(const std::string& base);

}  // namespace vigil::policy
