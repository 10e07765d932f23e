// Vigil's metric names, help texts and label names, in one place, fed by
// callbacks the agent fills in (so this module never includes agent, probe
// or export headers). docs/metrics.md documents the same list; a unit test
// keeps the two equal. Names follow Tetragon's with a vigil_ prefix where
// Tetragon has the same meaning.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "metrics/health.h"
#include "metrics/registry.h"

namespace vigil::metrics {

// Every callback may be left empty: its family is still registered (HELP and
// TYPE lines appear) but has no sample, which is how "not measured" differs
// from zero (the pod cache when the Kubernetes API is off, for instance).
// Callbacks run on the HTTP server's threads: read atomics or take short locks.
struct AgentSources {
    // vigil_events_total{type,namespace}: events published to subscribers.
    // type: Tetragon's event type name ("PROCESS_EXEC", "PROCESS_EXIT",
    // "PROCESS_KPROBE", ...); namespace: the pod's, "" for host processes.
    Collector events;
    // vigil_policy_events_total{policy,hook,action}: events produced by a
    // policy hook. hook: "kprobe:__x64_sys_write"; action: the selector's
    // action as written in the policy ("Post", "Sigkill", "Override", ...).
    Collector policy_events;
    // vigil_policy_selector_matches_total{policy,hook,selector} and
    // vigil_policy_selector_rate_limited_total{...}: per selector, counted in the kernel.
    Collector selector_matches;
    Collector selector_rate_limited;
    ValueFn ringbuf_received;  // records userspace read from the ring buffer
    ValueFn ringbuf_lost;      // records the BPF side could not reserve room for
    // vigil_ringbuf_decode_errors_total{reason}: records read but rejected.
    Collector decode_errors;
    // vigil_bpf_missed_events_total{error}: the BPF side's per-CPU failure
    // counters ("ringbuf_reserve", "proc_map_full", "probe_read", ...).
    Collector bpf_errors;
    ValueFn notify_overflowed;  // drops summed over all subscribers, past and present
    // vigil_subscriber_dropped_events_total{subscriber}: per current subscriber.
    Collector subscriber_drops;
    ValueFn export_file_errors;
    ValueFn process_cache_size;
    ValueFn process_cache_capacity;
    ValueFn process_cache_evictions;
    ValueFn pod_cache_size;
    // vigil_watcher_errors_total{resource,error}: Kubernetes API failures.
    Collector watcher_errors;
    // vigil_tracingpolicy_loaded{state}: policies by state ("enabled",
    // "disabled", "load_error", "error"); report every state, zeros included.
    Collector policies_by_state;
    ValueFn grpc_subscribers;  // open GetEvents streams
    // vigil_remote_actions_total{action,result}: GetUrl/DnsLookup actions
    // vigild performed (result "ok", "failed") or dropped ("dropped").
    Collector remote_actions;
};

namespace names {
inline constexpr const char* kBuildInfo = "vigil_build_info";
inline constexpr const char* kAgentReady = "vigil_agent_ready";
inline constexpr const char* kEvents = "vigil_events_total";
inline constexpr const char* kPolicyEvents = "vigil_policy_events_total";
inline constexpr const char* kSelectorMatches = "vigil_policy_selector_matches_total";
inline constexpr const char* kSelectorRateLimited = "vigil_policy_selector_rate_limited_total";
inline constexpr const char* kRingbufReceived = "vigil_ringbuf_received_total";
inline constexpr const char* kRingbufLost = "vigil_ringbuf_lost_total";
inline constexpr const char* kRingbufDecodeErrors = "vigil_ringbuf_decode_errors_total";
inline constexpr const char* kBpfMissedEvents = "vigil_bpf_missed_events_total";
inline constexpr const char* kNotifyOverflowed = "vigil_notify_overflowed_events_total";
inline constexpr const char* kSubscriberDropped = "vigil_subscriber_dropped_events_total";
inline constexpr const char* kExportFileErrors = "vigil_export_file_errors_total";
inline constexpr const char* kProcessCacheSize = "vigil_process_cache_size";
inline constexpr const char* kProcessCacheCapacity = "vigil_process_cache_capacity";
inline constexpr const char* kProcessCacheEvicted = "vigil_process_cache_evicted_total";
inline constexpr const char* kPodCacheSize = "vigil_pod_cache_size";
inline constexpr const char* kWatcherErrors = "vigil_watcher_errors_total";
inline constexpr const char* kTracingPolicyLoaded = "vigil_tracingpolicy_loaded";
inline constexpr const char* kGrpcSubscribers = "vigil_grpc_subscribers";
inline constexpr const char* kRemoteActions = "vigil_remote_actions_total";
}  // namespace names

// Registers every vigil_* family above (build info and readiness included,
// readiness read from `health`) plus the standard process_* metrics.
// `health` must outlive the registry's scrapes.
Status register_agent_metrics(Registry& registry, const AgentSources& sources, const Health& health,
                              const std::string& procfs = "/proc");

}  // namespace vigil::metrics
