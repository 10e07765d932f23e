#include "k8s/tracing_policy_object.h"

#include <nlohmann/json.hpp>

namespace vigil::k8s {

using nlohmann::json;

const char* kind_name(TracingPolicyKind kind) {
    return kind == TracingPolicyKind::kTracingPolicy ? "TracingPolicy" : "TracingPolicyNamespaced";
}

std::string TracingPolicyObject::source() const {
    return "k8s:" + (namespace_.empty() ? name : namespace_ + "/" + name);
}

Result<TracingPolicyObject> tracing_policy_from_json(const json& object, TracingPolicyKind kind) {
    const std::string kind_s = kind_name(kind);
    if (!object.is_object()) return make_error(kind_s + ": not a JSON object");
    auto meta = object.find("metadata");
    if (meta == object.end() || !meta->is_object()) return make_error(kind_s + ": no metadata");
    auto name = meta->find("name");
    if (name == meta->end() || !name->is_string() || name->get<std::string>().empty()) {
        return make_error(kind_s + ": metadata.name is missing");
    }
    TracingPolicyObject out;
    out.kind = kind;
    out.name = name->get<std::string>();
    if (kind == TracingPolicyKind::kTracingPolicyNamespaced) {
        auto ns = meta->find("namespace");
        if (ns == meta->end() || !ns->is_string() || ns->get<std::string>().empty()) {
            return make_error(kind_s + " " + out.name + ": metadata.namespace is missing");
        }
        out.namespace_ = ns->get<std::string>();
    }
    const std::string where = kind_s + " " + (out.namespace_.empty() ? "" : out.namespace_ + "/") + out.name;
    auto spec = object.find("spec");
    if (spec == object.end() || !spec->is_object()) return make_error(where + ": spec is missing");

    if (auto ns = spec->find("nodeSelector"); ns != spec->end() && !ns->is_null()) {
        auto sel = label_selector_from_json(*ns, where + ": spec.nodeSelector");
        if (!sel) return make_error(sel.error());
        out.node_selector = std::move(*sel);
    }

    json doc_meta{{"name", out.name}};
    if (!out.namespace_.empty()) doc_meta["namespace"] = out.namespace_;
    if (auto labels = meta->find("labels"); labels != meta->end() && labels->is_object()) {
        doc_meta["labels"] = *labels;
    }
    json doc{{"apiVersion", kTracingPolicyGroupVersion}, {"kind", kind_s}, {"metadata", doc_meta}, {"spec", *spec}};
    // Indented: the parser's diagnostics then point at useful lines.
    out.document = doc.dump(2, ' ', false, json::error_handler_t::replace);
    return out;
}

bool selects_node(const TracingPolicyObject& policy, const Labels& node_labels) {
    return !policy.node_selector || matches(*policy.node_selector, node_labels);
}

}  // namespace vigil::k8s
