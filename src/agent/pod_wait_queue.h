// Events whose process runs in a container the pod cache does not know yet
// (the kubelet starts a container before the API server's watch says which
// pod it belongs to) wait here briefly instead of going out without pod
// data: they are retried whenever the pod cache changes and sent as soon as
// their pod is known, or after `max_wait` without it (counted as a miss).
// Never dropped: a full queue sends its oldest event on.
//
// Events of one container keep their order: once one of them waits, the
// later ones queue behind it. Other events are not delayed.
//
// It is also the PodResolver the proto mapping uses (wrapping the real one):
// on a miss it keeps a copy of the model::Process, so a retry can map the
// pod exactly as the first mapping would have (container pid, exec probe).
//
// Single-threaded: mapping, hold(), tick() and flush() all run on the
// ring-buffer thread (or before it starts); only stats() is read elsewhere.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "export/pod_resolver.h"
#include "export/proto_mapping.h"
#include "tetragon/events.pb.h"

namespace vigil::agent {

struct PodWaitOptions {
    std::chrono::milliseconds max_wait{1500};
    std::size_t max_held = 4096;
    // How often tick() asks the pod source whether it is live.
    std::chrono::milliseconds live_check_interval{100};
};

// What the queue needs from the pod cache.
struct PodSource {
    std::function<std::uint64_t()> generation;  // changes whenever pods change
    // The watch is up: a missing pod may still arrive. When false, events go
    // out at once (without pod data, counted).
    std::function<bool()> live;
};

struct PodWaitStats {
    std::uint64_t held = 0;       // events that waited
    std::uint64_t enriched = 0;   // of those, sent with pod data after waiting
    std::uint64_t misses = 0;     // sent without pod data though in a container
    std::uint64_t overflow = 0;   // sent early because the queue was full
    std::size_t waiting = 0;      // waiting now
};

class PodWaitQueue final : public exporter::PodResolver {
public:
    using Event = std::shared_ptr<tetragon::GetEventsResponse>;
    using Deliver = std::function<void(Event)>;
    using Clock = std::chrono::steady_clock;

    // `inner` resolves pods; `mapper` maps retried processes (its resolver
    // must be this queue); `deliver` publishes released events.
    PodWaitQueue(const exporter::PodResolver& inner, const exporter::ProtoMapper& mapper, PodSource source,
                 Deliver deliver, PodWaitOptions options = {});

    // PodResolver (called by the mapper).
    model::ProcessK8s resolve(const model::Process& p) const override;
    std::map<std::string, std::string> node_labels() const override { return inner_.node_labels(); }

    // Right after mapping `ev`: true if the queue took it (it will deliver it
    // later); false if it should be published now.
    bool hold(Event& ev, Clock::time_point now = Clock::now());
    // Retries waiting events when the pod source changed, releases expired
    // ones. Cheap when nothing waits.
    void tick(Clock::time_point now = Clock::now());
    // Releases everything now (shutdown), pods filled where known.
    void flush();

    PodWaitStats stats() const;

private:
    struct Held {
        Event ev;
        std::string container;  // Process.docker of the event's process
        Clock::time_point deadline;
        std::optional<model::Process> process;  // the model behind ev's process (if it missed)
        std::optional<model::Process> parent;
        bool needs_pod = true;  // false: held only to keep the container's order
    };
    bool refresh_live(Clock::time_point now);
    // Fills the pods of `h` that are known now; true when its process has one.
    bool enrich(Held& h) const;
    void release(Held& h, bool enriched);
    void retry(Clock::time_point now, bool source_changed);

    const exporter::PodResolver& inner_;
    const exporter::ProtoMapper& mapper_;
    PodSource source_;
    Deliver deliver_;
    PodWaitOptions options_;

    // exec_id -> model of processes that missed during the current mapping.
    mutable std::map<std::string, model::Process> missed_;
    std::deque<Held> held_;
    std::map<std::string, std::size_t> held_by_container_;
    std::uint64_t seen_generation_ = 0;
    bool live_ = false;
    Clock::time_point next_live_check_{};

    std::atomic<std::uint64_t> stat_held_{0}, stat_enriched_{0}, stat_misses_{0}, stat_overflow_{0};
    std::atomic<std::size_t> stat_waiting_{0};
};

}  // namespace vigil::agent
