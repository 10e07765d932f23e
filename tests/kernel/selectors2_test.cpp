// In-kernel selectors, second part (issue 5): matchNamespaces with host_ns,
// matchBinaries followChildren, matchParentBinaries, matchReturnArgs and
// Post rateLimit, each proven with a real vigild on this kernel: what
// matches is posted, what does not leaves no event.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "policy_template_fixture.h"

namespace vigil::kt {
namespace {

using Selectors2Test = PolicyTemplateTest;

// ---------------------------------------------------------------------------
// matchNamespaces: NotIn host_ns on Pid.

constexpr const char* kNotHostPidNs = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-not-host-pidns
spec:
  kprobes:
  - call: sys_openat
    args:
    - index: 1
      type: string
    selectors:
    - matchNamespaces:
      - namespace: Pid
        operator: NotIn
        values: [host_ns]
      matchArgs:
      - index: 1
        operator: Prefix
        values: ["@DIR@/ns-"]
)";

class NamespacesTest : public Selectors2Test {
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"ns.yaml", kNotHostPidNs}};
    }
};

TEST_F(NamespacesTest, NotInHostPidNamespacePostsOnlyTheContainedProcess) {
    if (access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/unshare (util-linux)";
    const std::string inside = work_ / "ns-inside";
    const std::string host = work_ / "ns-host";
    write_file(inside, "x");
    write_file(host, "x");
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    // unshare -p -f: the trigger is forked into a new PID namespace.
    VIGIL_ASSERT_OK_AND_ASSIGN(in_ns, run_to_exit({"/usr/bin/unshare", "-p", "-f", trigger_path(), "open", inside}));
    ASSERT_EQ(describe_wait_status(in_ns), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream.value()->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().args_size() == 1 &&
                           e.process_kprobe().args(0).string_arg() == inside;
                },
                "openat of " + inside + " in a new PID namespace"));
    EXPECT_EQ(ev.process_kprobe().policy_name(), "kt-not-host-pidns");
    run_and_drain(*stream.value(), {trigger_path(), "open", host}, trigger_path());
    auto seen = posted_paths(*stream.value(), "kt-not-host-pidns");
    EXPECT_EQ(seen[inside], 1);
    EXPECT_EQ(seen.count(host), 0u) << "a process in the host PID namespace was posted";
}

// ---------------------------------------------------------------------------
// matchBinaries followChildren and matchParentBinaries.

constexpr const char* kFollowChildren = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-follow-children
spec:
  kprobes:
  - call: sys_openat
    args:
    - index: 1
      type: string
    selectors:
    - matchBinaries:
      - operator: In
        values: ["@DIR@/parentbin"]
        followChildren: true
      matchArgs:
      - index: 1
        operator: Prefix
        values: ["@DIR@/f-"]
)";

constexpr const char* kParentBinaries = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-parent-binaries
spec:
  kprobes:
  - call: sys_openat
    args:
    - index: 1
      type: string
    selectors:
    - matchParentBinaries:
      - operator: In
        values: ["@DIR@/parentbin"]
      matchArgs:
      - index: 1
        operator: Prefix
        values: ["@DIR@/g-"]
)";

class BinariesFamilyTest : public Selectors2Test {
protected:
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"follow.yaml", kFollowChildren}, {"parent.yaml", kParentBinaries}};
    }
    // A copy of the trigger under another name: the "matching binary".
    void SetUp() override {
        parentbin_ = work_ / "parentbin";
        std::filesystem::copy_file(trigger_path(), parentbin_);
        ::chmod(parentbin_.c_str(), 0755);
        Selectors2Test::SetUp();
    }
    std::string parentbin_;
};

TEST_F(BinariesFamilyTest, ChildrenAndGrandchildrenOfAFollowedBinaryMatch) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$", "parentbin$", "/cat$", "/dash$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    std::map<std::string, bool> want;  // path -> posted?
    auto file = [&](const std::string& name, bool posted) {
        const std::string p = work_ / name;
        write_file(p, "x");
        want[p] = posted;
        return p;
    };
    const std::string child = file("f-child", true);
    const std::string grandchild = file("f-grandchild", true);
    const std::string direct = file("f-direct", false);
    const std::string other = file("f-other-parent", false);
    // parentbin -> cat (a child); parentbin -> dash -> cat (a grandchild: "; true" keeps dash from exec'ing cat).
    VIGIL_ASSERT_OK_AND_ASSIGN(a, run_to_exit({parentbin_, "fork-exec", "/usr/bin/cat", child}));
    EXPECT_EQ(describe_wait_status(a), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        b, run_to_exit({parentbin_, "fork-exec", "/usr/bin/sh", "-c", "/usr/bin/cat " + grandchild + "; true"}));
    EXPECT_EQ(describe_wait_status(b), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(c, run_to_exit({"/usr/bin/cat", direct}));
    EXPECT_EQ(describe_wait_status(c), "exited 0");
    run_and_drain(*stream.value(), {trigger_path(), "fork-exec", "/usr/bin/cat", other}, trigger_path());
    auto seen = posted_paths(*stream.value(), "kt-follow-children");
    for (const auto& [path, posted] : want) {
        EXPECT_EQ(seen.count(path), posted ? 1u : 0u) << path << (posted ? " not posted" : " posted");
    }
}

TEST_F(BinariesFamilyTest, ParentBinaryMatchesOnlyDirectChildren) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$", "parentbin$", "/cat$", "/dash$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    const std::string child = work_ / "g-child";
    const std::string grandchild = work_ / "g-grandchild";
    const std::string other = work_ / "g-other-parent";
    for (const auto& p : {child, grandchild, other}) write_file(p, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(a, run_to_exit({parentbin_, "fork-exec", "/usr/bin/cat", child}));
    EXPECT_EQ(describe_wait_status(a), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        b, run_to_exit({parentbin_, "fork-exec", "/usr/bin/sh", "-c", "/usr/bin/cat " + grandchild + "; true"}));
    EXPECT_EQ(describe_wait_status(b), "exited 0");
    run_and_drain(*stream.value(), {trigger_path(), "fork-exec", "/usr/bin/cat", other}, trigger_path());
    auto seen = posted_paths(*stream.value(), "kt-parent-binaries");
    EXPECT_EQ(seen[child], 1) << "cat whose parent is parentbin";
    EXPECT_EQ(seen.count(grandchild), 0u) << "cat whose parent is dash was posted";
    EXPECT_EQ(seen.count(other), 0u) << "cat whose parent is vigil_trigger was posted";
}

// ---------------------------------------------------------------------------
// matchReturnArgs: only failed opens.

constexpr const char* kFailedOpens = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-failed-opens
spec:
  kprobes:
  - call: sys_openat
    return: true
    args:
    - index: 1
      type: string
    returnArg:
      index: 0
      type: int
    selectors:
    - matchArgs:
      - index: 1
        operator: Prefix
        values: ["@DIR@/ret-"]
      matchReturnArgs:
      - index: 0
        operator: LT
        values: ["0"]
)";

class ReturnArgsTest : public Selectors2Test {
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"ret.yaml", kFailedOpens}};
    }
};

TEST_F(ReturnArgsTest, OnlyCallsWhoseReturnValueMatchesArePosted) {
    const std::string exists = work_ / "ret-exists";
    const std::string missing = work_ / "ret-missing";
    write_file(exists, "x");
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    VIGIL_ASSERT_OK_AND_ASSIGN(failed, run_to_exit({trigger_path(), "open", missing}));
    EXPECT_EQ(describe_wait_status(failed), "exited 1");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream.value()->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().args_size() == 1 &&
                           e.process_kprobe().args(0).string_arg() == missing;
                },
                "failed openat of " + missing));
    EXPECT_EQ(ev.process_kprobe().return_().int_arg(), -2) << "ENOENT";
    run_and_drain(*stream.value(), {trigger_path(), "open", exists}, trigger_path());
    auto seen = posted_paths(*stream.value(), "kt-failed-opens");
    EXPECT_EQ(seen[missing], 1);
    EXPECT_EQ(seen.count(exists), 0u) << "a successful open (return value >= 0) was posted";
}

// ---------------------------------------------------------------------------
// Post rateLimit: a burst of identical writes gives one event per window.

constexpr const char* kRateLimited = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-rate-limit
spec:
  kprobes:
  - call: sys_write
    args:
    - index: 0
      type: fd
    - index: 1
      type: char_buf
      sizeArgIndex: 3
    - index: 2
      type: size_t
    selectors:
    - matchArgs:
      - index: 0
        operator: Prefix
        values: ["@DIR@/rl-"]
      matchActions:
      - action: Post
        rateLimit: "1m"
        rateLimitScope: process
    - matchArgs:
      - index: 0
        operator: Prefix
        values: ["@DIR@/all-"]
)";

class RateLimitTest : public Selectors2Test {
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"rate.yaml", kRateLimited}};
    }
};

TEST_F(RateLimitTest, BurstOfIdenticalWritesYieldsOneEventPerProcessAndWindow) {
    const std::string limited = work_ / "rl-burst";
    const std::string unlimited = work_ / "all-burst";
    auto stream = agent().subscribe_binaries({"/dd$", "vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    // 20 writes of one zero byte each: identical fd, path, data and size.
    const auto dd = [](const std::string& to) {
        return std::vector<std::string>{"/usr/bin/dd", "if=/dev/zero", "of=" + to, "bs=1", "count=20",
                                        "status=none"};
    };
    VIGIL_ASSERT_OK_AND_ASSIGN(first, run_to_exit(dd(limited)));
    ASSERT_EQ(describe_wait_status(first), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(second, run_to_exit(dd(limited)));
    ASSERT_EQ(describe_wait_status(second), "exited 0");
    // The control: the same burst through the selector without rateLimit.
    run_and_drain(*stream.value(), dd(unlimited), trigger_path());
    auto seen = posted_paths(*stream.value(), "kt-rate-limit");
    EXPECT_EQ(seen[unlimited], 20) << "the selector without rateLimit posts every write";
    EXPECT_EQ(seen[limited], 2) << "one event per process (rateLimitScope: process) in the 1m window";
}

}  // namespace
}  // namespace vigil::kt
