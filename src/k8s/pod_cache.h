// The pods of this node, kept current from the API server on a thread of
// its own: list+watch of pods with fieldSelector=spec.nodeName=<node>, and
// the Node's labels fetched once. Lookups never block on the network; while
// the API server is unreachable they answer from the last good state.
//
// Typical use (vigild):
//   auto cfg = load_in_cluster_config(InClusterInputs::from_environment());
//   PodCache cache(*cfg, {.node_name = node});
//   cache.set_listener(...);   // optional: pod added/updated/deleted
//   cache.start();
//   if (auto c = cache.find_container(docker_field_or_full_id)) { c->pod->namespace_ ... }
//   cache.stop();
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "k8s/api_config.h"
#include "k8s/list_watcher.h"
#include "k8s/pod_info.h"
#include "k8s/pod_store.h"
#include "k8s/watch_thread.h"

namespace vigil::k8s {

struct PodCacheOptions {
    std::string node_name;                    // required: the spec.nodeName to watch
    std::size_t retired_pod_capacity = 1024;  // deleted pods kept for late events
    std::size_t page_size = 500;
    std::size_t max_page_bytes = 64 << 20;
    std::size_t max_event_bytes = 4 << 20;
    std::size_t max_node_bytes = 4 << 20;
    std::chrono::milliseconds backoff_initial{500};
    std::chrono::milliseconds backoff_max{30000};
    std::chrono::seconds watch_timeout{300};
    std::chrono::seconds connect_timeout{10};
};

struct PodCacheStats {
    std::size_t pods = 0;
    std::size_t containers = 0;
    std::size_t retired_pods = 0;
    bool node_labels_loaded = false;
    ListWatchStats watch;  // lists, relists, gone, reconnects, api_errors, malformed, last_error...
    std::uint64_t node_errors = 0;  // failed GETs of the Node (also in last_error)
    std::string last_error;         // the most recent of watch.last_error and node errors
};

using PodListener = std::function<void(const PodChange&)>;

class PodCache {
public:
    PodCache(ApiServerConfig config, PodCacheOptions options);
    ~PodCache();
    PodCache(const PodCache&) = delete;
    PodCache& operator=(const PodCache&) = delete;

    // Called on the cache thread for each pod added, updated or deleted
    // (after a relist, once per difference). Set before start().
    void set_listener(PodListener listener);

    void start();
    void stop();  // prompt: interrupts a running request or backoff

    // See PodStore::find_container: full id, bare id or >= 12-char prefix
    // (the 31-char docker field).
    std::optional<ContainerLookup> find_container(std::string_view container_id) const;
    std::shared_ptr<const PodInfo> find_pod(std::string_view pod_uid) const;
    std::vector<std::shared_ptr<const PodInfo>> pods() const;
    Labels node_labels() const;
    PodCacheStats stats() const;

    // Bumped on every change of pods or stats; wait_for_change returns true
    // once generation() != seen, false on timeout.
    std::uint64_t generation() const;
    bool wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const;

private:
    void fetch_node_labels();
    std::size_t on_list(std::vector<nlohmann::json>&& items);
    bool on_event(WatchEventType type, const nlohmann::json& object);
    void notify(const std::vector<PodChange>& changes);
    void bump();

    PodCacheOptions options_;
    std::unique_ptr<WatchThread> watch_;
    PodListener listener_;

    mutable std::shared_mutex store_mu_;
    PodStore store_;
    Labels node_labels_;
    bool node_labels_loaded_ = false;
    std::uint64_t node_errors_ = 0;
    std::string node_error_;
    std::chrono::steady_clock::time_point node_error_at_{};

    mutable std::mutex gen_mu_;
    mutable std::condition_variable gen_cv_;
    std::uint64_t generation_ = 0;
};

}  // namespace vigil::k8s
