// GetUrl and DnsLookup, the actions vigild performs itself: when an event of
// a selector with such an action arrives, the URL is fetched (HTTP GET) or
// the name looked up (DNS A query), as canary-token triggers. One worker
// thread does them in order from a bounded queue, so a flood of matching
// events can neither block the ring-buffer drain nor grow memory: what does
// not fit is dropped and counted. Every outcome is counted per action.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "model/selector.h"

namespace vigil::agent {

struct RemoteActionOptions {
    std::size_t queue_size = 256;
    int timeout_ms = 5000;  // per request, connection included
    // DnsLookup's server as "ip" or "ip:port" (IPv4); empty: the system resolver (/etc/resolv.conf).
    std::string dns_server;
};

// Parses RemoteActionOptions::dns_server ("127.0.0.1", "127.0.0.1:5353").
Status check_dns_server(const std::string& spec);

// The action's name in policies and in metric labels: "GetUrl" or "DnsLookup".
const char* remote_action_name(model::RemoteActionKind kind);

class RemoteActions {
public:
    explicit RemoteActions(RemoteActionOptions opts);
    ~RemoteActions();
    RemoteActions(const RemoteActions&) = delete;
    RemoteActions& operator=(const RemoteActions&) = delete;

    // Queues the action; false (counted as dropped) if the queue is full.
    bool submit(const model::RemoteAction& a);
    // Returns once the queue is empty and no action is running (tests).
    void wait_idle();

    enum Result : std::size_t { kOk = 0, kFailed, kDropped, kResults };
    std::uint64_t count(model::RemoteActionKind kind, Result r) const {
        return counts_[static_cast<std::size_t>(kind)][r].load();
    }

private:
    void run();
    Status get_url(const std::string& url) const;
    Status dns_lookup(const std::string& name) const;
    void done(model::RemoteActionKind kind, const Status& st);
    void warn(model::RemoteActionKind kind, const std::string& what);

    const RemoteActionOptions opts_;
    std::mutex mu_;
    std::condition_variable cv_, idle_cv_;
    std::deque<model::RemoteAction> queue_;
    bool busy_ = false;
    bool stop_ = false;
    std::array<std::array<std::atomic<std::uint64_t>, kResults>, 2> counts_{};
    std::mutex warn_mu_;
    std::chrono::steady_clock::time_point last_warning_{};
    std::thread worker_;
};

}  // namespace vigil::agent
