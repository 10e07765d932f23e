// The shared sink loop: batches, filter, one flush per burst, drain on stop.
#include "export/sink_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "test_events.h"

namespace vigil::exporter {
namespace {

struct Recorded {
    std::mutex mu;
    std::vector<std::uint32_t> pids;
    std::atomic<int> flushes{0};
};

class RecordingSink final : public EventSink {
public:
    explicit RecordingSink(Recorded& r) : r_(r) {}
    void write_event(const tetragon::GetEventsResponse& ev) override {
        std::lock_guard lock(r_.mu);
        r_.pids.push_back(ev.process_exec().process().pid().value());
    }
    void flush() override { r_.flushes.fetch_add(1); }

private:
    Recorded& r_;
};

std::vector<EventPtr> events(std::uint32_t first, std::uint32_t n) {
    std::vector<EventPtr> out;
    for (std::uint32_t i = 0; i < n; ++i) {
        out.push_back(std::make_shared<const tetragon::GetEventsResponse>(
            testing::exec_event(testing::make_process("/bin/x", "", first + i))));
    }
    return out;
}

TEST(SinkWorker, WritesEveryEventInOrderAndFlushesPerBurstNotPerEvent) {
    Hub hub(1000);
    auto sub = hub.subscribe("t");
    Recorded rec;
    // Published before the worker starts: one queue, drained as one burst.
    hub.publish_batch(events(1, 500));
    SinkWorker worker(sub, std::make_unique<RecordingSink>(rec));
    worker.stop();
    ASSERT_EQ(rec.pids.size(), 500u);
    for (std::uint32_t i = 0; i < 500; ++i) EXPECT_EQ(rec.pids[i], i + 1);
    EXPECT_LE(worker.batches(), 3u) << "500 queued events are taken in batches of up to 256";
    EXPECT_LE(rec.flushes.load(), 2) << "flush when the queue runs dry, and once at the end";
    EXPECT_GE(rec.flushes.load(), 1);
}

TEST(SinkWorker, AppliesItsFilter) {
    Hub hub(100);
    auto sub = hub.subscribe("t");
    EventFilter::FilterList allow;
    allow.Add()->add_pid(2);
    auto filter = EventFilter::compile(allow, {});
    ASSERT_TRUE(filter.ok()) << filter.error();
    Recorded rec;
    hub.publish_batch(events(1, 3));
    SinkWorker worker(sub, std::make_unique<RecordingSink>(rec), std::move(filter.value()));
    worker.stop();
    EXPECT_EQ(rec.pids, std::vector<std::uint32_t>{2});
    EXPECT_EQ(worker.filtered(), 2u);
}

}  // namespace
}  // namespace vigil::exporter
