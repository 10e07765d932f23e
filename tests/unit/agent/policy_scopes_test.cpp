// Scoping policies to pods: which containers a scope selects (namespace,
// podSelector with matchLabels/matchExpressions, containerSelector on name and
// repo, as Tetragon), and PolicyScopes keeping each scope's kernel set equal
// to its containers' cgroups as pods come, go and change labels, with fakes
// for the pod cache, the cgroup lookup and the kernel map.
#include "agent/policy_scopes.h"
#include "model/scope.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace vigil::agent {
namespace {

k8s::ContainerInfo container(const std::string& name, const std::string& id, const std::string& image = "busybox:1") {
    k8s::ContainerInfo c;
    c.name = name;
    c.id = id.empty() ? "" : "containerd://" + id;
    c.image_name = image;
    return c;
}

std::shared_ptr<const k8s::PodInfo> pod(const std::string& ns, const std::string& name, k8s::Labels labels,
                                        std::vector<k8s::ContainerInfo> containers) {
    auto p = std::make_shared<k8s::PodInfo>();
    p->namespace_ = ns;
    p->name = name;
    p->labels = std::move(labels);
    p->containers = std::move(containers);
    return p;
}

policy::LabelSelector labels_selector(std::map<std::string, std::string> labels) {
    policy::LabelSelector s;
    s.match_labels = std::move(labels);
    return s;
}

policy::LabelSelector expr_selector(const std::string& key, const std::string& op, std::vector<std::string> values) {
    policy::LabelSelector s;
    policy::LabelRequirement r;
    r.key = key;
    r.op = op;
    r.values = std::move(values);
    s.match_expressions.push_back(r);
    return s;
}

PolicyScope scope(const std::string& ns, std::optional<policy::LabelSelector> pods = std::nullopt,
                  std::optional<policy::LabelSelector> containers = std::nullopt, bool host = false) {
    PolicyScope s;
    s.name = "p";
    s.ns = ns;
    s.pod_selector = std::move(pods);
    s.container_selector = std::move(containers);
    s.host = host;
    return s;
}

// hostSelector: {} with the given pod and container selectors.
PolicyScope host_scope(std::optional<policy::LabelSelector> pods = std::nullopt,
                       std::optional<policy::LabelSelector> containers = std::nullopt) {
    return scope("", std::move(pods), std::move(containers), true);
}

std::set<std::string> selected(const PolicyScope& s, const PodList& pods) {
    std::optional<k8s::LabelSelector> ps, cs;
    if (s.pod_selector) ps = to_k8s_selector(*s.pod_selector).value();
    if (s.container_selector) cs = to_k8s_selector(*s.container_selector).value();
    return scope_containers(s, ps ? &*ps : nullptr, cs ? &*cs : nullptr, pods);
}

const PodList kPods = {
    pod("shop", "web", {{"app", "web"}, {"tier", "front"}}, {container("nginx", "aaa", "docker.io/library/nginx:1.25"),
                                                             container("sidecar", "bbb", "envoy@sha256:00")}),
    pod("shop", "db", {{"app", "db"}}, {container("pg", "ccc", "localhost:5000/pg:16")}),
    pod("bank", "web", {{"app", "web"}}, {container("nginx", "ddd"), container("pending", "")}),
};

TEST(ScopeContainers, NamespaceSelectsItsPodsOnly) {
    EXPECT_EQ(selected(scope("shop"), kPods), (std::set<std::string>{"aaa", "bbb", "ccc"}));
    EXPECT_EQ(selected(scope("bank"), kPods), (std::set<std::string>{"ddd"}));  // the pending one has no id
    EXPECT_TRUE(selected(scope("nowhere"), kPods).empty());
}

TEST(ScopeContainers, PodSelectorByLabelsAcrossNamespaces) {
    EXPECT_EQ(selected(scope("", labels_selector({{"app", "web"}})), kPods),
              (std::set<std::string>{"aaa", "bbb", "ddd"}));
    EXPECT_EQ(selected(scope("shop", labels_selector({{"app", "web"}})), kPods), (std::set<std::string>{"aaa", "bbb"}));
    EXPECT_EQ(selected(scope("", expr_selector("app", "NotIn", {"web"})), kPods), (std::set<std::string>{"ccc"}));
    EXPECT_EQ(selected(scope("", expr_selector("tier", "Exists", {})), kPods), (std::set<std::string>{"aaa", "bbb"}));
    EXPECT_EQ(selected(scope("", expr_selector("tier", "DoesNotExist", {})), kPods),
              (std::set<std::string>{"ccc", "ddd"}));
    // As Tetragon: the namespace is a label too.
    EXPECT_EQ(selected(scope("", labels_selector({{"io.kubernetes.pod.namespace", "bank"}})), kPods),
              (std::set<std::string>{"ddd"}));
    // {} selects every pod (with an id).
    EXPECT_EQ(selected(scope("", policy::LabelSelector{}), kPods).size(), 4u);
}

TEST(ScopeContainers, ContainerSelectorOnNameAndRepo) {
    EXPECT_EQ(selected(scope("", std::nullopt, expr_selector("name", "In", {"nginx", "pg"})), kPods),
              (std::set<std::string>{"aaa", "ccc", "ddd"}));
    EXPECT_EQ(selected(scope("shop", std::nullopt, labels_selector({{"repo", "docker.io/library/nginx"}})), kPods),
              (std::set<std::string>{"aaa"}));
    EXPECT_EQ(selected(scope("", std::nullopt, labels_selector({{"repo", "localhost:5000/pg"}})), kPods),
              (std::set<std::string>{"ccc"}));
}

TEST(ScopeContainers, ImageRepoDropsTagAndDigestButNotPort) {
    EXPECT_EQ(image_repo("docker.io/library/nginx:1.25"), "docker.io/library/nginx");
    EXPECT_EQ(image_repo("envoy@sha256:00"), "envoy");
    EXPECT_EQ(image_repo("localhost:5000/pg"), "localhost:5000/pg");
    EXPECT_EQ(image_repo("localhost:5000/pg:16@sha256:1"), "localhost:5000/pg");
}

TEST(ScopeContainers, UnknownOperatorIsAnErrorNamingIt) {
    auto r = to_k8s_selector(expr_selector("app", "Like", {"x"}));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("'Like'"), std::string::npos) << r.error();
}

TEST(ScopeContainers, UnscopedPolicies) {
    EXPECT_FALSE(is_scoped(scope("")));
    EXPECT_TRUE(is_scoped(scope("a")));
    EXPECT_TRUE(is_scoped(scope("", policy::LabelSelector{})));
    EXPECT_TRUE(is_scoped(scope("", std::nullopt, policy::LabelSelector{})));
}

TEST(ScopeContainers, HostSelectorAloneSelectsNoPodButIsScoped) {
    EXPECT_TRUE(is_scoped(host_scope()));
    EXPECT_FALSE(selects_pods(host_scope()));
    EXPECT_TRUE(selected(host_scope(), kPods).empty());
}

TEST(ScopeContainers, HostSelectorAddsToThePodsTheOthersSelect) {
    auto s = host_scope(labels_selector({{"app", "db"}}));
    EXPECT_TRUE(is_scoped(s));
    EXPECT_TRUE(selects_pods(s));
    EXPECT_EQ(selected(s, kPods), (std::set<std::string>{"ccc"}));
    // A containerSelector alone takes its containers in every pod.
    EXPECT_EQ(selected(host_scope(std::nullopt, expr_selector("name", "In", {"nginx"})), kPods),
              (std::set<std::string>{"aaa", "ddd"}));
}

TEST(ScopeContainers, HostSelectorWithEveryPodIsEverything) {
    // Tetragon: all three {} (or podSelector {} with hostSelector {}) installs no filter.
    EXPECT_FALSE(is_scoped(host_scope(policy::LabelSelector{}, policy::LabelSelector{})));
    EXPECT_FALSE(is_scoped(host_scope(policy::LabelSelector{})));
    EXPECT_FALSE(is_scoped(host_scope(std::nullopt, policy::LabelSelector{})));
    // Without hostSelector the same selectors still leave the host out.
    EXPECT_TRUE(is_scoped(scope("", policy::LabelSelector{}, policy::LabelSelector{})));
}

// The fakes behind PolicyScopes.
struct World {
    PodList pods;
    std::map<std::string, std::uint64_t> cgroups;  // container -> cgroup id, as on disk
    std::map<std::uint32_t, std::set<std::uint64_t>> kernel;  // what the map holds
    int lookups = 0;
    int writes = 0;
    std::vector<std::uint32_t> write_order;  // scope ids, as written
    bool fail_writes = false;

    PolicyScopes::Inputs inputs() {
        PolicyScopes::Inputs in;
        in.pods = [this] { return pods; };
        in.find_cgroups = [this](const std::set<std::string>& ids) {
            ++lookups;
            std::map<std::string, std::uint64_t> out;
            for (const auto& id : ids) {
                if (cgroups.count(id)) out[id] = cgroups[id];
            }
            return out;
        };
        in.write = [this](std::uint32_t id, const std::set<std::uint64_t>& set) -> Status {
            ++writes;
            write_order.push_back(id);
            if (fail_writes) return make_error("map full");
            if (set.empty()) kernel.erase(id);
            else kernel[id] = set;
            return {};
        };
        return in;
    }
};

TEST(PolicyScopesTest, UnscopedPolicyGetsNoScope) {
    World w;
    PolicyScopes scopes(w.inputs());
    auto id = scopes.acquire(scope(""));
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(id.value(), 0u);
    EXPECT_EQ(w.writes, 0);
}

TEST(PolicyScopesTest, AcquireWritesTheSetBeforeReturning) {
    World w;
    w.pods = kPods;
    w.cgroups = {{"aaa", 11}, {"bbb", 12}, {"ccc", 13}, {"ddd", 14}};
    PolicyScopes scopes(w.inputs());
    auto shop = scopes.acquire(scope("shop"));
    ASSERT_TRUE(shop.ok()) << shop.error();
    ASSERT_NE(shop.value(), 0u);
    EXPECT_EQ(w.kernel[shop.value()], (std::set<std::uint64_t>{11, 12, 13}));
    auto bank = scopes.acquire(scope("bank"));
    ASSERT_TRUE(bank.ok());
    EXPECT_NE(bank.value(), shop.value());
    EXPECT_EQ(w.kernel[bank.value()], (std::set<std::uint64_t>{14}));
    EXPECT_EQ(scopes.stats().scopes, 2u);
    EXPECT_EQ(scopes.stats().cgroups, 4u);

    scopes.release(shop.value());
    EXPECT_EQ(w.kernel.count(shop.value()), 0u);
    EXPECT_EQ(scopes.stats().scopes, 1u);
}

TEST(PolicyScopesTest, NoPodsKnownMeansAnEmptySetNotEverything) {
    World w;
    PolicyScopes::Inputs in = w.inputs();
    in.pods = nullptr;  // --enable-k8s-api off
    PolicyScopes scopes(std::move(in));
    auto id = scopes.acquire(scope("shop"));
    ASSERT_TRUE(id.ok());
    EXPECT_NE(id.value(), 0u);  // scoped: the hooks carry the id and match nothing
    EXPECT_EQ(w.writes, 1);
    EXPECT_EQ(w.kernel.count(id.value()), 0u);
}

TEST(PolicyScopesTest, RefreshFollowsRelabelsArrivalsAndDepartures) {
    World w;
    w.pods = {kPods[0]};
    w.cgroups = {{"aaa", 11}, {"bbb", 12}, {"ccc", 13}, {"ddd", 14}};
    PolicyScopes scopes(w.inputs());
    auto id = scopes.acquire(scope("", labels_selector({{"app", "web"}})));
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{11, 12}));

    // A pod arrives.
    w.pods = kPods;
    scopes.refresh(false);
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{11, 12, 14}));

    // Relabelled out of scope.
    auto relabelled = std::make_shared<k8s::PodInfo>(*kPods[2]);
    relabelled->labels["app"] = "batch";
    w.pods = {kPods[0], kPods[1], relabelled};
    scopes.refresh(false);
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{11, 12}));

    // And back in; then every pod goes.
    w.pods = kPods;
    scopes.refresh(false);
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{11, 12, 14}));
    w.pods.clear();
    scopes.refresh(false);
    EXPECT_EQ(w.kernel.count(id.value()), 0u);
}

TEST(PolicyScopesTest, CgroupsAreLookedUpOnceAndMissingOnesOnRetry) {
    World w;
    w.pods = kPods;
    w.cgroups = {{"aaa", 11}};  // the others' cgroups do not exist yet
    PolicyScopes scopes(w.inputs());
    auto id = scopes.acquire(scope("shop"));
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{11}));
    EXPECT_EQ(w.lookups, 1);
    EXPECT_EQ(scopes.stats().missing_containers, 2u);

    // A pod change: nothing new to look up, known-missing ones wait for the retry.
    scopes.refresh(false);
    EXPECT_EQ(w.lookups, 1);

    w.cgroups["bbb"] = 12;
    scopes.refresh(true);
    EXPECT_EQ(w.lookups, 2);
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{11, 12}));
    EXPECT_EQ(scopes.stats().missing_containers, 1u);
}

TEST(PolicyScopesTest, AWriteThatFailsRefusesTheScopeAndIsRetried) {
    World w;
    w.pods = kPods;
    w.cgroups = {{"aaa", 11}, {"bbb", 12}, {"ccc", 13}, {"ddd", 14}};
    PolicyScopes scopes(w.inputs());
    w.fail_writes = true;
    auto bad = scopes.acquire(scope("shop"));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().find("map full"), std::string::npos) << bad.error();

    w.fail_writes = false;
    auto id = scopes.acquire(scope("bank"));
    ASSERT_TRUE(id.ok());
    w.pods = {kPods[0], kPods[1]};  // bank's pod goes, but the write fails
    w.fail_writes = true;
    scopes.refresh(false);
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{14}));
    EXPECT_EQ(scopes.stats().write_errors, 1u);
    w.fail_writes = false;
    scopes.refresh(false);  // retried, as the set still differs
    EXPECT_EQ(w.kernel.count(id.value()), 0u);
}

TEST(PolicyScopesTest, ThreadRefreshesOnPodChange) {
    World w;
    w.cgroups = {{"aaa", 11}, {"bbb", 12}, {"ccc", 13}, {"ddd", 14}};
    std::mutex mu;
    std::condition_variable cv;
    std::uint64_t generation = 0;
    PolicyScopes::Inputs in = w.inputs();
    in.pods = [&] {
        std::lock_guard lock(mu);
        return w.pods;
    };
    auto write = in.write;
    std::set<std::uint64_t> last;
    in.write = [&](std::uint32_t id, const std::set<std::uint64_t>& set) {
        std::lock_guard lock(mu);
        last = set;
        cv.notify_all();
        return write(id, set);
    };
    PolicyScopes scopes(std::move(in));
    auto id = scopes.acquire(scope("bank"));
    ASSERT_TRUE(id.ok());
    scopes.start([&](std::uint64_t& seen, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu);
        if (!cv.wait_for(lock, timeout, [&] { return generation != seen; })) return false;
        seen = generation;
        return true;
    });
    {
        std::lock_guard lock(mu);
        w.pods = kPods;
        ++generation;
        cv.notify_all();
    }
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return last == std::set<std::uint64_t>{14}; }));
    lock.unlock();
    scopes.stop();
}

TEST(PolicyScopesTest, HostScopeCarriesTheMarkerAfterTheAllPodsSet) {
    World w;
    w.pods = kPods;
    w.cgroups = {{"aaa", 11}, {"bbb", 12}, {"ccc", 13}, {"ddd", 14}};
    PolicyScopes scopes(w.inputs());
    auto id = scopes.acquire(host_scope(labels_selector({{"app", "db"}})));
    ASSERT_TRUE(id.ok()) << id.error();
    ASSERT_NE(id.value(), 0u);
    // The kernel knows every pod's cgroups before the scope admits host processes.
    ASSERT_EQ(w.write_order, (std::vector<std::uint32_t>{model::kAllPodsScopeId, id.value()}));
    EXPECT_EQ(w.kernel[model::kAllPodsScopeId], (std::set<std::uint64_t>{11, 12, 13, 14}));
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{13, model::kHostCgroupMarker}));
    EXPECT_EQ(scopes.stats().cgroups, 1u);
    EXPECT_EQ(scopes.stats().host_scopes, 1u);
    EXPECT_EQ(scopes.stats().pod_cgroups, 4u);

    // A pod that arrives joins the all-pods set, so its processes stop being host ones.
    w.cgroups["eee"] = 15;
    w.pods.push_back(pod("batch", "job", {}, {container("run", "eee")}));
    scopes.refresh(false);
    EXPECT_EQ(w.kernel[model::kAllPodsScopeId], (std::set<std::uint64_t>{11, 12, 13, 14, 15}));
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{13, model::kHostCgroupMarker}));

    // The last host scope gone, the all-pods set goes with it.
    scopes.release(id.value());
    EXPECT_EQ(w.kernel.count(id.value()), 0u);
    EXPECT_EQ(w.kernel.count(model::kAllPodsScopeId), 0u);
}

TEST(PolicyScopesTest, HostOnlyScopeHoldsJustTheMarker) {
    World w;
    w.pods = kPods;
    w.cgroups = {{"aaa", 11}, {"bbb", 12}, {"ccc", 13}, {"ddd", 14}};
    PolicyScopes scopes(w.inputs());
    auto pods_only = scopes.acquire(scope("shop"));
    ASSERT_TRUE(pods_only.ok());
    EXPECT_EQ(w.kernel.count(model::kAllPodsScopeId), 0u);  // no host scope, no all-pods set
    auto id = scopes.acquire(host_scope());
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(w.kernel[id.value()], (std::set<std::uint64_t>{model::kHostCgroupMarker}));
    EXPECT_EQ(w.kernel[model::kAllPodsScopeId], (std::set<std::uint64_t>{11, 12, 13, 14}));
    // Releasing the pods-only scope leaves the host scope's all-pods set alone.
    scopes.release(pods_only.value());
    EXPECT_EQ(w.kernel[model::kAllPodsScopeId], (std::set<std::uint64_t>{11, 12, 13, 14}));
}

TEST(PolicyScopesTest, AllPodsSetThatCannotBeWrittenRefusesTheHostScope) {
    World w;
    w.pods = kPods;
    w.cgroups = {{"aaa", 11}};
    PolicyScopes scopes(w.inputs());
    w.fail_writes = true;
    auto id = scopes.acquire(host_scope());
    ASSERT_FALSE(id.ok());
    EXPECT_NE(id.error().find("every pod"), std::string::npos) << id.error();
    EXPECT_EQ(scopes.stats().host_scopes, 0u);
}

}  // namespace
}  // namespace vigil::agent
