// vigild's stdout printer as a sink of the shared worker loop
// (export/sink_worker.h): the write and flush steps are functions, so the
// printer's formatting stays in agent.cpp.
#pragma once

#include <functional>
#include <memory>

#include "export/hub.h"
#include "export/sink_worker.h"
#include "tetragon/events.pb.h"

namespace vigil::agent {

class FunctionSink final : public exporter::EventSink {
public:
    using WriteFn = std::function<void(const tetragon::GetEventsResponse&)>;
    using FlushFn = std::function<void()>;
    FunctionSink(WriteFn write, FlushFn flush) : write_(std::move(write)), flush_(std::move(flush)) {}

    void write_event(const tetragon::GetEventsResponse& ev) override { write_(ev); }
    void flush() override { flush_(); }

private:
    WriteFn write_;
    FlushFn flush_;
};

// The exporter::SinkWorker loop over a FunctionSink.
class SinkWorker final : public exporter::SinkWorker {
public:
    SinkWorker(std::shared_ptr<exporter::Subscription> sub, FunctionSink::WriteFn write, FunctionSink::FlushFn flush)
        : exporter::SinkWorker(std::move(sub), std::make_unique<FunctionSink>(std::move(write), std::move(flush))) {}
};

}  // namespace vigil::agent
