#include "agent/hook_registry.h"

#include <mutex>

namespace vigil::agent {

std::optional<std::uint32_t> HookRegistry::add(exporter::HookInfo info) {
    std::unique_lock lock(mu_);
    // Round robin, not lowest-free: records of a just-removed hook may still
    // be queued in the ring buffer, and must not be attributed to a new hook
    // that got its id.
    for (std::uint32_t n = 0; n < max_hooks_; ++n) {
        std::uint32_t id = (next_ + n) % max_hooks_;
        if (hooks_.count(id) == 0) {
            hooks_[id] = std::make_shared<const exporter::HookInfo>(std::move(info));
            next_ = (id + 1) % max_hooks_;
            return id;
        }
    }
    return std::nullopt;
}

void HookRegistry::remove(std::uint32_t id) {
    std::unique_lock lock(mu_);
    hooks_.erase(id);
    retired_.erase(id);
}

void HookRegistry::retire(std::uint32_t id) {
    std::unique_lock lock(mu_);
    if (hooks_.count(id)) retired_[id] = passes_begun_;
}

std::uint64_t HookRegistry::drain_pass_begins() {
    std::unique_lock lock(mu_);
    return ++passes_begun_;
}

void HookRegistry::drain_pass_ended(std::uint64_t pass) {
    std::unique_lock lock(mu_);
    for (auto it = retired_.begin(); it != retired_.end();) {
        if (pass >= it->second + 2) {
            hooks_.erase(it->first);
            it = retired_.erase(it);
        } else {
            ++it;
        }
    }
}

std::size_t HookRegistry::retired() const {
    std::shared_lock lock(mu_);
    return retired_.size();
}

std::shared_ptr<const exporter::HookInfo> HookRegistry::get(std::uint32_t id) const {
    std::shared_lock lock(mu_);
    auto it = hooks_.find(id);
    return it == hooks_.end() ? nullptr : it->second;
}

std::size_t HookRegistry::size() const {
    std::shared_lock lock(mu_);
    return hooks_.size();
}

}  // namespace vigil::agent
