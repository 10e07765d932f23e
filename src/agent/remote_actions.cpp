#include "agent/remote_actions.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include <curl/curl.h>
#include <spdlog/spdlog.h>

namespace vigil::agent {

namespace {

// The response body is not needed: the request is the signal.
std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

struct DnsServer {
    in_addr addr{};
    std::uint16_t port = 53;
};

Result<DnsServer> parse_dns_server(const std::string& spec) {
    DnsServer out;
    std::string host = spec;
    if (auto colon = spec.find(':'); colon != std::string::npos) {
        host = spec.substr(0, colon);
        const std::string port = spec.substr(colon + 1);
        char* end = nullptr;
        long p = std::strtol(port.c_str(), &end, 10);
        if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
            return make_error("dns server '" + spec + "': the port must be 1 to 65535");
        }
        out.port = static_cast<std::uint16_t>(p);
    }
    if (inet_pton(AF_INET, host.c_str(), &out.addr) != 1) {
        return make_error("dns server '" + spec + "': '" + host + "' is not an IPv4 address");
    }
    return out;
}

}  // namespace

const char* remote_action_name(model::RemoteActionKind kind) {
    return kind == model::RemoteActionKind::kGetUrl ? "GetUrl" : "DnsLookup";
}

Status check_dns_server(const std::string& spec) {
    auto r = parse_dns_server(spec);
    if (!r) return make_error(r.error());
    return {};
}

RemoteActions::RemoteActions(RemoteActionOptions opts) : opts_(std::move(opts)) {
    worker_ = std::thread([this] { run(); });
}

RemoteActions::~RemoteActions() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
}

bool RemoteActions::submit(const model::RemoteAction& a) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (queue_.size() < opts_.queue_size) {
            queue_.push_back(a);
            cv_.notify_one();
            return true;
        }
    }
    counts_[static_cast<std::size_t>(a.kind)][kDropped]++;
    warn(a.kind, "dropped: the queue of " + std::to_string(opts_.queue_size) + " actions is full");
    return false;
}

void RemoteActions::wait_idle() {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void RemoteActions::run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) {
            // Shutting down: what is still queued is not done, and is counted so.
            if (!queue_.empty()) {
                spdlog::warn("{} GetUrl/DnsLookup actions not done at shutdown (counted as dropped)",
                             queue_.size());
            }
            for (const auto& left : queue_) counts_[static_cast<std::size_t>(left.kind)][kDropped]++;
            queue_.clear();
            return;
        }
        model::RemoteAction a = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        lock.unlock();
        done(a.kind, a.kind == model::RemoteActionKind::kGetUrl ? get_url(a.arg) : dns_lookup(a.arg));
        lock.lock();
        busy_ = false;
        if (queue_.empty()) idle_cv_.notify_all();
    }
}

void RemoteActions::done(model::RemoteActionKind kind, const Status& st) {
    counts_[static_cast<std::size_t>(kind)][st ? kOk : kFailed]++;
    if (!st) warn(kind, st.error());
}

void RemoteActions::warn(model::RemoteActionKind kind, const std::string& what) {
    // At most one warning per 10 s: a failing canary must not flood the log.
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard<std::mutex> lock(warn_mu_);
        if (last_warning_ != std::chrono::steady_clock::time_point{} &&
            now - last_warning_ < std::chrono::seconds(10)) {
            return;
        }
        last_warning_ = now;
    }
    spdlog::warn("{} action: {} (counted in vigil_remote_actions_total; more in the next 10 s are only counted)",
                 remote_action_name(kind), what);
}

Status RemoteActions::get_url(const std::string& url) const {
    CURL* c = curl_easy_init();
    if (!c) return make_error("GET " + url + ": curl_easy_init failed");
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(opts_.timeout_ms));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil-geturl");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) return make_error("GET " + url + ": " + curl_easy_strerror(rc));
    // Any HTTP answer means the request arrived, which is what a canary needs.
    (void)status;
    return {};
}

Status RemoteActions::dns_lookup(const std::string& name) const {
    struct __res_state st;
    std::memset(&st, 0, sizeof(st));
    if (res_ninit(&st) != 0) return make_error("DnsLookup " + name + ": res_ninit failed");
    if (!opts_.dns_server.empty()) {
        auto server = parse_dns_server(opts_.dns_server);
        if (!server) {
            res_nclose(&st);
            return make_error(server.error());
        }
        st.nscount = 1;
        st.nsaddr_list[0].sin_family = AF_INET;
        st.nsaddr_list[0].sin_addr = server->addr;
        st.nsaddr_list[0].sin_port = htons(server->port);
    }
    const int seconds = std::max(1, opts_.timeout_ms / 1000);
    st.retrans = seconds;
    st.retry = 1;
    unsigned char answer[NS_PACKETSZ];
    int n = res_nquery(&st, name.c_str(), ns_c_in, ns_t_a, answer, sizeof(answer));
    const int herr = st.res_h_errno;
    res_nclose(&st);
    // NXDOMAIN still means the query reached a server: a canary's trigger.
    if (n < 0 && herr != HOST_NOT_FOUND && herr != NO_DATA) {
        return make_error("DnsLookup " + name + ": " + hstrerror(herr));
    }
    return {};
}

}  // namespace vigil::agent
