#include "k8s/policy_watch.h"

#include <nlohmann/json.hpp>

#include "common/fatal.h"
#include "k8s/node_labels.h"

namespace vigil::k8s {

using nlohmann::json;

namespace {

// The source an object would have, from its metadata alone (for deleting or
// keeping an object whose spec is unusable); "" when even that is missing.
std::string source_of(const json& object, TracingPolicyKind kind) {
    if (!object.is_object()) return "";
    auto meta = object.find("metadata");
    if (meta == object.end() || !meta->is_object()) return "";
    auto name = meta->find("name");
    if (name == meta->end() || !name->is_string()) return "";
    TracingPolicyObject o;
    o.name = name->get<std::string>();
    if (kind == TracingPolicyKind::kTracingPolicyNamespaced) {
        auto ns = meta->find("namespace");
        if (ns == meta->end() || !ns->is_string()) return "";
        o.namespace_ = ns->get<std::string>();
    }
    return o.source();
}

}  // namespace

TracingPolicyWatch::TracingPolicyWatch(ApiServerConfig config, PolicyWatchOptions options, PolicyWatchSink sink)
    : options_(std::move(options)), sink_(std::move(sink)), node_client_(config) {
    if (options_.node_name.empty()) {
        throw FatalError("the TracingPolicy watch needs this node's name (set NODE_NAME)");
    }
    cluster_wide_ = make_watch(config, TracingPolicyKind::kTracingPolicy);
    namespaced_ = make_watch(config, TracingPolicyKind::kTracingPolicyNamespaced);
}

TracingPolicyWatch::~TracingPolicyWatch() { stop(); }

std::unique_ptr<WatchThread> TracingPolicyWatch::make_watch(const ApiServerConfig& config, TracingPolicyKind kind) {
    ListWatchOptions lw;
    lw.collection = kind == TracingPolicyKind::kTracingPolicy ? kTracingPoliciesCollection
                                                              : kTracingPoliciesNamespacedCollection;
    lw.page_size = options_.page_size;
    lw.max_page_bytes = options_.max_page_bytes;
    lw.max_event_bytes = options_.max_event_bytes;
    lw.backoff_initial = options_.backoff_initial;
    lw.backoff_max = options_.backoff_max;
    lw.watch_timeout = options_.watch_timeout;
    lw.connect_timeout = options_.connect_timeout;
    ListWatchHandler h;
    h.on_list = [this, kind](std::vector<json>&& items) { return on_list(kind, std::move(items)); };
    h.on_event = [this, kind](WatchEventType t, const json& o) { return on_event(kind, t, o); };
    h.on_progress = [this] { bump(); };
    return std::make_unique<WatchThread>(config, std::move(lw), std::move(h));
}

void TracingPolicyWatch::start() {
    if (!node_thread_.joinable()) {
        node_stop_.reset();
        node_client_.reset();
        node_thread_ = std::thread([this] { fetch_node_labels(); });
    }
    cluster_wide_->start();
    namespaced_->start();
}

void TracingPolicyWatch::stop() {
    node_stop_.request_stop();
    node_client_.cancel();
    if (node_thread_.joinable()) node_thread_.join();
    cluster_wide_->stop();
    namespaced_->stop();
}

void TracingPolicyWatch::fetch_node_labels() {
    // Read once, as the pod cache does; retried until it works, so policies
    // with a nodeSelector do not wait for a watch to reconnect.
    Backoff backoff(options_.backoff_initial, options_.backoff_max);
    HttpLimits limits;
    limits.connect_timeout = options_.connect_timeout;
    limits.max_body = options_.max_node_bytes;
    while (!node_stop_.stop_requested()) {
        auto labels = ::vigil::k8s::fetch_node_labels(node_client_, options_.node_name, limits);
        if (!labels && node_stop_.stop_requested()) return;
        {
            std::lock_guard lock(mu_);
            if (labels) {
                node_labels_ = std::move(labels).value();
                reconcile();  // policies with a nodeSelector were waiting for these
            } else {
                ++node_errors_;
                last_error_ = "node labels: " + labels.error();
            }
        }
        bump();
        if (labels) return;
        if (!node_stop_.wait_for(backoff.next())) return;
    }
}

std::size_t TracingPolicyWatch::on_list(TracingPolicyKind kind, std::vector<json>&& items) {
    std::map<std::string, TracingPolicyObject> fresh;
    std::size_t rejected = 0;
    std::lock_guard lock(mu_);
    for (const auto& item : items) {
        auto o = tracing_policy_from_json(item, kind);
        if (o) {
            fresh[o->source()] = std::move(*o);
            continue;
        }
        ++rejected;
        reject(o.error());
        // Its last good version (if any) stays.
        std::string src = source_of(item, kind);
        auto old = objects_.find(src);
        if (!src.empty() && old != objects_.end()) fresh[src] = old->second;
    }
    for (auto it = objects_.begin(); it != objects_.end();) {
        it = it->second.kind == kind ? objects_.erase(it) : std::next(it);
    }
    objects_.merge(fresh);
    reconcile();
    return rejected;
}

bool TracingPolicyWatch::on_event(TracingPolicyKind kind, WatchEventType type, const json& object) {
    std::lock_guard lock(mu_);
    if (type == WatchEventType::kDeleted) {
        std::string src = source_of(object, kind);
        if (src.empty()) {
            reject(std::string(kind_name(kind)) + ": DELETED event without metadata.name");
            return false;
        }
        objects_.erase(src);
    } else {
        auto o = tracing_policy_from_json(object, kind);
        if (!o) {
            reject(o.error());
            return false;  // the previous version stays
        }
        std::string src = o->source();
        objects_.insert_or_assign(src, std::move(*o));
    }
    reconcile();
    return true;
}

void TracingPolicyWatch::reject(const std::string& error) {
    ++rejected_;
    last_error_ = error;
    if (sink_.rejected) sink_.rejected(error);
}

void TracingPolicyWatch::reconcile() {
    for (const auto& [src, o] : objects_) {
        bool wanted = node_labels_ ? selects_node(o, *node_labels_) : !o.node_selector.has_value();
        auto done = applied_.find(src);
        if (wanted && (done == applied_.end() || done->second != o.document)) {
            if (sink_.apply) sink_.apply(o);
            applied_[src] = o.document;
        } else if (!wanted && done != applied_.end()) {
            if (sink_.remove) sink_.remove(src);
            applied_.erase(done);
        }
    }
    for (auto it = applied_.begin(); it != applied_.end();) {
        if (objects_.count(it->first)) {
            ++it;
            continue;
        }
        if (sink_.remove) sink_.remove(it->first);
        it = applied_.erase(it);
    }
}

void TracingPolicyWatch::bump() {
    {
        std::lock_guard lock(gen_mu_);
        ++generation_;
    }
    gen_cv_.notify_all();
}

std::uint64_t TracingPolicyWatch::generation() const {
    std::lock_guard lock(gen_mu_);
    return generation_;
}

bool TracingPolicyWatch::wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(gen_mu_);
    return gen_cv_.wait_for(lock, timeout, [&] { return generation_ != seen; });
}

PolicyWatchStats TracingPolicyWatch::stats() const {
    PolicyWatchStats s;
    s.cluster_wide = cluster_wide_->stats();
    s.namespaced = namespaced_->stats();
    std::lock_guard lock(mu_);
    s.objects = objects_.size();
    s.applied = applied_.size();
    s.rejected = rejected_;
    s.node_labels_loaded = node_labels_.has_value();
    s.node_errors = node_errors_;
    s.last_error = last_error_;
    return s;
}

}  // namespace vigil::k8s
