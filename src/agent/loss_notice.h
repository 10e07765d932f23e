// Tells subscribers that events were lost before they reached vigild: when
// the BPF ring buffer's loss counter has grown, one GetEventsResponse with
// rate_limit_info.number_of_dropped_process_events = the growth goes on the
// stream and into the export file (Tetragon's notice for dropped events), so
// a consumer sees the gap where it happened, not only in a metric.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "tetragon/events.pb.h"

namespace vigil::agent {

class LossNotice {
public:
    using Clock = std::chrono::steady_clock;

    // At most one notice per interval; losses in between add up.
    explicit LossNotice(Clock::duration interval = std::chrono::seconds(1)) : interval_(interval) {}

    // `lost_total`: the kernel's cumulative count (vigil_stats RB_RESERVE_FAIL).
    // The first call only records the starting point.
    std::optional<tetragon::GetEventsResponse> check(std::uint64_t lost_total, Clock::time_point now);

    std::uint64_t notified() const { return notified_; }  // events reported in notices so far

    // CLOCK_BOOTTIME now, in ns: the clock BPF timestamps use, for the notice's time.
    static std::uint64_t boot_time_ns();

private:
    Clock::duration interval_;
    bool started_ = false;
    std::uint64_t base_ = 0;      // counter value already covered by notices (or at start)
    std::uint64_t notified_ = 0;
    Clock::time_point next_{};
};

}  // namespace vigil::agent
