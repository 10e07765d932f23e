// `vigil tracingpolicy explain`: the compiled kernel plan of a policy as
// text, for people debugging what the kernel will be told. The text is a
// pure function of its inputs (no addresses, no hash-map order), so it can
// be diffed between versions and asserted in tests.
#pragma once

#include <string>

#include "model/features.h"
#include "model/hook.h"
#include "policy/hook_plan.h"
#include "policy/model.h"

namespace vigil::cli {

// Bytes as a double-quoted string: printable ASCII kept, '"' and '\\'
// escaped, everything else as \xNN.
std::string quote_bytes(const std::string& bytes);

std::string arg_kind_name(model::ArgKind kind);
std::string sel_op_name(model::SelOp op);
std::string action_kind_name(model::ActionKind kind);

// One hook: its capture plan, compiled selectors and string sets; every line
// is indented by `indent` spaces.
std::string explain_hook(const policy::PlannedHook& hook, int indent);

// One policy: a header line naming it and where it starts, then either each
// planned hook or, when the plan failed, each plan error.
std::string explain_policy(const policy::Policy& p, const policy::HookPlan& plan);

}  // namespace vigil::cli
