#include "cli/policy_offline.h"

#include "policy/tracepoint_format.h"

#include <ostream>

#include "cli/kernel_features.h"
#include "cli/plan_text.h"
#include "policy/hook_plan.h"
#include "policy/policy.h"

namespace vigil::cli {
namespace {

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string policies(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " policy" : " policies");
}

}  // namespace

Result<PlanTarget> resolve_plan_target(const std::string& name, const GlobalFlags& global) {
    if (name == "ci") return PlanTarget{name, ci_kernel_features()};
    if (name == "all") return PlanTarget{name, all_kernel_features()};
    if (name == "agent") {
        auto info = global.client().info();
        if (!info.ok()) return make_error("--features agent: " + info.error());
        return PlanTarget{name, features_from_info(info.value())};
    }
    return make_error("--features: unknown value '" + name + "' (expected ci, all or agent)");
}

bool validate_file(const std::string& path, const ValidateOptions& options, std::ostream& out) {
    policy::ParseResult r = policy::load_policy_file(path);
    std::size_t errors = 0, warnings = 0;
    for (const auto& d : r.diagnostics) {
        out << policy::format_diagnostic(d) << '\n';
        if (policy::is_blocking(d.severity)) ++errors;
        else ++warnings;
    }
    const std::string warn_note = warnings ? ", " + plural(warnings, "warning") : "";
    if (!r.ok()) {
        out << path << ": invalid (" << plural(errors, "error") << warn_note << ")\n";
        return false;
    }
    if (!options.plan) {
        out << path << ": ok (" << policies(r.policies.size()) << warn_note << ")\n";
        return true;
    }
    std::size_t hooks = 0, plan_errors = 0;
    for (const auto& p : r.policies) {
        policy::HookPlan plan = policy::plan_hooks(p, options.target.features, policy::tracefs_format_lookup());
        for (const auto& e : plan.errors) out << e << '\n';
        plan_errors += plan.errors.size();
        hooks += plan.hooks.size();
    }
    if (plan_errors) {
        out << path << ": valid, but cannot load on the '" << options.target.name
            << "' kernel (" << plural(plan_errors, "problem") << warn_note << ")\n";
        return false;
    }
    out << path << ": ok (" << policies(r.policies.size()) << ", " << plural(hooks, "hook")
        << " on the '" << options.target.name << "' kernel" << warn_note << ")\n";
    return true;
}

int explain_file(const std::string& path, const PlanTarget& target, std::ostream& out,
                 std::ostream& err) {
    policy::ParseResult r = policy::load_policy_file(path);
    for (const auto& d : r.diagnostics) err << policy::format_diagnostic(d) << '\n';
    if (!r.ok()) {
        err << path << ": invalid, nothing to explain\n";
        return 1;
    }
    out << "# kernel features: " << target.name << " (" << describe_features(target.features)
        << ")\n";
    bool all_planned = true;
    for (std::size_t i = 0; i < r.policies.size(); ++i) {
        policy::HookPlan plan = policy::plan_hooks(r.policies[i], target.features, policy::tracefs_format_lookup());
        all_planned = all_planned && plan.ok();
        if (i) out << '\n';
        out << explain_policy(r.policies[i], plan);
    }
    return all_planned ? 0 : 1;
}

}  // namespace vigil::cli
