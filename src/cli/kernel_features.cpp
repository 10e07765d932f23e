#include "cli/kernel_features.h"

#include <utility>
#include <vector>

namespace vigil::cli {
namespace {

// One table for both directions, in the agent's probe order and names
// (src/probe/features.cpp feature_list), so GetInfo maps back 1:1.
std::vector<std::pair<const char*, bool model::KernelFeatures::*>> feature_fields() {
    using F = model::KernelFeatures;
    return {
        {"ring_buffer", &F::ring_buffer}, {"raw_tracepoint", &F::raw_tracepoint},
        {"tracepoint", &F::tracepoint},   {"kprobe", &F::kprobe},
        {"kprobe_multi", &F::kprobe_multi}, {"uprobe", &F::uprobe},
        {"fentry", &F::fentry},           {"fmodret", &F::fmod_ret},
        {"lsm", &F::lsm},                 {"override_return", &F::override_return},
        {"signal", &F::send_signal},      {"bpf_cookie", &F::attach_cookie},
    };
}

}  // namespace

model::KernelFeatures ci_kernel_features() {
    model::KernelFeatures f;
    f.ring_buffer = true;
    f.raw_tracepoint = true;
    f.tracepoint = true;
    f.uprobe = true;
    f.send_signal = true;
    f.attach_cookie = true;
    f.kernel_release = "ci";
    return f;
}

model::KernelFeatures all_kernel_features() {
    model::KernelFeatures f;
    for (const auto& [name, field] : feature_fields()) f.*field = true;
    f.kernel_release = "all";
    return f;
}

model::KernelFeatures features_from_info(const tetragon::GetInfoResponse& info) {
    model::KernelFeatures f;
    const auto fields = feature_fields();
    for (const auto& probe : info.probes()) {
        for (const auto& [name, field] : fields) {
            if (probe.name() == name) f.*field = probe.has_enabled() && probe.enabled().value();
        }
    }
    f.kernel_release = "agent";
    return f;
}

std::string describe_features(const model::KernelFeatures& f) {
    std::string out;
    for (const auto& [name, field] : feature_fields()) {
        if (!(f.*field)) continue;
        if (!out.empty()) out += ", ";
        out += name;
    }
    return out.empty() ? "none" : out;
}

}  // namespace vigil::cli
