// WatchThread over a collection other than pods: a cluster-scoped custom
// resource under /apis/<group>/<version>, as TracingPolicy objects are.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>

#include "fake_apiserver/fake_apiserver.h"
#include "k8s/watch_thread.h"

namespace vigil::k8s {
namespace {

using fake_k8s::FakeApiServer;
using fake_k8s::FakeCluster;
using nlohmann::json;
using namespace std::chrono_literals;

// The handler's view: names present, guarded, with a condition to wait on.
struct Seen {
    std::mutex mu;
    std::condition_variable cv;
    std::set<std::string> names;
    int lists = 0;

    template <typename Pred>
    bool wait(Pred pred) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, 15s, [&] { return pred(); });
    }
};

TEST(WatchThread, WatchesAClusterScopedCustomResource) {
    FakeCluster cluster;
    cluster.add_type({"cilium.io/v1alpha1", "tracingpolicies", "TracingPolicy", false, {}});
    cluster.apply("tracingpolicies", {{"metadata", {{"name", "existing"}}}, {"spec", json::object()}});
    FakeApiServer server(cluster, {});
    server.start();

    Seen seen;
    ListWatchOptions options;
    options.collection = "/apis/cilium.io/v1alpha1/tracingpolicies";
    options.backoff_initial = 10ms;
    ListWatchHandler handler;
    handler.on_list = [&](std::vector<json>&& items) {
        std::lock_guard lock(seen.mu);
        seen.names.clear();
        for (const auto& i : items) seen.names.insert(i["metadata"]["name"].get<std::string>());
        ++seen.lists;
        seen.cv.notify_all();
        return std::size_t{0};
    };
    handler.on_event = [&](WatchEventType type, const json& object) {
        std::lock_guard lock(seen.mu);
        std::string name = object["metadata"]["name"];
        if (type == WatchEventType::kDeleted) {
            seen.names.erase(name);
        } else {
            seen.names.insert(name);
        }
        seen.cv.notify_all();
        return true;
    };
    ApiServerConfig config;
    config.server = server.url();
    WatchThread watch(config, options, handler);
    watch.start();

    ASSERT_TRUE(seen.wait([&] { return seen.lists == 1 && seen.names.count("existing") == 1; }));
    ASSERT_TRUE(cluster.wait_for_open_watches(1, 15s));
    cluster.apply("tracingpolicies", {{"metadata", {{"name", "added"}}}, {"spec", json::object()}});
    cluster.remove("tracingpolicies", "", "existing");
    ASSERT_TRUE(seen.wait([&] { return seen.names == std::set<std::string>{"added"}; }));
    watch.stop();
    EXPECT_EQ(watch.stats().events, 2u);
    EXPECT_EQ(watch.stats().api_errors, 0u);
}

}  // namespace
}  // namespace vigil::k8s
