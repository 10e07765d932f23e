// Internal: the structural readers (one per object of the CRD schema) and the
// semantic checks run after a whole document is read.
#pragma once

#include <optional>
#include <string>

#include "policy/model.h"
#include "policy/reader.h"

namespace vigil::policy::detail {

// Selector level (parse_selector.cpp).
std::optional<Selector> parse_selector(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<Action> parse_action(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<LabelSelector> parse_label_selector(Reader& r, const YAML::Node& n, const std::string& path);

// Spec level (parse_spec.cpp).
std::optional<Policy> parse_document(Reader& r, const YAML::Node& doc);

// Semantics across the document (validate.cpp, validate_args.cpp).
void validate_policy(Reader& r, Policy& p);
// Resolve one matchArgs/matchData/matchReturnArgs entry against the list of
// arguments it refers to: index, operator/type fit, values.
void validate_match_arg(Reader& r, const Policy& p, const Hook& h, MatchArg& m, const std::vector<Arg>& args,
                        bool is_data, bool is_return);

}  // namespace vigil::policy::detail
