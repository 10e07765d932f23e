#include "agent/k8s_policies.h"

#include <spdlog/spdlog.h>

namespace vigil::agent {

std::unique_ptr<K8sPolicies> K8sPolicies::start(const k8s::ApiServerConfig& config, const std::string& node_name,
                                                PolicyManager& policies) {
    k8s::PolicyWatchSink sink;
    sink.apply = [&policies](const k8s::TracingPolicyObject& o) {
        spdlog::info("{} {} from the cluster: loading", k8s::kind_name(o.kind), o.source());
        policies.set_cluster_policy(o.source(), o.document);
    };
    sink.remove = [&policies](const std::string& source) { policies.remove_cluster_policy(source); };
    sink.rejected = [](const std::string& error) { spdlog::warn("tracing policy from the cluster skipped: {}", error); };
    k8s::PolicyWatchOptions opts;
    opts.node_name = node_name;
    auto watch = std::make_unique<k8s::TracingPolicyWatch>(config, opts, std::move(sink));
    watch->start();
    return std::unique_ptr<K8sPolicies>(new K8sPolicies(std::move(watch)));
}

K8sPolicies::~K8sPolicies() {
    if (watch_) watch_->stop();
}

}  // namespace vigil::agent
