// A stop request that sleeping loops can wait on: wait_for returns early
// (false) as soon as stop is requested, so shutdown never waits out a backoff.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace vigil::k8s {

class StopSignal {
public:
    void request_stop() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
    }
    void reset() {
        std::lock_guard lock(mu_);
        stop_ = false;
    }
    bool stop_requested() const {
        std::lock_guard lock(mu_);
        return stop_;
    }
    // true after the full wait; false when stop was requested.
    bool wait_for(std::chrono::milliseconds d) {
        std::unique_lock lock(mu_);
        return !cv_.wait_for(lock, d, [&] { return stop_; });
    }

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
};

}  // namespace vigil::k8s
