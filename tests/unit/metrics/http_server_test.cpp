// The real HTTP server on 127.0.0.1 with an ephemeral port, queried with
// cpp-httplib's client: what Prometheus and the kubelet's probes will see.
#include <httplib.h>

#include <gtest/gtest.h>

#include "metrics/exposition.h"
#include "metrics/http_server.h"

namespace vigil::metrics {
namespace {

TEST(ListenAddress, ParsesTheForms) {
    auto a = parse_listen_address(":2112");
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->host, "0.0.0.0");
    EXPECT_EQ(a->port, 2112);
    auto b = parse_listen_address("127.0.0.1:0");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->host, "127.0.0.1");
    EXPECT_EQ(b->port, 0);
    auto c = parse_listen_address("[::1]:9090");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->host, "::1");
    EXPECT_EQ(c->port, 9090);
}

TEST(ListenAddress, ErrorsNameTheAddress) {
    for (const char* bad : {"2112", ":", ":65536", ":-1", ":21x", "::1:80", "[::1]", "[::1]9090"}) {
        auto r = parse_listen_address(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().find(std::string("'") + bad + "'"), std::string::npos) << r.error();
    }
}

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(registry_.add_gauge("vigil_grpc_subscribers", "Open \"GetEvents\" streams.",
                                        [this] { return subscribers_.load(); }));
        auto fam = registry_.add_counter_family("vigil_events_total", "Events.", {"type"});
        ASSERT_TRUE(fam);
        events_ = *fam;
        auto s = MetricsServer::start("127.0.0.1:0", registry_, health_);
        ASSERT_TRUE(s) << s.error();
        server_ = std::move(s).value();
        ASSERT_GT(server_->port(), 0);
    }
    httplib::Client client() {
        httplib::Client c("127.0.0.1", server_->port());
        c.set_connection_timeout(5);
        c.set_read_timeout(5);
        return c;
    }

    Registry registry_;
    Health health_;
    std::atomic<double> subscribers_{0};
    CounterFamily* events_ = nullptr;
    std::unique_ptr<MetricsServer> server_;
};

TEST_F(ServerTest, MetricsScrapeParsesBackAndFollowsTheSources) {
    events_->inc({"PROCESS_EXEC"}, 5);
    subscribers_ = 3;
    auto c = client();
    auto res = c.Get("/metrics");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), kExpositionContentType);
    auto parsed = parse_exposition(res->body);
    ASSERT_TRUE(parsed) << parsed.error() << "\n" << res->body;
    EXPECT_EQ(parsed->help.at("vigil_grpc_subscribers"), "Open \"GetEvents\" streams.");
    EXPECT_EQ(parsed->value("vigil_grpc_subscribers"), 3);
    EXPECT_EQ(parsed->value("vigil_events_total", {{"type", "PROCESS_EXEC"}}), 5);

    events_->inc({"PROCESS_EXEC"}, 2);
    events_->inc({"PROCESS_EXIT"});
    auto again = parse_exposition(c.Get("/metrics")->body);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->value("vigil_events_total", {{"type", "PROCESS_EXEC"}}), 7);
    EXPECT_EQ(again->value("vigil_events_total", {{"type", "PROCESS_EXIT"}}), 1);
}

TEST_F(ServerTest, LivenessAnswersWhileReadinessWaitsForEveryCondition) {
    auto c = client();
    auto live = c.Get("/healthz");
    ASSERT_TRUE(live);
    EXPECT_EQ(live->status, 200);

    auto starting = c.Get("/readyz");
    ASSERT_TRUE(starting);
    EXPECT_EQ(starting->status, 503);
    EXPECT_NE(starting->body.find("agent: starting"), std::string::npos) << starting->body;

    health_.require("base-sensor", "BPF programs not attached");
    health_.require("pod-cache", "not synced with the API server");
    health_.set("base-sensor", true);
    auto waiting = c.Get("/readyz");
    ASSERT_TRUE(waiting);
    EXPECT_EQ(waiting->status, 503);
    EXPECT_EQ(waiting->body, "not ready:\n  pod-cache: not synced with the API server\n");

    health_.set("pod-cache", true);
    auto ready = c.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
    EXPECT_EQ(ready->body, "ready\n");
}

TEST_F(ServerTest, UnknownPathsAndMethodsAreRefused) {
    auto c = client();
    auto nf = c.Get("/nope");
    ASSERT_TRUE(nf);
    EXPECT_EQ(nf->status, 404);
    auto post = c.Post("/metrics", "x", "text/plain");
    ASSERT_TRUE(post);
    EXPECT_NE(post->status, 200);
}

TEST_F(ServerTest, APortInUseIsAStartUpErrorNamingTheAddress) {
    std::string addr = "127.0.0.1:" + std::to_string(server_->port());
    auto second = MetricsServer::start(addr, registry_, health_);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().find("cannot listen on " + addr), std::string::npos) << second.error();
}

TEST_F(ServerTest, StopReleasesThePortAndIsIdempotent) {
    int port = server_->port();
    server_->stop();
    server_->stop();
    auto c = client();
    EXPECT_FALSE(c.Get("/healthz"));
    auto again = MetricsServer::start("127.0.0.1:" + std::to_string(port), registry_, health_);
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ((*again)->port(), port);
}

TEST(MetricsServer, StopRightAfterStartDoesNotHang) {
    Registry r;
    Health h;
    for (int i = 0; i < 20; ++i) {
        auto s = MetricsServer::start("127.0.0.1:0", r, h);
        ASSERT_TRUE(s) << s.error();
        (*s)->stop();
    }
}

}  // namespace
}  // namespace vigil::metrics
