// Fuzzes the TracingPolicy parser and validator (policy::parse_policies) and
// the planner behind it (policy::plan_hooks) with arbitrary bytes as YAML.
// Beyond ASan/UBSan, it checks the parser's documented contract: ok() agrees
// with the diagnostics, the diagnostic count is bounded, and every
// diagnostic formats to one line with a message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/features.h"
#include "policy/hook_plan.h"
#include "policy/policy.h"

namespace {

// The parser's own limit (policy/reader.h) plus its "too many problems" line.
constexpr std::size_t kMaxDiagnostics = 201;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

vigil::model::KernelFeatures with_everything() {
    vigil::model::KernelFeatures f;
    f.ring_buffer = f.raw_tracepoint = f.tracepoint = f.kprobe = f.kprobe_multi = f.uprobe =
        f.fentry = f.fmod_ret = f.lsm = f.override_return = f.send_signal = f.attach_cookie = true;
    return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace vigil;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    policy::ParseResult r = policy::parse_policies(text, "fuzz.yaml");

    check(r.diagnostics.size() <= kMaxDiagnostics);
    check(r.ok() == !policy::has_blocking(r.diagnostics));
    for (const auto& d : r.diagnostics) {
        check(!d.message.empty());
        const std::string line = policy::format_diagnostic(d);
        check(line.find("fuzz.yaml") == 0);
    }

    static const model::KernelFeatures everything = with_everything();
    static const model::KernelFeatures nothing{};
    for (const auto& p : r.policies) {
        for (const auto* features : {&everything, &nothing}) {
            policy::HookPlan plan = policy::plan_hooks(p, *features);
            // A plan loads whole or not at all.
            check(plan.ok() || plan.hooks.empty());
            for (const auto& h : plan.hooks) {
                check(h.spec.args.size() <= model::kMaxHookArgs);
                for (const auto& cs : h.spec.selectors.selectors) {
                    for (const auto& a : cs.args) {
                        check(a.set < static_cast<int>(h.spec.selectors.sets.size()));
                    }
                    check(cs.binaries.set < static_cast<int>(h.spec.selectors.sets.size()));
                }
            }
        }
    }
    return 0;
}
