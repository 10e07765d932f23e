// A hook's TracingPolicy selectors -> model::HookSelectors for the kernel.
// What the kernel programs cannot evaluate yet is refused with an
// "unsupported:" error at its exact location; nothing is silently dropped.
#pragma once

#include <string>
#include <vector>

#include "model/selector.h"
#include "policy/model.h"
#include "model/features.h"

namespace vigil::policy {

// Whether the hook's attach method lets an Override action make the call
// fail; when not, `why_not` says what the kernel or Vigil lacks.
struct OverrideSupport {
    bool ok = false;
    std::string why_not;
};

// `path` is the hook's path ("spec.kprobes[0]"); errors are appended.
model::HookSelectors compile_selectors(const policy::Policy& p, const policy::Hook& h,
                                       const std::string& path,
                                       const model::KernelFeatures& features,
                                       const OverrideSupport& override_support,
                                       std::vector<std::string>& errors);

}  // namespace vigil::policy
