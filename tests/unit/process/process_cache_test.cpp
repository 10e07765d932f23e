// ProcessCache: Tetragon's refcount rules (process++/parent++ on a new image,
// process--/parent-- on exit or replacement), the capacity bound and the
// two-phase gc.
#include "process/process_cache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "process/exec_id.h"
#include "process/process_key.h"

namespace vigil::process {
namespace {

constexpr const char* kNode = "node-a";

model::Process make_proc(std::uint32_t pid, std::uint64_t ktime, model::ProcessKey parent,
                         std::string binary = "/usr/bin/true") {
    model::Process p;
    p.key = {pid, ktime};
    p.parent_key = parent;
    p.pid = pid;
    p.tid = pid;
    p.ppid = parent.pid;
    p.nspid = pid;
    p.start_ktime = ktime;
    p.binary = std::move(binary);
    p.flags = model::kFlagExecve;
    return p;
}

model::ExitEvent make_exit(model::ProcessKey key, std::uint32_t tid = 0) {
    model::ExitEvent e;
    e.key = key;
    e.tid = tid == 0 ? key.pid : tid;
    e.ktime = key.ktime + 1000;
    return e;
}

// The refcount a lookup reports, or a value no real count has.
std::uint32_t refcnt(ProcessCache& c, model::ProcessKey key) {
    auto s = c.get(key);
    return s ? s->refcnt : 0xdeadu;
}

const model::ProcessKey kInit{1, 100};

// A cache holding init (a /proc entry whose parent is the kernel).
struct CacheWithInit : ::testing::Test {
    ProcessCache cache{kNode, 64};
    void SetUp() override {
        model::Process init = make_proc(1, kInit.ktime, kKernelKey, "/sbin/init");
        init.flags = 0;
        Snapshot s = cache.add_procfs(init);
        ASSERT_EQ(s.refcnt, 1u);
    }
};

TEST_F(CacheWithInit, KernelEntryIsInitsParent) {
    auto init = cache.get(kInit);
    ASSERT_TRUE(init.has_value());
    ASSERT_TRUE(init->parent != nullptr) << "init must be linked to the kernel entry";
    EXPECT_EQ(init->parent->binary, "<kernel>");
    EXPECT_EQ(init->process->parent_exec_id, make_exec_id(kNode, 1, 0));
    EXPECT_EQ(init->process->exec_id, make_exec_id(kNode, kInit.ktime, 1));
    EXPECT_EQ(init->process->flags, static_cast<std::uint32_t>(model::kFlagProcFS));
}

TEST_F(CacheWithInit, ExecLinksParentAndTakesOneReferenceEach) {
    Snapshot s = cache.on_exec(make_proc(200, 5000, kInit, "/bin/sh"), {});
    EXPECT_EQ(s.refcnt, 1u);  // process++
    ASSERT_TRUE(s.parent != nullptr);
    EXPECT_EQ(s.parent->binary, "/sbin/init");
    EXPECT_EQ(s.parent_refcnt, 2u);  // its own + parent++ from the child
    EXPECT_EQ(s.process->exec_id, make_exec_id(kNode, 5000, 200));
    EXPECT_EQ(s.process->parent_exec_id, make_exec_id(kNode, kInit.ktime, 1));
    EXPECT_EQ(refcnt(cache, kInit), 2u);

    // A grandchild references the child, not init.
    Snapshot g = cache.on_exec(make_proc(300, 6000, {200, 5000}, "/bin/ls"), {});
    EXPECT_EQ(g.parent_refcnt, 2u);
    EXPECT_EQ(refcnt(cache, {200, 5000}), 2u);
    EXPECT_EQ(refcnt(cache, kInit), 2u);
}

TEST_F(CacheWithInit, ReplayedExecDoesNotCountTwice) {
    cache.on_exec(make_proc(200, 5000, kInit), {});
    Snapshot again = cache.on_exec(make_proc(200, 5000, kInit, "/other"), {});
    EXPECT_EQ(again.refcnt, 1u);
    EXPECT_EQ(again.process->binary, "/usr/bin/true") << "a replay must not overwrite";
    EXPECT_EQ(refcnt(cache, kInit), 2u);
}

TEST_F(CacheWithInit, ExecWithParentMissingStillCachesTheImage) {
    Snapshot s = cache.on_exec(make_proc(200, 5000, {77, 4000}), {});
    EXPECT_EQ(s.refcnt, 1u);
    EXPECT_FALSE(s.parent != nullptr);
    EXPECT_EQ(s.process->parent_exec_id, make_exec_id(kNode, 4000, 77));
}

TEST_F(CacheWithInit, ForkCopiesParentWithCloneFlag) {
    model::Process sh = make_proc(200, 5000, kInit, "/bin/sh");
    sh.argv = {"-c", "echo hi"};
    sh.cwd = "/home/u";
    sh.creds.uid = 1000;
    sh.ns[2] = 4026531841u;
    sh.cgroup_name = "session-1.scope";
    sh.nspid = 9;
    cache.on_exec(sh, {});

    cache.on_fork({201, 5500}, {200, 5000}, /*tid=*/201, /*ktime=*/5500);
    auto child = cache.find({201, 5500});
    ASSERT_TRUE(child.has_value());
    EXPECT_EQ(child->binary, "/bin/sh");
    EXPECT_EQ(child->argv, sh.argv);
    EXPECT_EQ(child->cwd, "/home/u");
    EXPECT_EQ(child->creds.uid, 1000u);
    EXPECT_EQ(child->ns[2], 4026531841u);
    EXPECT_EQ(child->cgroup_name, "session-1.scope");
    EXPECT_EQ(child->pid, 201u);
    EXPECT_EQ(child->tid, 201u);
    EXPECT_EQ(child->ppid, 200u);
    EXPECT_EQ(child->nspid, 0u) << "the fork record carries no nspid";
    EXPECT_EQ(child->start_ktime, 5500u);
    EXPECT_EQ(child->flags, static_cast<std::uint32_t>(model::kFlagClone));
    EXPECT_EQ(child->exec_id, make_exec_id(kNode, 5500, 201));
    EXPECT_EQ(child->parent_exec_id, make_exec_id(kNode, 5000, 200));
    EXPECT_EQ(refcnt(cache, {201, 5500}), 1u);
    EXPECT_EQ(refcnt(cache, {200, 5000}), 2u);
    EXPECT_EQ(cache.stats().misses, 0u);
}

TEST_F(CacheWithInit, ForkOfUnknownParentCountsMiss) {
    cache.on_fork({201, 5500}, {200, 5000}, 201, 5500);
    EXPECT_EQ(cache.stats().misses, 1u);
    auto child = cache.find({201, 5500});
    ASSERT_TRUE(child.has_value());
    EXPECT_EQ(child->flags, static_cast<std::uint32_t>(model::kFlagClone));
    EXPECT_TRUE(child->binary.empty());
}

// fork + exec: the clone placeholder is the cleanup key of the exec.
TEST_F(CacheWithInit, ExecReleasesCleanupKeyOfPreviousImage) {
    const model::ProcessKey sh{200, 5000}, clone{201, 5500}, ls{201, 5600};
    cache.on_exec(make_proc(sh.pid, sh.ktime, kInit, "/bin/sh"), {});
    cache.on_fork(clone, sh, 201, clone.ktime);
    ASSERT_EQ(refcnt(cache, sh), 2u);

    Snapshot s = cache.on_exec(make_proc(ls.pid, ls.ktime, sh, "/bin/ls"), clone);
    EXPECT_EQ(s.refcnt, 1u);
    EXPECT_EQ(s.parent_refcnt, 2u) << "parent++ from ls, parent-- from the replaced clone";
    EXPECT_EQ(refcnt(cache, clone), 0u) << "process-- on the replaced image";

    // The replaced image is garbage after two gc passes; the rest stays.
    cache.gc();
    EXPECT_TRUE(cache.find(clone).has_value()) << "first gc only marks";
    cache.gc();
    EXPECT_FALSE(cache.find(clone).has_value());
    EXPECT_TRUE(cache.find(ls).has_value());
    EXPECT_TRUE(cache.find(sh).has_value());
    EXPECT_EQ(cache.stats().removals, 1u);
}

// exec after exec (sh execs into ls): the cleanup key is the earlier exec.
TEST_F(CacheWithInit, ReExecOfSamePidReleasesEarlierImageOnce) {
    const model::ProcessKey first{200, 5000}, second{200, 7000};
    cache.on_exec(make_proc(first.pid, first.ktime, kInit, "/bin/sh"), {});
    cache.on_exec(make_proc(second.pid, second.ktime, kInit, "/bin/ls"), first);
    EXPECT_EQ(refcnt(cache, first), 0u);
    EXPECT_EQ(refcnt(cache, second), 1u);
    EXPECT_EQ(refcnt(cache, kInit), 2u);

    // A later exit of the replaced image must not drop init a second time.
    Snapshot late = cache.on_exit(make_exit(first));
    EXPECT_EQ(late.refcnt, 0u);
    EXPECT_EQ(late.parent_refcnt, 2u);
    EXPECT_EQ(refcnt(cache, kInit), 2u);
}

TEST_F(CacheWithInit, ExitSnapshotShowsPostExitCounts) {
    const model::ProcessKey sh{200, 5000};
    cache.on_exec(make_proc(sh.pid, sh.ktime, kInit, "/bin/sh"), {});
    Snapshot s = cache.on_exit(make_exit(sh));
    EXPECT_EQ(s.process->binary, "/bin/sh");
    EXPECT_EQ(s.refcnt, 0u);         // process--
    EXPECT_EQ(s.parent_refcnt, 1u);  // parent--
    ASSERT_TRUE(s.parent != nullptr);
    EXPECT_EQ(s.parent->binary, "/sbin/init");

    // A duplicate exit record must not drive counts further down.
    Snapshot dup = cache.on_exit(make_exit(sh));
    EXPECT_EQ(dup.refcnt, 0u);
    EXPECT_EQ(dup.parent_refcnt, 1u);
    EXPECT_EQ(refcnt(cache, kInit), 1u);
    EXPECT_EQ(cache.stats().misses, 0u);
}

TEST_F(CacheWithInit, ParentOutlivesItsExitWhileAChildLives) {
    const model::ProcessKey sh{200, 5000}, ls{300, 6000};
    cache.on_exec(make_proc(sh.pid, sh.ktime, kInit, "/bin/sh"), {});
    cache.on_exec(make_proc(ls.pid, ls.ktime, sh, "/bin/ls"), {});
    Snapshot s = cache.on_exit(make_exit(sh));
    EXPECT_EQ(s.refcnt, 1u) << "the child still holds its parent";
    cache.gc();
    cache.gc();
    ASSERT_TRUE(cache.find(sh).has_value());

    // The child's exit drops the last reference; two gc passes remove both.
    Snapshot c = cache.on_exit(make_exit(ls));
    EXPECT_EQ(c.parent_refcnt, 0u);
    cache.gc();
    EXPECT_TRUE(cache.find(sh).has_value());
    EXPECT_TRUE(cache.find(ls).has_value());
    cache.gc();
    EXPECT_FALSE(cache.find(sh).has_value());
    EXPECT_FALSE(cache.find(ls).has_value());
    EXPECT_EQ(cache.stats().removals, 2u);
    EXPECT_EQ(refcnt(cache, kInit), 1u);
}

TEST_F(CacheWithInit, UnknownExitGivesStubAndCountsMiss) {
    Snapshot s = cache.on_exit(make_exit({4242, 9000}, 4243));
    EXPECT_EQ(s.process->pid, 4242u);
    EXPECT_EQ(s.process->tid, 4243u);
    EXPECT_EQ(s.process->start_ktime, 9000u);
    EXPECT_EQ(s.process->flags, static_cast<std::uint32_t>(model::kFlagUnknown));
    EXPECT_EQ(s.process->exec_id, make_exec_id(kNode, 9000, 4242));
    EXPECT_FALSE(s.parent != nullptr);
    EXPECT_EQ(cache.stats().misses, 1u);
    EXPECT_FALSE(cache.find({4242, 9000}).has_value()) << "a stub is not cached";
}

TEST_F(CacheWithInit, GetCountsMissFindDoesNot) {
    EXPECT_FALSE(cache.find({9, 9}).has_value());
    EXPECT_EQ(cache.stats().misses, 0u);
    EXPECT_FALSE(cache.get({9, 9}).has_value());
    EXPECT_EQ(cache.stats().misses, 1u);
}

TEST_F(CacheWithInit, GcIsTwoPhaseAndARevivedEntryIsKept) {
    const model::ProcessKey sh{200, 5000};
    cache.on_exec(make_proc(sh.pid, sh.ktime, kInit, "/bin/sh"), {});
    cache.gc();
    cache.gc();
    EXPECT_TRUE(cache.find(sh).has_value()) << "a live entry is never collected";

    cache.on_exit(make_exit(sh));
    cache.gc();  // deletePending -> deleteReady
    ASSERT_TRUE(cache.find(sh).has_value());
    // A late child (e.g. its fork record was read after the exit) takes a
    // reference again: the entry is back in use and survives later passes.
    cache.on_fork({201, 5100}, sh, 201, 5100);
    EXPECT_EQ(refcnt(cache, sh), 1u);
    cache.gc();
    cache.gc();
    EXPECT_TRUE(cache.find(sh).has_value());
    EXPECT_EQ(cache.stats().removals, 0u);
}

TEST_F(CacheWithInit, AddProcfsDoesNotOverwrite) {
    const model::ProcessKey sh{200, 5000};
    cache.on_exec(make_proc(sh.pid, sh.ktime, kInit, "/bin/sh"), {});
    Snapshot s = cache.add_procfs(make_proc(sh.pid, sh.ktime, kInit, "/from/proc"));
    EXPECT_EQ(s.process->binary, "/bin/sh");
    EXPECT_EQ(s.process->flags, static_cast<std::uint32_t>(model::kFlagExecve))
        << "the exec entry keeps its flags";
    EXPECT_EQ(s.refcnt, 1u);
    EXPECT_EQ(refcnt(cache, kInit), 2u) << "no second parent++";

    // Same for a second /proc entry of the same key.
    cache.add_procfs(make_proc(1, kInit.ktime, kKernelKey, "/other/init"));
    EXPECT_EQ(cache.find(kInit)->binary, "/sbin/init");
}

TEST_F(CacheWithInit, AddProcfsSetsProcFsFlagAndIds) {
    model::Process p = make_proc(500, 3000, kInit, "/usr/sbin/sshd");
    p.flags = model::kFlagRootCwd;
    Snapshot s = cache.add_procfs(p);
    EXPECT_EQ(s.process->flags,
              static_cast<std::uint32_t>(model::kFlagRootCwd | model::kFlagProcFS));
    EXPECT_EQ(s.process->exec_id, make_exec_id(kNode, 3000, 500));
    EXPECT_EQ(s.parent_refcnt, 2u);
}

TEST(ProcessCacheBound, SmallCapacityIsRaisedToMinimum) {
    ProcessCache cache(kNode, 0);
    EXPECT_EQ(cache.stats().capacity, ProcessCache::kMinCapacity);
    EXPECT_EQ(cache.stats().size, 1u) << "the kernel entry";
}

// 10x capacity execs, all children of one long-lived parent, none exiting:
// the cache must evict, never grow, keep the parent being linked, and keep
// the parent's count equal to 1 + the children still cached.
TEST(ProcessCacheBound, StormOfTenTimesCapacityStaysBounded) {
    constexpr std::size_t kCap = 32;
    ProcessCache cache(kNode, kCap);
    const model::ProcessKey parent{10, 50};
    cache.add_procfs(make_proc(parent.pid, parent.ktime, kKernelKey, "/usr/bin/make"));

    constexpr std::uint32_t kStorm = 10 * kCap;
    for (std::uint32_t i = 0; i < kStorm; ++i) {
        const std::uint32_t pid = 1000 + i;
        Snapshot s = cache.on_exec(make_proc(pid, 100000 + i, parent, "/usr/bin/cc"), {});
        ASSERT_TRUE(s.parent != nullptr) << "parent evicted while being linked, i=" << i;
        ASSERT_LE(cache.stats().size, kCap) << "capacity exceeded at i=" << i;
    }
    const CacheStats st = cache.stats();
    EXPECT_EQ(st.size, kCap);
    // kernel + parent + kStorm children entered; kCap remain.
    EXPECT_EQ(st.evictions, 2 + kStorm - kCap);

    std::uint32_t children_cached = 0;
    for (std::uint32_t i = 0; i < kStorm; ++i) {
        if (cache.find({1000 + i, 100000 + i})) ++children_cached;
    }
    EXPECT_EQ(children_cached, kCap - 2);
    EXPECT_TRUE(cache.find({1000 + kStorm - 1, 100000 + kStorm - 1}).has_value())
        << "the newest entry must survive";
    EXPECT_EQ(refcnt(cache, parent), 1u + children_cached)
        << "each evicted child must drop its parent++";
}

// A storm of short-lived processes (exec then exit) evicts exited entries
// before live ones.
TEST(ProcessCacheBound, EvictionPrefersExitedEntries) {
    constexpr std::size_t kCap = 16;
    ProcessCache cache(kNode, kCap);
    const model::ProcessKey daemon{10, 50};
    cache.add_procfs(make_proc(daemon.pid, daemon.ktime, kKernelKey, "/usr/sbin/daemon"));
    // Old but still running: must survive the storm although least recent.
    const model::ProcessKey old_live{11, 60};
    cache.add_procfs(make_proc(old_live.pid, old_live.ktime, kKernelKey, "/usr/sbin/old"));

    for (std::uint32_t i = 0; i < 10 * kCap; ++i) {
        const model::ProcessKey k{2000 + i, 200000 + i};
        cache.on_exec(make_proc(k.pid, k.ktime, daemon, "/bin/true"), {});
        cache.on_exit(make_exit(k));
        ASSERT_LE(cache.stats().size, kCap) << "capacity exceeded at i=" << i;
    }
    EXPECT_TRUE(cache.find(old_live).has_value());
    EXPECT_TRUE(cache.find(daemon).has_value());
    EXPECT_GT(cache.stats().evictions, 0u);
    EXPECT_EQ(refcnt(cache, daemon), 1u) << "every child exited";
}

}  // namespace
}  // namespace vigil::process
