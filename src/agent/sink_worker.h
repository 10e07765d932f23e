// A thread that feeds one hub subscription into a sink (the JSON export file,
// the stdout printer): write each event, flush when the queue runs dry, and
// on stop() drain whatever is still queued so shutdown loses nothing.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "export/hub.h"
#include "tetragon/events.pb.h"

namespace vigil::agent {

class SinkWorker {
public:
    using WriteFn = std::function<void(const tetragon::GetEventsResponse&)>;
    using FlushFn = std::function<void()>;

    SinkWorker(std::shared_ptr<exporter::Subscription> sub, WriteFn write, FlushFn flush);
    ~SinkWorker();
    SinkWorker(const SinkWorker&) = delete;
    SinkWorker& operator=(const SinkWorker&) = delete;

    // Closes the subscription, writes what is queued, flushes, joins.
    void stop();
    const exporter::Subscription& subscription() const { return *sub_; }

private:
    void run();

    std::shared_ptr<exporter::Subscription> sub_;
    WriteFn write_;
    FlushFn flush_;
    std::thread thread_;
};

}  // namespace vigil::agent
