// The event path on the ring-buffer thread: decode a record, update the
// process cache, map to Tetragon's messages, publish to the hub. Never
// throws and never logs per record; bad records are counted by the decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "agent/hook_registry.h"
#include "export/hub.h"
#include "export/proto_mapping.h"
#include "ingest/decoder.h"
#include "process/process_cache.h"

namespace vigil::agent {

struct PipelineStats {
    std::uint64_t exec_events = 0;
    std::uint64_t exit_events = 0;
    std::uint64_t forks = 0;
    std::uint64_t procfs_events = 0;
    std::uint64_t hook_events = 0;
    std::uint64_t hook_events_unknown_id = 0;  // hook removed while its records were queued
};

class Pipeline {
public:
    Pipeline(process::ProcessCache& cache, const exporter::ProtoMapper& mapper, exporter::Hub& hub,
             const HookRegistry& hooks)
        : cache_(cache), mapper_(mapper), hub_(hub), hooks_(hooks) {}

    void on_record(const std::uint8_t* data, std::size_t size);
    // Start-up /proc scan results (parents first): cached, and each published
    // as a process_exec with the procFS flag, like Tetragon.
    void add_procfs(std::vector<model::Process> procs);

    const ingest::Decoder& decoder() const { return decoder_; }
    PipelineStats stats() const { return stats_; }

private:
    void publish_exec(const process::Snapshot& s, std::uint64_t ktime);
    void on_hook(const model::HookEvent& ev);

    process::ProcessCache& cache_;
    const exporter::ProtoMapper& mapper_;
    exporter::Hub& hub_;
    const HookRegistry& hooks_;
    ingest::Decoder decoder_;
    PipelineStats stats_;
};

}  // namespace vigil::agent
