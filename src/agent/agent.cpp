#include "agent/agent.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <google/protobuf/util/json_util.h>

#include <spdlog/spdlog.h>

#include "agent/pid_file.h"
#include "agent/loss_notice.h"
#include "agent/pipeline.h"
#include "agent/remote_actions.h"
#include "agent/policy_manager.h"
#include "agent/policy_scopes.h"
#include "agent/container_cgroups.h"
#include "agent/k8s_pods.h"
#include "agent/k8s_policies.h"
#include "agent/pod_wait_queue.h"
#include "agent/metric_sources.h"
#include "agent/policy_watcher.h"
#include "agent/privileges.h"
#include "metrics/agent_metrics.h"
#include "metrics/health.h"
#include "metrics/http_server.h"
#include "metrics/registry.h"
#include "agent/sink_worker.h"
#include "export/filters.h"
#include "common/fatal.h"
#include "common/version.h"
#include "export/compact.h"
#include "export/file_exporter.h"
#include "export/grpc_server.h"
#include "export/json_codec.h"
#include "probe/base_sensor.h"
#include "probe/environment.h"
#include "probe/features.h"
#include "process/procfs_parse.h"
#include "process/procfs_scanner.h"

namespace vigil::agent {

namespace {

template <typename T>
T must(Result<T> r, const std::string& what) {
    if (!r) throw FatalError(what + ": " + r.error());
    return std::move(r).value();
}

void must(const Status& s) {
    if (!s) throw FatalError(s.error());
}

// The host's namespaces, for Namespace.is_host: those of pid 1. Where pid 1's
// links cannot be read (vigild itself in a restricted container), fall back
// to the inode numbers the kernel gives its initial namespaces
// (include/linux/proc_ns.h PROC_*_INIT_INO); mnt and net have none there.
model::Namespaces host_namespaces(const std::string& procfs) {
    static constexpr const char* kNames[] = {"uts", "ipc", "mnt", "pid", "pid_for_children",
                                             "net", "time", "time_for_children", "cgroup", "user"};
    static constexpr std::uint32_t kInitIno[] = {0xEFFFFFFE, 0xEFFFFFFF, 0, 0xEFFFFFFC, 0xEFFFFFFC,
                                                 0, 0xEFFFFFFA, 0xEFFFFFFA, 0xEFFFFFFB, 0xEFFFFFFD};
    model::Namespaces ns{};
    bool fallback = false;
    for (std::size_t i = 0; i < ns.size(); ++i) {
        char buf[128] = {};
        std::string link = procfs + "/1/ns/" + kNames[i];
        ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf) - 1);
        if (n > 0) ns[i] = process::parse_ns_link(std::string_view(buf, static_cast<std::size_t>(n)));
        if (ns[i] == 0) {
            ns[i] = kInitIno[i];
            fallback = true;
        }
    }
    if (fallback) {
        spdlog::info("cannot read {}/1/ns/*; is_host uses the kernel's initial namespace numbers "
                     "(unknown for mnt and net)", procfs);
    }
    return ns;
}

// Everything that can lose an event, summed, so one comparison tells whether
// a loss report is due.
struct LossCounters {
    std::uint64_t rb_reserve_fail = 0;
    std::uint64_t decode_errors = 0;
    std::uint64_t hub_dropped = 0;
    std::uint64_t export_errors = 0;
    bool operator==(const LossCounters&) const = default;
};

// --export-allowlist / --export-denylist: Tetragon's format, one JSON
// tetragon.Filter object per line.
Result<exporter::EventFilter::FilterList> parse_filter_lines(const std::string& flag,
                                                             const std::string& text) {
    exporter::EventFilter::FilterList out;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        tetragon::Filter f;
        auto st = google::protobuf::util::JsonStringToMessage(line, &f);
        if (!st.ok()) {
            return make_error(flag + " line " + std::to_string(n) + ": " + st.ToString());
        }
        *out.Add() = std::move(f);
    }
    return out;
}

Result<std::optional<exporter::EventFilter>> export_filter(const Config& cfg) {
    if (cfg.export_allowlist.empty() && cfg.export_denylist.empty()) {
        return std::optional<exporter::EventFilter>{};
    }
    auto allow = parse_filter_lines("--export-allowlist", cfg.export_allowlist);
    if (!allow) return make_error(allow.error());
    auto deny = parse_filter_lines("--export-denylist", cfg.export_denylist);
    if (!deny) return make_error(deny.error());
    auto f = exporter::EventFilter::compile(*allow, *deny);
    if (!f) return make_error("--export-allowlist/--export-denylist: " + f.error());
    return std::optional<exporter::EventFilter>(std::move(f).value());
}

// Events that waited for their pod (PodWaitQueue). Here rather than in
// AgentSources so the queue's owner registers them; no sample without
// --enable-k8s-api.
Status register_pod_wait_metrics(metrics::Registry& registry, const PodWaitQueue* q) {
    metrics::ValueFn misses, waiting;
    if (q != nullptr) {
        misses = [q] { return static_cast<double>(q->stats().misses); };
        waiting = [q] { return static_cast<double>(q->stats().waiting); };
    }
    auto st = registry.add_counter("vigil_pod_enrichment_misses_total",
                                   "Events of a container process sent without pod data: the pod was not known "
                                   "in time (or the API server was unreachable).",
                                   misses);
    if (!st) return st;
    return registry.add_gauge("vigil_pod_enrichment_waiting_events",
                              "Events waiting now for their pod to appear in the pod cache.", waiting);
}

}  // namespace

void block_shutdown_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run(const Config& cfg) {
    using namespace std::chrono_literals;
    must(probe::check_privileges());
    auto pid_file = must(PidFile::acquire(cfg.run_dir), "start-up");
    must(probe::check_btf());
    must(probe::ensure_mounts());
    probe::raise_memlock_limit();
    probe::route_libbpf_logs();
    const probe::KernelFeatures features = probe::probe_kernel_features();
    std::string feature_text;
    for (const auto& nf : probe::feature_list(features)) {
        feature_text += " " + nf.name + "=" + (nf.enabled ? "yes" : "no");
    }
    spdlog::info("kernel {} features:{}", features.kernel_release, feature_text);

    const std::string node = resolve_node_name(cfg);
    exporter::ProtoMapper mapper({node, cfg.enable_process_cred, cfg.enable_process_ns},
                                 exporter::BootClock::now(), host_namespaces(cfg.procfs));
    std::unique_ptr<K8sPods> pods;
    if (cfg.enable_k8s_api) {
        auto k = K8sPods::start({cfg.k8s_kubeconfig_path, node, cfg.procfs, ""});
        if (!k) throw FatalError("--enable-k8s-api: " + k.error());
        pods = std::move(k).value();
        spdlog::info("watching pods of node {} on the Kubernetes API server", node);
    }
    process::ProcessCache cache(node, cfg.process_cache_size);
    exporter::Hub hub(cfg.event_queue_size);
    HookRegistry hooks(probe::BaseSensor::kMaxHooks);
    Pipeline pipeline(cache, mapper, hub, hooks);
    RemoteActionOptions remote_opts;
    remote_opts.dns_server = cfg.action_dns_server;
    RemoteActions remote(remote_opts);
    pipeline.set_remote_actions([&remote](const model::RemoteAction& a) { remote.submit(a); });
    // Events of containers whose pod is not known yet wait briefly for it.
    std::unique_ptr<PodWaitQueue> pod_wait;
    if (pods) {
        const k8s::PodCache* pc = &pods->cache();
        PodSource source{[pc] { return pc->generation(); },
                         [pc] {
                             // Watching, or still on the first attempt (start-up: the
                             // /proc scan's events wait for the first list).
                             auto st = pc->stats().watch;
                             return st.watching || st.api_errors == 0;
                         }};
        pod_wait = std::make_unique<PodWaitQueue>(
            *pods, mapper, std::move(source),
            [&pipeline](PodWaitQueue::Event ev) { pipeline.deliver(std::move(ev)); });
        mapper.set_pod_resolver(pod_wait.get());
        pipeline.set_hold([q = pod_wait.get()](PodWaitQueue::Event& ev) { return q->hold(ev); });
    }

    // Sinks subscribe before any event exists, so the export file gets the
    // /proc scan too.
    std::unique_ptr<exporter::ExportWorker> file_worker;
    if (!cfg.export_filename.empty()) {
        exporter::FileExporterOptions fo;
        fo.path = cfg.export_filename;
        fo.max_size_bytes = cfg.export_file_max_size_mb << 20;
        fo.max_backups = cfg.export_file_max_backups;
        fo.perm = static_cast<mode_t>(cfg.export_file_perm);
        auto file = must(exporter::FileExporter::open(fo), "--export-filename " + cfg.export_filename);
        auto filter = must(export_filter(cfg), "export filters");
        file_worker = std::make_unique<exporter::ExportWorker>(hub.subscribe("export-file"),
                                                               std::move(file), std::move(filter));
    }
    const exporter::FileExporter* file = file_worker ? &file_worker->exporter() : nullptr;
    std::unique_ptr<SinkWorker> printer;
    if (cfg.print_events != PrintMode::kNone) {
        bool json = cfg.print_events == PrintMode::kJson;
        exporter::CompactOptions co{isatty(STDOUT_FILENO) == 1, false};
        printer = std::make_unique<SinkWorker>(
            hub.subscribe("stdout"),
            [json, co](const tetragon::GetEventsResponse& ev) {
                std::string line = json ? exporter::to_json_line(ev) : exporter::render_compact(ev, co);
                if (line.empty()) return;
                line += '\n';
                std::fwrite(line.data(), 1, line.size(), stdout);
            },
            [] { std::fflush(stdout); });
    }

    auto sensor = must(probe::BaseSensor::load({cfg.rb_size},
                                               [&pipeline](const std::uint8_t* d, std::size_t n) {
                                                   pipeline.on_record(d, n);
                                               }),
                       "loading the base sensor");
    for (const auto& p : sensor->programs()) {
        spdlog::info("attached {} at {} (link id {})", p.name, p.hook, p.link_id);
    }

    // After attaching, so no process can slip between the scan and the hooks.
    // Records queue in the ring buffer meanwhile.
    auto procs = process::scan_procfs(cfg.procfs);
    if (!procs) throw FatalError("--procfs " + cfg.procfs + ": " + procs.error());
    std::size_t scanned = procs->size();
    for (const auto& p : procs.value()) {
        sensor->set_process_binary(p.pid, p.binary);
        sensor->set_process_creds(p.pid, p.caps, p.ns);
    }
    // Events go to the hub in batches: one wake-up of each subscriber per
    // batch (flushed after each scan and each ring-buffer poll).
    pipeline.set_batching(true);
    pipeline.add_procfs(std::move(procs).value());
    pipeline.flush();
    spdlog::info("found {} running processes in {}", scanned, cfg.procfs);

    // Hooks of policies limited to pods (namespace, podSelector,
    // containerSelector) run only in those pods' container cgroups; the sets
    // follow the pod cache.
    PolicyScopes::Inputs scope_inputs;
    scope_inputs.write = [s = sensor.get()](std::uint32_t id, const std::set<std::uint64_t>& cgroups) {
        return s->replace_scope_cgroups(id, cgroups);
    };
    if (pods) {
        auto finder = std::make_shared<ContainerCgroups>();
        if (finder->mount().empty()) {
            spdlog::warn("no cgroup2 hierarchy is mounted: policies limited to pods match no process");
        }
        const k8s::PodCache* pc = &pods->cache();
        scope_inputs.pods = [pc] { return pc->pods(); };
        scope_inputs.find_cgroups = [finder](const std::set<std::string>& ids) { return finder->find(ids); };
    }
    PolicyScopes scopes(std::move(scope_inputs));
    if (pods) {
        const k8s::PodCache* pc = &pods->cache();
        scopes.start([pc](std::uint64_t& seen, std::chrono::milliseconds timeout) {
            if (!pc->wait_for_change(seen, timeout)) return false;
            seen = pc->generation();
            return true;
        });
    }
    PolicyManager policies(*sensor, hooks, features, cfg.state_dir);
    policies.set_scoper(&scopes);
    for (const auto& f : cfg.tracing_policies) policies.load_file(f);
    std::unique_ptr<PolicyWatcher> watcher;
    if (!cfg.tracing_policy_dir.empty() && std::filesystem::is_directory(cfg.tracing_policy_dir)) {
        policies.load_dir(cfg.tracing_policy_dir);
        auto w = PolicyWatcher::start(cfg.tracing_policy_dir, policies);
        if (w) watcher = std::move(w).value();
        else spdlog::warn("{}; changes to the directory need a restart", w.error());
    }
    policies.load_persisted();
    std::unique_ptr<K8sPolicies> cluster_policies;
    if (pods) {
        cluster_policies = K8sPolicies::start(pods->api_config(), node, policies);
        spdlog::info("watching TracingPolicy and TracingPolicyNamespaced objects on the Kubernetes API server");
    }

    metrics::Registry registry;
    metrics::Health health;  // /readyz; the drain thread marks the pod cache synced
    std::atomic<bool> stop{false};
    std::thread drain([&] {
        auto next_gc = std::chrono::steady_clock::now() + std::chrono::seconds(cfg.gc_interval_s);
        auto next_report = std::chrono::steady_clock::now() + 10s;
        LossCounters reported;
        bool pod_cache_synced = false;
        auto next_pod_check = std::chrono::steady_clock::now();
        auto next_loss_check = std::chrono::steady_clock::now();
        LossNotice loss_notice;
        while (!stop.load(std::memory_order_relaxed)) {
            const auto pass = hooks.drain_pass_begins();
            int n = sensor->poll(100);
            hooks.drain_pass_ended(pass);
            if (n < 0 && n != -EINTR) {
                spdlog::error("ring buffer poll failed: {}", std::strerror(-n));
            }
            auto now = std::chrono::steady_clock::now();
            if (pod_wait) pod_wait->tick(now);
            pipeline.flush();
            // Records the ring buffer could not take: a notice on the stream.
            if (now >= next_loss_check) {
                next_loss_check = now + 200ms;
                auto ks = sensor->kernel_stats();
                if (auto notice = loss_notice.check(ks.empty() ? 0 : ks[0], now)) {
                    auto ev = std::make_shared<tetragon::GetEventsResponse>(std::move(*notice));
                    mapper.fill_envelope(ev.get(), LossNotice::boot_time_ns());
                    hub.publish(std::move(ev));
                }
            }
            if (now >= next_gc) {
                cache.gc();
                next_gc = now + std::chrono::seconds(cfg.gc_interval_s);
            }
            if (pods && !pod_cache_synced && now >= next_pod_check) {
                next_pod_check = now + 200ms;
                if (pods->cache().stats().watch.synced) {
                    pod_cache_synced = true;
                    health.set("pod-cache", true);
                    spdlog::info("pod cache synced: {} pods", pods->cache().stats().pods);
                }
            }
            if (now >= next_report) {
                next_report = now + 10s;
                auto ks = sensor->kernel_stats();
                LossCounters cur{ks.size() > 0 ? ks[0] : 0,
                                 pipeline.decoder().total_errors() + pipeline.stats().hook_events_unknown_id,
                                 hub.stats().dropped, file ? file->errors() : 0};
                if (!(cur == reported)) {
                    spdlog::warn("events lost so far: ring buffer full {}, undecodable records {}, "
                                 "subscriber queue drops {}, export write errors {}",
                                 cur.rb_reserve_fail, cur.decode_errors, cur.hub_dropped,
                                 cur.export_errors);
                    reported = cur;
                }
            }
        }
    });

    // Metrics and health endpoints; ready once gRPC answers too.
    std::atomic<const exporter::GrpcServer*> grpc_ptr{nullptr};
    std::unique_ptr<metrics::MetricsServer> metrics_server;
    if (!cfg.metrics_server.empty()) {
        health.require("grpc", "gRPC server starting");
        // The base sensor is attached by now; the pod cache syncs later.
        health.set("base-sensor", true);
        if (pods) health.require("pod-cache", "first list of this node's pods not done yet");
        auto sources = make_metric_sources({pipeline, *sensor, hub, file, cache, policies, grpc_ptr, pods.get(), remote});
        auto st = metrics::register_agent_metrics(registry, sources, health, cfg.procfs);
        if (st) st = register_pod_wait_metrics(registry, pod_wait.get());
        if (!st) {
            stop.store(true);
            drain.join();
            throw FatalError("metrics: " + st.error());
        }
        auto ms = metrics::MetricsServer::start(cfg.metrics_server, registry, health);
        if (!ms) {
            stop.store(true);
            drain.join();
            throw FatalError("--metrics-server " + cfg.metrics_server + ": " + ms.error());
        }
        metrics_server = std::move(ms).value();
        spdlog::info("metrics on http://{}:{}/metrics", metrics_server->host(), metrics_server->port());
    }

    exporter::GrpcServerOptions go;
    go.address = cfg.server_address;
    go.version = kVersion;
    go.policies = &policies;
    go.policy_management = cfg.enable_policy_management;
    go.access.socket_mode = cfg.server_socket_mode;
    go.access.socket_owner = cfg.server_socket_owner;
    go.access.socket_group = cfg.server_socket_group;
    go.access.tls = {cfg.server_tls_cert_file, cfg.server_tls_key_file, cfg.server_tls_client_ca_file};
    for (const auto& nf : probe::feature_list(features)) go.probes.emplace_back(nf.name, nf.enabled);
    auto server_result = exporter::GrpcServer::start(go, hub);
    if (!server_result) {
        stop.store(true);
        drain.join();
        throw FatalError(server_result.error());
    }
    auto server = std::move(server_result).value();
    grpc_ptr.store(server.get());
    // Every file, socket, mount and program start-up needs exists now.
    if (cfg.drop_capabilities) {
        if (auto st = drop_capabilities(runtime_capabilities()); !st) {
            server->shutdown(0ms);
            stop.store(true);
            drain.join();
            throw FatalError(st.error() + " (--drop-capabilities=false skips this)");
        }
        spdlog::info("capabilities dropped; kept {}", describe_caps(runtime_capabilities() & known_capabilities()));
    }
    health.set("grpc", true);
    spdlog::info("vigild {} ready on node {}: gRPC on {}{}", kVersion, node, cfg.server_address,
                 cfg.export_filename.empty() ? "" : ", exporting to " + cfg.export_filename);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");

    health.set("grpc", false, "shutting down");
    grpc_ptr.store(nullptr);
    server->shutdown(1s);
    stop.store(true);
    drain.join();
    if (pod_wait) pod_wait->flush();  // never dropped: out without pod data now
    if (metrics_server) metrics_server->stop();
    watcher.reset();
    cluster_policies.reset();
    scopes.stop();
    policies.clear();
    const auto ks = sensor->kernel_stats();  // before close(): the maps go with it
    sensor->close();  // detach first: nothing new arrives while sinks drain
    hub.close_all();
    if (printer) printer->stop();
    if (file_worker) file_worker->stop();
    if (file_worker && file_worker->filtered() > 0) {
        spdlog::info("export filters kept {} events out of the export file", file_worker->filtered());
    }

    const auto& ps = pipeline.stats();
    auto cs = cache.stats();
    spdlog::info("stopped: {} exec, {} exit, {} procFS events; ring buffer full {}, undecodable "
                 "records {}, subscriber drops {}, export errors {}; process cache {} entries, {} "
                 "evictions",
                 ps.exec_events.load(), ps.exit_events.load(), ps.procfs_events.load(),
                 ks.empty() ? 0 : ks[0],
                 pipeline.decoder().total_errors() + pipeline.stats().hook_events_unknown_id, hub.stats().dropped,
                 file ? file->errors() : 0, cs.size, cs.evictions);
    return 0;
}

}  // namespace vigil::agent
