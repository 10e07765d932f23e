#include "fake_apiserver/fake_cluster.h"

#include <cstdio>

namespace vigil::fake_k8s {

using nlohmann::json;

std::string ResourceType::api_prefix() const {
    return group_version.find('/') == std::string::npos ? "/api/" + group_version : "/apis/" + group_version;
}

ResourceType pods_type() { return {"v1", "pods", "Pod", true, {"po"}}; }
ResourceType nodes_type() { return {"v1", "nodes", "Node", false, {"no"}}; }
ResourceType namespaces_type() { return {"v1", "namespaces", "Namespace", false, {"ns"}}; }
// Tetragon's CRDs, with the short names its CRD manifests give them.
ResourceType tracing_policies_type() {
    return {"cilium.io/v1alpha1", "tracingpolicies", "TracingPolicy", false, {"tp"}};
}
ResourceType tracing_policies_namespaced_type() {
    return {"cilium.io/v1alpha1", "tracingpoliciesnamespaced", "TracingPolicyNamespaced", true, {"tpn"}};
}

std::optional<FieldSelector> FieldSelector::parse(const std::string& text) {
    FieldSelector s;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto comma = text.find(',', pos);
        std::string term = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        pos = comma == std::string::npos ? text.size() : comma + 1;
        if (term.empty()) continue;
        Term t;
        std::size_t op = term.find("!=");
        std::size_t op_len = 2;
        if (op != std::string::npos) {
            t.equal = false;
        } else if ((op = term.find("==")) == std::string::npos) {
            op = term.find('=');
            op_len = 1;
        }
        if (op == std::string::npos || op == 0) return std::nullopt;
        t.path = term.substr(0, op);
        t.value = term.substr(op + op_len);
        s.terms.push_back(std::move(t));
    }
    return s;
}

bool FieldSelector::matches(const json& object) const {
    for (const auto& t : terms) {
        const json* cur = &object;
        std::size_t pos = 0;
        while (cur != nullptr && pos <= t.path.size()) {
            auto dot = t.path.find('.', pos);
            std::string key = t.path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
            cur = cur->is_object() && cur->contains(key) ? &(*cur)[key] : nullptr;
            if (dot == std::string::npos) break;
            pos = dot + 1;
        }
        std::string value = cur != nullptr && cur->is_string() ? cur->get<std::string>() : "";
        if ((value == t.value) != t.equal) return false;
    }
    return true;
}

namespace {

std::string key_of(const json& object) {
    const auto& meta = object.at("metadata");
    return meta.value("namespace", "") + "/" + meta.at("name").get<std::string>();
}

bool in_namespace(const json& object, const std::string& ns) {
    return ns.empty() || object["metadata"].value("namespace", "") == ns;
}

}  // namespace

FakeCluster::FakeCluster() {
    for (auto t : {pods_type(), nodes_type(), namespaces_type(), tracing_policies_type(),
                   tracing_policies_namespaced_type()}) {
        add_type(std::move(t));
    }
}

void FakeCluster::add_type(ResourceType type) {
    std::lock_guard lock(mu_);
    types_[type.plural] = std::move(type);
}

const ResourceType* FakeCluster::type_for(const std::string& api_prefix, const std::string& plural) const {
    std::lock_guard lock(mu_);
    auto it = types_.find(plural);
    if (it == types_.end() || it->second.api_prefix() != api_prefix) return nullptr;
    return &it->second;  // types are never removed
}

std::vector<ResourceType> FakeCluster::types() const {
    std::lock_guard lock(mu_);
    std::vector<ResourceType> out;
    for (const auto& [_, t] : types_) out.push_back(t);
    return out;
}

std::uint64_t FakeCluster::record(Entry e) {
    e.seq = next_seq_++;
    timeline_.push_back(std::move(e));
    cv_.notify_all();
    return rv_;
}

std::uint64_t FakeCluster::apply(const std::string& plural, json object) {
    std::lock_guard lock(mu_);
    const ResourceType& type = types_.at(plural);
    auto& meta = object["metadata"];
    if (!meta.contains("uid")) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llu",
                      static_cast<unsigned long long>(++uid_counter_));
        meta["uid"] = buf;
    }
    if (!meta.contains("creationTimestamp")) meta["creationTimestamp"] = "2024-05-01T10:00:00Z";
    if (!object.contains("kind")) object["kind"] = type.kind;
    if (!object.contains("apiVersion")) object["apiVersion"] = type.group_version;
    meta["resourceVersion"] = std::to_string(++rv_);

    auto& objects = objects_[plural];
    std::string key = key_of(object);
    Entry e;
    e.kind = Entry::Kind::kObject;
    e.rv = rv_;
    e.plural = plural;
    e.object = object;
    auto it = objects.find(key);
    if (it == objects.end()) {
        e.type = "ADDED";
    } else {
        e.type = "MODIFIED";
        e.old_object = it->second;
    }
    objects[key] = std::move(object);
    return record(std::move(e));
}

std::uint64_t FakeCluster::remove(const std::string& plural, const std::string& ns, const std::string& name) {
    std::lock_guard lock(mu_);
    auto& objects = objects_[plural];
    auto it = objects.find(ns + "/" + name);
    if (it == objects.end()) return 0;
    Entry e;
    e.kind = Entry::Kind::kObject;
    e.rv = ++rv_;
    e.plural = plural;
    e.type = "DELETED";
    e.object = it->second;
    e.object["metadata"]["resourceVersion"] = std::to_string(rv_);
    objects.erase(it);
    return record(std::move(e));
}

std::optional<json> FakeCluster::get(const std::string& plural, const std::string& ns,
                                     const std::string& name) const {
    std::lock_guard lock(mu_);
    auto p = objects_.find(plural);
    if (p == objects_.end()) return std::nullopt;
    auto it = p->second.find(ns + "/" + name);
    if (it == p->second.end()) return std::nullopt;
    return it->second;
}

std::vector<json> FakeCluster::list(const std::string& plural, const std::string& ns,
                                    const FieldSelector& selector) const {
    std::lock_guard lock(mu_);
    std::vector<json> out;
    auto p = objects_.find(plural);
    if (p == objects_.end()) return out;
    for (const auto& [_, o] : p->second) {
        if (in_namespace(o, ns) && selector.matches(o)) out.push_back(o);
    }
    return out;
}

std::uint64_t FakeCluster::resource_version() const {
    std::lock_guard lock(mu_);
    return rv_;
}

std::uint64_t FakeCluster::compacted_version() const {
    std::lock_guard lock(mu_);
    return compacted_rv_;
}

void FakeCluster::compact() {
    std::lock_guard lock(mu_);
    compacted_rv_ = rv_;
    timeline_.clear();
}

void FakeCluster::bookmark() {
    std::lock_guard lock(mu_);
    Entry e;
    e.kind = Entry::Kind::kBookmark;
    e.rv = rv_;
    record(std::move(e));
}

void FakeCluster::inject_line(const std::string& line) {
    std::lock_guard lock(mu_);
    Entry e;
    e.kind = Entry::Kind::kRaw;
    e.raw = line;
    record(std::move(e));
}

void FakeCluster::drop_watches() {
    std::lock_guard lock(mu_);
    ++drop_generation_;
    cv_.notify_all();
}

void FakeCluster::wake_all() {
    std::lock_guard lock(mu_);
    cv_.notify_all();
}

std::size_t FakeCluster::open_watches() const {
    std::lock_guard lock(mu_);
    return open_watches_;
}

bool FakeCluster::wait_for_open_watches(std::size_t at_least, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return open_watches_ >= at_least; });
}

FakeCluster::WatchCursor FakeCluster::open_watch(const std::string& plural, const std::string& ns,
                                                 FieldSelector selector, std::uint64_t from_rv, bool bookmarks,
                                                 std::vector<std::string>& initial) {
    std::lock_guard lock(mu_);
    WatchCursor c;
    c.plural = plural;
    c.ns = ns;
    c.selector = std::move(selector);
    c.bookmarks = bookmarks;
    c.opened_seq = next_seq_;
    c.next_seq = timeline_.empty() ? next_seq_ : timeline_.front().seq;
    c.drop_generation = drop_generation_;
    if (from_rv == 0) {
        // "Any" version: the current state as ADDED, then what follows.
        auto p = objects_.find(plural);
        if (p != objects_.end()) {
            for (const auto& [_, o] : p->second) {
                if (in_namespace(o, ns) && c.selector.matches(o)) {
                    initial.push_back(json{{"type", "ADDED"}, {"object", o}}.dump() + "\n");
                }
            }
        }
        from_rv = rv_;
        c.next_seq = next_seq_;
    }
    c.from_rv = from_rv;
    ++open_watches_;
    cv_.notify_all();
    return c;
}

void FakeCluster::close_watch() {
    std::lock_guard lock(mu_);
    --open_watches_;
    cv_.notify_all();
}

std::string FakeCluster::render(const Entry& e, const WatchCursor& c) const {
    switch (e.kind) {
        case Entry::Kind::kRaw:
            if (e.seq < c.opened_seq) return "";
            return e.raw.empty() || e.raw.back() != '\n' ? e.raw + "\n" : e.raw;
        case Entry::Kind::kBookmark: {
            if (e.seq < c.opened_seq || !c.bookmarks) return "";
            const ResourceType& t = types_.at(c.plural);
            json o{{"kind", t.kind},
                   {"apiVersion", t.group_version},
                   {"metadata", {{"resourceVersion", std::to_string(e.rv)}}}};
            return json{{"type", "BOOKMARK"}, {"object", o}}.dump() + "\n";
        }
        case Entry::Kind::kObject:
            break;
    }
    if (e.plural != c.plural || e.rv <= c.from_rv) return "";
    auto matches = [&](const json& o) { return !o.is_null() && in_namespace(o, c.ns) && c.selector.matches(o); };
    bool now = matches(e.object);
    bool before = matches(e.old_object);
    std::string type;
    if (e.type == "DELETED") {
        type = now ? "DELETED" : "";
    } else if (now && before) {
        type = "MODIFIED";
    } else if (now) {
        type = "ADDED";
    } else if (before) {
        type = "DELETED";  // no longer selected
    }
    if (type.empty()) return "";
    return json{{"type", type}, {"object", e.object}}.dump() + "\n";
}

bool FakeCluster::next_lines(WatchCursor& c, std::chrono::milliseconds wait, std::vector<std::string>& lines) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return next_seq_ > c.next_seq || drop_generation_ != c.drop_generation; });
    if (drop_generation_ != c.drop_generation) return false;
    for (const auto& e : timeline_) {
        if (e.seq < c.next_seq) continue;
        auto line = render(e, c);
        if (!line.empty()) lines.push_back(std::move(line));
    }
    c.next_seq = next_seq_;
    return true;
}

json make_tracing_policy(const std::string& name, const json& spec, const std::string& ns) {
    json meta{{"name", name}};
    if (!ns.empty()) meta["namespace"] = ns;
    return {{"apiVersion", "cilium.io/v1alpha1"},
            {"kind", ns.empty() ? "TracingPolicy" : "TracingPolicyNamespaced"},
            {"metadata", meta},
            {"spec", spec}};
}

json make_pod(const PodSpec& s) {
    json containers = json::array();
    json statuses = json::array();
    for (const auto& [name, id] : s.containers) {
        std::string image = "registry.example/" + name + ":1.0";
        containers.push_back({{"name", name}, {"image", image}});
        statuses.push_back({{"name", name},
                            {"containerID", id},
                            {"image", image},
                            {"imageID", "registry.example/" + name + "@sha256:" + std::string(64, 'e')},
                            {"ready", true},
                            {"restartCount", 0},
                            {"started", true},
                            {"state", {{"running", {{"startedAt", "2024-05-01T10:20:30Z"}}}}}});
    }
    json meta{{"name", s.name}, {"namespace", s.ns}, {"labels", s.labels}};
    if (!s.uid.empty()) meta["uid"] = s.uid;
    if (!s.generate_name.empty()) meta["generateName"] = s.generate_name;
    if (!s.owner_references.empty()) meta["ownerReferences"] = s.owner_references;
    return json{{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", meta},
                {"spec", {{"nodeName", s.node}, {"containers", containers}}},
                {"status", {{"phase", "Running"}, {"containerStatuses", statuses}}}};
}

}  // namespace vigil::fake_k8s
