#include "agent/loss_notice.h"

#include <time.h>

namespace vigil::agent {

std::uint64_t LossNotice::boot_time_ns() {
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::optional<tetragon::GetEventsResponse> LossNotice::check(std::uint64_t lost_total, Clock::time_point now) {
    if (!started_) {
        started_ = true;
        base_ = lost_total;
        next_ = now;
        return std::nullopt;
    }
    if (lost_total <= base_ || now < next_) return std::nullopt;
    tetragon::GetEventsResponse ev;
    ev.mutable_rate_limit_info()->set_number_of_dropped_process_events(lost_total - base_);
    notified_ += lost_total - base_;
    base_ = lost_total;
    next_ = now + interval_;
    return ev;
}

}  // namespace vigil::agent
