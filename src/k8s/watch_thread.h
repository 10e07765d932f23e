// One list+watch running on a thread of its own, with its own HttpClient
// (libcurl handles are not shared between threads). PodCache is built on it;
// the same serves any other collection, e.g. TracingPolicy objects:
//   WatchThread w(config, {.collection = "/apis/cilium.io/v1alpha1/tracingpolicies"},
//                 {.on_list = ..., .on_event = ...});
//   w.start(); ... w.stop();
// The handler runs on the watch thread.
#pragma once

#include <thread>

#include "k8s/api_config.h"
#include "k8s/http_client.h"
#include "k8s/list_watcher.h"
#include "k8s/stop_signal.h"

namespace vigil::k8s {

class WatchThread {
public:
    WatchThread(ApiServerConfig config, ListWatchOptions options, ListWatchHandler handler);
    ~WatchThread();
    WatchThread(const WatchThread&) = delete;
    WatchThread& operator=(const WatchThread&) = delete;

    void start();
    // Prompt: interrupts a running request or a backoff, then joins.
    void stop();

    ListWatchStats stats() const { return watcher_.stats(); }
    // For extra requests from within the handler (the watch thread only).
    HttpClient& client() { return client_; }
    bool stop_requested() const { return stop_.stop_requested(); }

private:
    HttpClient client_;
    ListWatcher watcher_;
    StopSignal stop_;
    std::thread thread_;
};

}  // namespace vigil::k8s
