#include "metrics/health.h"

namespace vigil::metrics {

void Health::require(const std::string& condition, std::string waiting_for) {
    std::lock_guard lock(mu_);
    conditions_[condition] = {false, std::move(waiting_for)};
}

void Health::set(const std::string& condition, bool met, std::string detail) {
    std::lock_guard lock(mu_);
    conditions_[condition] = {met, std::move(detail)};
}

Health::Report Health::report() const {
    std::lock_guard lock(mu_);
    Report r;
    if (conditions_.empty()) {
        r.pending.push_back("agent: starting");
        return r;
    }
    for (const auto& [name, c] : conditions_) {
        if (!c.met) r.pending.push_back(c.detail.empty() ? name : name + ": " + c.detail);
    }
    r.ready = r.pending.empty();
    return r;
}

}  // namespace vigil::metrics
