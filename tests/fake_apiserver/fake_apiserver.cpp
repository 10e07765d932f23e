#include "fake_apiserver/fake_apiserver.h"

#include <stdexcept>

#include <httplib.h>
#include <openssl/pem.h>

#include "common/base64.h"

namespace vigil::fake_k8s {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kWatchPoll = std::chrono::milliseconds(100);
constexpr long kDefaultWatchSeconds = 1800;
// httplib gzips "application/json" bodies for clients that accept it, and
// its compressor holds streamed chunks back; the API server never
// compresses watches, so watch streams use a type httplib leaves alone.
constexpr const char* kWatchContentType = "application/json; charset=utf-8";

json status_json(int code, const std::string& reason, const std::string& message) {
    return {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Failure"},
            {"message", message}, {"reason", reason}, {"code", code}};
}

void send_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        auto slash = path.find('/', pos);
        std::string part = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (!part.empty()) parts.push_back(part);
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    return parts;
}

std::uint64_t to_u64(const std::string& s) {
    try {
        return s.empty() ? 0 : std::stoull(s);
    } catch (...) {
        return 0;
    }
}

// Where a request points: discovery, or a resource (+namespace, +name).
struct Route {
    std::string api_prefix;  // "/api/v1"
    std::string plural;
    std::string ns;
    std::string name;
    bool discovery = false;
};

std::optional<Route> route_of(const std::string& path) {
    auto parts = split_path(path);
    Route r;
    std::size_t i = 0;
    if (parts.empty()) return std::nullopt;
    if (parts[0] == "version" && parts.size() == 1) {
        r.discovery = true;
        return r;
    }
    if (parts[0] == "api") {
        if (parts.size() == 1) {
            r.discovery = true;
            return r;
        }
        r.api_prefix = "/api/" + parts[1];
        i = 2;
    } else if (parts[0] == "apis") {
        if (parts.size() == 1 || parts.size() == 3) {
            r.discovery = true;
            r.api_prefix = parts.size() == 3 ? "/apis/" + parts[1] + "/" + parts[2] : "";
            return r;
        }
        if (parts.size() < 3) return std::nullopt;
        r.api_prefix = "/apis/" + parts[1] + "/" + parts[2];
        i = 3;
    } else {
        return std::nullopt;
    }
    std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
    if (rest.empty()) {
        r.discovery = true;
        return r;
    }
    if (rest.size() >= 3 && rest[0] == "namespaces") {
        r.ns = rest[1];
        rest.erase(rest.begin(), rest.begin() + 2);
    }
    if (rest.size() > 2) return std::nullopt;
    r.plural = rest[0];
    if (rest.size() == 2) r.name = rest[1];
    return r;
}

std::string singular(const ResourceType& t) {
    std::string s = t.kind;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

FakeApiServer::FakeApiServer(FakeCluster& cluster, FakeServerOptions options)
    : cluster_(cluster), options_(std::move(options)), port_(options_.port), gone_style_(options_.gone_style) {}

FakeApiServer::~FakeApiServer() { stop(); }

std::string FakeApiServer::url() const {
    return std::string(options_.pki != nullptr ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void FakeApiServer::fail_next(RequestKind kind, int status, std::string body, int count) {
    std::lock_guard lock(mu_);
    faults_.push_back({kind, status, std::move(body), count});
}

void FakeApiServer::set_gone_style(GoneStyle style) {
    std::lock_guard lock(mu_);
    gone_style_ = style;
}

std::vector<RecordedRequest> FakeApiServer::requests() const {
    std::lock_guard lock(mu_);
    return requests_;
}

std::size_t FakeApiServer::count_requests(RequestKind kind) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& r : requests_) n += (kind == RequestKind::kAny || r.kind == kind) ? 1 : 0;
    return n;
}

bool FakeApiServer::take_fault(RequestKind kind, int& status, std::string& body) {
    std::lock_guard lock(mu_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (it->kind != RequestKind::kAny && it->kind != kind) continue;
        status = it->status;
        body = it->body;
        if (--it->remaining <= 0) faults_.erase(it);
        return true;
    }
    return false;
}

std::string FakeApiServer::kubeconfig_yaml(bool with_client_cert) const {
    std::string y = "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
                    "clusters:\n- name: fake\n  cluster:\n    server: " + url() + "\n";
    if (options_.pki != nullptr) y += "    certificate-authority-data: " + base64_encode(options_.pki->ca_cert_pem) + "\n";
    y += "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n"
         "users:\n- name: fake\n  user:\n";
    bool any = false;
    if (!options_.token.empty()) {
        y += "    token: " + options_.token + "\n";
        any = true;
    }
    if (with_client_cert && options_.pki != nullptr) {
        y += "    client-certificate-data: " + base64_encode(options_.pki->client_cert_pem) + "\n";
        y += "    client-key-data: " + base64_encode(options_.pki->client_key_pem) + "\n";
        any = true;
    }
    if (!any) y += "    {}\n";
    return y;
}

void FakeApiServer::start() {
    if (running()) return;
    stopping_ = std::make_shared<std::atomic<bool>>(false);
    if (options_.pki != nullptr) {
        auto read_cert = [](const std::string& pem) {
            BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
            X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
            BIO_free(bio);
            return x;
        };
        BIO* kbio = BIO_new_mem_buf(options_.pki->server_key_pem.data(),
                                    static_cast<int>(options_.pki->server_key_pem.size()));
        EVP_PKEY* key = PEM_read_bio_PrivateKey(kbio, nullptr, nullptr, nullptr);
        BIO_free(kbio);
        X509* cert = read_cert(options_.pki->server_cert_pem);
        X509_STORE* store = nullptr;
        if (options_.require_client_cert) {
            store = X509_STORE_new();
            X509* ca = read_cert(options_.pki->ca_cert_pem);
            X509_STORE_add_cert(store, ca);
            X509_free(ca);
        }
        // The SSL_CTX takes its own references (and the store).
        server_ = std::make_unique<httplib::SSLServer>(cert, key, store);
        X509_free(cert);
        EVP_PKEY_free(key);
    } else {
        server_ = std::make_unique<httplib::Server>();
    }
    if (!server_->is_valid()) throw std::runtime_error("fake API server: invalid TLS setup");
    server_->set_keep_alive_timeout(1);
    install_routes(*server_);
    if (port_ == 0) {
        port_ = server_->bind_to_any_port("127.0.0.1");
        if (port_ <= 0) throw std::runtime_error("fake API server: cannot bind 127.0.0.1");
    } else if (!server_->bind_to_port("127.0.0.1", port_)) {
        throw std::runtime_error("fake API server: cannot bind 127.0.0.1:" + std::to_string(port_));
    }
    thread_ = std::thread([s = server_.get()] { s->listen_after_bind(); });
    // httplib's stop() does nothing until the accept loop runs (it checks
    // is_running()), so a stop() right after start() would hang the join.
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!server_->is_running()) {
        if (Clock::now() > deadline) throw std::runtime_error("fake API server: listener did not start");
        std::this_thread::yield();
    }
}

void FakeApiServer::stop() {
    if (!running()) return;
    *stopping_ = true;
    cluster_.wake_all();
    server_->stop();
    thread_.join();
    server_.reset();
}

void FakeApiServer::install_routes(httplib::Server& server) {
    server.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
        auto route = route_of(req.path);
        bool watch = req.get_param_value("watch") == "1" || req.get_param_value("watch") == "true";
        RequestKind kind = !route                 ? RequestKind::kGet
                           : route->discovery     ? RequestKind::kDiscovery
                           : watch                ? RequestKind::kWatch
                           : route->name.empty()  ? RequestKind::kList
                                                  : RequestKind::kGet;
        {
            std::lock_guard lock(mu_);
            requests_.push_back({kind, req.path, req.target, req.get_header_value("Authorization"),
                                 req.get_header_value("Accept")});
        }
        if (!options_.token.empty() && req.get_header_value("Authorization") != "Bearer " + options_.token) {
            send_json(res, 401, status_json(401, "Unauthorized", "Unauthorized"));
            return;
        }
        int fault_status = 0;
        std::string fault_body;
        if (take_fault(kind, fault_status, fault_body)) {
            res.status = fault_status;
            res.set_content(fault_body, "application/json");
            return;
        }
        if (!route) {
            send_json(res, 404, status_json(404, "NotFound", "the server could not find the requested resource"));
            return;
        }
        if (route->discovery) {
            std::vector<std::string> parts = split_path(req.path);
            if (parts.size() == 1 && parts[0] == "version") {
                send_json(res, 200, {{"major", "1"}, {"minor", "30"}, {"gitVersion", "v1.30.0-vigil-fake"},
                                     {"gitCommit", "0"}, {"gitTreeState", "clean"},
                                     {"buildDate", "2024-05-01T00:00:00Z"}, {"goVersion", "go1.22.0"},
                                     {"compiler", "gc"}, {"platform", "linux/amd64"}});
            } else if (parts.size() == 1 && parts[0] == "api") {
                send_json(res, 200, {{"kind", "APIVersions"}, {"versions", {"v1"}},
                                     {"serverAddressByClientCIDRs",
                                      {{{"clientCIDR", "0.0.0.0/0"},
                                        {"serverAddress", "127.0.0.1:" + std::to_string(port_)}}}}});
            } else if (parts.size() == 1 && parts[0] == "apis") {
                json groups = json::array();
                for (const auto& t : cluster_.types()) {
                    auto slash = t.group_version.find('/');
                    if (slash == std::string::npos) continue;
                    json v{{"groupVersion", t.group_version}, {"version", t.group_version.substr(slash + 1)}};
                    groups.push_back({{"name", t.group_version.substr(0, slash)}, {"versions", {v}},
                                      {"preferredVersion", v}});
                }
                send_json(res, 200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
            } else {
                json resources = json::array();
                std::string gv;
                for (const auto& t : cluster_.types()) {
                    if (t.api_prefix() != route->api_prefix) continue;
                    gv = t.group_version;
                    resources.push_back({{"name", t.plural}, {"singularName", singular(t)},
                                         {"namespaced", t.namespaced}, {"kind", t.kind},
                                         {"verbs", {"get", "list", "watch"}}, {"shortNames", t.short_names}});
                }
                if (resources.empty()) {
                    send_json(res, 404, status_json(404, "NotFound", "no such API group/version"));
                    return;
                }
                send_json(res, 200, {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", gv},
                                     {"resources", resources}});
            }
            return;
        }
        const ResourceType* type = cluster_.type_for(route->api_prefix, route->plural);
        if (type == nullptr) {
            send_json(res, 404, status_json(404, "NotFound", "the server could not find the requested resource"));
            return;
        }
        auto selector = FieldSelector::parse(req.get_param_value("fieldSelector"));
        if (!selector) {
            send_json(res, 400, status_json(400, "BadRequest", "invalid field selector"));
            return;
        }

        if (kind == RequestKind::kGet) {
            auto obj = cluster_.get(route->plural, route->ns, route->name);
            if (!obj) {
                send_json(res, 404, status_json(404, "NotFound", route->plural + " \"" + route->name + "\" not found"));
            } else {
                send_json(res, 200, *obj);
            }
            return;
        }

        if (kind == RequestKind::kList) {
            std::uint64_t rv = cluster_.resource_version();
            std::size_t offset = 0;
            std::string cont = req.get_param_value("continue");
            if (!cont.empty()) {
                auto colon = cont.find(':');
                rv = to_u64(cont.substr(0, colon));
                offset = colon == std::string::npos ? 0 : to_u64(cont.substr(colon + 1));
                if (rv < cluster_.compacted_version()) {
                    send_json(res, 410, status_json(410, "Expired",
                                                    "The provided continue parameter is too old to display a "
                                                    "consistent list result."));
                    return;
                }
            }
            auto items = cluster_.list(route->plural, route->ns, *selector);
            std::size_t limit = to_u64(req.get_param_value("limit"));
            json page = json::array();
            std::size_t end = limit == 0 ? items.size() : std::min(items.size(), offset + limit);
            for (std::size_t i = offset; i < end; ++i) {
                items[i].erase("kind");  // list items carry no kind/apiVersion on the wire
                items[i].erase("apiVersion");
                page.push_back(std::move(items[i]));
            }
            json meta{{"resourceVersion", std::to_string(rv)}};
            if (end < items.size()) meta["continue"] = std::to_string(rv) + ":" + std::to_string(end);
            send_json(res, 200, {{"kind", type->kind + "List"}, {"apiVersion", type->group_version},
                                 {"metadata", meta}, {"items", page}});
            return;
        }

        // Watch.
        std::uint64_t from = to_u64(req.get_param_value("resourceVersion"));
        bool bookmarks = req.get_param_value("allowWatchBookmarks") == "true";
        long timeout_s = static_cast<long>(to_u64(req.get_param_value("timeoutSeconds")));
        if (timeout_s <= 0) timeout_s = kDefaultWatchSeconds;
        GoneStyle gone_style;
        {
            std::lock_guard lock(mu_);
            gone_style = gone_style_;
        }
        if (from != 0 && from < cluster_.compacted_version()) {
            std::string msg = "too old resource version: " + std::to_string(from) + " (" +
                              std::to_string(cluster_.compacted_version()) + ")";
            if (gone_style == GoneStyle::kHttpStatus) {
                send_json(res, 410, status_json(410, "Expired", msg));
            } else {
                std::string line = json{{"type", "ERROR"}, {"object", status_json(410, "Expired", msg)}}.dump() + "\n";
                res.set_chunked_content_provider(kWatchContentType, [line](std::size_t, httplib::DataSink& sink) {
                    sink.write(line.data(), line.size());
                    sink.done();
                    return true;
                });
            }
            return;
        }
        struct WatchState {
            FakeCluster::WatchCursor cursor;
            std::vector<std::string> pending;
            Clock::time_point deadline;
        };
        auto st = std::make_shared<WatchState>();
        st->cursor = cluster_.open_watch(route->plural, route->ns, *selector, from, bookmarks, st->pending);
        st->deadline = Clock::now() + std::chrono::seconds(timeout_s);
        auto stopping = stopping_;
        FakeCluster* cluster = &cluster_;
        res.set_chunked_content_provider(
            kWatchContentType,
            [st, stopping, cluster](std::size_t, httplib::DataSink& sink) {
                for (const auto& l : st->pending) {
                    if (!sink.write(l.data(), l.size())) return false;
                }
                st->pending.clear();
                if (*stopping) return false;
                auto now = Clock::now();
                if (now >= st->deadline) {
                    sink.done();  // the server-side timeout: a clean end of stream
                    return true;
                }
                auto wait = std::min<Clock::duration>(kWatchPoll, st->deadline - now);
                bool alive = cluster->next_lines(st->cursor,
                                                 std::chrono::duration_cast<std::chrono::milliseconds>(wait),
                                                 st->pending);
                // Returning false closes the connection without the last chunk.
                return alive && !*stopping;
            },
            [cluster](bool) { cluster->close_watch(); });
    });
}

}  // namespace vigil::fake_k8s
