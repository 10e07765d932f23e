#include "agent/policy_manager.h"

#include "policy/tracepoint_format.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <malloc.h>
#include <sstream>

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "policy/policy.h"

namespace vigil::agent {

namespace {

std::string key_of(const std::string& ns, const std::string& name) { return ns + "/" + name; }

// A large policy is a tree of many small yaml-cpp nodes while it is parsed
// (~100 MB for 900 KB of keys). glibc keeps the freed pages in its arenas,
// so without this one hostile AddTracingPolicy would leave vigild hundreds of
// MB bigger for good. Policies load rarely; the trim costs well under a
// millisecond on a small heap.
void give_back_parse_memory() { malloc_trim(0); }

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) {
        if (!out.empty()) out += '\n';
        out += l;
    }
    return out;
}

std::optional<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The name to list a policy that failed to parse under: its metadata.name if
// that much can be read, else the file's name.
std::string name_of_broken(const std::string& text, const std::string& path) {
    if (text.size() > policy::kMaxPolicyFileBytes) return std::filesystem::path(path).stem().string();
    try {
        YAML::Node doc = YAML::Load(text);
        if (doc.IsMap() && doc["metadata"] && doc["metadata"]["name"] && doc["metadata"]["name"].IsScalar()) {
            std::string n = doc["metadata"]["name"].Scalar();
            if (!n.empty() && n.size() <= 253) return n;
        }
    } catch (const YAML::Exception&) {
    }
    return std::filesystem::path(path).stem().string();
}

}  // namespace

PolicyManager::~PolicyManager() { clear(); }

Status PolicyManager::attach(const std::string& policy_name, std::vector<policy::PlannedHook>& hooks,
                             Loaded& out) {
    for (auto& h : hooks) {
        auto id = hooks_.add(h.info);
        if (!id) {
            detach(out);
            return make_error("policy " + policy_name + ": no free hook ids (at most " +
                              std::to_string(probe::BaseSensor::kMaxHooks) + " hooks)");
        }
        h.spec.hook_id = *id;
        h.spec.selectors.monitor = out.monitor;
        // Before attaching: the hook's first call is already scoped.
        if (auto st = sensor_.set_hook_scope(*id, out.scope_id); !st) {
            hooks_.remove(*id);
            detach(out);
            return make_error("policy " + policy_name + ": " + st.error());
        }
        if (auto st = sensor_.attach_hook(h.spec); !st) {
            (void)sensor_.set_hook_scope(*id, 0);
            hooks_.remove(*id);
            detach(out);
            return make_error("policy " + policy_name + ": " + st.error());
        }
        out.hook_ids.push_back(*id);
        out.hook_descriptions.push_back(h.info.function_name);
    }
    return {};
}

void PolicyManager::detach(Loaded& l) {
    for (auto id : l.hook_ids) {
        sensor_.detach_hook(id);
        (void)sensor_.set_hook_scope(id, 0);  // cannot fail for a valid id; the id may be reused
        hooks_.retire(id);  // its queued records still need their policy
    }
    l.hook_ids.clear();
    l.hook_descriptions.clear();
    if (l.scope_id != 0 && scoper_) scoper_->release(l.scope_id);
    l.scope_id = 0;
}

Status PolicyManager::acquire_scope(Loaded& l) {
    PolicyScope scope{l.name, l.ns, l.domain, l.pod_selector, l.container_selector, {}, l.host_selector};
    if (!scoper_) {
        if (l.ns.empty() && !l.pod_selector && !l.container_selector && !l.host_selector) return {};
        // Refused rather than attached to every process on the node.
        return make_error("policy " + l.name + ": it is limited to pods or host processes (namespace, "
                          "podSelector, containerSelector or hostSelector) and this agent cannot scope "
                          "hooks by cgroup");
    }
    auto id = scoper_->acquire(scope);
    if (!id) return make_error("policy " + l.name + ": " + id.error());
    l.scope_id = id.value();
    return {};
}

void PolicyManager::enable(const policy::Policy& p, Loaded& l) {
    l.error.clear();
    auto plan = policy::plan_hooks(p, features_, policy::tracefs_format_lookup());
    if (!plan.ok()) {
        l.error = join_lines(plan.errors);
        return;
    }
    if (auto st = acquire_scope(l); !st) {
        l.error = st.error();
        return;
    }
    if (auto st = attach(p.name, plan.hooks, l); !st) l.error = st.error();
}

std::vector<PolicyManager::Loaded> PolicyManager::load_text(const std::string& text,
                                                            const std::string& source,
                                                            const std::string& domain,
                                                            std::vector<std::string>& errors) {
    std::vector<Loaded> out;
    auto parsed = policy::parse_policies(text, source);
    for (const auto& d : parsed.diagnostics) {
        if (d.severity != policy::Severity::Warning) errors.push_back(policy::format_diagnostic(d));
    }
    if (!parsed.ok()) return out;
    for (const auto& p : parsed.policies) {
        Loaded l;
        l.name = p.name;
        l.ns = p.namespace_;
        l.source = source;
        l.domain = domain;
        l.text = text;
        l.pod_selector = p.pod_selector;
        l.container_selector = p.container_selector;
        l.host_selector = p.host_selector.has_value();
        l.monitor = p.parsed_options.policy_mode &&
                    *p.parsed_options.policy_mode == policy::PolicyMode::Monitor;
        if (p.kind == policy::PolicyKind::TracingPolicyNamespaced && l.ns.empty()) {
            // Without a namespace it would not be limited to any: refused, not run everywhere.
            errors.push_back(source + ": TracingPolicyNamespaced '" + p.name + "' has no metadata.namespace");
            continue;
        }
        if (policies_.count(key_of(l.ns, l.name))) {
            errors.push_back(source + ": policy '" + p.name + "' is already loaded; delete it first");
            continue;
        }
        enable(p, l);
        if (!l.error.empty()) {
            std::istringstream lines(l.error);
            for (std::string line; std::getline(lines, line);) errors.push_back(line);
        }
        out.push_back(std::move(l));
    }
    return out;
}

std::size_t PolicyManager::load_file_locked(const std::string& path, const std::string& text,
                                            const std::string& domain) {
    std::vector<std::string> errors;
    auto loaded = load_text(text, path, domain, errors);
    give_back_parse_memory();
    for (const auto& e : errors) spdlog::error("tracing policy: {}", e);
    if (loaded.empty() && !errors.empty()) {
        // Not even a name could be read: list the file itself as the failed policy.
        Loaded l;
        l.name = name_of_broken(text, path);
        l.source = path;
        l.domain = domain;
        l.text = text;
        l.error = join_lines(errors);
        if (!policies_.count(key_of(l.ns, l.name))) loaded.push_back(std::move(l));
    }
    std::size_t enabled = 0;
    for (auto& l : loaded) {
        l.id = next_id_++;
        if (l.error.empty()) {
            ++enabled;
            spdlog::info("tracing policy '{}' from {}: enabled, {} hook(s)", l.name, path,
                         l.hook_ids.size());
        }
        policies_[key_of(l.ns, l.name)] = std::move(l);
    }
    return enabled;
}

std::size_t PolicyManager::load_file(const std::string& path) {
    auto text = read_text(path);
    if (!text) {
        spdlog::error("tracing policy {}: cannot read the file", path);
        return 0;
    }
    std::lock_guard lock(mu_);
    return load_file_locked(path, *text, "static");
}

std::size_t PolicyManager::load_dir(const std::string& dir) {
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        auto ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
    }
    if (ec) {
        spdlog::warn("tracing policy directory {}: {}", dir, ec.message());
        return 0;
    }
    std::sort(files.begin(), files.end());
    std::size_t n = 0;
    for (const auto& f : files) n += load_file(f);
    return n;
}

void PolicyManager::unload_source_locked(const std::string& source, const std::string& domain) {
    for (auto it = policies_.begin(); it != policies_.end();) {
        if (it->second.source == source && it->second.domain == domain) {
            detach(it->second);
            spdlog::info("tracing policy '{}' from {}: unloaded", it->second.name, source);
            it = policies_.erase(it);
        } else {
            ++it;
        }
    }
}

void PolicyManager::reload_file(const std::string& path) {
    auto text = read_text(path);
    std::lock_guard lock(mu_);
    unload_source_locked(path, "static");
    if (text) load_file_locked(path, *text, "static");
}

void PolicyManager::set_cluster_policy(const std::string& source, const std::string& document) {
    std::lock_guard lock(mu_);
    bool same = false, any = false;
    for (const auto& [k, l] : policies_) {
        if (l.source == source && l.domain == "k8s") {
            any = true;
            same = l.text == document;
        }
    }
    if (any && same) return;
    unload_source_locked(source, "k8s");
    load_file_locked(source, document, "k8s");
}

void PolicyManager::remove_cluster_policy(const std::string& source) {
    std::lock_guard lock(mu_);
    unload_source_locked(source, "k8s");
}

std::vector<PolicyManager::Scope> PolicyManager::scopes() const {
    std::lock_guard lock(mu_);
    std::vector<Scope> out;
    for (const auto& [k, l] : policies_) {
        out.push_back({l.name, l.ns, l.domain, l.pod_selector, l.container_selector, l.hook_ids, l.host_selector});
    }
    return out;
}

std::string PolicyManager::persist_path(const Loaded& l) const {
    std::string name = (l.ns.empty() ? "" : l.ns + "__") + l.name;
    for (char& ch : name) {
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.')) ch = '_';
    }
    return state_dir_ + "/policies/" + name + ".yaml";
}

std::size_t PolicyManager::load_persisted() {
    if (state_dir_.empty()) return 0;
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(state_dir_ + "/policies", ec)) {
        if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::size_t n = 0;
    for (const auto& f : files) {
        auto text = read_text(f);
        if (!text) continue;
        std::lock_guard lock(mu_);
        n += load_file_locked(f, *text, "grpc");
    }
    return n;
}

Status PolicyManager::add_yaml(const std::string& yaml, const std::string& domain) {
    if (yaml.size() > policy::kMaxPolicyFileBytes) {
        return make_error("policy too large (" + std::to_string(yaml.size()) + " bytes, limit " +
                          std::to_string(policy::kMaxPolicyFileBytes) + ")");
    }
    std::lock_guard lock(mu_);
    std::vector<std::string> errors;
    auto loaded = load_text(yaml, "<grpc>", domain.empty() ? "grpc" : domain, errors);
    give_back_parse_memory();
    if (!errors.empty() || loaded.empty()) {
        for (auto& l : loaded) detach(l);
        if (errors.empty()) errors.push_back("<grpc>: no TracingPolicy document in the request");
        return make_error(join_lines(errors));
    }
    for (auto& l : loaded) {
        l.id = next_id_++;
        if (!state_dir_.empty()) {
            std::string path = persist_path(l);
            std::error_code ec;
            std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
            out << yaml;
            if (!out) {
                spdlog::warn("tracing policy '{}': could not save it to {}; it will not survive a restart",
                             l.name, path);
            } else {
                l.source = path;
            }
        }
        spdlog::info("tracing policy '{}' added over gRPC: {} hook(s)", l.name, l.hook_ids.size());
        policies_[key_of(l.ns, l.name)] = std::move(l);
    }
    return {};
}

Status PolicyManager::remove(const std::string& name, const std::string& ns) {
    std::lock_guard lock(mu_);
    auto it = policies_.find(key_of(ns, name));
    if (it == policies_.end()) {
        return make_error("no tracing policy named '" + name + "'" +
                          (ns.empty() ? "" : " in namespace '" + ns + "'"));
    }
    detach(it->second);
    if (it->second.domain == "grpc" && !state_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove(persist_path(it->second), ec);
    }
    policies_.erase(it);
    spdlog::info("tracing policy '{}' deleted", name);
    return {};
}

Status PolicyManager::configure(const std::string& name, const std::string& ns,
                                std::optional<bool> enable_it, std::optional<bool> monitor) {
    std::lock_guard lock(mu_);
    auto it = policies_.find(key_of(ns, name));
    if (it == policies_.end()) {
        return make_error("no tracing policy named '" + name + "'" +
                          (ns.empty() ? "" : " in namespace '" + ns + "'"));
    }
    Loaded& l = it->second;
    if (monitor && *monitor != l.monitor) {
        l.monitor = *monitor;
        for (auto id : l.hook_ids) sensor_.set_hook_monitor(id, l.monitor);
        spdlog::info("tracing policy '{}': mode {}", name, l.monitor ? "monitor" : "enforce");
    }
    if (enable_it && !*enable_it && l.enabled) {
        detach(l);
        l.enabled = false;
        spdlog::info("tracing policy '{}': disabled", name);
    } else if (enable_it && *enable_it && !l.enabled) {
        auto parsed = policy::parse_policies(l.text, l.source);
        for (const auto& p : parsed.policies) {
            if (p.name == l.name && p.namespace_ == l.ns) enable(p, l);
        }
        l.enabled = true;
        if (!l.error.empty()) return make_error(l.error);
        spdlog::info("tracing policy '{}': enabled", name);
    }
    return {};
}

void PolicyManager::clear() {
    std::lock_guard lock(mu_);
    for (auto& [k, l] : policies_) detach(l);
    policies_.clear();
}

tetragon::TracingPolicyStatus PolicyManager::status_of(const Loaded& l) const {
    tetragon::TracingPolicyStatus s;
    s.set_id(l.id);
    s.set_name(l.name);
    s.set_namespace_(l.ns);
    s.set_domain(l.domain);
    s.set_info(l.source);
    if (!l.enabled) {
        s.set_state(tetragon::TP_STATE_DISABLED);
    } else if (l.error.empty()) {
        s.set_state(tetragon::TP_STATE_ENABLED);
        s.add_sensors("generic_syscall");
    } else {
        s.set_state(tetragon::TP_STATE_LOAD_ERROR);
        s.set_error(l.error);
    }
    s.set_mode(l.monitor ? tetragon::TP_MODE_MONITOR : tetragon::TP_MODE_ENFORCE);
    auto* counters = s.mutable_stats()->mutable_action_counters();
    for (auto id : l.hook_ids) {
        auto c = sensor_.hook_counters(id);
        counters->set_post(counters->post() + c.posted);
        counters->set_signal(counters->signal() + c.enforced);
        counters->set_monitor_signal(counters->monitor_signal() + c.monitored);
    }
    for (std::size_t i = 0; i < l.hook_ids.size(); ++i) {
        auto* hs = s.add_hook_statuses();
        hs->set_section("kprobes");
        hs->set_state(tetragon::STATUS_LOADED);
        hs->set_hook_description(l.hook_descriptions[i]);
        hs->set_hook_idx(static_cast<std::uint32_t>(i));
    }
    return s;
}

std::vector<PolicyManager::SelectorCount> PolicyManager::selector_counts() const {
    std::lock_guard lock(mu_);
    std::vector<SelectorCount> out;
    for (const auto& [k, l] : policies_) {
        for (std::size_t i = 0; i < l.hook_ids.size(); ++i) {
            auto counts = sensor_.selector_counters(l.hook_ids[i]);
            for (std::size_t sel = 0; sel < counts.size(); ++sel) {
                out.push_back({l.name, l.hook_descriptions[i], sel, counts[sel].matched, counts[sel].rate_limited});
            }
        }
    }
    return out;
}

tetragon::ListTracingPoliciesResponse PolicyManager::list() const {
    std::lock_guard lock(mu_);
    tetragon::ListTracingPoliciesResponse r;
    for (const auto& [k, l] : policies_) *r.add_policies() = status_of(l);
    return r;
}

}  // namespace vigil::agent
