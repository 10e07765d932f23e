// `vigil tracingpolicy list` output: a table for people, or the
// ListTracingPoliciesResponse as JSON (protobuf's mapping, one line).
#pragma once

#include <string>

#include "tetragon/sensors.pb.h"

namespace vigil::cli {

// "enabled", "disabled", "load_error", ... (TP_STATE_ without the prefix).
std::string policy_state_name(tetragon::TracingPolicyState state);
// "enforce", "monitor", "monitor_only", "unknown".
std::string policy_mode_name(tetragon::TracingPolicyMode mode);

// One header line, one row per policy (columns aligned), and under a row
// whose policy failed, each line of its error indented. "-" stands for an
// empty namespace (a cluster-wide policy).
std::string list_text(const tetragon::ListTracingPoliciesResponse& list);

std::string list_json(const tetragon::ListTracingPoliciesResponse& list);

}  // namespace vigil::cli
