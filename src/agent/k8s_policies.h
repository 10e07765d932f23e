// TracingPolicy / TracingPolicyNamespaced objects from the cluster, loaded
// into the PolicyManager as the "k8s" domain (with --enable-k8s-api): a
// k8s::TracingPolicyWatch whose sink is the policy manager. Policies whose
// nodeSelector does not select this node are not loaded.
#pragma once

#include <memory>
#include <string>

#include "agent/policy_manager.h"
#include "k8s/api_config.h"
#include "k8s/policy_watch.h"

namespace vigil::agent {

class K8sPolicies {
public:
    // Starts watching; an unreachable API server (or CRDs not installed) is
    // not an error: the watch retries with backoff.
    static std::unique_ptr<K8sPolicies> start(const k8s::ApiServerConfig& config, const std::string& node_name,
                                              PolicyManager& policies);
    ~K8sPolicies();

    const k8s::TracingPolicyWatch& watch() const { return *watch_; }

private:
    explicit K8sPolicies(std::unique_ptr<k8s::TracingPolicyWatch> watch) : watch_(std::move(watch)) {}
    std::unique_ptr<k8s::TracingPolicyWatch> watch_;
};

}  // namespace vigil::agent
