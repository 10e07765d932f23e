#include "export/pid_set_tracker.h"

#include <algorithm>
#include <utility>

namespace vigil::exporter {

PidSetTracker::PidSetTracker(std::vector<std::uint32_t> roots, std::shared_ptr<PidBudget> budget)
    : roots_(std::move(roots)), budget_(std::move(budget)) {}

bool PidSetTracker::contains(std::uint32_t pid) const {
    return std::find(roots_.begin(), roots_.end(), pid) != roots_.end() || descendants_.count(pid) != 0;
}

void PidSetTracker::learn(const EventView& v) {
    if (v.process == nullptr || v.parent == nullptr) return;
    const std::uint32_t pid = v.process->pid().value();
    if (contains(pid) || !contains(v.parent->pid().value())) return;
    if (budget_->remaining == 0) {
        ++budget_->untracked;
        return;
    }
    --budget_->remaining;
    descendants_.insert(pid);
}

void PidSetTracker::forget(const EventView& v) {
    if (v.type != tetragon::PROCESS_EXIT || v.process == nullptr) return;
    if (descendants_.erase(v.process->pid().value()) != 0) ++budget_->remaining;
}

}  // namespace vigil::exporter
