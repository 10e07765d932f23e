// Kubernetes enrichment for vigild (--enable-k8s-api): a k8s::PodCache
// watching this node's pods, and the PodResolver the proto mapping asks for
// each process's container and pod (found from the process's cgroup).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/result.h"
#include "export/pod_resolver.h"
#include "k8s/pod_cache.h"

namespace vigil::agent {

struct K8sOptions {
    std::string kubeconfig;  // empty: in-cluster service account
    std::string node_name;
};

class K8sPods final : public exporter::PodResolver {
public:
    // Loads the API server configuration (errors name the file or variable)
    // and starts watching. An unreachable API server is not an error: events
    // flow without pod data while the cache retries.
    static Result<std::unique_ptr<K8sPods>> start(const K8sOptions& opts);
    ~K8sPods() override;

    model::ProcessK8s resolve(const model::Process& p) const override;
    std::map<std::string, std::string> node_labels() const override;

    const k8s::PodCache& cache() const { return *cache_; }
    // Processes in a container whose pod the cache did not know (yet).
    std::uint64_t pod_misses() const { return misses_.load(std::memory_order_relaxed); }

private:
    explicit K8sPods(std::unique_ptr<k8s::PodCache> cache) : cache_(std::move(cache)) {}
    std::unique_ptr<k8s::PodCache> cache_;
    mutable std::atomic<std::uint64_t> misses_{0};
};

}  // namespace vigil::agent
