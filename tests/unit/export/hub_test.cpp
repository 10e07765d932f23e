#include "export/hub.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "test_events.h"

namespace vigil::exporter {
namespace {

using namespace std::chrono_literals;

EventPtr event_with_pid(std::uint32_t pid) {
    return std::make_shared<const tetragon::GetEventsResponse>(
        testing::exec_event(testing::make_process("/bin/x", "", pid)));
}

std::uint32_t pid_of(const EventPtr& ev) { return ev->process_exec().process().pid().value(); }

TEST(Hub, EverySubscriberGetsEveryEventInOrder) {
    Hub hub(16);
    auto a = hub.subscribe("a");
    auto b = hub.subscribe("b");
    for (std::uint32_t i = 1; i <= 5; ++i) hub.publish(event_with_pid(i));
    for (const auto& sub : {a, b}) {
        for (std::uint32_t i = 1; i <= 5; ++i) {
            EventPtr ev;
            ASSERT_TRUE(sub->pop(ev, 0ms)) << sub->name() << " event " << i;
            EXPECT_EQ(pid_of(ev), i);
        }
        EXPECT_EQ(sub->delivered(), 5u);
        EXPECT_EQ(sub->dropped(), 0u);
    }
    EXPECT_EQ(hub.stats().published, 5u);
    EXPECT_EQ(hub.stats().subscribers, 2u);
}

TEST(Hub, SlowSubscriberDropsOnlyItsOwnEvents) {
    Hub hub(3);
    auto slow = hub.subscribe("slow");
    auto fast = hub.subscribe("fast");
    std::vector<std::uint32_t> fast_seen;
    for (std::uint32_t i = 1; i <= 10; ++i) {
        hub.publish(event_with_pid(i));
        EventPtr ev;
        ASSERT_TRUE(fast->pop(ev, 0ms));
        fast_seen.push_back(pid_of(ev));
    }
    EXPECT_EQ(fast_seen.size(), 10u);
    EXPECT_EQ(fast->dropped(), 0u);
    EXPECT_EQ(slow->dropped(), 7u);
    EXPECT_EQ(slow->queued(), 3u);
    // The oldest events are kept; the newest are the ones dropped.
    for (std::uint32_t i = 1; i <= 3; ++i) {
        EventPtr ev;
        ASSERT_TRUE(slow->pop(ev, 0ms));
        EXPECT_EQ(pid_of(ev), i);
    }
    EXPECT_EQ(hub.stats().dropped, 7u);
    EXPECT_EQ(hub.stats().published, 10u);
}

TEST(Hub, DropTotalSurvivesUnsubscribe) {
    Hub hub(1);
    auto sub = hub.subscribe("s");
    hub.publish(event_with_pid(1));
    hub.publish(event_with_pid(2));
    hub.unsubscribe(sub);
    EXPECT_TRUE(sub->closed());
    EXPECT_EQ(hub.stats().subscribers, 0u);
    EXPECT_EQ(hub.stats().dropped, 1u);
    hub.publish(event_with_pid(3));
    EXPECT_EQ(sub->dropped(), 1u) << "an unsubscribed queue no longer receives";
    hub.unsubscribe(sub);      // twice: ignored
    hub.unsubscribe(nullptr);  // ignored
}

TEST(Hub, ClosedSubscriptionDrainsThenEnds) {
    Subscription sub("s", 4);
    EXPECT_EQ(sub.offer(event_with_pid(1)), Subscription::Offer::kQueued);
    EXPECT_EQ(sub.offer(event_with_pid(2)), Subscription::Offer::kQueued);
    sub.close();
    EXPECT_EQ(sub.offer(event_with_pid(3)), Subscription::Offer::kClosed);
    EXPECT_EQ(sub.dropped(), 0u) << "refusals after close are not drops";
    EventPtr ev;
    ASSERT_TRUE(sub.pop(ev, 0ms));
    EXPECT_EQ(pid_of(ev), 1u);
    ASSERT_TRUE(sub.pop(ev, 0ms));
    EXPECT_EQ(pid_of(ev), 2u);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(sub.pop(ev, 10s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "closed and empty returns at once";
}

TEST(Hub, PopTimesOutOnAnEmptyOpenQueue) {
    Subscription sub("s", 4);
    EventPtr ev;
    EXPECT_FALSE(sub.pop(ev, 1ms));
    EXPECT_FALSE(sub.closed());
}

TEST(Hub, CloseWakesABlockedPop) {
    Subscription sub("s", 4);
    std::promise<void> waiting;
    auto result = std::async(std::launch::async, [&] {
        waiting.set_value();
        EventPtr ev;
        return sub.pop(ev, 60s);
    });
    waiting.get_future().wait();
    sub.close();
    // If close() did not wake it, this would take 60 s.
    ASSERT_EQ(result.wait_for(30s), std::future_status::ready);
    EXPECT_FALSE(result.get());
}

TEST(Hub, OfferWakesABlockedPop) {
    Subscription sub("s", 4);
    auto result = std::async(std::launch::async, [&] {
        EventPtr ev;
        return sub.pop(ev, 60s) ? pid_of(ev) : 0u;
    });
    EXPECT_EQ(sub.offer(event_with_pid(9)), Subscription::Offer::kQueued);
    ASSERT_EQ(result.wait_for(30s), std::future_status::ready);
    EXPECT_EQ(result.get(), 9u);
}

TEST(Hub, CloseAllClosesEveryoneAndRefusesNewSubscribers) {
    Hub hub(4);
    auto a = hub.subscribe("a");
    hub.publish(event_with_pid(1));
    hub.close_all();
    EXPECT_TRUE(a->closed());
    EXPECT_EQ(hub.stats().subscribers, 0u);
    EventPtr ev;
    EXPECT_TRUE(a->pop(ev, 0ms)) << "queued events survive close_all";
    auto late = hub.subscribe("late");
    EXPECT_TRUE(late->closed());
    hub.publish(event_with_pid(2));
    EXPECT_EQ(late->queued(), 0u);
    EXPECT_EQ(hub.stats().subscribers, 0u);
}

TEST(Hub, ConcurrentPublishAndConsumeAccountForEveryEvent) {
    Hub hub(64);
    auto sub = hub.subscribe("consumer");
    constexpr std::uint32_t kEvents = 20000;
    std::uint64_t received = 0;
    std::uint32_t last = 0;
    bool ordered = true;
    std::thread consumer([&] {
        EventPtr ev;
        while (sub->pop(ev, 10s)) {
            ++received;
            ordered = ordered && pid_of(ev) > last;
            last = pid_of(ev);
        }
    });
    for (std::uint32_t i = 1; i <= kEvents; ++i) hub.publish(event_with_pid(i));
    hub.close_all();
    consumer.join();
    EXPECT_TRUE(ordered);
    EXPECT_EQ(received + sub->dropped(), kEvents);
    EXPECT_EQ(hub.stats().dropped, sub->dropped());
    EXPECT_EQ(sub->delivered(), received);
}

}  // namespace
}  // namespace vigil::exporter

namespace vigil::exporter {
namespace {

TEST(HubBatch, PublishBatchKeepsOrderAndDropsTheNewestWhenFull) {
    Hub hub(4);
    auto sub = hub.subscribe("s");
    std::vector<EventPtr> batch;
    for (std::uint32_t i = 1; i <= 6; ++i) batch.push_back(event_with_pid(i));
    hub.publish_batch(batch);
    EXPECT_EQ(hub.stats().published, 6u);
    EXPECT_EQ(hub.stats().dropped, 2u);
    EXPECT_EQ(sub->dropped(), 2u);
    std::vector<EventPtr> got;
    EXPECT_EQ(sub->pop_batch(got, 3, 0ms), 3u);
    EXPECT_EQ(sub->pop_batch(got, 10, 0ms), 1u);
    ASSERT_EQ(got.size(), 4u);
    for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(pid_of(got[i]), i + 1);
    EXPECT_EQ(sub->delivered(), 4u);
    EXPECT_EQ(sub->pop_batch(got, 10, 0ms), 0u) << "empty queue times out";
}

TEST(HubBatch, PopBatchWakesForAPublishAndEndsOnClose) {
    Hub hub(16);
    auto sub = hub.subscribe("s");
    auto waiter = std::async(std::launch::async, [&] {
        std::vector<EventPtr> got;
        return sub->pop_batch(got, 16, 10s);
    });
    hub.publish_batch({event_with_pid(7), event_with_pid(8)});
    EXPECT_GE(waiter.get(), 1u);
    sub->close();
    std::vector<EventPtr> rest;
    sub->pop_batch(rest, 16, 10s);  // whatever was left is still handed out
    EXPECT_EQ(sub->pop_batch(rest, 16, 10s), 0u) << "closed and drained returns at once";
}

}  // namespace
}  // namespace vigil::exporter
