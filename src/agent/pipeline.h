// The event path on the ring-buffer thread: decode a record, update the
// process cache, map to Tetragon's messages, publish to the hub. Never
// throws and never logs per record; bad records are counted by the decoder.
#pragma once

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "agent/hook_registry.h"
#include "export/hub.h"
#include "export/proto_mapping.h"
#include "ingest/decoder.h"
#include "process/process_cache.h"

namespace vigil::agent {

// Counters written by the ring-buffer thread and read by metrics scrapes.
struct PipelineStats {
    std::atomic<std::uint64_t> exec_events{0};
    std::atomic<std::uint64_t> exit_events{0};
    std::atomic<std::uint64_t> forks{0};
    std::atomic<std::uint64_t> procfs_events{0};
    std::atomic<std::uint64_t> hook_events{0};
    std::atomic<std::uint64_t> hook_events_unknown_id{0};  // hook removed while its records were queued
    std::atomic<std::uint64_t> records{0};  // ring-buffer records received
};

// Published events by (type, pod namespace), for vigil_events_total.
class EventCounts {
public:
    void add(const std::string& type, const std::string& ns);
    std::vector<std::tuple<std::string, std::string, std::uint64_t>> snapshot() const;

private:
    mutable std::mutex mu_;
    std::unordered_map<std::string, std::uint64_t> counts_;  // "type\0namespace"
    std::string scratch_;
};

// Hook events by (policy, hook, action), for vigil_policy_events_total.
class PolicyEventCounts {
public:
    // hook = hook_kind + function ("kprobe:" "__x64_sys_write").
    void add(const std::string& policy, std::string_view hook_kind, const std::string& function,
             std::string_view action);
    struct Entry {
        std::string policy, hook, action;
        std::uint64_t count = 0;
    };
    std::vector<Entry> snapshot() const;

private:
    mutable std::mutex mu_;
    std::unordered_map<std::string, std::uint64_t> counts_;  // "policy\0hook\0action"
    std::string scratch_;
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

    // Optional: an event `hold` returns true for is taken and comes back
    // later through deliver() (PodWaitQueue: events waiting for their pod).
    void set_hold(std::function<bool(std::shared_ptr<tetragon::GetEventsResponse>&)> hold) {
        hold_ = std::move(hold);
    }
    // Optional: called for each GetUrl/DnsLookup action of the selector
    // an event matched (RemoteActions::submit), on the drain thread.
    void set_remote_actions(std::function<void(const model::RemoteAction&)> act) { remote_ = std::move(act); }
    // Counts and publishes an event at once (any thread).
    void deliver(std::shared_ptr<tetragon::GetEventsResponse> ev);

    // Batching (off by default): events of on_record()/add_procfs() are
    // kept and handed to the hub together by flush() — one wake-up of each
    // subscriber per batch instead of per event. The ring-buffer thread
    // calls flush() after each poll; a batch is also flushed at kMaxBatch.
    void set_batching(bool on) {
        if (!on) flush();
        batching_ = on;
    }
    void flush();
    static constexpr std::size_t kMaxBatch = 256;

    const ingest::Decoder& decoder() const { return decoder_; }
    const PipelineStats& stats() const { return stats_; }
    const PolicyEventCounts& policy_events() const { return policy_events_; }
    const EventCounts& event_counts() const { return event_counts_; }

private:
    void publish_exec(const process::Snapshot& s, std::uint64_t ktime);
    void publish(std::shared_ptr<tetragon::GetEventsResponse> ev);
    void count(const tetragon::GetEventsResponse& ev);
    void on_hook(const model::HookEvent& ev);

    std::function<void(const model::RemoteAction&)> remote_;
    process::ProcessCache& cache_;
    const exporter::ProtoMapper& mapper_;
    exporter::Hub& hub_;
    const HookRegistry& hooks_;
    ingest::Decoder decoder_;
    PipelineStats stats_;
    PolicyEventCounts policy_events_;
    EventCounts event_counts_;
    std::function<bool(std::shared_ptr<tetragon::GetEventsResponse>&)> hold_;
    bool batching_ = false;
    std::vector<exporter::EventPtr> pending_;
};

}  // namespace vigil::agent
