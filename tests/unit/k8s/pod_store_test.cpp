// PodStore: indexes, changes reported, and the memory of pods that went away.
#include "k8s/pod_store.h"

#include <gtest/gtest.h>

namespace vigil::k8s {
namespace {

std::string cid(char fill) { return std::string(64, fill); }

PodInfo pod(const std::string& uid, const std::string& name, std::vector<std::string> container_ids,
            const std::string& rv = "1") {
    PodInfo p;
    p.uid = uid;
    p.name = name;
    p.namespace_ = "ns";
    p.resource_version = rv;
    int i = 0;
    for (auto& id : container_ids) {
        ContainerInfo c;
        c.id = id.empty() ? "" : "containerd://" + id;
        c.name = "c" + std::to_string(i++);
        p.containers.push_back(c);
    }
    return p;
}

TEST(PodStore, FindByFullBareAndDockerFieldId) {
    PodStore s;
    ASSERT_TRUE(s.upsert(pod("u1", "a", {cid('a'), cid('b')})).has_value());
    for (std::string id : {"containerd://" + cid('b'), cid('b'), cid('b').substr(0, 31), cid('b').substr(0, 12)}) {
        auto hit = s.find_container(id);
        ASSERT_TRUE(hit.has_value()) << id;
        EXPECT_EQ(hit->pod->name, "a");
        EXPECT_EQ(hit->container->name, "c1");
        EXPECT_FALSE(hit->retired);
    }
    EXPECT_FALSE(s.find_container(cid('b').substr(0, 11)).has_value());  // too short to trust
    EXPECT_FALSE(s.find_container(cid('c')).has_value());
    EXPECT_FALSE(s.find_container("").has_value());
    EXPECT_EQ(s.container_count(), 2u);
}

TEST(PodStore, AmbiguousPrefixIsNotAMatch) {
    PodStore s;
    std::string x = "abcdef012345" + std::string(52, '1');
    std::string y = "abcdef012345" + std::string(52, '2');
    ASSERT_TRUE(s.upsert(pod("u1", "a", {x})).has_value());
    ASSERT_TRUE(s.upsert(pod("u2", "b", {y})).has_value());
    EXPECT_FALSE(s.find_container("abcdef012345").has_value());
    EXPECT_EQ(s.find_container(x)->pod->name, "a");
    EXPECT_EQ(s.find_container(y.substr(0, 13))->pod->name, "b");
}

TEST(PodStore, PendingContainersAreFoundByPodOnly) {
    PodStore s;
    ASSERT_TRUE(s.upsert(pod("u1", "a", {""})).has_value());
    EXPECT_EQ(s.container_count(), 0u);
    ASSERT_NE(s.find_pod("u1"), nullptr);
    EXPECT_EQ(s.find_pod("u1")->name, "a");
    EXPECT_EQ(s.find_pod("nope"), nullptr);
}

TEST(PodStore, UpsertReportsAddedUpdatedAndIgnoresIdentical) {
    PodStore s;
    auto a = s.upsert(pod("u1", "a", {cid('a')}, "1"));
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->kind, PodChangeKind::kAdded);
    EXPECT_FALSE(s.upsert(pod("u1", "a", {cid('a')}, "1")).has_value());
    auto u = s.upsert(pod("u1", "a", {cid('a')}, "2"));
    ASSERT_TRUE(u.has_value());
    EXPECT_EQ(u->kind, PodChangeKind::kUpdated);
    EXPECT_EQ(u->pod->resource_version, "2");
    EXPECT_EQ(s.size(), 1u);
}

TEST(PodStore, LookupResultOutlivesUpdates) {
    PodStore s;
    ASSERT_TRUE(s.upsert(pod("u1", "old-name", {cid('a')}, "1")).has_value());
    auto hit = s.find_container(cid('a'));
    ASSERT_TRUE(s.upsert(pod("u1", "new-name", {cid('a')}, "2")).has_value());
    EXPECT_EQ(hit->pod->name, "old-name");  // a snapshot, still valid
    EXPECT_EQ(hit->container->name, "c0");
    EXPECT_EQ(s.find_container(cid('a'))->pod->name, "new-name");
}

TEST(PodStore, DeletedPodStaysFindableAsRetired) {
    PodStore s;
    ASSERT_TRUE(s.upsert(pod("u1", "a", {cid('a')})).has_value());
    auto d = s.remove("u1");
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->kind, PodChangeKind::kDeleted);
    EXPECT_EQ(d->pod->name, "a");
    EXPECT_EQ(s.size(), 0u);
    auto hit = s.find_container(cid('a'));
    ASSERT_TRUE(hit.has_value());
    EXPECT_TRUE(hit->retired);
    ASSERT_NE(s.find_pod("u1"), nullptr);
    EXPECT_FALSE(s.remove("u1").has_value());
}

TEST(PodStore, RestartedContainerOldIdStaysFindable) {
    PodStore s;
    ASSERT_TRUE(s.upsert(pod("u1", "a", {cid('a')}, "1")).has_value());
    ASSERT_TRUE(s.upsert(pod("u1", "a", {cid('b')}, "2")).has_value());
    auto old = s.find_container(cid('a'));
    ASSERT_TRUE(old.has_value());
    EXPECT_TRUE(old->retired);
    auto now = s.find_container(cid('b'));
    ASSERT_TRUE(now.has_value());
    EXPECT_FALSE(now->retired);
    EXPECT_EQ(s.container_count(), 1u);
}

TEST(PodStore, RetiredMemoryIsBounded) {
    PodStore s(2);
    const char fills[] = {'a', 'b', 'c'};
    for (char f : fills) {
        std::string uid(1, f);
        ASSERT_TRUE(s.upsert(pod(uid, uid, {cid(f)})).has_value());
        ASSERT_TRUE(s.remove(uid).has_value());
    }
    EXPECT_EQ(s.retired_size(), 2u);
    EXPECT_FALSE(s.find_container(cid('a')).has_value());  // evicted first
    EXPECT_EQ(s.find_pod("a"), nullptr);
    EXPECT_TRUE(s.find_container(cid('b')).has_value());
    EXPECT_TRUE(s.find_container(cid('c')).has_value());
}

TEST(PodStore, NoRetiredMemory) {
    PodStore s(0);
    ASSERT_TRUE(s.upsert(pod("u1", "a", {cid('a')})).has_value());
    ASSERT_TRUE(s.remove("u1").has_value());
    EXPECT_FALSE(s.find_container(cid('a')).has_value());
}

TEST(PodStore, ReplaceAllReportsDifferences) {
    PodStore s;
    ASSERT_TRUE(s.upsert(pod("keep", "keep", {cid('a')}, "1")).has_value());
    ASSERT_TRUE(s.upsert(pod("change", "change", {cid('b')}, "1")).has_value());
    ASSERT_TRUE(s.upsert(pod("gone", "gone", {cid('c')}, "1")).has_value());
    auto changes = s.replace_all({pod("keep", "keep", {cid('a')}, "1"), pod("change", "change", {cid('b')}, "2"),
                                  pod("new", "new", {cid('d')}, "1")});
    std::map<std::string, PodChangeKind> by_name;
    for (const auto& c : changes) by_name[c.pod->name] = c.kind;
    EXPECT_EQ(by_name, (std::map<std::string, PodChangeKind>{{"change", PodChangeKind::kUpdated},
                                                              {"gone", PodChangeKind::kDeleted},
                                                              {"new", PodChangeKind::kAdded}}));
    EXPECT_EQ(s.size(), 3u);
    EXPECT_TRUE(s.find_container(cid('c'))->retired);
    EXPECT_FALSE(s.find_container(cid('d'))->retired);
}

TEST(PodStore, ReplaceAllKeepsPodsWhoseNewObjectWasUnusable) {
    PodStore s;
    ASSERT_TRUE(s.upsert(pod("u1", "a", {cid('a')})).has_value());
    auto changes = s.replace_all({}, {"u1"});
    EXPECT_TRUE(changes.empty());
    EXPECT_FALSE(s.find_container(cid('a'))->retired);
}

TEST(PodStore, ContainerBackFromRetiredIsLiveAgain) {
    PodStore s;
    ASSERT_TRUE(s.upsert(pod("u1", "a", {cid('a')})).has_value());
    ASSERT_TRUE(s.remove("u1").has_value());
    ASSERT_TRUE(s.upsert(pod("u1", "a", {cid('a')}, "3")).has_value());
    EXPECT_FALSE(s.find_container(cid('a'))->retired);
}

}  // namespace
}  // namespace vigil::k8s
