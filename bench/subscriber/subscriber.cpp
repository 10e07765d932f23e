// A lean gRPC subscriber for the benchmarks: reads vigild's GetEvents stream
// and counts what a suite asks for, without rendering JSON, so the consumer
// costs the machine as little as possible and the figures show vigild's own
// cost. (The vigil CLI renders every event as JSON, ~100 us of CPU each on
// the benchmark machine, which on two cores would be charged to the agent.)
//
// Usage: vigil_bench_subscriber --address unix:///path [options]
//   --storm MARKER     count process_exec/process_exit of */true whose
//                      arguments contain MARKER (prints "storm_exec N",
//                      "storm_exit N" at the end)
//   --path PATH        count process_kprobe events with an argument (string
//                      or file path) equal to PATH ("path_hits N")
//   --pids SUBSTR      count process_kprobe events per pid of binaries
//                      containing SUBSTR ("kprobe_pid PID N" lines)
//   --victims SUBSTR   print "hook PID NS" for process_kprobe events and
//                      "exit PID NS" for process_exit events of binaries
//                      containing SUBSTR, as they arrive (NS: event time)
//   --kill             with --victims: SIGKILL the pid on its first kprobe
//                      event, before printing (the user-space killer)
// Always prints "live" after the first event (the runner's proof that the
// stream is up), "n EVENTS" at most every 200 ms while events arrive (the
// runner waits for the output to go quiet) and "events N" at the end. Ends
// on SIGTERM/SIGINT or when the stream ends.
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "tetragon/sensors.grpc.pb.h"

namespace {

struct Options {
    std::string address, storm, path, pids, victims;
    bool kill = false;
};

bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        if (a == "--kill") o.kill = true;
        else if (!((a == "--address" && value(o.address)) || (a == "--storm" && value(o.storm)) ||
                   (a == "--path" && value(o.path)) || (a == "--pids" && value(o.pids)) ||
                   (a == "--victims" && value(o.victims)))) {
            std::fprintf(stderr, "vigil_bench_subscriber: bad option '%s'\n", a.c_str());
            return false;
        }
    }
    if (o.address.empty()) std::fprintf(stderr, "vigil_bench_subscriber: --address is required\n");
    return !o.address.empty();
}

std::int64_t time_ns(const tetragon::GetEventsResponse& ev) {
    return ev.time().seconds() * 1'000'000'000LL + ev.time().nanos();
}

bool has(const std::string& s, const std::string& sub) {
    return !sub.empty() && s.find(sub) != std::string::npos;
}

bool ends_with_true(const std::string& bin) {
    return bin.size() >= 5 && bin.compare(bin.size() - 5, 5, "/true") == 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse(argc, argv, o)) return 2;

    // SIGTERM/SIGINT end the stream from a thread of their own.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    grpc::ClientContext ctx;
    std::thread([&] {
        int sig;
        sigwait(&set, &sig);
        ctx.TryCancel();
    }).detach();

    auto stub = tetragon::FineGuidanceSensors::NewStub(
        grpc::CreateChannel(o.address, grpc::InsecureChannelCredentials()));
    tetragon::GetEventsRequest req;
    auto reader = stub->GetEvents(&ctx, req);
    tetragon::GetEventsResponse ev;
    std::uint64_t events = 0, storm_exec = 0, storm_exit = 0, path_hits = 0;
    std::map<std::uint32_t, std::uint64_t> per_pid;
    std::set<std::uint32_t> killed;
    auto last_progress = std::chrono::steady_clock::now();
    while (reader->Read(&ev)) {
        if (events++ == 0) {
            std::printf("live\n");
            std::fflush(stdout);
        }
        if ((events & 63) == 0) {
            auto now = std::chrono::steady_clock::now();
            if (now - last_progress > std::chrono::milliseconds(200)) {
                std::printf("n %llu\n", (unsigned long long)events);
                std::fflush(stdout);
                last_progress = now;
            }
        }
        if (ev.has_process_exec() || ev.has_process_exit()) {
            const auto& p = ev.has_process_exec() ? ev.process_exec().process()
                                                  : ev.process_exit().process();
            if (has(p.arguments(), o.storm) && ends_with_true(p.binary())) {
                (ev.has_process_exec() ? storm_exec : storm_exit)++;
            }
            if (ev.has_process_exit() && has(p.binary(), o.victims)) {
                std::printf("exit %u %lld\n", p.pid().value(), static_cast<long long>(time_ns(ev)));
                std::fflush(stdout);
            }
        } else if (ev.has_process_kprobe()) {
            const auto& k = ev.process_kprobe();
            std::uint32_t pid = k.process().pid().value();
            if (!o.path.empty()) {
                for (const auto& a : k.args()) {
                    if (a.string_arg() == o.path || a.file_arg().path() == o.path) {
                        ++path_hits;
                        break;
                    }
                }
            }
            if (has(k.process().binary(), o.pids)) ++per_pid[pid];
            if (has(k.process().binary(), o.victims)) {
                if (o.kill && killed.insert(pid).second) ::kill(static_cast<pid_t>(pid), SIGKILL);
                std::printf("hook %u %lld\n", pid, static_cast<long long>(time_ns(ev)));
                std::fflush(stdout);
            }
        }
    }
    // Totals first, then leave without tearing gRPC down: after a TryCancel
    // from the signal thread, Finish() and the channel's destructors can trip
    // an abseil mutex check (grpc 1.51), and the totals are all that matters.
    if (!o.storm.empty()) std::printf("storm_exec %llu\nstorm_exit %llu\n",
                                      (unsigned long long)storm_exec, (unsigned long long)storm_exit);
    if (!o.path.empty()) std::printf("path_hits %llu\n", (unsigned long long)path_hits);
    for (auto& [pid, n] : per_pid) std::printf("kprobe_pid %u %llu\n", pid, (unsigned long long)n);
    std::printf("events %llu\n", (unsigned long long)events);
    std::fflush(stdout);
    std::_Exit(0);
}
