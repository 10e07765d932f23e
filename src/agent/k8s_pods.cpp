#include "agent/k8s_pods.h"

#include <spdlog/spdlog.h>

#include "k8s/api_config.h"
#include "k8s/cgroup_identity.h"

namespace vigil::agent {

namespace {

// Tetragon's maybe_exec_probe: the process runs the container's exec probe command.
bool is_probe(const std::vector<std::string>& cmd, const model::Process& p) {
    if (cmd.empty()) return false;
    const std::string& bin = cmd[0];
    bool bin_ok = bin == p.binary ||
                  (bin.find('/') == std::string::npos && p.binary.size() > bin.size() &&
                   p.binary.compare(p.binary.size() - bin.size() - 1, std::string::npos, "/" + bin) == 0);
    if (!bin_ok || cmd.size() - 1 != p.argv.size()) return false;
    for (std::size_t i = 1; i < cmd.size(); ++i) {
        if (cmd[i] != p.argv[i - 1]) return false;
    }
    return true;
}

}  // namespace

Result<std::unique_ptr<K8sPods>> K8sPods::start(const K8sOptions& opts) {
    if (opts.node_name.empty()) {
        return make_error("--enable-k8s-api needs the node name (--node-name or $NODE_NAME)");
    }
    auto cfg = opts.kubeconfig.empty() ? k8s::load_in_cluster_config(k8s::InClusterInputs::from_environment())
                                       : k8s::load_kubeconfig(opts.kubeconfig);
    if (!cfg) return make_error(cfg.error());
    k8s::PodCacheOptions po;
    po.node_name = opts.node_name;
    auto cache = std::make_unique<k8s::PodCache>(cfg.value(), po);
    auto by_id = k8s::cgroup_path_by_id(opts.cgroup2_mount);
    if (!by_id) {
        spdlog::warn("cannot open the cgroup2 mount{}: processes in cgroups nested inside a container "
                     "are not matched to it", opts.cgroup2_mount.empty() ? "" : " " + opts.cgroup2_mount);
    }
    cache->start();
    return std::unique_ptr<K8sPods>(
        new K8sPods(std::move(cfg).value(), std::move(cache), std::move(by_id), k8s::proc_cgroup_reader(opts.procfs)));
}

K8sPods::~K8sPods() {
    if (cache_) cache_->stop();
}

model::ProcessK8s K8sPods::resolve(const model::Process& p) const {
    model::ProcessK8s out;
    auto id = cgroups_.identify(p);
    if (!id || !id->has_container()) return out;
    out.docker = k8s::docker_field(id->container_id);
    auto found = cache_->find_container(id->container_id);
    if (!found || !found->pod) {
        misses_.fetch_add(1, std::memory_order_relaxed);
        return out;
    }
    const k8s::PodInfo& pod = *found->pod;
    out.has_pod = true;
    out.pod.namespace_ = pod.namespace_;
    out.pod.name = pod.name;
    out.pod.uid = pod.uid;
    out.pod.labels = pod.labels;
    out.pod.workload = pod.workload;
    out.pod.workload_kind = pod.workload_kind;
    if (const k8s::ContainerInfo* c = found->container) {
        out.pod.has_container = true;
        out.pod.container.id = c->id.empty() ? k8s::full_container_id(*id) : c->id;
        out.pod.container.name = c->name;
        out.pod.container.image_id = c->image_id;
        out.pod.container.image_name = c->image_name;
        out.pod.container.start_time_unix_ns = c->start_time_unix_ns;
        out.pod.container.privileged = c->privileged;
        out.pod.container.maybe_exec_probe = is_probe(c->liveness_exec, p) || is_probe(c->readiness_exec, p);
    }
    return out;
}

std::map<std::string, std::string> K8sPods::node_labels() const { return cache_->node_labels(); }

}  // namespace vigil::agent
