// hook id -> what the agent knows about the hook (policy, function, argument
// types). Written by policy management, read by the ring-buffer thread for
// every hook event, so reads take a shared lock and get an immutable copy.
//
// A removed hook's records may still wait in the ring buffer when its policy
// is deleted, so removal is deferred: retire() keeps the entry (get() still
// answers, add() does not hand the id out) until the drain thread has
// finished two passes that began after it. The first takes everything queued
// at the time; the second covers a program run still in flight on another
// CPU when the hook was detached.
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
    // At once: for an id whose hook never ran (a failed attach).
    void remove(std::uint32_t id);
    // Once the ring buffer has been drained past this point (see above).
    void retire(std::uint32_t id);
    // The drain thread brackets each ring-buffer pass with these; the end of
    // a pass frees what it and the one before it have drained.
    std::uint64_t drain_pass_begins();
    void drain_pass_ended(std::uint64_t pass);
    std::size_t retired() const;
    std::shared_ptr<const exporter::HookInfo> get(std::uint32_t id) const;
    std::size_t size() const;

private:
    const std::uint32_t max_hooks_;
    mutable std::shared_mutex mu_;
    std::unordered_map<std::uint32_t, std::shared_ptr<const exporter::HookInfo>> hooks_;
    std::unordered_map<std::uint32_t, std::uint64_t> retired_;  // id -> passes begun at retire()
    std::uint64_t passes_begun_ = 0;
    std::uint32_t next_ = 0;
};

}  // namespace vigil::agent
