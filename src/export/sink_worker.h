// The one "pop, write, flush when idle" loop behind every non-gRPC sink (the
// JSON export file, vigild's stdout printer): a thread that takes events off
// a hub subscription in batches — one wake-up per batch, not per event —
// applies an optional allow/deny filter, writes each to its sink and flushes
// the sink whenever the queue runs dry (once per burst, not per line). It
// ends when the subscription is closed (stop(), or Hub::close_all()), after
// writing and flushing everything still queued. The owner unsubscribes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

#include "export/filters.h"
#include "export/hub.h"
#include "tetragon/events.pb.h"

namespace vigil::exporter {

// Where a SinkWorker writes. Called from the worker's thread only.
class EventSink {
public:
    virtual ~EventSink() = default;
    // Buffers or writes one event; failures are the sink's to count.
    virtual void write_event(const tetragon::GetEventsResponse& ev) = 0;
    // Pushes out whatever write_event() buffered.
    virtual void flush() = 0;
};

class SinkWorker {
public:
    // Starts the thread. `sub` and `sink` must not be null; no filter passes all.
    SinkWorker(std::shared_ptr<Subscription> sub, std::unique_ptr<EventSink> sink,
               std::optional<EventFilter> filter = std::nullopt);
    virtual ~SinkWorker();  // stop()
    SinkWorker(const SinkWorker&) = delete;
    SinkWorker& operator=(const SinkWorker&) = delete;

    // Closes the subscription, writes what is queued, flushes, joins. Idempotent.
    void stop();

    const Subscription& subscription() const { return *sub_; }
    const EventSink& sink() const { return *sink_; }
    std::uint64_t filtered() const { return filtered_.load(std::memory_order_relaxed); }  // not written
    std::uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }    // wake-ups with work

private:
    void run();

    std::shared_ptr<Subscription> sub_;
    std::unique_ptr<EventSink> sink_;
    std::optional<EventFilter> filter_;
    std::atomic<std::uint64_t> filtered_{0};
    std::atomic<std::uint64_t> batches_{0};
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace vigil::exporter
