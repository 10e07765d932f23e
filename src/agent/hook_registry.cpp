#include "agent/hook_registry.h"

#include <mutex>

namespace vigil::agent {

std::optional<std::uint32_t> HookRegistry::add(exporter::HookInfo info) {
    std::unique_lock lock(mu_);
    for (std::uint32_t id = 0; id < max_hooks_; ++id) {
        if (hooks_.count(id) == 0) {
            hooks_[id] = std::make_shared<const exporter::HookInfo>(std::move(info));
            return id;
        }
    }
    return std::nullopt;
}

void HookRegistry::remove(std::uint32_t id) {
    std::unique_lock lock(mu_);
    hooks_.erase(id);
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
