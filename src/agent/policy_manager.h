// The set of loaded TracingPolicies: each is parsed, planned against the
// kernel's features, and attached as a whole, or refused with its errors
// while everything already loaded keeps running. Policies from files given
// at start (or appearing in the watched directory) that fail are kept in
// the list in an error state, so the list shows why; policies added over
// gRPC that fail are refused and not kept. Policies added over gRPC are
// saved under the state directory and loaded again at the next start.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "policy/hook_plan.h"
#include "policy/model.h"
#include "agent/hook_registry.h"
#include "export/policy_api.h"
#include "probe/base_sensor.h"
#include "probe/features.h"

namespace vigil::agent {

// Where a loaded policy applies, for scoping its hooks to cgroups:
// TracingPolicyNamespaced's namespace and the podSelector /
// containerSelector as written (none: every pod / container), and whether
// hostSelector {} adds the processes outside every pod.
struct PolicyScope {
    std::string name;
    std::string ns;      // "" for a cluster-wide TracingPolicy
    std::string domain;  // "static", "grpc", "k8s"
    std::optional<policy::LabelSelector> pod_selector;
    std::optional<policy::LabelSelector> container_selector;
    std::vector<std::uint32_t> hook_ids;  // attached hooks (empty when disabled or failed)
    bool host = false;                    // hostSelector: {} (only null or {} are accepted)
};

// Turns a policy's scope into the scope id its hooks carry into the kernel
// (PolicyScopes, policy_scopes.h). acquire is called before the policy's
// hooks attach and has written the scope's cgroup set by the time it
// returns, so no call slips through unscoped; 0 means the policy is not
// scoped. release is called after the hooks are detached.
class HookScoper {
public:
    virtual ~HookScoper() = default;
    virtual Result<std::uint32_t> acquire(const PolicyScope& scope) = 0;
    virtual void release(std::uint32_t scope_id) = 0;
};

class PolicyManager final : public exporter::PolicyApi {
public:
    // state_dir: where gRPC-added policies persist ("" = not persisted).
    PolicyManager(probe::BaseSensor& sensor, HookRegistry& hooks, probe::KernelFeatures features,
                  std::string state_dir = "")
        : sensor_(sensor), hooks_(hooks), features_(std::move(features)), state_dir_(std::move(state_dir)) {}
    ~PolicyManager() override;

    // Loads every policy of a file ("static" domain). Problems are logged and
    // recorded; returns the number of policies enabled.
    std::size_t load_file(const std::string& path);
    // Every *.yaml / *.yml file of a directory, in name order.
    std::size_t load_dir(const std::string& dir);
    // The file changed or disappeared: its policies are replaced by what it
    // holds now (none if it is gone).
    void reload_file(const std::string& path);
    // Policies added over gRPC by an earlier run.
    std::size_t load_persisted();

    // Policies from the cluster (TracingPolicy / TracingPolicyNamespaced
    // objects; domain "k8s"), one per source ("k8s:<name>",
    // "k8s:<namespace>/<name>"). set_cluster_policy loads the document, or
    // reloads it when its text changed; a policy that fails stays listed
    // with its error, as file policies do.
    void set_cluster_policy(const std::string& source, const std::string& document);
    void remove_cluster_policy(const std::string& source);

    // Where each loaded policy applies (see PolicyScope).
    using Scope = PolicyScope;
    std::vector<Scope> scopes() const;
    // Scoped policies (namespace, podSelector, containerSelector) get their
    // hooks' scope from `scoper`; set before any policy loads. Without one,
    // a scoped policy is refused rather than run everywhere.
    void set_scoper(HookScoper* scoper) { scoper_ = scoper; }

    Status add_yaml(const std::string& yaml, const std::string& domain) override;
    Status remove(const std::string& name, const std::string& ns) override;
    Status configure(const std::string& name, const std::string& ns, std::optional<bool> enable,
                     std::optional<bool> monitor) override;
    // Per enabled policy, hook and selector: how often the selector matched
    // in the kernel and how many posts its rateLimit suppressed.
    struct SelectorCount {
        std::string policy, hook;
        std::size_t selector = 0;
        std::uint64_t matched = 0, rate_limited = 0;
    };
    std::vector<SelectorCount> selector_counts() const;
    tetragon::ListTracingPoliciesResponse list() const override;

    // Detaches everything (shutdown).
    void clear();

private:
    struct Loaded {
        std::uint64_t id = 0;
        std::string name;
        std::string ns;
        std::string source;  // file path, or "<grpc>"
        std::string domain;  // "static", "grpc" or "k8s"
        std::string text;    // the document set it came from, for re-enabling
        std::string error;   // non-empty: load error, nothing attached
        bool enabled = true;
        bool monitor = false;  // policy-mode monitor (from the policy, or set since)
        std::vector<std::uint32_t> hook_ids;
        std::vector<std::string> hook_descriptions;
        std::optional<policy::LabelSelector> pod_selector;
        std::optional<policy::LabelSelector> container_selector;
        bool host_selector = false;
        std::uint32_t scope_id = 0;  // from the HookScoper while enabled; 0: not scoped
    };
    // Parses and attaches every document of `text`; fills `errors`.
    std::vector<Loaded> load_text(const std::string& text, const std::string& source,
                                  const std::string& domain, std::vector<std::string>& errors);
    // Plans and attaches one policy into `l` (l.error set on failure).
    void enable(const policy::Policy& p, Loaded& l);
    Status attach(const std::string& policy_name, std::vector<policy::PlannedHook>& hooks, Loaded& out);
    void detach(Loaded& l);
    // Sets l.scope_id from the scoper (before attaching).
    Status acquire_scope(Loaded& l);
    tetragon::TracingPolicyStatus status_of(const Loaded& l) const;
    std::string persist_path(const Loaded& l) const;
    std::size_t load_file_locked(const std::string& path, const std::string& text, const std::string& domain);
    // Detaches and forgets every policy loaded from `source` in `domain`.
    void unload_source_locked(const std::string& source, const std::string& domain);

    probe::BaseSensor& sensor_;
    HookRegistry& hooks_;
    const probe::KernelFeatures features_;
    const std::string state_dir_;
    HookScoper* scoper_ = nullptr;
    mutable std::mutex mu_;
    std::map<std::string, Loaded> policies_;  // key: namespace/name
    std::uint64_t next_id_ = 1;
};

}  // namespace vigil::agent
