// The Kubernetes list+watch protocol for one collection ("/api/v1/pods",
// "/apis/cilium.io/v1alpha1/tracingpolicies"), as client-go's reflector does
// it: list (paginated) to get the state and a resourceVersion, then watch
// from that resourceVersion with bookmarks; on 410 Gone (an HTTP 410 or an
// ERROR event with code 410) list again; on any other failure re-watch from
// the last resourceVersion after an exponential backoff. Malformed responses
// are counted and skipped; the handler's state is only replaced by a
// complete, well-formed list.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "k8s/backoff.h"
#include "k8s/http_client.h"
#include "k8s/stop_signal.h"

namespace vigil::k8s {

enum class WatchEventType { kAdded, kModified, kDeleted };

struct ListWatchOptions {
    std::string collection;  // "/api/v1/pods"
    std::string field_selector;
    std::string label_selector;
    std::size_t page_size = 500;
    std::size_t max_page_bytes = 64 << 20;   // one list page
    std::size_t max_event_bytes = 4 << 20;   // one watch event
    std::chrono::milliseconds backoff_initial{500};
    std::chrono::milliseconds backoff_max{30000};
    // Server-side watch duration (timeoutSeconds), jittered up to 2x as
    // client-go does; the watch is then renewed from its resourceVersion.
    std::chrono::seconds watch_timeout{300};
    std::chrono::seconds connect_timeout{10};
};

struct ListWatchHandler {
    // The complete state after a list; returns how many items it rejected.
    std::function<std::size_t(std::vector<nlohmann::json>&& items)> on_list;
    // One ADDED/MODIFIED/DELETED object; false if it rejected it.
    std::function<bool(WatchEventType, const nlohmann::json& object)> on_event;
    // After any change to the stats (for waiters); optional.
    std::function<void()> on_progress;
    // Before each list and watch request, on the watcher's thread; optional.
    // PodCache fetches the Node here until it has it.
    std::function<void()> before_request;
};

struct ListWatchStats {
    std::uint64_t lists = 0;        // successful lists, the first included
    std::uint64_t relists = 0;      // successful lists after the first
    std::uint64_t gone = 0;         // 410 Gone answers to a watch (HTTP or ERROR event) or a list
    std::uint64_t watches = 0;      // watch requests that got a 200
    std::uint64_t reconnects = 0;   // watch requests after the first
    std::uint64_t events = 0;       // ADDED/MODIFIED/DELETED received
    std::uint64_t bookmarks = 0;
    std::uint64_t api_errors = 0;   // failed requests: transport, non-2xx, unusable list
    std::uint64_t malformed = 0;    // unparsable responses, events or objects
    bool synced = false;            // a list has completed
    bool watching = false;          // a watch stream is open now
    std::string resource_version;   // the last one seen
    std::string last_error;
    std::chrono::steady_clock::time_point last_error_at{};
};

class ListWatcher {
public:
    ListWatcher(HttpClient& client, ListWatchOptions options, ListWatchHandler handler);

    // Lists and watches until stop is requested (and the client cancelled).
    void run(StopSignal& stop);

    ListWatchStats stats() const;

    // Builds "<collection>?<selectors>&<extra>".
    std::string target(const std::string& extra) const;

private:
    enum class WatchEnd { kClosed, kGone, kFailed };

    Result<std::string> list_all(const std::string& last_rv);
    WatchEnd watch(std::string& rv, StopSignal& stop);
    bool handle_event(std::string_view line, std::string& rv, WatchEnd& end);
    void record_error(const std::string& message, bool api_error, bool malformed = false);
    template <typename F>
    void update(F&& f);

    HttpClient& client_;
    ListWatchOptions options_;
    ListWatchHandler handler_;
    Backoff backoff_;
    std::mt19937 rng_{std::random_device{}()};
    std::uint64_t watch_attempts_ = 0;
    bool last_rv_unavailable_ = false;  // the server answered 410 to a list

    mutable std::mutex mu_;
    ListWatchStats stats_;
};

// "HTTP 403: pods is forbidden: ..." from a non-2xx answer's Status body.
std::string describe_http_error(long status, const std::string& body);

}  // namespace vigil::k8s
