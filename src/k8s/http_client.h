// HTTP(S) GETs against the API server through libcurl: bounded bodies,
// streamed bodies for watches, TLS with the config's CA / client
// certificate / token, and cancellation from another thread. One instance
// serves one thread (it reuses one connection cache); cancel() may be called
// from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "k8s/api_config.h"

using CURL = void;
using CURLM = void;

namespace vigil::k8s {

struct HttpResponse {
    long status = 0;
    std::string body;             // the bounded body (for streams: only non-200 bodies)
    bool stopped_by_reader = false;  // the stream callback asked to stop
};

struct HttpLimits {
    std::chrono::seconds connect_timeout{10};
    // Abort when fewer than 1 byte/s arrive for this long (0: never).
    std::chrono::seconds idle_timeout{60};
    std::size_t max_body = 16 << 20;
};

class HttpClient {
public:
    explicit HttpClient(ApiServerConfig config);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // GET server + target ("/api/v1/pods?limit=500"). An error for transport
    // failures, bodies over limits.max_body and cancellation; any HTTP
    // status is a response.
    Result<HttpResponse> get(const std::string& target, const HttpLimits& limits);

    // As get, but a 200 body is handed to on_data as it arrives (return false
    // to stop); on_open runs once the status line and headers are in. Other
    // statuses are collected into body (bounded) as for get.
    Result<HttpResponse> stream(const std::string& target, const HttpLimits& limits,
                                const std::function<void(long status)>& on_open,
                                const std::function<bool(std::string_view)>& on_data);

    // Aborts the running request and fails later ones until reset().
    void cancel();
    void reset();

    const ApiServerConfig& config() const { return config_; }

private:
    struct Transfer;
    Result<HttpResponse> perform(const std::string& target, const HttpLimits& limits, Transfer& t);
    static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user);
    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user);

    ApiServerConfig config_;
    CURLM* multi_ = nullptr;
    CURL* easy_ = nullptr;
    std::atomic<bool> cancelled_{false};
};

// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view value);

}  // namespace vigil::k8s
