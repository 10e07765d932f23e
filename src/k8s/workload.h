// The workload a pod belongs to, from its ownerReferences, as Tetragon
// (podhelpers.GetWorkloadMetaFromPod, from Istio) derives it: only a pod
// with generateName and a controller owner has one; otherwise the pod is its
// own workload, of kind "Pod".
#pragma once

#include <map>
#include <string>
#include <vector>

namespace vigil::k8s {

struct OwnerReference {
    std::string kind;
    std::string name;
    std::string api_version;
    bool controller = false;
};

struct Workload {
    std::string name;
    std::string kind;
    friend bool operator==(const Workload&, const Workload&) = default;
};

// ReplicaSet "<d>-<pod-template-hash>" -> Deployment "<d>";
// ReplicationController with a "deploymentconfig" label -> DeploymentConfig;
// Job "<c>-<8 to 10 digits>" -> CronJob "<c>"; any other controller
// (StatefulSet, DaemonSet, ...) is used as is.
Workload derive_workload(const std::string& pod_name, const std::string& generate_name,
                         const std::map<std::string, std::string>& labels,
                         const std::vector<OwnerReference>& owners);

}  // namespace vigil::k8s
