// hook id -> what the agent knows about the hook (policy, function, argument
// types). Written by policy management, read by the ring-buffer thread for
// every hook event, so reads take a shared lock and get an immutable copy.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "export/hook_mapping.h"

namespace vigil::agent {

class HookRegistry {
public:
    explicit HookRegistry(std::uint32_t max_hooks) : max_hooks_(max_hooks) {}

    // A free id (the next one after the last given out), reserved for `info`;
    // nullopt when all are in use.
    std::optional<std::uint32_t> add(exporter::HookInfo info);
    void remove(std::uint32_t id);
    std::shared_ptr<const exporter::HookInfo> get(std::uint32_t id) const;
    std::size_t size() const;

private:
    const std::uint32_t max_hooks_;
    mutable std::shared_mutex mu_;
    std::unordered_map<std::uint32_t, std::shared_ptr<const exporter::HookInfo>> hooks_;
    std::uint32_t next_ = 0;
};

}  // namespace vigil::agent
