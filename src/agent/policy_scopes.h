// In-kernel scoping of policies to pods (TracingPolicyNamespaced, podSelector,
// containerSelector): each scoped policy gets a scope id, and the scope's set
// of cgroup ids (its selected containers' own cgroups) lives in the kernel
// map the hooks check (BaseSensor::replace_scope_cgroups). The sets follow
// the pod cache: a pod that comes, goes, changes labels or restarts a
// container updates them as soon as the cache has it; policies loading and
// unloading acquire and release scopes.
//
// Rules, as Tetragon's policyfilter: a pod is selected when its namespace is
// the policy's (if it has one) and podSelector matches its labels plus
// io.kubernetes.pod.namespace; a container of it when containerSelector
// matches {name, repo} (repo: the image without tag or digest). A missing
// selector selects everything. A scoped policy applies to processes outside
// pods only with hostSelector {}: then its set carries the host marker, and
// the reserved scope model::kAllPodsScopeId holds every pod container's
// cgroup so the kernel can tell host processes from pods' (hook__in_scope).
// hostSelector alone selects host processes only; with podSelector or
// containerSelector it adds them to the pods those select.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/policy_manager.h"
#include "common/result.h"
#include "k8s/label_selector.h"
#include "k8s/pod_info.h"

namespace vigil::agent {

using PodList = std::vector<std::shared_ptr<const k8s::PodInfo>>;

// Whether the policy is limited at all (not when its selectors, hostSelector
// included, add up to every process).
bool is_scoped(const PolicyScope& scope);
// Whether it selects any pod's containers (hostSelector alone selects none).
bool selects_pods(const PolicyScope& scope);
// The policy's selector in the k8s matcher's form; errors name the operator.
Result<k8s::LabelSelector> to_k8s_selector(const policy::LabelSelector& selector);
// The bare ids (no "<runtime>://") of the containers the scope selects.
// Containers without an id yet (pending) are skipped.
std::set<std::string> scope_containers(const PolicyScope& scope, const k8s::LabelSelector* pod_selector,
                                       const k8s::LabelSelector* container_selector, const PodList& pods);
// "docker.io/library/nginx:1.25" -> "docker.io/library/nginx"; digests too.
std::string image_repo(const std::string& image);

struct PolicyScopesStats {
    std::size_t scopes = 0;
    std::size_t cgroups = 0;             // in all policies' sets
    std::size_t host_scopes = 0;         // scopes that also cover host processes
    std::size_t pod_cgroups = 0;         // in the all-pods set (kept while host_scopes > 0)
    std::size_t missing_containers = 0;  // selected, no cgroup found (yet)
    std::uint64_t refreshes = 0;
    std::uint64_t write_errors = 0;
    std::string last_error;
};

class PolicyScopes final : public HookScoper {
public:
    struct Inputs {
        // This node's pods; null when there is no pod source (sets stay empty).
        std::function<PodList()> pods;
        // Bare container ids -> the cgroup id of each one's own cgroup (v2);
        // ids not found are left out.
        std::function<std::map<std::string, std::uint64_t>(const std::set<std::string>&)> find_cgroups;
        // Makes the kernel set of a scope exactly these cgroup ids.
        std::function<Status(std::uint32_t scope_id, const std::set<std::uint64_t>&)> write;
    };
    explicit PolicyScopes(Inputs in) : in_(std::move(in)) {}
    ~PolicyScopes() override;
    PolicyScopes(const PolicyScopes&) = delete;
    PolicyScopes& operator=(const PolicyScopes&) = delete;

    // 0 for a policy that is not scoped; else a new scope id whose set is
    // already written.
    Result<std::uint32_t> acquire(const PolicyScope& scope) override;
    void release(std::uint32_t scope_id) override;

    // Recomputes every scope from the pods now and writes the sets that
    // changed. New containers' cgroups are looked up; those looked up before
    // and not found only when `retry_missing`.
    void refresh(bool retry_missing = true);

    // A thread that refreshes whenever `wait_change` reports a pod change
    // (it returns true when the generation moved past `seen`, updating it,
    // within the timeout), and every `retry` while a selected container has
    // no cgroup yet (the runtime creates it around the time the pod says so).
    using WaitChange = std::function<bool(std::uint64_t& seen, std::chrono::milliseconds timeout)>;
    void start(WaitChange wait_change, std::chrono::milliseconds retry = std::chrono::milliseconds(1000));
    void stop();

    PolicyScopesStats stats() const;

private:
    struct Entry {
        PolicyScope scope;
        std::optional<k8s::LabelSelector> pod_selector, container_selector;
        std::set<std::uint64_t> written;
    };
    std::set<std::string> containers_of(const Entry& e, const PodList& pods) const;
    // Looks up the cgroups of `containers` not known yet (in one walk).
    void resolve_locked(const std::set<std::string>& containers, bool retry_missing);
    std::set<std::uint64_t> cgroups_locked(const std::set<std::string>& containers) const;
    // What a scope's kernel set should be: its containers' cgroups, and the
    // host marker for a host scope.
    std::set<std::uint64_t> want_locked(const Entry& e, const std::set<std::string>& containers) const;
    Status write_locked(std::uint32_t id, Entry& e, const std::set<std::uint64_t>& want);
    // Keeps the all-pods set equal to `containers`' cgroups while a host
    // scope exists, empty otherwise; written before the scopes' own sets.
    Status write_all_pods_locked(const std::set<std::string>& containers);
    bool any_host_locked() const;
    PodList pods() const { return in_.pods ? in_.pods() : PodList{}; }

    Inputs in_;
    mutable std::mutex mu_;
    std::map<std::uint32_t, Entry> scopes_;
    std::uint32_t next_id_ = 1;
    std::map<std::string, std::uint64_t> cgroup_of_;  // container id -> cgroup id, found so far
    std::set<std::string> missing_;                   // selected containers without a cgroup
    std::set<std::uint64_t> all_pods_written_;        // the all-pods set as the kernel has it
    PolicyScopesStats stats_;

    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace vigil::agent
