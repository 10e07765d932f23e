// TracingPolicy and TracingPolicyNamespaced objects from the fake API
// server, through k8s::TracingPolicyWatch to a recording sink: created,
// modified and deleted over the watch stream, nodeSelector against this
// node's labels, relist after 410 Gone, malformed objects.
#include <gtest/gtest.h>

#include <thread>

#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "fake_apiserver/fake_apiserver.h"
#include "k8s/policy_watch.h"
#include "policy/policy.h"

namespace vigil::k8s {
namespace {

using fake_k8s::FakeApiServer;
using fake_k8s::FakeCluster;
using fake_k8s::RequestKind;
using fake_k8s::make_tracing_policy;
using nlohmann::json;
using namespace std::chrono_literals;

const json kOpenat = json::parse(R"({"kprobes": [{"call": "sys_openat", "syscall": true,
                                                  "args": [{"index": 1, "type": "string"}]}]})");
const json kWrite = json::parse(R"({"kprobes": [{"call": "sys_write", "syscall": true,
                                                 "args": [{"index": 0, "type": "int"}]}]})");

// What the policy manager would hold: source -> document, and every call.
struct RecordingSink {
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, std::string> loaded;
    std::vector<std::string> calls;  // "apply k8s:x", "remove k8s:x"
    std::vector<std::string> rejected;

    PolicyWatchSink sink() {
        PolicyWatchSink s;
        s.apply = [this](const TracingPolicyObject& o) {
            std::lock_guard lock(mu);
            loaded[o.source()] = o.document;
            calls.push_back("apply " + o.source());
            cv.notify_all();
        };
        s.remove = [this](const std::string& source) {
            std::lock_guard lock(mu);
            loaded.erase(source);
            calls.push_back("remove " + source);
            cv.notify_all();
        };
        s.rejected = [this](const std::string& e) {
            std::lock_guard lock(mu);
            rejected.push_back(e);
            cv.notify_all();
        };
        return s;
    }
    template <typename Pred>
    bool wait(Pred pred) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, 15s, [&] { return pred(); });
    }
    std::vector<std::string> sources() {
        std::lock_guard lock(mu);
        std::vector<std::string> out;
        for (const auto& [k, v] : loaded) out.push_back(k);
        return out;
    }
    std::size_t call_count() {
        std::lock_guard lock(mu);
        return calls.size();
    }
};

class PolicyWatchTest : public ::testing::Test {
protected:
    void SetUp() override {
        cluster_.apply("nodes", {{"metadata", {{"name", "node-1"}, {"labels", {{"vigil.test/role", "edge"}}}}}});
    }
    void start_server() {
        server_ = std::make_unique<FakeApiServer>(cluster_, fake_k8s::FakeServerOptions{});
        server_->start();
    }
    std::unique_ptr<TracingPolicyWatch> start_watch() {
        ApiServerConfig c;
        c.server = server_->url();
        PolicyWatchOptions o;
        o.node_name = "node-1";
        o.backoff_initial = 10ms;
        o.backoff_max = 200ms;
        o.connect_timeout = 2s;
        auto w = std::make_unique<TracingPolicyWatch>(c, o, sink_.sink());
        w->start();
        return w;
    }
    // Both collections listed and watched.
    void wait_watching(const TracingPolicyWatch& w) {
        ASSERT_TRUE(cluster_.wait_for_open_watches(2, 15s)) << w.stats().last_error;
    }

    FakeCluster cluster_;
    std::unique_ptr<FakeApiServer> server_;
    RecordingSink sink_;
};

TEST_F(PolicyWatchTest, CreatedModifiedAndDeletedOverTheWatch) {
    cluster_.apply("tracingpolicies", make_tracing_policy("existing", kOpenat));
    start_server();
    auto w = start_watch();
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.count("k8s:existing") == 1; }));
    wait_watching(*w);

    cluster_.apply("tracingpolicies", make_tracing_policy("added", kOpenat));
    cluster_.apply("tracingpoliciesnamespaced", make_tracing_policy("scoped", kOpenat, "shop"));
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.size() == 3; }));
    EXPECT_EQ(sink_.sources(), (std::vector<std::string>{"k8s:added", "k8s:existing", "k8s:shop/scoped"}));
    EXPECT_EQ(json::parse(sink_.loaded["k8s:shop/scoped"])["metadata"]["namespace"], "shop");

    // A spec change reloads it.
    cluster_.apply("tracingpolicies", make_tracing_policy("added", kWrite));
    ASSERT_TRUE(sink_.wait([&] {
        return json::parse(sink_.loaded["k8s:added"])["spec"]["kprobes"][0]["call"] == "sys_write";
    }));
    // A change outside the spec (labels aside) does not.
    const std::size_t calls = sink_.call_count();
    auto annotated = make_tracing_policy("added", kWrite);
    annotated["metadata"]["annotations"] = {{"note", "x"}};
    cluster_.apply("tracingpolicies", annotated);
    cluster_.apply("tracingpolicies", make_tracing_policy("marker", kOpenat));  // processed after it
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.count("k8s:marker") == 1; }));
    EXPECT_EQ(sink_.call_count(), calls + 1);

    cluster_.remove("tracingpolicies", "", "added");
    cluster_.remove("tracingpoliciesnamespaced", "shop", "scoped");
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.size() == 2; }));
    EXPECT_EQ(sink_.sources(), (std::vector<std::string>{"k8s:existing", "k8s:marker"}));
    auto st = w->stats();
    EXPECT_EQ(st.objects, 2u);
    EXPECT_EQ(st.applied, 2u);
    EXPECT_EQ(st.rejected, 0u);
    EXPECT_TRUE(st.node_labels_loaded);
}

TEST_F(PolicyWatchTest, DocumentsAreWhatThePolicyParserReads) {
    auto namespaced = make_tracing_policy("scoped", kOpenat, "shop");
    namespaced["spec"]["podSelector"] = {{"matchLabels", {{"app", "web"}}}};
    cluster_.apply("tracingpoliciesnamespaced", namespaced);
    cluster_.apply("tracingpolicies", make_tracing_policy("plain", kWrite));
    start_server();
    auto w = start_watch();
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.size() == 2; }));
    for (const auto& [source, doc] : sink_.loaded) {
        auto parsed = policy::parse_policies(doc, source);
        ASSERT_TRUE(parsed.ok()) << source << ":\n" << doc;
        ASSERT_EQ(parsed.policies.size(), 1u);
        if (source == "k8s:shop/scoped") {
            EXPECT_EQ(parsed.policies[0].kind, policy::PolicyKind::TracingPolicyNamespaced);
            EXPECT_EQ(parsed.policies[0].namespace_, "shop");
            ASSERT_TRUE(parsed.policies[0].pod_selector.has_value());
            EXPECT_EQ(parsed.policies[0].pod_selector->match_labels.at("app"), "web");
        } else {
            EXPECT_EQ(parsed.policies[0].name, "plain");
        }
    }
}

TEST_F(PolicyWatchTest, NodeSelectorDecidesWhetherThisNodeLoadsIt) {
    auto here = make_tracing_policy("here", kOpenat);
    here["spec"]["nodeSelector"] = {{"matchLabels", {{"vigil.test/role", "edge"}}}};
    auto elsewhere = make_tracing_policy("elsewhere", kOpenat);
    elsewhere["spec"]["nodeSelector"] = {{"matchLabels", {{"vigil.test/role", "core"}}}};
    cluster_.apply("tracingpolicies", here);
    cluster_.apply("tracingpolicies", elsewhere);
    start_server();
    auto w = start_watch();
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.count("k8s:here") == 1; }));
    wait_watching(*w);
    EXPECT_EQ(sink_.sources(), std::vector<std::string>{"k8s:here"});
    EXPECT_EQ(w->stats().objects, 2u);

    // Re-targeted away from this node: unloaded; and back: loaded again.
    here["spec"]["nodeSelector"]["matchLabels"]["vigil.test/role"] = "core";
    cluster_.apply("tracingpolicies", here);
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.empty(); }));
    elsewhere["spec"]["nodeSelector"] = {
        {"matchExpressions", json::array({{{"key", "vigil.test/role"}, {"operator", "In"},
                                            {"values", json::array({"edge", "core"})}}})}};
    cluster_.apply("tracingpolicies", elsewhere);
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.count("k8s:elsewhere") == 1; }));
    EXPECT_EQ(sink_.sources(), std::vector<std::string>{"k8s:elsewhere"});
}

TEST_F(PolicyWatchTest, NodeSelectorWaitsForTheNodeLabels) {
    auto selected = make_tracing_policy("selected", kOpenat);
    selected["spec"]["nodeSelector"] = {{"matchLabels", {{"vigil.test/role", "edge"}}}};
    cluster_.apply("tracingpolicies", selected);
    cluster_.apply("tracingpolicies", make_tracing_policy("everywhere", kOpenat));
    start_server();
    server_->fail_next(RequestKind::kGet, 503, R"({"kind":"Status","code":503,"message":"try later"})", 3);
    auto w = start_watch();
    // Without a nodeSelector: at once. With one: once the Node could be read.
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.size() == 2; })) << w->stats().last_error;
    {
        std::lock_guard lock(sink_.mu);
        EXPECT_EQ(sink_.calls.front(), "apply k8s:everywhere");
    }
    auto st = w->stats();
    EXPECT_TRUE(st.node_labels_loaded);
    EXPECT_GE(st.node_errors, 1u);
}

TEST_F(PolicyWatchTest, RelistAfterGoneDropsWhatWasDeletedMeanwhile) {
    cluster_.apply("tracingpolicies", make_tracing_policy("stays", kOpenat));
    cluster_.apply("tracingpolicies", make_tracing_policy("goes", kOpenat));
    start_server();
    auto w = start_watch();
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.size() == 2; }));
    wait_watching(*w);

    server_->stop();
    cluster_.remove("tracingpolicies", "", "goes");
    cluster_.apply("tracingpolicies", make_tracing_policy("new", kWrite));
    cluster_.compact();  // the watch cannot resume: 410, then a relist
    server_->start();
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.count("k8s:goes") == 0 && sink_.loaded.count("k8s:new"); }));
    EXPECT_EQ(sink_.sources(), (std::vector<std::string>{"k8s:new", "k8s:stays"}));
    // The watcher counts the relist just after handing its result over: poll its stats.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (w->stats().cluster_wide.relists < 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_GE(w->stats().cluster_wide.relists, 1u);
}

TEST_F(PolicyWatchTest, MalformedObjectIsSkippedAndThePreviousVersionStays) {
    cluster_.apply("tracingpolicies", make_tracing_policy("p", kOpenat));
    start_server();
    auto w = start_watch();
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.count("k8s:p") == 1; }));
    wait_watching(*w);
    const std::string before = sink_.loaded["k8s:p"];

    json broken = make_tracing_policy("p", kOpenat);
    broken.erase("spec");
    cluster_.apply("tracingpolicies", broken);
    ASSERT_TRUE(sink_.wait([&] { return !sink_.rejected.empty(); }));
    EXPECT_EQ(sink_.rejected.front(), "TracingPolicy p: spec is missing");
    EXPECT_EQ(sink_.loaded["k8s:p"], before);
    EXPECT_EQ(w->stats().rejected, 1u);

    // Deleting it still works (only its name is needed).
    cluster_.remove("tracingpolicies", "", "p");
    ASSERT_TRUE(sink_.wait([&] { return sink_.loaded.empty(); }));
}

}  // namespace
}  // namespace vigil::k8s
