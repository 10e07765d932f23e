#include "metrics/http_server.h"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <sys/socket.h>

#include <httplib.h>

#include "metrics/exposition.h"

namespace vigil::metrics {

Result<ListenAddress> parse_listen_address(const std::string& address) {
    auto bad = [&](const std::string& why) {
        return make_error("metrics server address '" + address + "': " + why);
    };
    ListenAddress out;
    std::string port_text;
    if (!address.empty() && address[0] == '[') {
        auto close = address.find(']');
        if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
            return bad("expected [IPv6]:port");
        }
        out.host = address.substr(1, close - 1);
        port_text = address.substr(close + 2);
    } else {
        auto colon = address.rfind(':');
        if (colon == std::string::npos) return bad("expected host:port or :port");
        out.host = address.substr(0, colon);
        if (out.host.find(':') != std::string::npos) return bad("write IPv6 hosts as [addr]:port");
        port_text = address.substr(colon + 1);
    }
    if (out.host.empty()) out.host = "0.0.0.0";
    int port = -1;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || p != port_text.data() + port_text.size() ||
        port < 0 || port > 65535) {
        return bad("port must be a number from 0 to 65535");
    }
    out.port = port;
    return out;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address,
                                                            const Registry& registry,
                                                            const Health& health) {
    auto addr = parse_listen_address(address);
    if (!addr) return make_error(addr.error());

    std::unique_ptr<MetricsServer> self(new MetricsServer());
    self->server_ = std::make_unique<httplib::Server>();
    auto& svr = *self->server_;
    // Two workers: Prometheus and the kubelet's probes are the only clients;
    // the library's default pool is sized for a general web server.
    svr.new_task_queue = [] { return new httplib::ThreadPool(2); };
    svr.set_read_timeout(5);
    svr.set_write_timeout(5);
    svr.set_payload_max_length(4096);  // GET only; refuse bodies
    // httplib's default also sets SO_REUSEPORT, which lets a second vigild
    // bind the same port and silently take half the scrapes; a port in use
    // must be a start-up error instead. SO_REUSEADDR alone allows a quick
    // restart while old connections sit in TIME_WAIT.
    svr.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });

    svr.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& res) {
        res.set_content(render(registry), kExpositionContentType);
    });
    svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("ok\n", "text/plain");
    });
    svr.Get("/readyz", [&health](const httplib::Request&, httplib::Response& res) {
        auto r = health.report();
        if (r.ready) {
            res.set_content("ready\n", "text/plain");
            return;
        }
        std::string body = "not ready:\n";
        for (const auto& p : r.pending) body += "  " + p + "\n";
        res.status = 503;
        res.set_content(body, "text/plain");
    });

    errno = 0;
    if (addr->port == 0) {
        int port = svr.bind_to_any_port(addr->host);
        if (port < 0) {
            return make_error("metrics server: cannot listen on " + address + ": " +
                              (errno ? std::strerror(errno) : "bind failed"));
        }
        self->port_ = port;
    } else {
        if (!svr.bind_to_port(addr->host, addr->port)) {
            return make_error("metrics server: cannot listen on " + address + ": " +
                              (errno ? std::strerror(errno) : "bind failed"));
        }
        self->port_ = addr->port;
    }
    self->host_ = addr->host;

    // stop() only takes effect once the accept loop runs (httplib ignores it
    // before), so start() returns only after that, or after the loop ended.
    auto done = std::make_shared<std::atomic<bool>>(false);
    self->thread_ = std::thread([&svr, done] {
        svr.listen_after_bind();
        done->store(true);
    });
    while (!svr.is_running() && !done->load()) std::this_thread::yield();
    return self;
}

void MetricsServer::stop() {
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
}

MetricsServer::~MetricsServer() { stop(); }

}  // namespace vigil::metrics
