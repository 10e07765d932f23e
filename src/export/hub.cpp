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
