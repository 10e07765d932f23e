// The Tetragon-compatible gRPC API (tetragon.FineGuidanceSensors) over a unix
// socket by default. Implemented: GetEvents (allow/deny filters, one bounded
// hub queue per stream), GetHealth, GetVersion. Every other RPC answers
// UNIMPLEMENTED with the method's name, so Tetragon clients get a clear error.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "export/filters.h"
#include "export/grpc_listen.h"
#include "export/hub.h"
#include "export/policy_api.h"

namespace grpc {
class Server;
}

namespace vigil::exporter {

struct GrpcServerOptions {
    // "unix:///abs/path" or "host:port" (TCP; bind to loopback unless the
    // operator really means otherwise).
    std::string address = "unix:///var/run/vigil/vigil.sock";
    // Unix socket owner/group/mode; TLS (and client certificates) for TCP.
    ListenAccess access;
    std::size_t max_streams = 64;          // concurrent GetEvents streams
    int max_request_bytes = 1 << 20;       // larger requests are refused by gRPC
    FilterLimits filter_limits;
    std::string version;
    // Kernel feature probe results, reported by GetInfo.
    std::vector<std::pair<std::string, bool>> probes;
    // Tracing policy management; null: those RPCs answer UNAVAILABLE.
    PolicyApi* policies = nullptr;
    // false: the RPCs that change policies answer PERMISSION_DENIED
    // (ListTracingPolicies still answers).
    bool policy_management = true;
};

struct GrpcStats {
    std::uint64_t streams_started = 0;
    std::uint64_t streams_refused = 0;   // over max_streams or bad filter
    std::uint64_t events_sent = 0;
    std::uint64_t events_dropped = 0;    // queue full for a slow stream (summed)
    std::size_t streams_active = 0;
};

class GrpcServer {
public:
    // Binds and starts serving. A unix socket path's stale file is replaced
    // (the caller holds the run-dir lock, so no live agent owns it).
    static Result<std::unique_ptr<GrpcServer>> start(GrpcServerOptions opts, Hub& hub);
    ~GrpcServer();
    GrpcServer(const GrpcServer&) = delete;
    GrpcServer& operator=(const GrpcServer&) = delete;

    // Ends every stream and stops accepting calls; waits at most `grace`.
    void shutdown(std::chrono::milliseconds grace);
    GrpcStats stats() const;
    const std::string& address() const { return opts_.address; }

    struct Counters {
        std::atomic<std::uint64_t> started{0}, refused{0}, sent{0}, dropped{0};
        std::atomic<std::size_t> active{0};
        std::atomic<bool> stopping{false};
    };

private:
    class Service;
    GrpcServer(GrpcServerOptions opts, Hub& hub);

    GrpcServerOptions opts_;
    Hub& hub_;
    Counters counters_;
    std::unique_ptr<Service> service_;
    std::unique_ptr<grpc::Server> server_;
    std::string socket_path_;  // empty for TCP
};

// "unix:///a/b" -> "/a/b"; "" for anything that is not a unix address.
std::string unix_socket_path(const std::string& address);

}  // namespace vigil::exporter
