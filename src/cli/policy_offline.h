// The agent-free policy commands: `vigil tracingpolicy validate` and
// `explain`. Both read files with policy::load_policy_file, so they report
// exactly what vigild would.
#pragma once

#include <iosfwd>
#include <string>

#include "cli/global_flags.h"
#include "common/result.h"
#include "model/features.h"

namespace vigil::cli {

// The features a plan is made against: "ci" (ci_kernel_features), "all", or
// "agent" (the probe results of the vigild at global.server_address).
struct PlanTarget {
    std::string name;
    model::KernelFeatures features;
};
Result<PlanTarget> resolve_plan_target(const std::string& name, const GlobalFlags& global);

struct ValidateOptions {
    bool plan = false;  // also compile each policy for `target`
    PlanTarget target;
};

// Prints one line per problem (format_diagnostic; plan errors as the
// planner words them), then "PATH: ok (N policies)" or "PATH: invalid
// (...)". Returns whether the file passed.
bool validate_file(const std::string& path, const ValidateOptions& options, std::ostream& out);

// Prints the kernel plan of every policy in the file (plan_text.h) on
// `out`; language problems go to `err`. Returns the exit status: 0 when
// every policy planned, 1 otherwise.
int explain_file(const std::string& path, const PlanTarget& target, std::ostream& out,
                 std::ostream& err);

}  // namespace vigil::cli
