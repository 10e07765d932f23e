#include "export/hub.h"

#include <algorithm>
#include <utility>

namespace vigil::exporter {

Subscription::Subscription(std::string name, std::size_t capacity)
    : name_(std::move(name)), capacity_(std::max<std::size_t>(capacity, 1)) {}

bool Subscription::pop(EventPtr& out, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return !queue_.empty() || closed_; })) return false;
    if (queue_.empty()) return false;  // closed and drained
    out = std::move(queue_.front());
    queue_.pop_front();
    delivered_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

std::size_t Subscription::pop_batch(std::vector<EventPtr>& out, std::size_t max,
                                    std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [this] { return !queue_.empty() || closed_; })) return 0;
    const std::size_t n = std::min(max, queue_.size());
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    delivered_.fetch_add(n, std::memory_order_relaxed);
    return n;
}

std::size_t Subscription::offer_batch(const EventPtr* evs, std::size_t n) {
    std::size_t dropped = 0;
    {
        std::lock_guard lock(mu_);
        if (closed_) return 0;
        const std::size_t room = capacity_ > queue_.size() ? capacity_ - queue_.size() : 0;
        const std::size_t take = std::min(room, n);
        for (std::size_t i = 0; i < take; ++i) queue_.push_back(evs[i]);
        dropped = n - take;
    }
    if (dropped > 0) dropped_.fetch_add(dropped, std::memory_order_relaxed);
    if (dropped < n) cv_.notify_one();
    return dropped;
}

Subscription::Offer Subscription::offer(EventPtr ev) {
    {
        std::lock_guard lock(mu_);
        if (closed_) return Offer::kClosed;
        if (queue_.size() >= capacity_) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return Offer::kDropped;
        }
        queue_.push_back(std::move(ev));
    }
    cv_.notify_one();
    return Offer::kQueued;
}

void Subscription::close() {
    {
        std::lock_guard lock(mu_);
        closed_ = true;
    }
    cv_.notify_all();
}

bool Subscription::closed() const {
    std::lock_guard lock(mu_);
    return closed_;
}

std::size_t Subscription::queued() const {
    std::lock_guard lock(mu_);
    return queue_.size();
}

Hub::Hub(std::size_t queue_capacity) : capacity_(queue_capacity) {}

std::shared_ptr<Subscription> Hub::subscribe(std::string name) {
    auto sub = std::make_shared<Subscription>(std::move(name), capacity_);
    std::lock_guard lock(mu_);
    if (closed_) {
        sub->close();
    } else {
        subs_.push_back(sub);
    }
    return sub;
}

void Hub::unsubscribe(const std::shared_ptr<Subscription>& sub) {
    if (!sub) return;
    {
        std::lock_guard lock(mu_);
        subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
    }
    sub->close();
}

void Hub::publish(EventPtr ev) {
    published_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    for (const auto& sub : subs_) {
        // Drops are counted here as well as per subscriber so the hub total
        // survives unsubscribe.
        if (sub->offer(ev) == Subscription::Offer::kDropped) dropped_.fetch_add(1, std::memory_order_relaxed);
    }
}

void Hub::publish_batch(const std::vector<EventPtr>& evs) {
    if (evs.empty()) return;
    published_.fetch_add(evs.size(), std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    for (const auto& sub : subs_) {
        if (const std::size_t d = sub->offer_batch(evs.data(), evs.size()); d > 0) {
            dropped_.fetch_add(d, std::memory_order_relaxed);
        }
    }
}

HubStats Hub::stats() const {
    HubStats s;
    {
        std::lock_guard lock(mu_);
        s.subscribers = subs_.size();
    }
    s.published = published_.load(std::memory_order_relaxed);
    s.dropped = dropped_.load(std::memory_order_relaxed);
    return s;
}

void Hub::close_all() {
    std::vector<std::shared_ptr<Subscription>> subs;
    {
        std::lock_guard lock(mu_);
        closed_ = true;
        subs.swap(subs_);
    }
    for (const auto& sub : subs) sub->close();
}

std::vector<Hub::SubscriberStats> Hub::subscriber_stats() const {
    std::lock_guard lock(mu_);
    std::vector<SubscriberStats> out;
    out.reserve(subs_.size());
    for (const auto& s : subs_) out.push_back({s->name(), s->dropped(), s->queued()});
    return out;
}

}  // namespace vigil::exporter
