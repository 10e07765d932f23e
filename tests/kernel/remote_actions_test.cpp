// GetUrl and DnsLookup end to end (issue 5): a process opens a canary file,
// the selector matches in the kernel, and vigild fetches the URL from a
// loopback HTTP listener and sends the DNS query to a loopback UDP socket
// (--action-dns-server), both owned by this test. The event says which
// action it carried; an open that does not match triggers nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "policy_template_fixture.h"

namespace vigil::kt {
namespace {

// A socket on 127.0.0.1 with a kernel-chosen port.
struct LoopbackSocket {
    int fd = -1;
    int port = 0;
    explicit LoopbackSocket(int type) {
        fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
        if (type == SOCK_STREAM) ::listen(fd, 8);
        socklen_t len = sizeof(a);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~LoopbackSocket() { ::close(fd); }
    bool readable(Millis timeout) const {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
    }
};

// Accepts one HTTP connection and returns its request line ("GET /x HTTP/1.1").
std::string accept_request_line(const LoopbackSocket& l) {
    if (!l.readable(kEventTimeout)) return "";
    int c = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return "";
    std::string req;
    char buf[1024];
    pollfd p{c, POLLIN, 0};
    while (req.find("\r\n\r\n") == std::string::npos && ::poll(&p, 1, 5000) == 1) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
    }
    const char reply[] = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    (void)!::write(c, reply, sizeof(reply) - 1);
    ::close(c);
    return req.substr(0, req.find("\r\n"));
}

// The query name of the DNS message that arrives at `s` ("a.b.c"), "" if none.
std::string receive_query_name(const LoopbackSocket& s) {
    if (!s.readable(kEventTimeout)) return "";
    unsigned char msg[512];
    ssize_t n = ::recv(s.fd, msg, sizeof(msg), 0);
    std::string out;
    for (ssize_t at = 12; at < n && msg[at] != 0;) {
        int len = msg[at++];
        if (len > 63 || at + len > n) return "";
        if (!out.empty()) out += '.';
        out.append(reinterpret_cast<const char*>(msg + at), static_cast<std::size_t>(len));
        at += len;
    }
    return out;
}

class RemoteActionsTest : public PolicyTemplateTest {
protected:
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"canary.yaml", openat_policy("kt-canary", R"(    - matchArgs:
      - {index: 1, operator: Equal, values: ["@DIR@/canary-http"]}
      matchBinaries:
      - {operator: Postfix, values: ["/vigil_trigger"]}
      matchActions:
      - action: GetUrl
        argUrl: "http://127.0.0.1:)" + std::to_string(http_.port) + "/canary/" + token_ + R"("
    - matchArgs:
      - {index: 1, operator: Equal, values: ["@DIR@/canary-dns"]}
      matchBinaries:
      - {operator: Postfix, values: ["/vigil_trigger"]}
      matchActions:
      - action: DnsLookup
        argFqdn: ")" + token_ + R"(.canary.test"
)")}};
    }
    VigildOptions vigild_options() override {
        VigildOptions o = PolicyTemplateTest::vigild_options();
        o.extra_args.push_back("--action-dns-server=127.0.0.1:" + std::to_string(dns_.port));
        return o;
    }
    void SetUp() override {
        PolicyTemplateTest::SetUp();
        // Written by this test binary, which matchBinaries leaves out: no request for these opens.
        for (const char* n : {"canary-http", "canary-dns", "plain"}) write_file(work_ / n, "x");
    }
    // Events of kt-canary with this path.
    std::vector<tetragon::GetEventsResponse> events_for(const EventStream& s, const std::string& path) {
        std::vector<tetragon::GetEventsResponse> out;
        for (const auto& e : s.events()) {
            if (e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-canary" &&
                e.process_kprobe().args_size() == 1 && e.process_kprobe().args(0).string_arg() == path) {
                out.push_back(e);
            }
        }
        return out;
    }

    const std::string token_ = "t" + random_token();
    LoopbackSocket http_{SOCK_STREAM};
    LoopbackSocket dns_{SOCK_DGRAM};
};

TEST_F(RemoteActionsTest, MatchingOpensFetchTheUrlAndLookUpTheName) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();

    // An open that matches neither selector: no request of either kind.
    run_and_drain(*stream.value(), {trigger_path(), "open", work_ / "plain"}, trigger_path());
    EXPECT_FALSE(http_.readable(Millis(0))) << "an HTTP connection without a matching open";
    EXPECT_FALSE(dns_.readable(Millis(0))) << "a DNS query without a matching open";

    VIGIL_ASSERT_OK_AND_ASSIGN(st, run_to_exit({trigger_path(), "open", work_ / "canary-http"}));
    ASSERT_EQ(describe_wait_status(st), "exited 0");
    EXPECT_EQ(accept_request_line(http_), "GET /canary/" + token_ + " HTTP/1.1");

    VIGIL_ASSERT_OK_AND_ASSIGN(st2, run_to_exit({trigger_path(), "open", work_ / "canary-dns"}));
    ASSERT_EQ(describe_wait_status(st2), "exited 0");
    EXPECT_EQ(receive_query_name(dns_), token_ + ".canary.test");

    run_and_drain(*stream.value(), {trigger_path(), "exit", "0"}, trigger_path());
    auto http_events = events_for(*stream.value(), work_ / "canary-http");
    ASSERT_EQ(http_events.size(), 1u);
    EXPECT_EQ(http_events[0].process_kprobe().action(), tetragon::KPROBE_ACTION_GETURL);
    auto dns_events = events_for(*stream.value(), work_ / "canary-dns");
    ASSERT_EQ(dns_events.size(), 1u);
    EXPECT_EQ(dns_events[0].process_kprobe().action(), tetragon::KPROBE_ACTION_DNSLOOKUP);
    EXPECT_TRUE(events_for(*stream.value(), work_ / "plain").empty());
}

}  // namespace
}  // namespace vigil::kt
