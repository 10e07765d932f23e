// Kubernetes label selectors (metav1.LabelSelector: matchLabels and
// matchExpressions with In, NotIn, Exists, DoesNotExist), read from JSON and
// matched against a label set. Used for a TracingPolicy's nodeSelector here,
// and by whatever computes a policy's podSelector/containerSelector scope.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "k8s/pod_info.h"

namespace vigil::k8s {

struct LabelRequirement {
    enum class Op { kIn, kNotIn, kExists, kDoesNotExist };
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;
    friend bool operator==(const LabelRequirement&, const LabelRequirement&) = default;
};

struct LabelSelector {
    Labels match_labels;
    std::vector<LabelRequirement> match_expressions;
    // {} selects everything (as in Kubernetes).
    bool empty() const { return match_labels.empty() && match_expressions.empty(); }
    friend bool operator==(const LabelSelector&, const LabelSelector&) = default;
};

// `where` names the field in errors ("spec.nodeSelector"). Enforces what the
// API server's validation does: In/NotIn need values, Exists/DoesNotExist
// take none.
Result<LabelSelector> label_selector_from_json(const nlohmann::json& selector, const std::string& where);

// All requirements hold (an empty selector matches any labels).
bool matches(const LabelSelector& selector, const Labels& labels);

}  // namespace vigil::k8s
