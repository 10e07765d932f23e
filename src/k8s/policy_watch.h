// TracingPolicy and TracingPolicyNamespaced objects of the cluster, kept in
// step with the node: one list+watch per collection (each on its own
// thread), and a third thread fetching this node's labels (with backoff)
// until it has them. After every change
// the wanted set (objects whose nodeSelector selects this node) is compared
// with what was handed to the sink, and the sink is told to apply what is
// new or changed and to remove what is gone or no longer selects the node.
// A relist after 410 Gone or a reconnect removes what was deleted meanwhile.
//
// A policy with a nodeSelector waits until the node's labels are known; one
// without is applied at once. Malformed objects are counted and skipped (a
// previous good version stays). Sink calls are serialised.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "k8s/api_config.h"
#include "k8s/http_client.h"
#include "k8s/stop_signal.h"
#include "k8s/list_watcher.h"
#include "k8s/tracing_policy_object.h"
#include "k8s/watch_thread.h"

namespace vigil::k8s {

struct PolicyWatchSink {
    // Load the policy, or reload it when it was applied before with other text.
    std::function<void(const TracingPolicyObject&)> apply;
    // Unload what apply() loaded from this source (TracingPolicyObject::source()).
    std::function<void(const std::string& source)> remove;
    // A malformed object was skipped (optional; for logs).
    std::function<void(const std::string& error)> rejected;
};

struct PolicyWatchOptions {
    std::string node_name;  // required: whose labels nodeSelector is matched against
    std::size_t page_size = 500;
    std::size_t max_page_bytes = 64 << 20;
    std::size_t max_event_bytes = 4 << 20;
    std::size_t max_node_bytes = 4 << 20;
    std::chrono::milliseconds backoff_initial{500};
    std::chrono::milliseconds backoff_max{30000};
    std::chrono::seconds watch_timeout{300};
    std::chrono::seconds connect_timeout{10};
};

struct PolicyWatchStats {
    ListWatchStats cluster_wide;  // tracingpolicies
    ListWatchStats namespaced;    // tracingpoliciesnamespaced
    std::size_t objects = 0;      // policies in the cluster (well-formed)
    std::size_t applied = 0;      // of those, handed to the sink for this node
    std::uint64_t rejected = 0;   // malformed objects skipped
    bool node_labels_loaded = false;
    std::uint64_t node_errors = 0;
    std::string last_error;       // the latest rejection or node-label error
};

class TracingPolicyWatch {
public:
    TracingPolicyWatch(ApiServerConfig config, PolicyWatchOptions options, PolicyWatchSink sink);
    ~TracingPolicyWatch();
    TracingPolicyWatch(const TracingPolicyWatch&) = delete;
    TracingPolicyWatch& operator=(const TracingPolicyWatch&) = delete;

    void start();
    void stop();  // prompt; the sink is not called after it returns

    PolicyWatchStats stats() const;
    // Bumped after every change of objects, stats or applied set.
    std::uint64_t generation() const;
    bool wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const;

private:
    std::unique_ptr<WatchThread> make_watch(const ApiServerConfig& config, TracingPolicyKind kind);
    void fetch_node_labels();  // the node thread
    std::size_t on_list(TracingPolicyKind kind, std::vector<nlohmann::json>&& items);
    bool on_event(TracingPolicyKind kind, WatchEventType type, const nlohmann::json& object);
    void reject(const std::string& error);
    void reconcile();  // mu_ held
    void bump();

    PolicyWatchOptions options_;
    PolicyWatchSink sink_;
    std::unique_ptr<WatchThread> cluster_wide_;
    std::unique_ptr<WatchThread> namespaced_;
    HttpClient node_client_;
    StopSignal node_stop_;
    std::thread node_thread_;

    mutable std::mutex mu_;
    std::map<std::string, TracingPolicyObject> objects_;  // by source()
    std::map<std::string, std::string> applied_;          // source -> document handed to the sink
    std::optional<Labels> node_labels_;
    std::uint64_t rejected_ = 0;
    std::uint64_t node_errors_ = 0;
    std::string last_error_;

    mutable std::mutex gen_mu_;
    mutable std::condition_variable gen_cv_;
    std::uint64_t generation_ = 0;
};

}  // namespace vigil::k8s
