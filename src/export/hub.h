// Fan-out of exported events to subscribers (gRPC streams, the JSON file).
// Each subscriber has its own bounded queue: publish() never waits, and a full
// queue drops the newest event for that subscriber only and counts it, like
// Tetragon's per-listener channel (tetragon_notify_overflowed_events_total).
// Filtering is the subscriber's job, on its own thread, so the publisher (the
// ring-buffer drain thread) does a constant amount of work per subscriber.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tetragon {
class GetEventsResponse;
}

namespace vigil::exporter {

using EventPtr = std::shared_ptr<const tetragon::GetEventsResponse>;

class Subscription {
public:
    Subscription(std::string name, std::size_t capacity);
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    // Waits up to `timeout` for an event. Returns false on timeout, or when the
    // subscription is closed and its queue is empty: events queued before close()
    // are still handed out, so a consumer can drain them on shutdown.
    bool pop(EventPtr& out, std::chrono::milliseconds timeout);
    // The same for a batch: waits up to `timeout` for the first event, then
    // moves up to `max` queued events to the end of `out` under one lock.
    // Returns how many were moved (0: timeout, or closed and drained).
    std::size_t pop_batch(std::vector<EventPtr>& out, std::size_t max, std::chrono::milliseconds timeout);

    enum class Offer { kQueued, kDropped, kClosed };
    // Enqueues without ever waiting. A full queue drops `ev` and counts it;
    // a closed subscription refuses it without counting. Called by Hub.
    Offer offer(EventPtr ev);
    // Enqueues a batch the same way, with at most one wake-up of the
    // consumer; returns how many were dropped. Called by Hub.
    std::size_t offer_batch(const EventPtr* evs, std::size_t n);

    // Wakes every blocked pop(); later offers are refused.
    void close();
    bool closed() const;

    const std::string& name() const { return name_; }
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    std::uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
    std::size_t queued() const;

private:
    const std::string name_;
    const std::size_t capacity_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<EventPtr> queue_;
    bool closed_ = false;
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> delivered_{0};
};

struct HubStats {
    std::size_t subscribers = 0;
    std::uint64_t published = 0;
    std::uint64_t dropped = 0;  // summed over all subscribers, past and present
};

class Hub {
public:
    explicit Hub(std::size_t queue_capacity);
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // After close_all() the returned subscription is already closed.
    std::shared_ptr<Subscription> subscribe(std::string name);
    // Removes and closes it; unknown subscriptions are ignored.
    void unsubscribe(const std::shared_ptr<Subscription>& sub);

    // Never blocks on a subscriber: at most a short lock of the subscriber list
    // and of each queue.
    void publish(EventPtr ev);
    // Publishes a batch in order: one lock of the subscriber list and one
    // wake-up per subscriber for the whole batch, not one per event (the
    // ring-buffer thread hands over what one poll drained).
    void publish_batch(const std::vector<EventPtr>& evs);

    HubStats stats() const;
    struct SubscriberStats {
        std::string name;
        std::uint64_t dropped = 0;
        std::size_t queued = 0;
    };
    // The current subscribers (metrics: drops per subscriber).
    std::vector<SubscriberStats> subscriber_stats() const;
    // Closes every subscription (shutdown) and refuses new ones.
    void close_all();

private:
    const std::size_t capacity_;
    mutable std::mutex mu_;
    std::vector<std::shared_ptr<Subscription>> subs_;
    bool closed_ = false;
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace vigil::exporter
