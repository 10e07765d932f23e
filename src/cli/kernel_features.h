// The kernel features the offline policy commands plan against. The CLI never
// loads BPF, so it cannot probe; it either assumes a named preset or asks a
// running vigild (GetInfo carries the agent's probe results).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "model/features.h"
#include "tetragon/sensors.pb.h"

namespace vigil::cli {

// "ci": the kernel this project's CI runs on: syscall and raw tracepoints,
// uprobes, ring buffer, bpf_send_signal, attach cookies; no kprobes,
// fentry/fmod_ret, BPF LSM or bpf_override_return.
model::KernelFeatures ci_kernel_features();
// "all": every feature present, to see what Vigil itself can compile.
model::KernelFeatures all_kernel_features();

// Features from GetInfo's probes (names as probe::feature_list writes
// them); probes the agent does not report count as absent.
model::KernelFeatures features_from_info(const tetragon::GetInfoResponse& info);

// Short list of the present features: "tracepoint, uprobe, ...".
std::string describe_features(const model::KernelFeatures& f);

}  // namespace vigil::cli
