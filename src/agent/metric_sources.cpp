#include "agent/metric_sources.h"

#include "ingest/decoder.h"

namespace vigil::agent {

namespace {

// The BPF-side counters (enum vigil_stat in abi.h) that mean a loss, by index.
struct BpfError {
    std::size_t stat;
    const char* name;
};
constexpr BpfError kBpfErrors[] = {
    {0, "ringbuf_reserve"}, {1, "proc_map_full"}, {2, "probe_read"},
    {6, "hook_no_config"},  {7, "ret_map_full"},  {8, "ret_missing"},
    {10, "creds_map_full"},
};

}  // namespace

metrics::AgentSources make_metric_sources(const MetricInputs& in) {
    metrics::AgentSources s;
    const auto* pipeline = &in.pipeline;
    const auto* sensor = &in.sensor;
    const auto* hub = &in.hub;
    const auto* file = in.file;
    const auto* cache = &in.cache;
    const auto* policies = &in.policies;
    const auto* grpc = &in.grpc;

    s.events = [pipeline] {
        std::vector<metrics::Sample> out;
        for (const auto& [type, ns, count] : pipeline->event_counts().snapshot()) {
            out.push_back({{type, ns}, static_cast<double>(count)});
        }
        return out;
    };
    s.policy_events = [pipeline] {
        std::vector<metrics::Sample> out;
        for (const auto& e : pipeline->policy_events().snapshot()) {
            out.push_back({{e.policy, e.hook, e.action}, static_cast<double>(e.count)});
        }
        return out;
    };
    s.ringbuf_received = [pipeline] { return static_cast<double>(pipeline->stats().records.load()); };
    s.ringbuf_lost = [sensor] {
        auto ks = sensor->kernel_stats();
        return ks.empty() ? 0.0 : static_cast<double>(ks[0]);
    };
    s.decode_errors = [pipeline] {
        std::vector<metrics::Sample> out;
        for (std::size_t i = 0; i < static_cast<std::size_t>(ingest::DecodeError::kCount); ++i) {
            auto e = static_cast<ingest::DecodeError>(i);
            out.push_back({{std::string(ingest::decode_error_name(e))},
                           static_cast<double>(pipeline->decoder().errors(e))});
        }
        // Well-formed, but of a hook no policy has any more (should stay 0:
        // a removed hook's id is kept until its queued records are drained).
        out.push_back({{"unknown_hook"}, static_cast<double>(pipeline->stats().hook_events_unknown_id.load())});
        return out;
    };
    s.bpf_errors = [sensor] {
        auto ks = sensor->kernel_stats();
        std::vector<metrics::Sample> out;
        for (const auto& e : kBpfErrors) {
            if (e.stat < ks.size()) out.push_back({{e.name}, static_cast<double>(ks[e.stat])});
        }
        return out;
    };
    s.notify_overflowed = [hub] { return static_cast<double>(hub->stats().dropped); };
    s.subscriber_drops = [hub] {
        std::vector<metrics::Sample> out;
        for (const auto& sub : hub->subscriber_stats()) {
            out.push_back({{sub.name}, static_cast<double>(sub.dropped)});
        }
        return out;
    };
    if (file) s.export_file_errors = [file] { return static_cast<double>(file->errors()); };
    s.process_cache_size = [cache] { return static_cast<double>(cache->stats().size); };
    s.process_cache_capacity = [cache] { return static_cast<double>(cache->stats().capacity); };
    s.process_cache_evictions = [cache] { return static_cast<double>(cache->stats().evictions); };
    s.selector_matches = [policies] {
        std::vector<metrics::Sample> out;
        for (const auto& c : policies->selector_counts()) {
            out.push_back({{c.policy, c.hook, std::to_string(c.selector)}, static_cast<double>(c.matched)});
        }
        return out;
    };
    s.selector_rate_limited = [policies] {
        std::vector<metrics::Sample> out;
        for (const auto& c : policies->selector_counts()) {
            out.push_back({{c.policy, c.hook, std::to_string(c.selector)}, static_cast<double>(c.rate_limited)});
        }
        return out;
    };
    s.policies_by_state = [policies] {
        double enabled = 0, disabled = 0, load_error = 0, error = 0;
        const auto list = policies->list();  // kept alive: the loop reads its members
        for (const auto& p : list.policies()) {
            switch (p.state()) {
                case tetragon::TP_STATE_ENABLED: ++enabled; break;
                case tetragon::TP_STATE_DISABLED: ++disabled; break;
                case tetragon::TP_STATE_LOAD_ERROR: ++load_error; break;
                default: ++error; break;
            }
        }
        return std::vector<metrics::Sample>{
            {{"enabled"}, enabled}, {{"disabled"}, disabled}, {{"load_error"}, load_error}, {{"error"}, error}};
    };
    if (const auto* pods = in.pods) {
        s.pod_cache_size = [pods] { return static_cast<double>(pods->cache().stats().pods); };
        s.watcher_errors = [pods] {
            auto st = pods->cache().stats();
            return std::vector<metrics::Sample>{
                {{"pods", "api"}, static_cast<double>(st.watch.api_errors)},
                {{"pods", "malformed"}, static_cast<double>(st.watch.malformed)},
                {{"pods", "gone"}, static_cast<double>(st.watch.gone)},
                {{"nodes", "api"}, static_cast<double>(st.node_errors)},
            };
        };
    }
    s.grpc_subscribers = [grpc] {
        const auto* g = grpc->load();
        return g ? static_cast<double>(g->stats().streams_active) : 0.0;
    };
    s.remote_actions = [remote = &in.remote] {
        std::vector<metrics::Sample> out;
        for (auto kind : {model::RemoteActionKind::kGetUrl, model::RemoteActionKind::kDnsLookup}) {
            const char* action = remote_action_name(kind);
            out.push_back({{action, "ok"}, static_cast<double>(remote->count(kind, RemoteActions::kOk))});
            out.push_back({{action, "failed"}, static_cast<double>(remote->count(kind, RemoteActions::kFailed))});
            out.push_back({{action, "dropped"}, static_cast<double>(remote->count(kind, RemoteActions::kDropped))});
        }
        return out;
    };
    return s;
}

}  // namespace vigil::agent
