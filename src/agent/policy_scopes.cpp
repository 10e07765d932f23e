#include "agent/policy_scopes.h"

#include <spdlog/spdlog.h>

#include "k8s/cgroup_identity.h"
#include "model/scope.h"

namespace vigil::agent {

namespace {

// Tetragon adds it to a pod's labels before matching podSelector, so a
// cluster-wide policy can select namespaces with a label selector.
constexpr const char* kNamespaceLabel = "io.kubernetes.pod.namespace";

bool selects_all(const std::optional<policy::LabelSelector>& s) { return !s || s->empty(); }

// Every container of every pod: the all-pods set that tells host processes apart.
std::set<std::string> every_container(const PodList& pods) {
    std::set<std::string> out;
    for (const auto& pod : pods) {
        if (!pod) continue;
        for (const auto& c : pod->containers) {
            if (!c.id.empty()) out.emplace(k8s::strip_runtime_prefix(c.id));
        }
    }
    return out;
}

}  // namespace

bool selects_pods(const PolicyScope& scope) {
    return !scope.host || !scope.ns.empty() || scope.pod_selector || scope.container_selector;
}

bool is_scoped(const PolicyScope& scope) {
    if (!scope.ns.empty()) return true;
    if (!scope.host) return scope.pod_selector.has_value() || scope.container_selector.has_value();
    // hostSelector {} with selectors that take every pod's every container: everything.
    const bool every_pod = selects_pods(scope) && selects_all(scope.pod_selector) && selects_all(scope.container_selector);
    return !every_pod;
}

Result<k8s::LabelSelector> to_k8s_selector(const policy::LabelSelector& selector) {
    k8s::LabelSelector out;
    out.match_labels = selector.match_labels;
    for (const auto& r : selector.match_expressions) {
        k8s::LabelRequirement req;
        req.key = r.key;
        req.values = r.values;
        if (r.op == "In") req.op = k8s::LabelRequirement::Op::kIn;
        else if (r.op == "NotIn") req.op = k8s::LabelRequirement::Op::kNotIn;
        else if (r.op == "Exists") req.op = k8s::LabelRequirement::Op::kExists;
        else if (r.op == "DoesNotExist") req.op = k8s::LabelRequirement::Op::kDoesNotExist;
        else return make_error("matchExpressions key '" + r.key + "': unknown operator '" + r.op + "'");
        out.match_expressions.push_back(std::move(req));
    }
    return out;
}

std::string image_repo(const std::string& image) {
    std::string repo = image.substr(0, image.find('@'));
    auto slash = repo.rfind('/');
    auto colon = repo.rfind(':');
    // A colon after the last slash is a tag; before it, a registry port.
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) repo.resize(colon);
    return repo;
}

std::set<std::string> scope_containers(const PolicyScope& scope, const k8s::LabelSelector* pod_selector,
                                       const k8s::LabelSelector* container_selector, const PodList& pods) {
    std::set<std::string> out;
    if (!selects_pods(scope)) return out;
    for (const auto& pod : pods) {
        if (!pod) continue;
        if (!scope.ns.empty() && pod->namespace_ != scope.ns) continue;
        if (pod_selector) {
            k8s::Labels labels = pod->labels;
            labels.emplace(kNamespaceLabel, pod->namespace_);
            if (!k8s::matches(*pod_selector, labels)) continue;
        }
        for (const auto& c : pod->containers) {
            if (c.id.empty()) continue;
            if (container_selector &&
                !k8s::matches(*container_selector, {{"name", c.name}, {"repo", image_repo(c.image_name)}})) {
                continue;
            }
            out.emplace(k8s::strip_runtime_prefix(c.id));
        }
    }
    return out;
}

PolicyScopes::~PolicyScopes() { stop(); }

std::set<std::string> PolicyScopes::containers_of(const Entry& e, const PodList& pods) const {
    return scope_containers(e.scope, e.pod_selector ? &*e.pod_selector : nullptr,
                            e.container_selector ? &*e.container_selector : nullptr, pods);
}

void PolicyScopes::resolve_locked(const std::set<std::string>& containers, bool retry_missing) {
    std::set<std::string> lookup;
    for (const auto& c : containers) {
        if (cgroup_of_.count(c)) continue;
        if (!retry_missing && missing_.count(c)) continue;
        lookup.insert(c);
    }
    if (lookup.empty() || !in_.find_cgroups) return;
    auto found = in_.find_cgroups(lookup);
    for (const auto& c : lookup) {
        auto it = found.find(c);
        if (it == found.end()) {
            missing_.insert(c);
        } else {
            cgroup_of_[c] = it->second;
            missing_.erase(c);
        }
    }
}

std::set<std::uint64_t> PolicyScopes::cgroups_locked(const std::set<std::string>& containers) const {
    std::set<std::uint64_t> out;
    for (const auto& c : containers) {
        auto it = cgroup_of_.find(c);
        if (it != cgroup_of_.end()) out.insert(it->second);
    }
    return out;
}

std::set<std::uint64_t> PolicyScopes::want_locked(const Entry& e, const std::set<std::string>& containers) const {
    auto want = cgroups_locked(containers);
    if (e.scope.host) want.insert(model::kHostCgroupMarker);
    return want;
}

bool PolicyScopes::any_host_locked() const {
    for (const auto& [id, e] : scopes_) {
        if (e.scope.host) return true;
    }
    return false;
}

Status PolicyScopes::write_all_pods_locked(const std::set<std::string>& containers) {
    const auto want = cgroups_locked(containers);
    if (want == all_pods_written_) return {};
    if (auto st = in_.write(model::kAllPodsScopeId, want); !st) {
        ++stats_.write_errors;
        stats_.last_error = "the set of every pod's cgroups (for hostSelector): " + st.error();
        return make_error(stats_.last_error);
    }
    all_pods_written_ = want;
    return {};
}

Status PolicyScopes::write_locked(std::uint32_t id, Entry& e, const std::set<std::uint64_t>& want) {
    if (want == e.written) return {};
    if (auto st = in_.write(id, want); !st) {
        ++stats_.write_errors;
        stats_.last_error = "policy " + e.scope.name + ": " + st.error();
        return make_error(stats_.last_error);
    }
    e.written = want;
    return {};
}

Result<std::uint32_t> PolicyScopes::acquire(const PolicyScope& scope) {
    if (!is_scoped(scope)) return std::uint32_t{0};
    Entry e;
    e.scope = scope;
    e.scope.hook_ids.clear();
    if (scope.pod_selector) {
        auto s = to_k8s_selector(*scope.pod_selector);
        if (!s) return make_error("podSelector: " + s.error());
        e.pod_selector = std::move(s).value();
    }
    if (scope.container_selector) {
        auto s = to_k8s_selector(*scope.container_selector);
        if (!s) return make_error("containerSelector: " + s.error());
        e.container_selector = std::move(s).value();
    }
    if (!in_.pods) {
        spdlog::warn("tracing policy '{}' is limited to pods, but the pods are not known "
                     "(--enable-k8s-api is off): its hooks run nowhere", scope.name);
    }
    const PodList pods = this->pods();
    std::lock_guard lock(mu_);
    const std::uint32_t id = next_id_++;
    const auto containers = containers_of(e, pods);
    resolve_locked(containers, true);
    if (e.scope.host) {
        // Pods' processes must be known as such before the scope admits host ones.
        const auto pod_containers = every_container(pods);
        resolve_locked(pod_containers, true);
        if (auto st = write_all_pods_locked(pod_containers); !st) {
            return make_error("scoping its hooks to host processes: " + st.error());
        }
    }
    // Written before the hooks attach; even an empty set, so the scope's
    // pairs are known to be exactly this.
    const auto want = want_locked(e, containers);
    if (auto st = in_.write(id, want); !st) {
        (void)in_.write(id, {});
        return make_error("scoping its hooks to pods: " + st.error());
    }
    e.written = want;
    spdlog::info("tracing policy '{}': scope {} holds {} container cgroup(s){}", scope.name, id, containers.size(),
                 e.scope.host ? " and the host processes" : "");
    scopes_.emplace(id, std::move(e));
    return id;
}

void PolicyScopes::release(std::uint32_t scope_id) {
    std::lock_guard lock(mu_);
    auto it = scopes_.find(scope_id);
    if (it == scopes_.end()) return;
    if (auto st = in_.write(scope_id, {}); !st) {
        ++stats_.write_errors;
        stats_.last_error = st.error();
        spdlog::warn("releasing scope {} of policy '{}': {}", scope_id, it->second.scope.name, st.error());
    }
    scopes_.erase(it);
    if (!any_host_locked()) {
        if (auto st = write_all_pods_locked({}); !st) spdlog::warn("releasing scope {}: {}", scope_id, st.error());
    }
}

void PolicyScopes::refresh(bool retry_missing) {
    const PodList pods = this->pods();
    std::lock_guard lock(mu_);
    ++stats_.refreshes;
    std::map<std::uint32_t, std::set<std::string>> selected;
    std::set<std::string> all;
    for (const auto& [id, e] : scopes_) {
        auto c = containers_of(e, pods);
        all.insert(c.begin(), c.end());
        selected.emplace(id, std::move(c));
    }
    const auto pod_containers = any_host_locked() ? every_container(pods) : std::set<std::string>{};
    all.insert(pod_containers.begin(), pod_containers.end());
    resolve_locked(all, retry_missing);
    // Forget containers no scope selects any more: the maps stay as large as the node.
    for (auto it = cgroup_of_.begin(); it != cgroup_of_.end();) {
        it = all.count(it->first) ? std::next(it) : cgroup_of_.erase(it);
    }
    for (auto it = missing_.begin(); it != missing_.end();) {
        it = all.count(*it) ? std::next(it) : missing_.erase(it);
    }
    // The all-pods set first: a new pod's processes stop counting as host ones
    // before any scope changes.
    if (auto st = write_all_pods_locked(pod_containers); !st) spdlog::warn("scoping tracing policy hooks: {}", st.error());
    for (auto& [id, e] : scopes_) {
        auto want = want_locked(e, selected[id]);
        if (want == e.written) continue;
        if (auto st = write_locked(id, e, want); !st) {
            spdlog::warn("scoping tracing policy hooks: {}", st.error());
            continue;
        }
        spdlog::info("tracing policy '{}': scope {} now holds {} container cgroup(s){}", e.scope.name, id,
                     e.written.size() - (e.scope.host ? 1 : 0), e.scope.host ? " and the host processes" : "");
    }
}

void PolicyScopes::start(WaitChange wait_change, std::chrono::milliseconds retry) {
    if (thread_.joinable()) return;
    stopping_.store(false);
    thread_ = std::thread([this, wait_change = std::move(wait_change), retry] {
        using clock = std::chrono::steady_clock;
        std::uint64_t seen = 0;
        auto next_retry = clock::now() + retry;
        while (!stopping_.load()) {
            // Bounded, so stop() is noticed: the pod cache's wait cannot be interrupted.
            const bool changed = wait_change(seen, std::chrono::milliseconds(200));
            if (stopping_.load()) break;
            bool retry_due = false;
            if (clock::now() >= next_retry) {
                std::lock_guard lock(mu_);
                retry_due = !missing_.empty();
                next_retry = clock::now() + retry;
            }
            if (changed || retry_due) refresh(retry_due);
        }
    });
}

void PolicyScopes::stop() {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
}

PolicyScopesStats PolicyScopes::stats() const {
    std::lock_guard lock(mu_);
    PolicyScopesStats s = stats_;
    s.scopes = scopes_.size();
    s.cgroups = 0;
    for (const auto& [id, e] : scopes_) {
        s.cgroups += e.written.size() - (e.written.count(model::kHostCgroupMarker) ? 1 : 0);
        if (e.scope.host) ++s.host_scopes;
    }
    s.pod_cgroups = all_pods_written_.size();
    s.missing_containers = missing_.size();
    return s;
}

}  // namespace vigil::agent
