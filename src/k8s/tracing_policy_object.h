// TracingPolicy and TracingPolicyNamespaced objects (cilium.io/v1alpha1) as
// the API server sends them, turned into the document the policy manager
// loads: apiVersion, kind, metadata (name, namespace, labels) and spec, as
// JSON text (which the YAML policy parser reads). Server-side fields
// (status, managedFields, annotations, resourceVersion) are left out, so a
// change to them is not a change of the policy. Pure.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "k8s/label_selector.h"

namespace vigil::k8s {

enum class TracingPolicyKind { kTracingPolicy, kTracingPolicyNamespaced };

inline constexpr const char* kTracingPolicyGroupVersion = "cilium.io/v1alpha1";
// The collections to list and watch (all namespaces for the namespaced kind).
inline constexpr const char* kTracingPoliciesCollection = "/apis/cilium.io/v1alpha1/tracingpolicies";
inline constexpr const char* kTracingPoliciesNamespacedCollection =
    "/apis/cilium.io/v1alpha1/tracingpoliciesnamespaced";

const char* kind_name(TracingPolicyKind kind);

struct TracingPolicyObject {
    TracingPolicyKind kind = TracingPolicyKind::kTracingPolicy;
    std::string name;
    std::string namespace_;  // TracingPolicyNamespaced only
    std::string document;    // what the policy manager parses
    std::optional<LabelSelector> node_selector;  // spec.nodeSelector; none: every node

    // The policy manager's source for it: "k8s:<name>", "k8s:<namespace>/<name>".
    std::string source() const;
    friend bool operator==(const TracingPolicyObject&, const TracingPolicyObject&) = default;
};

// Errors name the object ("TracingPolicy foo: spec is missing").
Result<TracingPolicyObject> tracing_policy_from_json(const nlohmann::json& object, TracingPolicyKind kind);

// Whether a node with `node_labels` loads the policy.
bool selects_node(const TracingPolicyObject& policy, const Labels& node_labels);

}  // namespace vigil::k8s
