// RemoteActions: GetUrl reaches a loopback HTTP server, DnsLookup sends its
// query to the configured loopback DNS server, failures and a full queue are
// counted. Only 127.0.0.1 is ever contacted.
#include "agent/remote_actions.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

namespace vigil::agent {
namespace {

using model::RemoteActionKind;

// An HTTP server on 127.0.0.1 recording request paths; a handler may be held.
class LoopbackHttp {
public:
    LoopbackHttp() {
        server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
            std::unique_lock<std::mutex> lock(mu_);
            paths_.push_back(req.path);
            cv_.notify_all();
            cv_.wait(lock, [this] { return !hold_; });
            res.set_content("ok", "text/plain");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        // Bound already: connections queue in the backlog until listen_after_bind() accepts.
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        // stop() before the loop runs would be lost (httplib stops only a running server).
        while (!server_.is_running()) std::this_thread::yield();
    }
    ~LoopbackHttp() {
        release();
        server_.stop();
        thread_.join();
    }
    int port() const { return port_; }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    void hold() {
        std::lock_guard<std::mutex> lock(mu_);
        hold_ = true;
    }
    void release() {
        std::lock_guard<std::mutex> lock(mu_);
        hold_ = false;
        cv_.notify_all();
    }
    void wait_for_requests(std::size_t n) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return paths_.size() >= n; });
    }
    std::vector<std::string> paths() {
        std::lock_guard<std::mutex> lock(mu_);
        return paths_;
    }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> paths_;
    bool hold_ = false;
};

// A socket bound to 127.0.0.1 on a kernel-chosen port, never listening: UDP
// datagrams queue on it, and TCP connections to it are refused.
struct BoundSocket {
    int fd = -1;
    int port = 0;
    explicit BoundSocket(int type) {
        fd = ::socket(AF_INET, type, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
        socklen_t len = sizeof(a);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~BoundSocket() { ::close(fd); }
};

// The query name of a DNS message ("a.b.c"), or "" if malformed.
std::string query_name(const unsigned char* msg, std::size_t n) {
    std::string out;
    for (std::size_t at = 12; at < n && msg[at] != 0;) {
        std::size_t len = msg[at++];
        if (len > 63 || at + len > n) return "";
        if (!out.empty()) out += '.';
        out.append(reinterpret_cast<const char*>(msg + at), len);
        at += len;
    }
    return out;
}

TEST(RemoteActions, GetUrlRequestsTheUrl) {
    LoopbackHttp http;
    RemoteActions r({});
    ASSERT_TRUE(r.submit({RemoteActionKind::kGetUrl, http.url("/canary/token-1?x=1")}));
    r.wait_idle();
    EXPECT_EQ(http.paths(), std::vector<std::string>{"/canary/token-1"});
    EXPECT_EQ(r.count(RemoteActionKind::kGetUrl, RemoteActions::kOk), 1u);
    EXPECT_EQ(r.count(RemoteActionKind::kGetUrl, RemoteActions::kFailed), 0u);
}

TEST(RemoteActions, UnreachableUrlIsCountedAsFailed) {
    BoundSocket closed(SOCK_STREAM);
    const int port = closed.port;
    ASSERT_GT(port, 0);
    RemoteActions r({});
    ASSERT_TRUE(r.submit({RemoteActionKind::kGetUrl, "http://127.0.0.1:" + std::to_string(port) + "/"}));
    r.wait_idle();
    EXPECT_EQ(r.count(RemoteActionKind::kGetUrl, RemoteActions::kFailed), 1u);
    EXPECT_EQ(r.count(RemoteActionKind::kGetUrl, RemoteActions::kOk), 0u);
}

TEST(RemoteActions, FullQueueDropsAndCounts) {
    LoopbackHttp http;
    http.hold();
    RemoteActionOptions o;
    o.queue_size = 1;
    RemoteActions r(o);
    ASSERT_TRUE(r.submit({RemoteActionKind::kGetUrl, http.url("/first")}));
    http.wait_for_requests(1);  // the worker is inside the first request
    ASSERT_TRUE(r.submit({RemoteActionKind::kGetUrl, http.url("/second")}));  // queued
    EXPECT_FALSE(r.submit({RemoteActionKind::kGetUrl, http.url("/third")}));
    EXPECT_FALSE(r.submit({RemoteActionKind::kDnsLookup, "canary.example"}));
    http.release();
    r.wait_idle();
    EXPECT_EQ(http.paths(), (std::vector<std::string>{"/first", "/second"}));
    EXPECT_EQ(r.count(RemoteActionKind::kGetUrl, RemoteActions::kOk), 2u);
    EXPECT_EQ(r.count(RemoteActionKind::kGetUrl, RemoteActions::kDropped), 1u);
    EXPECT_EQ(r.count(RemoteActionKind::kDnsLookup, RemoteActions::kDropped), 1u);
}

TEST(RemoteActions, DnsLookupQueriesTheConfiguredServer) {
    BoundSocket dns(SOCK_DGRAM);
    RemoteActionOptions o;
    o.dns_server = "127.0.0.1:" + std::to_string(dns.port);
    RemoteActions r(o);
    ASSERT_TRUE(r.submit({RemoteActionKind::kDnsLookup, "token-2.canary.test"}));
    // Answer the query with NXDOMAIN: the lookup happened, which is the point.
    pollfd p{dns.fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1) << "no DNS query arrived";
    unsigned char msg[512];
    sockaddr_in from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = ::recvfrom(dns.fd, msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    ASSERT_GT(n, 12);
    EXPECT_EQ(query_name(msg, static_cast<std::size_t>(n)), "token-2.canary.test");
    msg[2] = 0x81;  // QR, RD
    msg[3] = 0x83;  // RA, RCODE 3 (NXDOMAIN)
    ::sendto(dns.fd, msg, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), from_len);
    r.wait_idle();
    EXPECT_EQ(r.count(RemoteActionKind::kDnsLookup, RemoteActions::kOk), 1u);
}

TEST(RemoteActions, DnsServerThatNeverAnswersIsCountedAsFailed) {
    BoundSocket silent(SOCK_DGRAM);
    RemoteActionOptions o;
    o.dns_server = "127.0.0.1:" + std::to_string(silent.port);
    o.timeout_ms = 1000;
    RemoteActions r(o);
    ASSERT_TRUE(r.submit({RemoteActionKind::kDnsLookup, "token-3.canary.test"}));
    r.wait_idle();
    EXPECT_EQ(r.count(RemoteActionKind::kDnsLookup, RemoteActions::kFailed), 1u);
}

TEST(RemoteActions, DnsServerSpecIsChecked) {
    EXPECT_TRUE(check_dns_server("127.0.0.1"));
    EXPECT_TRUE(check_dns_server("127.0.0.1:5353"));
    auto bad_port = check_dns_server("127.0.0.1:0");
    ASSERT_FALSE(bad_port);
    EXPECT_NE(bad_port.error().find("port must be 1 to 65535"), std::string::npos) << bad_port.error();
    auto bad_host = check_dns_server("resolver.local");
    ASSERT_FALSE(bad_host);
    EXPECT_NE(bad_host.error().find("not an IPv4 address"), std::string::npos) << bad_host.error();
}

}  // namespace
}  // namespace vigil::agent
