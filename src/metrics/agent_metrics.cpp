#include "metrics/agent_metrics.h"

#include "common/version.h"
#include "metrics/process_metrics.h"

namespace vigil::metrics {

namespace {

#if defined(__clang__)
constexpr const char* kCompiler = "clang " __clang_version__;
#elif defined(__GNUC__)
constexpr const char* kCompiler = "gcc " __VERSION__;
#else
constexpr const char* kCompiler = "unknown";
#endif

}  // namespace

Status register_agent_metrics(Registry& r, const AgentSources& s, const Health& health,
                              const std::string& procfs) {
    using T = MetricType;
    std::vector<Status> st;
    st.push_back(r.add_family(names::kBuildInfo, "Build information about Vigil; the value is always 1.",
                              T::kGauge, {"version", "compiler"},
                              [] { return std::vector<Sample>{{{kVersion, kCompiler}, 1}}; }));
    st.push_back(r.add_gauge(names::kAgentReady,
                             "1 when the agent is ready (base sensor attached, pod cache synced when enabled), else 0.",
                             [&health] { return health.ready() ? 1.0 : 0.0; }));
    st.push_back(r.add_family(names::kEvents, "Events published to subscribers, by event type and pod namespace.",
                              T::kCounter, {"type", "namespace"}, s.events));
    st.push_back(r.add_family(names::kPolicyEvents, "Events produced by tracing policy hooks, by policy, hook and action.",
                              T::kCounter, {"policy", "hook", "action"}, s.policy_events));
    st.push_back(r.add_family(names::kSelectorMatches,
                              "Calls a TracingPolicy selector matched in the kernel (the first matching selector).",
                              T::kCounter, {"policy", "hook", "selector"}, s.selector_matches));
    st.push_back(r.add_family(names::kSelectorRateLimited, "Posts a selector's rateLimit suppressed in the kernel.",
                              T::kCounter, {"policy", "hook", "selector"}, s.selector_rate_limited));
    st.push_back(r.add_counter(names::kRingbufReceived, "Records read from the BPF ring buffer.",
                               s.ringbuf_received));
    st.push_back(r.add_counter(names::kRingbufLost,
                               "Records lost because the BPF ring buffer was full (BPF reservation failures).",
                               s.ringbuf_lost));
    st.push_back(r.add_family(names::kRingbufDecodeErrors,
                              "Ring buffer records read but rejected by the decoder, by reason.", T::kCounter,
                              {"reason"}, s.decode_errors));
    st.push_back(r.add_family(names::kBpfMissedEvents,
                              "Failures counted by the BPF programs (per-CPU counters summed), by error.",
                              T::kCounter, {"error"}, s.bpf_errors));
    st.push_back(r.add_counter(names::kNotifyOverflowed,
                               "Events dropped because a subscriber's queue was full, all subscribers past and present.",
                               s.notify_overflowed));
    st.push_back(r.add_family(names::kSubscriberDropped,
                              "Events dropped because this subscriber's queue was full, per current subscriber.",
                              T::kCounter, {"subscriber"}, s.subscriber_drops));
    st.push_back(r.add_counter(names::kExportFileErrors, "Events that could not be written to the JSON export file.",
                               s.export_file_errors));
    st.push_back(r.add_gauge(names::kProcessCacheSize, "Entries in the process cache.", s.process_cache_size));
    st.push_back(r.add_gauge(names::kProcessCacheCapacity, "Bound of the process cache (--process-cache-size).",
                             s.process_cache_capacity));
    st.push_back(r.add_counter(names::kProcessCacheEvicted,
                               "Process cache entries evicted to stay within the bound.", s.process_cache_evictions));
    st.push_back(r.add_gauge(names::kPodCacheSize, "Pods in the pod cache (Kubernetes API enabled only).",
                             s.pod_cache_size));
    st.push_back(r.add_family(names::kWatcherErrors, "Kubernetes API errors, by resource and error kind.",
                              T::kCounter, {"resource", "error"}, s.watcher_errors));
    st.push_back(r.add_family(names::kTracingPolicyLoaded, "Tracing policies by state.", T::kGauge, {"state"},
                              s.policies_by_state));
    st.push_back(r.add_gauge(names::kGrpcSubscribers, "Open gRPC GetEvents streams.", s.grpc_subscribers));
    st.push_back(r.add_family(names::kRemoteActions,
                              "GetUrl and DnsLookup actions vigild performed or dropped, by action and result.",
                              T::kCounter, {"action", "result"}, s.remote_actions));
    for (auto& x : st) {
        if (!x) return x;
    }
    return register_process_metrics(r, procfs);
}

}  // namespace vigil::metrics
