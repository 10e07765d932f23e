#include "agent/sink_worker.h"

#include <chrono>

namespace vigil::agent {

SinkWorker::SinkWorker(std::shared_ptr<exporter::Subscription> sub, WriteFn write, FlushFn flush)
    : sub_(std::move(sub)), write_(std::move(write)), flush_(std::move(flush)) {
    thread_ = std::thread([this] { run(); });
}

SinkWorker::~SinkWorker() { stop(); }

void SinkWorker::stop() {
    sub_->close();
    if (thread_.joinable()) thread_.join();
}

void SinkWorker::run() {
    using namespace std::chrono_literals;
    bool dirty = false;
    for (;;) {
        exporter::EventPtr ev;
        // A short wait while output is pending, so a batch is flushed soon
        // after the stream goes quiet.
        if (sub_->pop(ev, dirty ? 0ms : 200ms)) {
            write_(*ev);
            dirty = true;
            continue;
        }
        if (dirty) {
            flush_();
            dirty = false;
        }
        if (sub_->closed() && sub_->queued() == 0) break;
    }
}

}  // namespace vigil::agent
