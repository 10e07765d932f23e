// PodCache against the fake API server: list+watch, bookmarks, 410 Gone,
// faults, outages, TLS and authentication. Every wait is on a condition
// (the cache's change notifications or the fake's open-watch count).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "fake_apiserver/fake_apiserver.h"
#include "k8s/cgroup_identity.h"
#include "k8s/pod_cache.h"

namespace vigil::k8s {
namespace {

using fake_k8s::FakeApiServer;
using fake_k8s::FakeCluster;
using fake_k8s::FakeServerOptions;
using fake_k8s::GoneStyle;
using fake_k8s::make_pod;
using fake_k8s::PodSpec;
using fake_k8s::RequestKind;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kWait = 15s;

std::string cid(char fill) { return std::string(64, fill); }
std::string containerd(char fill) { return "containerd://" + cid(fill); }

// Waits on the cache's change notifications until pred() holds.
template <typename Pred>
bool eventually(const PodCache& cache, Pred pred, std::chrono::milliseconds timeout = kWait) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        auto seen = cache.generation();
        if (pred()) return true;
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        cache.wait_for_change(seen, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    }
}

PodCacheOptions fast_options() {
    PodCacheOptions o;
    o.node_name = "node-1";
    o.backoff_initial = 10ms;
    o.backoff_max = 200ms;
    o.connect_timeout = 2s;
    return o;
}

json web_pod(const std::string& name, const std::string& uid, char container, const std::string& node = "node-1") {
    PodSpec s;
    s.ns = "shop";
    s.name = name;
    s.uid = uid;
    s.node = node;
    s.labels = {{"app", "web"}, {"pod-template-hash", "5d8f7c9b6"}};
    s.generate_name = "web-5d8f7c9b6-";
    s.owner_references = json::array(
        {{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "web-5d8f7c9b6"}, {"uid", "rs-1"},
          {"controller", true}}});
    s.containers = {{"nginx", containerd(container)}};
    return make_pod(s);
}

json plain_pod(const std::string& name, const std::string& uid, char container, const std::string& node = "node-1") {
    PodSpec s;
    s.name = name;
    s.uid = uid;
    s.node = node;
    s.containers = {{"main", containerd(container)}};
    return make_pod(s);
}

class PodCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        cluster_.apply("nodes", {{"metadata", {{"name", "node-1"}, {"labels", {{"zone", "z1"}, {"role", "w"}}}}}});
        cluster_.apply("pods", web_pod("web-5d8f7c9b6-aaaaa", "uid-a", 'a'));
        cluster_.apply("pods", plain_pod("elsewhere", "uid-x", 'x', "node-2"));
    }

    void start_server(FakeServerOptions options = {}) {
        server_ = std::make_unique<FakeApiServer>(cluster_, options);
        server_->start();
    }

    ApiServerConfig http_config() {
        ApiServerConfig c;
        c.server = server_->url();
        return c;
    }

    std::unique_ptr<PodCache> start_cache(ApiServerConfig config, PodCacheOptions options = fast_options()) {
        auto cache = std::make_unique<PodCache>(std::move(config), std::move(options));
        cache->set_listener([this](const PodChange& c) {
            std::lock_guard lock(changes_mu_);
            changes_.push_back({c.kind, c.pod->name});
        });
        cache->start();
        return cache;
    }

    // Waits for the first list and an open watch.
    void wait_synced(PodCache& cache, std::size_t watches = 1) {
        ASSERT_TRUE(eventually(cache, [&] { return cache.stats().watch.synced; })) << cache.stats().last_error;
        ASSERT_TRUE(cluster_.wait_for_open_watches(watches, kWait));
        ASSERT_TRUE(eventually(cache, [&] { return cache.stats().watch.watching; }));
    }

    std::vector<std::pair<PodChangeKind, std::string>> changes() {
        std::lock_guard lock(changes_mu_);
        return changes_;
    }

    FakeCluster cluster_;
    std::unique_ptr<FakeApiServer> server_;
    std::mutex changes_mu_;
    std::vector<std::pair<PodChangeKind, std::string>> changes_;
};

TEST_F(PodCacheTest, ListsThisNodesPodsWithEverythingEnrichmentNeeds) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);

    auto hit = cache->find_container(docker_field(containerd('a')));
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->pod->namespace_, "shop");
    EXPECT_EQ(hit->pod->name, "web-5d8f7c9b6-aaaaa");
    EXPECT_EQ(hit->pod->uid, "uid-a");
    EXPECT_EQ(hit->pod->labels.at("app"), "web");
    EXPECT_EQ(hit->pod->workload, "web");
    EXPECT_EQ(hit->pod->workload_kind, "Deployment");
    EXPECT_EQ(hit->container->id, containerd('a'));
    EXPECT_EQ(hit->container->name, "nginx");
    EXPECT_EQ(hit->container->image_name, "registry.example/nginx:1.0");
    EXPECT_EQ(hit->container->image_id, "registry.example/nginx@sha256:" + std::string(64, 'e'));
    EXPECT_EQ(hit->container->start_time_unix_ns, 1714558830LL * 1000000000LL);
    EXPECT_FALSE(hit->retired);
    EXPECT_TRUE(cache->find_container(containerd('a')).has_value());
    EXPECT_TRUE(cache->find_container(cid('a')).has_value());
    ASSERT_NE(cache->find_pod("uid-a"), nullptr);

    // Only this node's pods, and the selector said so on the wire.
    EXPECT_FALSE(cache->find_container(cid('x')).has_value());
    EXPECT_EQ(cache->find_pod("uid-x"), nullptr);
    bool saw_selector = false;
    for (const auto& r : server_->requests()) {
        if (r.kind == RequestKind::kList || r.kind == RequestKind::kWatch) {
            EXPECT_NE(r.target.find("fieldSelector=spec.nodeName%3Dnode-1"), std::string::npos) << r.target;
            saw_selector = true;
        }
        if (r.kind == RequestKind::kWatch) {
            EXPECT_NE(r.target.find("allowWatchBookmarks=true"), std::string::npos) << r.target;
            EXPECT_NE(r.target.find("resourceVersion="), std::string::npos) << r.target;
        }
    }
    EXPECT_TRUE(saw_selector);

    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().node_labels_loaded; }));
    EXPECT_EQ(cache->node_labels(), (Labels{{"role", "w"}, {"zone", "z1"}}));

    auto s = cache->stats();
    EXPECT_EQ(s.pods, 1u);
    EXPECT_EQ(s.containers, 1u);
    EXPECT_EQ(s.watch.lists, 1u);
    EXPECT_EQ(s.watch.relists, 0u);
    EXPECT_EQ(s.watch.api_errors, 0u);
    EXPECT_TRUE(s.watch.watching);
}

TEST_F(PodCacheTest, WatchAddsModifiesAndDeletes) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);

    cluster_.apply("pods", plain_pod("batch", "uid-b", 'b'));
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_container(cid('b')).has_value(); }));
    EXPECT_EQ(cache->find_pod("uid-b")->workload_kind, "Pod");

    // Relabel over the watch stream.
    json relabelled = plain_pod("batch", "uid-b", 'b');
    relabelled["metadata"]["labels"] = {{"tier", "gold"}};
    cluster_.apply("pods", relabelled);
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_pod("uid-b")->labels.count("tier") == 1; }));

    // A container restart: the new id is live, the old one still resolves.
    cluster_.apply("pods", plain_pod("batch", "uid-b", 'c'));
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_container(cid('c')).has_value(); }));
    ASSERT_TRUE(cache->find_container(cid('b')).has_value());
    EXPECT_TRUE(cache->find_container(cid('b'))->retired);

    cluster_.remove("pods", "default", "batch");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().pods == 1; }));
    auto gone = cache->find_container(cid('c'));
    ASSERT_TRUE(gone.has_value());
    EXPECT_TRUE(gone->retired);

    // Pods of other nodes never show up.
    cluster_.apply("pods", plain_pod("other", "uid-o", 'o', "node-2"));
    cluster_.apply("pods", plain_pod("mine", "uid-m", 'm'));
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_pod("uid-m") != nullptr; }));
    EXPECT_EQ(cache->find_pod("uid-o"), nullptr);

    auto c = changes();
    std::vector<std::pair<PodChangeKind, std::string>> want = {
        {PodChangeKind::kAdded, "web-5d8f7c9b6-aaaaa"}, {PodChangeKind::kAdded, "batch"},
        {PodChangeKind::kUpdated, "batch"},             {PodChangeKind::kUpdated, "batch"},
        {PodChangeKind::kDeleted, "batch"},             {PodChangeKind::kAdded, "mine"}};
    EXPECT_EQ(c, want);
    EXPECT_EQ(cache->stats().watch.relists, 0u);
}

TEST_F(PodCacheTest, PodScheduledOntoThisNodeLaterArrivesAsAdded) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    json pending = plain_pod("late", "uid-l", 'l', "");
    pending["spec"].erase("nodeName");
    cluster_.apply("pods", pending);
    cluster_.apply("pods", plain_pod("late", "uid-l", 'l'));  // bound to node-1
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_pod("uid-l") != nullptr; }));
}

TEST_F(PodCacheTest, PaginatedList) {
    for (char c : std::string("bcdef")) {
        cluster_.apply("pods", plain_pod(std::string("p-") + c, std::string("uid-") + c, c));
    }
    start_server();
    auto options = fast_options();
    options.page_size = 2;
    auto cache = start_cache(http_config(), options);
    wait_synced(*cache);
    EXPECT_EQ(cache->stats().pods, 6u);
    std::size_t continues = 0;
    for (const auto& r : server_->requests()) {
        if (r.kind == RequestKind::kList) {
            EXPECT_NE(r.target.find("limit=2"), std::string::npos);
            if (r.target.find("continue=") != std::string::npos) ++continues;
        }
    }
    EXPECT_EQ(continues, 2u);
    EXPECT_EQ(cache->stats().watch.lists, 1u);
}

TEST_F(PodCacheTest, BookmarkLetsTheWatchResumeAfterCompaction) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    std::string rv_at_sync = cache->stats().watch.resource_version;

    // Changes this watch never sees (another node) move the cluster on.
    for (int i = 0; i < 3; ++i) cluster_.apply("pods", plain_pod("far-" + std::to_string(i), "f" + std::to_string(i), 'f', "node-2"));
    cluster_.bookmark();
    std::string now = std::to_string(cluster_.resource_version());
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.resource_version == now; }));
    EXPECT_NE(now, rv_at_sync);
    EXPECT_GE(cache->stats().watch.bookmarks, 1u);

    // Without the bookmark this re-watch would be 410 Gone and need a relist.
    cluster_.compact();
    cluster_.drop_watches();
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.watches >= 2; }));
    cluster_.apply("pods", plain_pod("after", "uid-after", 'z'));
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_pod("uid-after") != nullptr; }));
    auto s = cache->stats();
    EXPECT_EQ(s.watch.gone, 0u);
    EXPECT_EQ(s.watch.relists, 0u);
    EXPECT_GE(s.watch.reconnects, 1u);
}

class GoneTest : public PodCacheTest, public ::testing::WithParamInterface<GoneStyle> {};

TEST_P(GoneTest, ExpiredResourceVersionRelistsAndReportsTheDifference) {
    FakeServerOptions options;
    options.gone_style = GetParam();
    start_server(options);
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    cluster_.apply("pods", plain_pod("doomed", "uid-d", 'd'));
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_pod("uid-d") != nullptr; }));

    // While the server is down, things happen and the history is compacted.
    server_->stop();
    cluster_.remove("pods", "default", "doomed");
    cluster_.apply("pods", plain_pod("newcomer", "uid-n", 'n'));
    cluster_.compact();
    EXPECT_NE(cache->find_pod("uid-d"), nullptr);  // last good state meanwhile
    server_->start();

    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.relists >= 1; })) << cache->stats().last_error;
    EXPECT_NE(cache->find_pod("uid-n"), nullptr);
    auto doomed = cache->find_container(cid('d'));
    ASSERT_TRUE(doomed.has_value());
    EXPECT_TRUE(doomed->retired);
    EXPECT_GE(cache->stats().watch.gone, 1u);

    auto c = changes();
    EXPECT_NE(std::find(c.begin(), c.end(), std::pair{PodChangeKind::kDeleted, std::string("doomed")}), c.end());
    EXPECT_NE(std::find(c.begin(), c.end(), std::pair{PodChangeKind::kAdded, std::string("newcomer")}), c.end());
}

INSTANTIATE_TEST_SUITE_P(Styles, GoneTest, ::testing::Values(GoneStyle::kErrorEvent, GoneStyle::kHttpStatus),
                         [](const auto& info) {
                             return info.param == GoneStyle::kErrorEvent ? std::string("ErrorEvent")
                                                                         : std::string("Http410");
                         });

TEST_F(PodCacheTest, Error410EventMidStreamRelists) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    cluster_.inject_line(R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)"
                         R"("status":"Failure","message":"too old resource version","reason":"Expired","code":410}})");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.relists == 1; }));
    EXPECT_EQ(cache->stats().watch.gone, 1u);
    EXPECT_NE(cache->find_pod("uid-a"), nullptr);
}

TEST_F(PodCacheTest, ListResourceVersionsFollowTheReflector) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    std::string synced_rv = cache->stats().watch.resource_version;
    // The relist after this 410 is itself refused as expired...
    server_->fail_next(RequestKind::kList, 410,
                       R"({"kind":"Status","message":"too old resource version","reason":"Expired","code":410})");
    cluster_.inject_line(R"({"type":"ERROR","object":{"kind":"Status","code":410}})");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.relists == 1; })) << cache->stats().last_error;

    std::vector<std::string> lists;
    for (const auto& r : server_->requests()) {
        if (r.kind == RequestKind::kList) lists.push_back(r.target);
    }
    ASSERT_EQ(lists.size(), 3u);
    // ...so: from the watch cache first, then not older than what it had,
    // then a consistent read without a version.
    EXPECT_NE(lists[0].find("resourceVersion=0"), std::string::npos) << lists[0];
    EXPECT_NE(lists[1].find("resourceVersion=" + synced_rv + "&resourceVersionMatch=NotOlderThan"), std::string::npos)
        << lists[1];
    EXPECT_EQ(lists[2].find("resourceVersion"), std::string::npos) << lists[2];
    EXPECT_EQ(cache->stats().watch.gone, 2u);
}

TEST_F(PodCacheTest, OtherErrorEventReconnectsWithoutRelist) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    cluster_.inject_line(R"({"type":"ERROR","object":{"kind":"Status","message":"etcd hiccup","code":500}})");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.watches >= 2; }));
    auto s = cache->stats();
    EXPECT_EQ(s.watch.relists, 0u);
    EXPECT_GE(s.watch.api_errors, 1u);
    EXPECT_NE(s.watch.last_error.find("etcd hiccup"), std::string::npos) << s.watch.last_error;
}

TEST_F(PodCacheTest, GarbageWatchLineIsCountedAndStateKept) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    cluster_.inject_line("this is not json {{{");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.malformed >= 1; }));
    EXPECT_NE(cache->stats().watch.last_error.find("malformed event"), std::string::npos);
    EXPECT_NE(cache->find_pod("uid-a"), nullptr);
    // It re-watches from the last good resourceVersion and carries on.
    cluster_.apply("pods", plain_pod("next", "uid-next", 'q'));
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_pod("uid-next") != nullptr; }));
    EXPECT_EQ(cache->stats().watch.relists, 0u);
}

TEST_F(PodCacheTest, WellFormedJsonThatIsNotAnEventIsMalformed) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    cluster_.inject_line(R"({"type":"SURPRISE","object":{}})");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.malformed >= 1; }));
    // Injected lines reach the watches open at that moment: wait for the new one.
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.watches >= 2; }));
    cluster_.inject_line(R"([1,2,3])");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.malformed >= 2; }));
    EXPECT_NE(cache->find_pod("uid-a"), nullptr);
}

TEST_F(PodCacheTest, MalformedPodKeepsItsPreviousVersion) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    json broken = web_pod("web-5d8f7c9b6-aaaaa", "uid-a", 'a');
    broken["metadata"]["labels"] = {{"app", 42}};
    cluster_.apply("pods", broken);
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.malformed == 1; }));
    auto pod = cache->find_pod("uid-a");
    ASSERT_NE(pod, nullptr);
    EXPECT_EQ(pod->labels.at("app"), "web");

    // The same in a relist: the broken item keeps its last good version.
    cluster_.inject_line(R"({"type":"ERROR","object":{"kind":"Status","code":410}})");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.relists == 1; }));
    EXPECT_EQ(cache->stats().watch.malformed, 2u);
    ASSERT_NE(cache->find_pod("uid-a"), nullptr);
    EXPECT_EQ(cache->find_pod("uid-a")->labels.at("app"), "web");
}

TEST_F(PodCacheTest, GarbageListKeepsPreviousStateAndRetries) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    server_->fail_next(RequestKind::kList, 200, "<html>proxy error</html>");
    server_->fail_next(RequestKind::kList, 200, R"({"kind":"PodList","items":"nope","metadata":{}})");
    cluster_.apply("pods", plain_pod("fresh", "uid-f", 'f'));
    cluster_.inject_line(R"({"type":"ERROR","object":{"kind":"Status","code":410}})");
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.relists == 1; })) << cache->stats().last_error;
    auto s = cache->stats();
    EXPECT_EQ(s.watch.malformed, 2u);
    EXPECT_NE(cache->find_pod("uid-f"), nullptr);
    EXPECT_NE(cache->find_pod("uid-a"), nullptr);
}

TEST_F(PodCacheTest, GarbageFirstListLeavesTheCacheEmptyUntilAGoodOne) {
    start_server();
    server_->fail_next(RequestKind::kList, 200, "not json", 3);
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    EXPECT_EQ(cache->stats().watch.malformed, 3u);
    EXPECT_EQ(cache->stats().watch.api_errors, 3u);
    EXPECT_NE(cache->find_pod("uid-a"), nullptr);
}

TEST_F(PodCacheTest, HttpErrorsAreCountedWithTheServersMessage) {
    start_server();
    server_->fail_next(RequestKind::kList, 403,
                       R"({"kind":"Status","message":"pods is forbidden: User \"system:serviceaccount:kube-system:vigil\" cannot list resource \"pods\"","reason":"Forbidden","code":403})");
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    auto s = cache->stats();
    EXPECT_EQ(s.watch.api_errors, 1u);
    EXPECT_NE(s.watch.last_error.find("HTTP 403: pods is forbidden"), std::string::npos) << s.watch.last_error;

    server_->fail_next(RequestKind::kWatch, 500, R"({"kind":"Status","message":"internal","code":500})");
    cluster_.drop_watches();
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.api_errors >= 3; }));  // drop + 500
    ASSERT_TRUE(cluster_.wait_for_open_watches(1, kWait));
    cluster_.apply("pods", plain_pod("ok", "uid-ok", 'k'));
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_pod("uid-ok") != nullptr; }));
}

TEST_F(PodCacheTest, ServerDownThenUp) {
    start_server();
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    auto before = cache->stats();

    server_->stop();
    ASSERT_TRUE(eventually(*cache, [&] {
        auto s = cache->stats();
        return !s.watch.watching && s.watch.api_errors > before.watch.api_errors + 1;
    }));
    // Lookups keep answering from the last good state while the server is away.
    EXPECT_TRUE(cache->find_container(cid('a')).has_value());
    EXPECT_FALSE(cache->stats().last_error.empty());

    cluster_.apply("pods", plain_pod("while-down", "uid-w", 'w'));
    server_->start();
    ASSERT_TRUE(eventually(*cache, [&] { return cache->find_pod("uid-w") != nullptr; })) << cache->stats().last_error;
    auto after = cache->stats();
    EXPECT_GT(after.watch.reconnects, before.watch.reconnects);
    EXPECT_EQ(after.watch.relists, 0u);  // history was kept: resumed from its resourceVersion
}

TEST_F(PodCacheTest, ServerDownAtStart) {
    start_server();
    server_->stop();  // the port is known but nothing listens
    auto cache = start_cache(http_config());
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.api_errors >= 2; }));
    EXPECT_FALSE(cache->stats().watch.synced);
    EXPECT_FALSE(cache->find_container(cid('a')).has_value());
    server_->start();
    wait_synced(*cache);
    EXPECT_TRUE(cache->find_container(cid('a')).has_value());
}

TEST_F(PodCacheTest, WatchTimeoutRenewsFromResourceVersion) {
    start_server();
    auto options = fast_options();
    options.watch_timeout = 1s;  // the server ends each watch after 1-2 s
    auto cache = start_cache(http_config(), options);
    wait_synced(*cache);
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.watches >= 2; }));
    auto s = cache->stats();
    EXPECT_EQ(s.watch.relists, 0u);
    EXPECT_EQ(s.watch.api_errors, 0u);
    EXPECT_GE(s.watch.reconnects, 1u);
}

TEST_F(PodCacheTest, OversizedEventIsRefused) {
    start_server();
    auto options = fast_options();
    options.max_event_bytes = 4096;
    auto cache = start_cache(http_config(), options);
    wait_synced(*cache);
    json big = plain_pod("big", "uid-big", 'g');
    big["metadata"]["annotations"] = {{"blob", std::string(10000, 'x')}};
    cluster_.apply("pods", big);
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.malformed >= 1; }));
    EXPECT_NE(cache->stats().watch.last_error.find("larger than 4096"), std::string::npos);
    EXPECT_EQ(cache->find_pod("uid-big"), nullptr);
    EXPECT_NE(cache->find_pod("uid-a"), nullptr);
}

TEST_F(PodCacheTest, OversizedListIsRefused) {
    start_server();
    auto options = fast_options();
    options.max_page_bytes = 512;
    auto cache = start_cache(http_config(), options);
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.api_errors >= 1; }));
    EXPECT_NE(cache->stats().watch.last_error.find("larger than 512 bytes"), std::string::npos)
        << cache->stats().watch.last_error;
    EXPECT_FALSE(cache->stats().watch.synced);
}

TEST_F(PodCacheTest, NodeLabelsRetriedUntilFetched) {
    start_server();
    server_->fail_next(RequestKind::kGet, 500, R"({"kind":"Status","message":"node fetch broke","code":500})");
    auto cache = start_cache(http_config());
    wait_synced(*cache);
    auto s = cache->stats();
    EXPECT_EQ(s.node_errors, 1u);
    EXPECT_FALSE(s.node_labels_loaded);
    EXPECT_TRUE(cache->node_labels().empty());
    cluster_.drop_watches();  // the next watch request retries the Node first
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().node_labels_loaded; }));
    EXPECT_EQ(cache->node_labels().at("zone"), "z1");
}

TEST_F(PodCacheTest, StopIsPromptDuringBackoffAndDuringAWatch) {
    start_server();
    auto options = fast_options();
    options.backoff_initial = 60s;
    options.backoff_max = 60s;
    {
        auto cache = start_cache(http_config(), options);
        wait_synced(*cache);
        auto t0 = std::chrono::steady_clock::now();
        cache->stop();
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    }
    server_->stop();
    auto cache = start_cache(http_config(), options);
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.api_errors >= 1; }));  // now in a 30-60 s backoff
    auto t0 = std::chrono::steady_clock::now();
    cache->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

// --- TLS and configuration sources

namespace fs = std::filesystem;

struct TempDir {
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "vigil-k8s-it-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& content) const {
        fs::path p = fs::path(path) / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << content;
        return p.string();
    }
    std::string path;
};

class PodCacheTlsTest : public PodCacheTest {
protected:
    static void SetUpTestSuite() { pki_ = new fake_k8s::TestPki(fake_k8s::TestPki::generate()); }
    static void TearDownTestSuite() { delete pki_; }
    static fake_k8s::TestPki* pki_;
};
fake_k8s::TestPki* PodCacheTlsTest::pki_ = nullptr;

TEST_F(PodCacheTlsTest, KubeconfigWithClientCertificate) {
    FakeServerOptions options;
    options.pki = pki_;
    options.require_client_cert = true;
    start_server(options);
    TempDir dir;
    auto path = dir.write("kubeconfig", server_->kubeconfig_yaml(true));
    auto config = load_kubeconfig(path);
    ASSERT_TRUE(config.ok()) << config.error();
    auto cache = start_cache(*config);
    wait_synced(*cache);
    EXPECT_TRUE(cache->find_container(cid('a')).has_value());
}

TEST_F(PodCacheTlsTest, MissingClientCertificateIsRefused) {
    FakeServerOptions options;
    options.pki = pki_;
    options.require_client_cert = true;
    start_server(options);
    TempDir dir;
    auto config = load_kubeconfig(dir.write("kubeconfig", server_->kubeconfig_yaml(false)));
    ASSERT_TRUE(config.ok()) << config.error();
    auto cache = start_cache(*config);
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.api_errors >= 1; }));
    EXPECT_FALSE(cache->stats().watch.synced);
}

TEST_F(PodCacheTlsTest, UntrustedServerIsRefused) {
    FakeServerOptions options;
    options.pki = pki_;
    start_server(options);
    ApiServerConfig config;
    config.server = server_->url();
    config.ca_pem = pki_->other_ca_cert_pem;
    auto cache = start_cache(config);
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.api_errors >= 1; }));
    EXPECT_FALSE(cache->stats().watch.synced);
    EXPECT_NE(cache->stats().last_error.find("certificate"), std::string::npos) << cache->stats().last_error;

    config.ca_pem.clear();
    config.insecure_skip_tls_verify = true;  // what insecure-skip-tls-verify: true does
    auto insecure = start_cache(config);
    wait_synced(*insecure);
}

TEST_F(PodCacheTlsTest, InClusterServiceAccount) {
    FakeServerOptions options;
    options.pki = pki_;
    options.token = "sa-token";
    start_server(options);
    TempDir dir;
    dir.write("sa/token", "sa-token\n");
    dir.write("sa/ca.crt", pki_->ca_cert_pem);
    auto config = load_in_cluster_config({"127.0.0.1", std::to_string(server_->port()), dir.path + "/sa"});
    ASSERT_TRUE(config.ok()) << config.error();
    auto cache = start_cache(*config);
    wait_synced(*cache);

    // The token file is re-read per request: a rotated token is used on reconnect.
    dir.write("sa/token", "rotated\n");
    cluster_.drop_watches();
    // This server only knows the old token, so the rotated one is refused.
    ASSERT_TRUE(eventually(*cache, [&] { return cache->stats().watch.api_errors >= 2; }));
    EXPECT_NE(cache->stats().last_error.find("401"), std::string::npos) << cache->stats().last_error;
    EXPECT_EQ(server_->requests().back().authorization, "Bearer rotated");
}

TEST_F(PodCacheTlsTest, BearerTokenRequiredAndSent) {
    FakeServerOptions options;
    options.pki = pki_;
    options.token = "s3cret";
    start_server(options);
    ApiServerConfig config;
    config.server = server_->url();
    config.ca_pem = pki_->ca_cert_pem;
    config.token = "wrong";
    {
        auto wrong = start_cache(config);
        ASSERT_TRUE(eventually(*wrong, [&] { return wrong->stats().watch.api_errors >= 1; }));
        EXPECT_NE(wrong->stats().last_error.find("HTTP 401: Unauthorized"), std::string::npos)
            << wrong->stats().last_error;
        EXPECT_FALSE(wrong->stats().watch.synced);
    }
    config.token = "s3cret";
    auto right = start_cache(config);
    wait_synced(*right);
    EXPECT_EQ(server_->requests().back().authorization, "Bearer s3cret");
}

TEST_F(PodCacheTest, PlainHttpKubeconfigSendsNoToken) {
    // kubectl proxy style: plain http on localhost. Like kubectl, the
    // kubeconfig's token is not sent in clear text.
    start_server();
    TempDir dir;
    std::string yaml = server_->kubeconfig_yaml(false);
    yaml.replace(yaml.find("    {}"), 6, "    token: not-for-http");
    auto config = load_kubeconfig(dir.write("kubeconfig", yaml));
    ASSERT_TRUE(config.ok()) << config.error();
    EXPECT_EQ(config->server.rfind("http://127.0.0.1:", 0), 0u);
    EXPECT_EQ(config->token, "not-for-http");
    auto cache = start_cache(*config);
    wait_synced(*cache);
    EXPECT_NE(cache->find_pod("uid-a"), nullptr);
    for (const auto& r : server_->requests()) EXPECT_EQ(r.authorization, "") << r.target;
}

}  // namespace
}  // namespace vigil::k8s
