// Pipeline throughput (issue 9, benchmark 3): ring-buffer records replayed
// through the agent's own event path (decode, process cache, enrichment,
// protobuf) and into each sink, on one core (the runner pins it). The
// objects are wired as agent/agent.cpp wires them.
//
// Figures (items_per_second): DecodeEnrich -> decode_enrich_per_s,
// GrpcSubscriber -> grpc_per_s, JsonExport -> json_export_per_s,
// RingbufConsume -> the bare libbpf ring_buffer__consume rate for scale;
// JsonEncode / JsonEncodeProtobuf -> json_encode_per_s and its protobuf
// baseline, json_encode_protobuf_per_s.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "agent/hook_registry.h"
#include "agent/pipeline.h"
#include "export/file_exporter.h"
#include "export/grpc_server.h"
#include "export/hub.h"
#include "export/json_codec.h"
#include "export/proto_mapping.h"
#include "process/process_cache.h"
#include "records.h"
#include "ringbuf_fill.skel.h"
#include "tetragon/sensors.grpc.pb.h"

namespace vigil::bench {
namespace {

constexpr std::size_t kQueue = 10000;        // vigild's --event-queue-size default
constexpr unsigned kHooksPerProcess = 2;     // write records per process lifecycle
constexpr std::size_t kProcesses = 20000;    // per replay pass: 100,000 records
// Records handed over per ring-buffer poll: vigild's drain thread flushes the
// pipeline's batch to the hub after each poll (Pipeline::flush). Under load
// one poll drains far more; 64 is a modest burst.
constexpr std::size_t kPollBatch = 64;

exporter::HookInfo write_hook() {
    exporter::HookInfo h;
    h.policy_name = "bench-writes";
    h.function_name = "__x64_sys_write";
    h.args = {{"fd", ""}, {"char_buf", ""}, {"size_t", ""}};
    return h;
}

// The agent's event path, wired as in agent.cpp.
struct EventPath {
    exporter::ProtoMapper mapper{{"bench-node", true, true}, exporter::BootClock::now(), {}};
    process::ProcessCache cache{"bench-node", 65536};
    exporter::Hub hub{kQueue};
    agent::HookRegistry hooks{1024};
    agent::Pipeline pipeline{cache, mapper, hub, hooks};
    std::uint32_t hook_id = *hooks.add(write_hook());

    EventPath() {
        pipeline.set_batching(true);
        auto parent = RecordFactory::parent_exec_record();
        pipeline.on_record(parent.data(), parent.size());
        pipeline.flush();
    }

    // One pass over `pool`, flushed as the drain thread flushes after a poll.
    void replay(const std::vector<Bytes>& pool) {
        std::size_t n = 0;
        for (const auto& r : pool) {
            pipeline.on_record(r.data(), r.size());
            if (++n % kPollBatch == 0) pipeline.flush();
        }
        pipeline.flush();
    }
};

std::vector<Bytes> replay_pool(std::uint32_t hook_id, std::size_t processes) {
    RecordFactory f(hook_id);
    std::vector<Bytes> pool;
    for (std::size_t i = 0; i < processes; ++i) {
        for (auto& r : f.lifecycle(kHooksPerProcess)) pool.push_back(std::move(r));
    }
    return pool;
}

// The protobuf events one replay pass publishes, for the sink benchmarks.
std::vector<exporter::EventPtr> published_events(std::size_t processes) {
    EventPath path;
    auto sub = path.hub.subscribe("capture");
    std::vector<exporter::EventPtr> out;
    for (auto& r : replay_pool(path.hook_id, processes)) {
        path.pipeline.on_record(r.data(), r.size());
        path.pipeline.flush();
        exporter::EventPtr ev;
        while (sub->pop(ev, std::chrono::milliseconds(0))) out.push_back(std::move(ev));
    }
    return out;
}

void DecodeEnrich(benchmark::State& state) {
    EventPath path;
    auto pool = replay_pool(path.hook_id, kProcesses);
    for (auto _ : state) {
        path.replay(pool);
        // Exited entries go at the second GC pass that finds them idle, as in
        // the agent's drain thread; the next pass re-inserts the same keys.
        path.cache.gc();
        path.cache.gc();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pool.size()));
    state.counters["decode_errors"] = static_cast<double>(path.pipeline.decoder().total_errors());
    state.SetLabel("records: fork, exec, 2 write hooks, exit per process");
}

// Publishes `events` to the hub in batches of kPollBatch (as the drain
// thread does), never more than half a queue ahead of what `consumed()`
// reports, so the figure is the sink's delivered rate, not its drop rate.
template <typename Consumed>
void paced_publish(benchmark::State& state, exporter::Hub& hub,
                   const std::vector<exporter::EventPtr>& events, Consumed consumed) {
    std::uint64_t published = 0;
    std::vector<exporter::EventPtr> batch;
    for (auto _ : state) {
        auto t0 = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < events.size(); i += kPollBatch) {
            while (published - consumed() > kQueue / 2) std::this_thread::yield();
            batch.assign(events.begin() + static_cast<std::ptrdiff_t>(i),
                         events.begin() + static_cast<std::ptrdiff_t>(std::min(events.size(), i + kPollBatch)));
            hub.publish_batch(batch);
            published += batch.size();
        }
        while (consumed() + hub.stats().dropped < published) std::this_thread::yield();
        state.SetIterationTime(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(published - hub.stats().dropped));
    state.counters["dropped"] = static_cast<double>(hub.stats().dropped);
}

void GrpcSubscriber(benchmark::State& state) {
    auto events = published_events(2000);
    exporter::Hub hub(kQueue);
    auto dir = std::filesystem::temp_directory_path() /
               ("vigil-bench-grpc-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    exporter::GrpcServerOptions opts;
    opts.address = "unix://" + (dir / "vigil.sock").string();
    auto server = exporter::GrpcServer::start(opts, hub);
    if (!server) {
        state.SkipWithError(("gRPC server: " + server.error()).c_str());
        return;
    }
    std::atomic<std::uint64_t> received{0};
    grpc::ClientContext ctx;
    auto channel = grpc::CreateChannel(opts.address, grpc::InsecureChannelCredentials());
    auto stub = tetragon::FineGuidanceSensors::NewStub(channel);
    std::thread client([&] {
        tetragon::GetEventsRequest req;
        tetragon::GetEventsResponse ev;
        auto reader = stub->GetEvents(&ctx, req);
        while (reader->Read(&ev)) received.fetch_add(1, std::memory_order_relaxed);
        (void)reader->Finish();
    });
    while (hub.stats().subscribers == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    paced_publish(state, hub, events, [&] { return received.load(std::memory_order_relaxed); });
    ctx.TryCancel();
    (*server)->shutdown(std::chrono::milliseconds(500));
    client.join();
    std::filesystem::remove_all(dir);
}

void JsonExport(benchmark::State& state) {
    auto events = published_events(2000);
    exporter::Hub hub(kQueue);
    auto dir = std::filesystem::temp_directory_path() /
               ("vigil-bench-export-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    exporter::FileExporterOptions fo;  // vigild's defaults: 10 MiB files, 5 backups
    fo.path = (dir / "events.json").string();
    auto file = exporter::FileExporter::open(fo);
    if (!file) {
        state.SkipWithError(("export file: " + file.error()).c_str());
        return;
    }
    auto sub = hub.subscribe("export-file");
    {
        exporter::ExportWorker worker(sub, std::move(file).value());
        // Events the worker has taken off its queue.
        paced_publish(state, hub, events, [&] {
            return hub.stats().published - sub->queued() - sub->dropped();
        });
        worker.stop();
        state.counters["write_errors"] = static_cast<double>(worker.exporter().errors());
        state.counters["rotations"] = static_cast<double>(worker.exporter().rotations());
    }
    std::filesystem::remove_all(dir);
}

// The JSON encoding alone, without the file or the hub: the export's encoder
// (JsonEncode) against protobuf's printer with the same options (the encoder
// before issue 9), on the same events in the same run, so their ratio holds
// even when the machine's load moves the absolute figures.
void JsonEncode(benchmark::State& state) {
    auto events = published_events(500);
    std::string out;
    std::uint64_t n = 0;
    for (auto _ : state) {
        for (const auto& ev : events) {
            out.clear();
            exporter::append_json_line(*ev, out);
            ++n;
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}

void JsonEncodeProtobuf(benchmark::State& state) {
    auto events = published_events(500);
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    std::string out;
    std::uint64_t n = 0;
    for (auto _ : state) {
        for (const auto& ev : events) {
            out.clear();
            (void)google::protobuf::util::MessageToJsonString(*ev, &out, opts);
            ++n;
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}

// The bare ring-buffer drain: libbpf's ring_buffer__consume over the same
// records, with a callback that only touches the size. Needs root (BPF).
int count_record(void* ctx, void*, size_t size) {
    *static_cast<std::uint64_t*>(ctx) += size;
    return 0;
}

struct FillRecord {
    std::uint32_t len;
    std::uint32_t pad;
    std::uint8_t data[4096];
};
struct FillArgs {
    std::uint32_t nrecords, count, posted, pad;
};

void RingbufConsume(benchmark::State& state) {
    libbpf_set_print([](libbpf_print_level, const char*, va_list) { return 0; });
    auto* skel = ringbuf_fill_bpf__open_and_load();
    if (!skel) {
        state.SkipWithError("cannot load the ring-buffer fill program (needs root and BPF)");
        return;
    }
    EventPath path;
    RecordFactory f(path.hook_id);
    auto life = f.lifecycle(kHooksPerProcess);
    for (std::uint32_t i = 0; i < life.size(); ++i) {
        FillRecord r{};
        r.len = static_cast<std::uint32_t>(life[i].size());
        std::copy(life[i].begin(), life[i].end(), r.data);
        bpf_map__update_elem(skel->maps.records, &i, sizeof(i), &r, sizeof(r), BPF_ANY);
    }
    std::uint64_t bytes = 0, records = 0;
    auto* rb = ring_buffer__new(bpf_map__fd(skel->maps.fill_ring), count_record, &bytes, nullptr);
    int prog = bpf_program__fd(skel->progs.fill);
    for (auto _ : state) {
        FillArgs args{static_cast<std::uint32_t>(life.size()), 200000, 0, 0};
        // A syscall program's ctx is copied back into ctx_in (ctx_out is refused).
        LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));
        if (bpf_prog_test_run_opts(prog, &opts) != 0 || args.posted == 0) {
            state.SkipWithError("BPF_PROG_TEST_RUN of the fill program failed");
            break;
        }
        auto t0 = std::chrono::steady_clock::now();
        int n = ring_buffer__consume(rb);
        state.SetIterationTime(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (n < 0) {
            state.SkipWithError("ring_buffer__consume failed");
            break;
        }
        records += static_cast<std::uint64_t>(n);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(records));
    benchmark::DoNotOptimize(bytes);
    ring_buffer__free(rb);
    ringbuf_fill_bpf__destroy(skel);
}

// Run time per benchmark comes from --benchmark_min_time (bench/runner/suite_pipeline.py).
BENCHMARK(DecodeEnrich)->Unit(benchmark::kMillisecond);
BENCHMARK(GrpcSubscriber)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(JsonExport)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(JsonEncode)->Unit(benchmark::kMillisecond);
BENCHMARK(JsonEncodeProtobuf)->Unit(benchmark::kMillisecond);
BENCHMARK(RingbufConsume)->Unit(benchmark::kMillisecond)->UseManualTime();

}  // namespace
}  // namespace vigil::bench

BENCHMARK_MAIN();
