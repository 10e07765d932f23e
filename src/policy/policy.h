// Public entry points of the policy language module: read TracingPolicy YAML
// (Tetragon's cilium.io/v1alpha1 TracingPolicy and TracingPolicyNamespaced)
// into the model, with every problem reported as a Diagnostic. Nothing here
// throws to callers; input size and work are bounded (the parser is fuzzed).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostic.h"
#include "policy/model.h"

namespace vigil::policy {

// Policy files larger than this are refused unread.
inline constexpr size_t kMaxPolicyFileBytes = 4 * 1024 * 1024;

struct ParseResult {
    // Documents without errors or unsupported features, in file order.
    std::vector<Policy> policies;
    // Every problem found, in the order found (all documents).
    std::vector<Diagnostic> diagnostics;

    // No errors and no unsupported features (warnings allowed).
    bool ok() const { return !has_blocking(diagnostics); }
};

// Parses every YAML document in `text`. `file_name` is used in diagnostics.
[[nodiscard]] ParseResult parse_policies(std::string_view text, std::string file_name);

// Reads and parses a policy file; unreadable or oversized files become a
// diagnostic.
[[nodiscard]] ParseResult load_policy_file(const std::string& path);

}  // namespace vigil::policy
