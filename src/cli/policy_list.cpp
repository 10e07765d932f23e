#include "cli/policy_list.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>
#include <vector>

namespace vigil::cli {
namespace {

std::string lower_without_prefix(std::string name, const std::string& prefix) {
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return name;
}

constexpr std::size_t kColumns = 9;
using Row = std::array<std::string, kColumns>;

}  // namespace

std::string policy_state_name(tetragon::TracingPolicyState state) {
    const std::string& n = tetragon::TracingPolicyState_Name(state);
    return n.empty() ? "state_" + std::to_string(static_cast<int>(state))
                     : lower_without_prefix(n, "TP_STATE_");
}

std::string policy_mode_name(tetragon::TracingPolicyMode mode) {
    const std::string& n = tetragon::TracingPolicyMode_Name(mode);
    return n.empty() ? "mode_" + std::to_string(static_cast<int>(mode))
                     : lower_without_prefix(n, "TP_MODE_");
}

std::string list_text(const tetragon::ListTracingPoliciesResponse& list) {
    std::vector<Row> rows;
    rows.push_back({"ID", "NAME", "NAMESPACE", "STATE", "MODE", "HOOKS", "POST", "SIGNAL",
                    "MONITOR_SIGNAL"});
    for (const auto& p : list.policies()) {
        const auto& c = p.stats().action_counters();
        rows.push_back({std::to_string(p.id()), p.name(),
                        p.namespace_().empty() ? "-" : p.namespace_(),
                        policy_state_name(p.state()), policy_mode_name(p.mode()),
                        std::to_string(p.hook_statuses_size()), std::to_string(c.post()),
                        std::to_string(c.signal()), std::to_string(c.monitor_signal())});
    }
    std::array<std::size_t, kColumns> width{};
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < kColumns; ++i) width[i] = std::max(width[i], r[i].size());
    }
    std::ostringstream o;
    for (std::size_t n = 0; n < rows.size(); ++n) {
        std::string line;
        for (std::size_t i = 0; i < kColumns; ++i) {
            line += rows[n][i];
            if (i + 1 < kColumns) line += std::string(width[i] - rows[n][i].size() + 2, ' ');
        }
        o << line << '\n';
        if (n == 0) continue;
        const auto& p = list.policies(static_cast<int>(n - 1));
        if (p.error().empty()) continue;
        std::istringstream err(p.error());
        for (std::string l; std::getline(err, l);) o << "    error: " << l << '\n';
    }
    if (list.policies_size() == 0) o << "(no tracing policies loaded)\n";
    return o.str();
}

std::string list_json(const tetragon::ListTracingPoliciesResponse& list) {
    std::string out;
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = false;  // lowerCamelCase, as tetra prints it
    (void)google::protobuf::util::MessageToJsonString(list, &out, opts);
    return out;
}

}  // namespace vigil::cli
