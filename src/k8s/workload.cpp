#include "k8s/workload.h"

namespace vigil::k8s {
namespace {

std::string label(const std::map<std::string, std::string>& labels, const std::string& key) {
    auto it = labels.find(key);
    return it == labels.end() ? std::string() : it->second;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Tetragon's cronJobNameRegexp `(.+)-\d{8,10}$`: the CronJob controller names
// its Jobs "<cronjob>-<scheduled time in minutes>".
std::string cronjob_of(const std::string& job) {
    std::size_t digits = 0;
    while (digits < job.size() && job[job.size() - 1 - digits] >= '0' &&
           job[job.size() - 1 - digits] <= '9') {
        ++digits;
    }
    if (digits < 8 || digits > 10) return "";
    std::size_t dash = job.size() - digits - 1;
    if (digits >= job.size() || job[dash] != '-' || dash == 0) return "";
    return job.substr(0, dash);
}

}  // namespace

Workload derive_workload(const std::string& pod_name, const std::string& generate_name,
                         const std::map<std::string, std::string>& labels,
                         const std::vector<OwnerReference>& owners) {
    Workload w{pod_name, "Pod"};
    if (generate_name.empty()) return w;
    const OwnerReference* controller = nullptr;
    for (const auto& o : owners) {
        if (o.controller) {
            controller = &o;
            break;
        }
    }
    if (controller == nullptr) return w;

    w = {controller->name, controller->kind};
    if (controller->kind == "ReplicaSet") {
        std::string hash = label(labels, "pod-template-hash");
        if (!hash.empty() && ends_with(controller->name, hash)) {
            std::string trimmed = controller->name;
            // Go's TrimSuffix(name, "-"+hash): only a "-<hash>" suffix is cut.
            if (ends_with(trimmed, "-" + hash)) trimmed.resize(trimmed.size() - hash.size() - 1);
            w = {trimmed, "Deployment"};
        }
    } else if (controller->kind == "ReplicationController") {
        std::string dc = label(labels, "deploymentconfig");
        if (!dc.empty()) w = {dc, "DeploymentConfig"};
    } else if (controller->kind == "Job") {
        std::string cron = cronjob_of(controller->name);
        if (!cron.empty()) w = {cron, "CronJob"};
    }
    return w;
}

}  // namespace vigil::k8s
