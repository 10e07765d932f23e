// State behind a pid_set filter: the requested pids plus the descendants
// learned from events seen so far (see filters.h for the limitation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

#include "export/event_access.h"

namespace vigil::exporter {

// Learned pids are bounded per EventFilter; trackers share one budget.
struct PidBudget {
    std::size_t remaining = 0;
    std::uint64_t untracked = 0;  // descendants not learned because the budget ran out
};

class PidSetTracker {
public:
    PidSetTracker(std::vector<std::uint32_t> roots, std::shared_ptr<PidBudget> budget);

    // Before matching: learns the event's process if its parent is a member.
    void learn(const EventView& v);
    // After matching: an exit frees a learned pid so a reused pid is not matched.
    void forget(const EventView& v);

    bool contains(std::uint32_t pid) const;
    std::size_t learned() const { return descendants_.size(); }

private:
    std::vector<std::uint32_t> roots_;  // never forgotten
    std::unordered_set<std::uint32_t> descendants_;
    std::shared_ptr<PidBudget> budget_;
};

}  // namespace vigil::exporter
