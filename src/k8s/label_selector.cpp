#include "k8s/label_selector.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace vigil::k8s {

using nlohmann::json;

namespace {

std::optional<LabelRequirement::Op> op_of(const std::string& s) {
    if (s == "In") return LabelRequirement::Op::kIn;
    if (s == "NotIn") return LabelRequirement::Op::kNotIn;
    if (s == "Exists") return LabelRequirement::Op::kExists;
    if (s == "DoesNotExist") return LabelRequirement::Op::kDoesNotExist;
    return std::nullopt;
}

Result<LabelRequirement> requirement_from_json(const json& e, const std::string& where) {
    if (!e.is_object()) return make_error(where + ": not an object");
    LabelRequirement r;
    if (!e.contains("key") || !e["key"].is_string() || e["key"].get<std::string>().empty()) {
        return make_error(where + ".key: a non-empty string is required");
    }
    r.key = e["key"].get<std::string>();
    if (!e.contains("operator") || !e["operator"].is_string()) {
        return make_error(where + ".operator: required (In, NotIn, Exists, DoesNotExist)");
    }
    auto op = op_of(e["operator"].get<std::string>());
    if (!op) {
        return make_error(where + ".operator: '" + e["operator"].get<std::string>() +
                          "' is not one of In, NotIn, Exists, DoesNotExist");
    }
    r.op = *op;
    if (e.contains("values") && !e["values"].is_null()) {
        if (!e["values"].is_array()) return make_error(where + ".values: not a list");
        for (const auto& v : e["values"]) {
            if (!v.is_string()) return make_error(where + ".values: every value must be a string");
            r.values.push_back(v.get<std::string>());
        }
    }
    const bool set_op = r.op == LabelRequirement::Op::kIn || r.op == LabelRequirement::Op::kNotIn;
    if (set_op && r.values.empty()) return make_error(where + ".values: In and NotIn need at least one value");
    if (!set_op && !r.values.empty()) return make_error(where + ".values: Exists and DoesNotExist take no values");
    return r;
}

}  // namespace

Result<LabelSelector> label_selector_from_json(const json& selector, const std::string& where) {
    LabelSelector s;
    if (selector.is_null()) return s;
    if (!selector.is_object()) return make_error(where + ": not an object");
    for (const auto& [key, value] : selector.items()) {
        if (key != "matchLabels" && key != "matchExpressions") {
            return make_error(where + "." + key + ": unknown field (matchLabels, matchExpressions)");
        }
    }
    if (selector.contains("matchLabels") && !selector["matchLabels"].is_null()) {
        const json& ml = selector["matchLabels"];
        if (!ml.is_object()) return make_error(where + ".matchLabels: not a map");
        for (const auto& [k, v] : ml.items()) {
            if (!v.is_string()) return make_error(where + ".matchLabels." + k + ": not a string");
            s.match_labels[k] = v.get<std::string>();
        }
    }
    if (selector.contains("matchExpressions") && !selector["matchExpressions"].is_null()) {
        const json& me = selector["matchExpressions"];
        if (!me.is_array()) return make_error(where + ".matchExpressions: not a list");
        for (std::size_t i = 0; i < me.size(); ++i) {
            auto r = requirement_from_json(me[i], where + ".matchExpressions[" + std::to_string(i) + "]");
            if (!r) return make_error(r.error());
            s.match_expressions.push_back(std::move(*r));
        }
    }
    return s;
}

bool matches(const LabelSelector& selector, const Labels& labels) {
    for (const auto& [k, v] : selector.match_labels) {
        auto it = labels.find(k);
        if (it == labels.end() || it->second != v) return false;
    }
    for (const auto& r : selector.match_expressions) {
        auto it = labels.find(r.key);
        const bool has = it != labels.end();
        const bool in_values = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
        switch (r.op) {
            case LabelRequirement::Op::kIn:
                if (!in_values) return false;
                break;
            case LabelRequirement::Op::kNotIn:  // a missing key is "not in" (Kubernetes semantics)
                if (in_values) return false;
                break;
            case LabelRequirement::Op::kExists:
                if (!has) return false;
                break;
            case LabelRequirement::Op::kDoesNotExist:
                if (has) return false;
                break;
        }
    }
    return true;
}

}  // namespace vigil::k8s
