// A fake Kubernetes API server for tests, on 127.0.0.1 only, over HTTP or
// HTTPS (optionally requiring a client certificate and/or a bearer token).
// It serves a FakeCluster with the real wire protocol:
//   GET /api, /apis, /api/v1, /apis/<g>/<v>, /version   discovery (enough for kubectl)
//   GET <prefix>/[namespaces/<ns>/]<plural>              list: limit/continue, fieldSelector
//   GET ...?watch=1&resourceVersion=X                    chunked stream of JSON events
//                                                        (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR)
//   GET <prefix>/[namespaces/<ns>/]<plural>/<name>       one object
// and lets tests inject faults: failed or garbage answers, dropped
// watches, 410 Gone as an HTTP status or as an ERROR event, and going down
// and up again on the same port.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_apiserver/fake_cluster.h"
#include "fake_apiserver/test_pki.h"

namespace httplib {
class Server;
}

namespace vigil::fake_k8s {

enum class GoneStyle {
    kErrorEvent,  // 200, then {"type":"ERROR","object":{Status code 410}} (API servers today)
    kHttpStatus,  // HTTP 410 with a Status body (older servers)
};

enum class RequestKind { kAny, kList, kWatch, kGet, kDiscovery };

struct FakeServerOptions {
    std::string token;          // when set, requests need "Authorization: Bearer <token>"
    const TestPki* pki = nullptr;  // when set, HTTPS with pki's server cert
    bool require_client_cert = false;  // HTTPS: clients must present a cert signed by pki's CA
    GoneStyle gone_style = GoneStyle::kErrorEvent;
    int port = 0;  // 0: any free port, kept across stop()/start()
};

struct RecordedRequest {
    RequestKind kind;
    std::string path;
    std::string target;  // path and query as sent
    std::string authorization;
    std::string accept;
};

class FakeApiServer {
public:
    FakeApiServer(FakeCluster& cluster, FakeServerOptions options);
    ~FakeApiServer();
    FakeApiServer(const FakeApiServer&) = delete;
    FakeApiServer& operator=(const FakeApiServer&) = delete;

    // Binds 127.0.0.1 (the same port as before after a stop()) and serves.
    void start();
    // Closes the listener and every open stream; clients see the server gone.
    void stop();
    bool running() const { return thread_.joinable(); }

    int port() const { return port_; }
    std::string url() const;  // "http://127.0.0.1:<port>" or https

    // The next `count` requests of `kind` get this answer instead.
    void fail_next(RequestKind kind, int status, std::string body, int count = 1);
    void set_gone_style(GoneStyle style);

    std::vector<RecordedRequest> requests() const;
    std::size_t count_requests(RequestKind kind) const;

    // A kubeconfig for this server (token and/or client cert as configured).
    std::string kubeconfig_yaml(bool with_client_cert) const;

private:
    struct Fault {
        RequestKind kind;
        int status;
        std::string body;
        int remaining;
    };
    void install_routes(httplib::Server& server);
    bool take_fault(RequestKind kind, int& status, std::string& body);

    FakeCluster& cluster_;
    FakeServerOptions options_;
    int port_ = 0;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::shared_ptr<std::atomic<bool>> stopping_;

    mutable std::mutex mu_;
    std::deque<Fault> faults_;
    std::vector<RecordedRequest> requests_;
    GoneStyle gone_style_;
};

}  // namespace vigil::fake_k8s
