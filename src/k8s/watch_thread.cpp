#include "k8s/watch_thread.h"

namespace vigil::k8s {

WatchThread::WatchThread(ApiServerConfig config, ListWatchOptions options, ListWatchHandler handler)
    : client_(std::move(config)), watcher_(client_, std::move(options), std::move(handler)) {}

WatchThread::~WatchThread() { stop(); }

void WatchThread::start() {
    if (thread_.joinable()) return;
    stop_.reset();
    client_.reset();
    thread_ = std::thread([this] { watcher_.run(stop_); });
}

void WatchThread::stop() {
    stop_.request_stop();
    client_.cancel();
    if (thread_.joinable()) thread_.join();
}

}  // namespace vigil::k8s
