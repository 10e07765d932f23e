// Kubernetes enrichment for vigild (--enable-k8s-api): a k8s::PodCache
// watching this node's pods, and the PodResolver the proto mapping asks for
// each process's container and pod (found from the process's cgroup).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/result.h"
#include "export/pod_resolver.h"
#include "k8s/cgroup_resolver.h"
#include "k8s/pod_cache.h"

namespace vigil::agent {

struct K8sOptions {
    std::string kubeconfig;  // empty: in-cluster service account
    std::string node_name;
    std::string procfs = "/proc";  // for processes of the start-up scan (no cgroup id)
    std::string cgroup2_mount;     // empty: found in /proc/self/mounts
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
    const k8s::CgroupResolver& cgroups() const { return cgroups_; }
    // The API server and credentials the cache uses (for other watches).
    const k8s::ApiServerConfig& api_config() const { return api_config_; }
    // Processes in a container whose pod the cache did not know (yet).
    std::uint64_t pod_misses() const { return misses_.load(std::memory_order_relaxed); }

private:
    K8sPods(k8s::ApiServerConfig config, std::unique_ptr<k8s::PodCache> cache,
            k8s::CgroupResolver::PathById by_id, k8s::CgroupResolver::ProcCgroup proc_cgroup)
        : api_config_(std::move(config)), cache_(std::move(cache)), cgroups_(std::move(by_id), std::move(proc_cgroup)) {}
    k8s::ApiServerConfig api_config_;
    std::unique_ptr<k8s::PodCache> cache_;
    k8s::CgroupResolver cgroups_;
    mutable std::atomic<std::uint64_t> misses_{0};
};

}  // namespace vigil::agent
