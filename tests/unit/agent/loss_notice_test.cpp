#include "agent/loss_notice.h"

#include <gtest/gtest.h>

namespace vigil::agent {
namespace {

using namespace std::chrono_literals;

TEST(LossNotice, ReportsGrowthOncePerIntervalAndLosesNothing) {
    LossNotice n(1s);
    const auto t0 = LossNotice::Clock::time_point{} + 100s;
    EXPECT_FALSE(n.check(7, t0)) << "the starting value is not a loss of this run";
    EXPECT_FALSE(n.check(7, t0 + 10ms)) << "no growth, no notice";
    auto first = n.check(10, t0 + 20ms);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->rate_limit_info().number_of_dropped_process_events(), 3u);
    EXPECT_FALSE(n.check(15, t0 + 500ms)) << "within the interval";
    auto second = n.check(16, t0 + 1100ms);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->rate_limit_info().number_of_dropped_process_events(), 6u) << "the held-back 5 included";
    EXPECT_EQ(n.notified(), 9u);
}

}  // namespace
}  // namespace vigil::agent
