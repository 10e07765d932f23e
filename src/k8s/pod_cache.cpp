#include "k8s/pod_cache.h"

#include "common/fatal.h"
#include "k8s/node_labels.h"
#include "k8s/pod_json.h"

namespace vigil::k8s {

using nlohmann::json;

PodCache::PodCache(ApiServerConfig config, PodCacheOptions options)
    : options_(std::move(options)), store_(options_.retired_pod_capacity) {
    if (options_.node_name.empty()) {
        throw FatalError("the Kubernetes pod cache needs this node's name (set NODE_NAME)");
    }
    ListWatchOptions lw;
    lw.collection = "/api/v1/pods";
    lw.field_selector = "spec.nodeName=" + options_.node_name;
    lw.page_size = options_.page_size;
    lw.max_page_bytes = options_.max_page_bytes;
    lw.max_event_bytes = options_.max_event_bytes;
    lw.backoff_initial = options_.backoff_initial;
    lw.backoff_max = options_.backoff_max;
    lw.watch_timeout = options_.watch_timeout;
    lw.connect_timeout = options_.connect_timeout;
    ListWatchHandler h;
    h.on_list = [this](std::vector<json>&& items) { return on_list(std::move(items)); };
    h.on_event = [this](WatchEventType t, const json& o) { return on_event(t, o); };
    h.on_progress = [this] { bump(); };
    h.before_request = [this] { fetch_node_labels(); };
    watch_ = std::make_unique<WatchThread>(std::move(config), std::move(lw), std::move(h));
}

PodCache::~PodCache() { stop(); }

void PodCache::set_listener(PodListener listener) { listener_ = std::move(listener); }

void PodCache::start() { watch_->start(); }

void PodCache::stop() { watch_->stop(); }

void PodCache::fetch_node_labels() {
    {
        std::shared_lock lock(store_mu_);
        if (node_labels_loaded_) return;
    }
    HttpLimits limits;
    limits.connect_timeout = options_.connect_timeout;
    limits.max_body = options_.max_node_bytes;
    std::string error;
    Labels labels;
    if (auto fetched = ::vigil::k8s::fetch_node_labels(watch_->client(), options_.node_name, limits)) {
        labels = std::move(fetched).value();
    } else {
        error = fetched.error();
    }
    if (watch_->stop_requested() && !error.empty()) return;
    {
        std::unique_lock lock(store_mu_);
        if (error.empty()) {
            node_labels_ = std::move(labels);
            node_labels_loaded_ = true;
        } else {
            ++node_errors_;
            node_error_ = "node labels: " + error;
            node_error_at_ = std::chrono::steady_clock::now();
        }
    }
    bump();
}

std::size_t PodCache::on_list(std::vector<json>&& items) {
    std::vector<PodInfo> pods;
    std::vector<std::string> keep;  // uids of unusable items: their last good version stays
    std::size_t rejected = 0;
    for (const auto& item : items) {
        auto p = pod_from_json(item);
        if (p) {
            pods.push_back(std::move(*p));
            continue;
        }
        ++rejected;
        const json* uid = item.is_object() && item.contains("metadata") && item["metadata"].is_object() &&
                                  item["metadata"].contains("uid")
                              ? &item["metadata"]["uid"]
                              : nullptr;
        if (uid != nullptr && uid->is_string()) keep.push_back(uid->get<std::string>());
    }
    std::vector<PodChange> changes;
    {
        std::unique_lock lock(store_mu_);
        changes = store_.replace_all(std::move(pods), keep);
    }
    notify(changes);
    return rejected;
}

bool PodCache::on_event(WatchEventType type, const json& object) {
    auto p = pod_from_json(object);
    if (!p) return false;  // the previous version of the pod stays
    std::optional<PodChange> change;
    {
        std::unique_lock lock(store_mu_);
        if (type == WatchEventType::kDeleted) {
            change = store_.remove(p->uid);
        } else {
            change = store_.upsert(std::move(*p));
        }
    }
    if (change) notify({*change});
    return true;
}

void PodCache::notify(const std::vector<PodChange>& changes) {
    if (listener_) {
        for (const auto& c : changes) listener_(c);
    }
    if (!changes.empty()) bump();
}

void PodCache::bump() {
    {
        std::lock_guard lock(gen_mu_);
        ++generation_;
    }
    gen_cv_.notify_all();
}

std::uint64_t PodCache::generation() const {
    std::lock_guard lock(gen_mu_);
    return generation_;
}

bool PodCache::wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(gen_mu_);
    return gen_cv_.wait_for(lock, timeout, [&] { return generation_ != seen; });
}

std::optional<ContainerLookup> PodCache::find_container(std::string_view container_id) const {
    std::shared_lock lock(store_mu_);
    return store_.find_container(container_id);
}

std::shared_ptr<const PodInfo> PodCache::find_pod(std::string_view pod_uid) const {
    std::shared_lock lock(store_mu_);
    return store_.find_pod(pod_uid);
}

std::vector<std::shared_ptr<const PodInfo>> PodCache::pods() const {
    std::shared_lock lock(store_mu_);
    return store_.pods();
}

Labels PodCache::node_labels() const {
    std::shared_lock lock(store_mu_);
    return node_labels_;
}

PodCacheStats PodCache::stats() const {
    PodCacheStats s;
    s.watch = watch_->stats();
    std::shared_lock lock(store_mu_);
    s.pods = store_.size();
    s.containers = store_.container_count();
    s.retired_pods = store_.retired_size();
    s.node_labels_loaded = node_labels_loaded_;
    s.node_errors = node_errors_;
    s.last_error = s.watch.last_error;
    if (!node_error_.empty() && node_error_at_ >= s.watch.last_error_at) s.last_error = node_error_;
    return s;
}

}  // namespace vigil::k8s
