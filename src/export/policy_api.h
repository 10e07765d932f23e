// What the gRPC server needs from policy management, so export/ does not
// depend on agent/. Implemented by agent::PolicyManager.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"
#include "tetragon/sensors.pb.h"

namespace vigil::exporter {

class PolicyApi {
public:
    virtual ~PolicyApi() = default;
    // Parses, checks and attaches one policy document; the error lists every
    // problem, one per line, with file:line:col and the policy path.
    virtual Status add_yaml(const std::string& yaml, const std::string& domain) = 0;
    // Detaches and forgets the policy; an error when no such policy exists.
    virtual Status remove(const std::string& name, const std::string& ns) = 0;
    // Enables/disables and/or switches enforce/monitor mode; absent = unchanged.
    virtual Status configure(const std::string& name, const std::string& ns,
                             std::optional<bool> enable, std::optional<bool> monitor) = 0;
    virtual tetragon::ListTracingPoliciesResponse list() const = 0;
};

}  // namespace vigil::exporter
