#include "k8s/http_client.h"

#include <mutex>

#include <curl/curl.h>

#include "common/fatal.h"
#include "common/version.h"

namespace vigil::k8s {
namespace {

void global_init_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw FatalError("libcurl global initialisation failed");
        }
    });
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

// curl_slist owner.
struct Headers {
    curl_slist* list = nullptr;
    ~Headers() { curl_slist_free_all(list); }
    void add(const std::string& h) { list = curl_slist_append(list, h.c_str()); }
};

}  // namespace

struct HttpClient::Transfer {
    CURL* easy = nullptr;
    std::size_t max_body = 0;
    bool streaming = false;
    const std::function<void(long)>* on_open = nullptr;
    const std::function<bool(std::string_view)>* on_data = nullptr;
    HttpResponse response;
    bool too_large = false;
    bool opened = false;
};

std::string url_encode(std::string_view value) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value) {
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
        if (keep) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

HttpClient::HttpClient(ApiServerConfig config) : config_(std::move(config)) {
    global_init_once();
    multi_ = curl_multi_init();
    easy_ = curl_easy_init();
    if (multi_ == nullptr || easy_ == nullptr) throw FatalError("libcurl: cannot create a handle");
}

HttpClient::~HttpClient() {
    curl_easy_cleanup(easy_);
    curl_multi_cleanup(multi_);
}

void HttpClient::cancel() {
    cancelled_ = true;
    curl_multi_wakeup(multi_);
}

void HttpClient::reset() { cancelled_ = false; }

std::size_t HttpClient::on_header(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    // The blank line ends a header block; 1xx blocks are followed by another.
    if (line == "\r\n" || line == "\n") {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && !t->opened) {
            t->opened = true;
            t->response.status = status;
            if (t->on_open != nullptr && *t->on_open) (*t->on_open)(status);
        }
    }
    return size * n;
}

std::size_t HttpClient::on_body(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::size_t len = size * n;
    if (t->response.status == 0) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status);
    if (t->streaming && t->response.status == 200) {
        if (!(*t->on_data)(std::string_view(data, len))) {
            t->response.stopped_by_reader = true;
            return 0;  // makes curl abort with CURLE_WRITE_ERROR
        }
        return len;
    }
    if (t->response.body.size() + len > t->max_body) {
        t->too_large = true;
        return 0;
    }
    t->response.body.append(data, len);
    return len;
}

Result<HttpResponse> HttpClient::get(const std::string& target, const HttpLimits& limits) {
    Transfer t;
    return perform(target, limits, t);
}

Result<HttpResponse> HttpClient::stream(const std::string& target, const HttpLimits& limits,
                                        const std::function<void(long)>& on_open,
                                        const std::function<bool(std::string_view)>& on_data) {
    Transfer t;
    t.streaming = true;
    t.on_open = &on_open;
    t.on_data = &on_data;
    return perform(target, limits, t);
}

Result<HttpResponse> HttpClient::perform(const std::string& target, const HttpLimits& limits,
                                         Transfer& t) {
    std::string url = config_.server + target;
    if (cancelled_) return make_error("GET " + url + ": cancelled");

    // As kubectl (client-go) does, a bearer token only travels over TLS:
    // a plain-http server (kubectl proxy) gets no credentials.
    bool tls = config_.server.rfind("https://", 0) == 0;
    std::string token = tls ? config_.token : std::string();
    if (tls && token.empty() && !config_.token_file.empty()) {
        auto file = read_small_file(config_.token_file);
        if (!file) return make_error("GET " + url + ": bearer token: " + file.error());
        token = trim(std::move(*file));
    }

    CURL* e = easy_;
    curl_easy_reset(e);
    t.easy = e;
    t.max_body = limits.max_body;
    char errbuf[CURL_ERROR_SIZE] = {0};
    Headers headers;
    headers.add("Accept: application/json");
    if (!token.empty()) headers.add("Authorization: Bearer " + token);

    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.list);
    curl_easy_setopt(e, CURLOPT_USERAGENT, (std::string("vigil/") + kVersion).c_str());
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // the API server gzips large lists
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, static_cast<long>(limits.connect_timeout.count()));
    if (limits.idle_timeout.count() > 0) {
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(limits.idle_timeout.count()));
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &HttpClient::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &HttpClient::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);

    curl_blob ca{const_cast<char*>(config_.ca_pem.data()), config_.ca_pem.size(), CURL_BLOB_COPY};
    curl_blob cert{const_cast<char*>(config_.client_cert_pem.data()), config_.client_cert_pem.size(),
                   CURL_BLOB_COPY};
    curl_blob key{const_cast<char*>(config_.client_key_pem.data()), config_.client_key_pem.size(),
                  CURL_BLOB_COPY};
    if (!config_.ca_pem.empty()) curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
    if (config_.insecure_skip_tls_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!config_.client_cert_pem.empty()) {
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    }

    curl_multi_add_handle(multi_, e);
    int running = 1;
    bool cancelled = false;
    while (running > 0) {
        if (curl_multi_perform(multi_, &running) != CURLM_OK) break;
        if (running == 0) break;
        if (cancelled_) {
            cancelled = true;
            break;
        }
        // Woken early by data or by cancel()'s curl_multi_wakeup.
        curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    CURLcode rc = CURLE_OK;
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == e) rc = m->data.result;
    }
    curl_multi_remove_handle(multi_, e);

    if (cancelled) return make_error("GET " + url + ": cancelled");
    if (t.too_large) {
        return make_error("GET " + url + ": response larger than " + std::to_string(limits.max_body) + " bytes");
    }
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && t.response.stopped_by_reader)) {
        std::string detail = errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc);
        return make_error("GET " + url + ": " + detail);
    }
    if (t.response.status == 0) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t.response.status);
    return std::move(t.response);
}

}  // namespace vigil::k8s
