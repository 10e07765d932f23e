// The HTTP endpoint behind --metrics-server: /metrics (Prometheus text
// format), /healthz (liveness: the process serves HTTP) and /readyz (200 once
// every Health condition is met, else 503 listing what is pending). Built on
// cpp-httplib (Debian's libcpp-httplib-dev): request parsing, keep-alive and
// timeouts are a library's job, not something to hand-write in an agent that
// runs privileged on every node.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "metrics/health.h"
#include "metrics/registry.h"

namespace httplib {
class Server;
}

namespace vigil::metrics {

struct ListenAddress {
    std::string host;  // numeric IPv4/IPv6 or a name; ":2112" gives 0.0.0.0
    int port = 0;      // 0: an ephemeral port
};

// ":2112" -> 0.0.0.0:2112, "127.0.0.1:0", "localhost:9090", "[::]:2112".
// Errors name the address and what is wrong with it.
Result<ListenAddress> parse_listen_address(const std::string& address);

class MetricsServer {
public:
    // Binds before returning, so a bind failure (port in use, bad address)
    // is reported to the caller at start-up; serving runs on its own thread.
    // `registry` and `health` must outlive the server.
    static Result<std::unique_ptr<MetricsServer>> start(const std::string& address,
                                                        const Registry& registry,
                                                        const Health& health);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // The bound port (the ephemeral one when asked for port 0).
    int port() const { return port_; }
    const std::string& host() const { return host_; }
    // Stops accepting and waits for the serving thread. Idempotent.
    void stop();

private:
    MetricsServer() = default;

    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::string host_;
    int port_ = 0;
};

}  // namespace vigil::metrics
