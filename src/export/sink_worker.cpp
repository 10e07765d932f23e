#include "export/sink_worker.h"

#include <chrono>
#include <vector>

namespace vigil::exporter {

SinkWorker::SinkWorker(std::shared_ptr<Subscription> sub, std::unique_ptr<EventSink> sink,
                       std::optional<EventFilter> filter)
    : sub_(std::move(sub)), sink_(std::move(sink)), filter_(std::move(filter)), thread_([this] { run(); }) {}

SinkWorker::~SinkWorker() { stop(); }

void SinkWorker::stop() {
    sub_->close();
    if (thread_.joinable()) thread_.join();
}

void SinkWorker::run() {
    // The timeout only bounds how long a wait lasts; close() wakes it at once.
    constexpr std::chrono::milliseconds kWait{1000};
    // Bounded so one batch does not hold many events' memory past their write.
    constexpr std::size_t kBatch = 256;
    std::vector<EventPtr> batch;
    batch.reserve(kBatch);
    for (;;) {
        batch.clear();
        if (sub_->pop_batch(batch, kBatch, kWait) == 0) {
            // Once closed nothing new is queued, so an empty queue is final.
            if (sub_->closed() && sub_->queued() == 0) break;
            continue;
        }
        batches_.fetch_add(1, std::memory_order_relaxed);
        for (const EventPtr& ev : batch) {
            if (filter_ && !filter_->matches(*ev)) {
                filtered_.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            sink_->write_event(*ev);
        }
        if (sub_->queued() == 0) sink_->flush();
    }
    sink_->flush();
}

}  // namespace vigil::exporter
