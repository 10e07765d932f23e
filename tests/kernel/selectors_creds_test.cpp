// In-kernel credential selectors (issue 5): matchCapabilities (with
// isNamespaceCapability), matchCapabilityChanges and matchNamespaceChanges,
// each proven with a real vigild on this kernel. The trigger changes its own
// credentials between opens (`vigil_trigger steps`), and each open either is
// posted or leaves no event at all.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "policy_template_fixture.h"

namespace vigil::kt {
namespace {

constexpr int kCapSysAdmin = 21;

constexpr const char* kCapsSelectors = R"(    - matchCapabilities:
      - operator: In
        values: [CAP_SYS_ADMIN]
      matchArgs:
      - {index: 1, operator: Prefix, values: ["@DIR@/cap-"]}
    - matchCapabilities:
      - type: Effective
        operator: NotIn
        values: [CAP_SYS_ADMIN]
      matchArgs:
      - {index: 1, operator: Prefix, values: ["@DIR@/nocap-"]}
    - matchCapabilities:
      - operator: In
        isNamespaceCapability: true
        values: [CAP_SYS_ADMIN]
      matchArgs:
      - {index: 1, operator: Prefix, values: ["@DIR@/nscap-"]}
)";

constexpr const char* kCapChangesSelectors = R"(    - matchCapabilityChanges:
      - operator: In
        values: [CAP_SYS_ADMIN]
      matchArgs:
      - {index: 1, operator: Prefix, values: ["@DIR@/chg-"]}
    - matchCapabilityChanges:
      - operator: NotIn
        values: [CAP_NET_RAW]
      matchArgs:
      - {index: 1, operator: Prefix, values: ["@DIR@/chgn-"]}
    - matchCapabilityChanges:
      - operator: In
        values: [CAP_NET_RAW]
      matchArgs:
      - {index: 1, operator: Prefix, values: ["@DIR@/chgr-"]}
)";

constexpr const char* kNsChangesSelectors = R"(    - matchNamespaceChanges:
      - operator: In
        values: [Uts]
      matchArgs:
      - {index: 1, operator: Prefix, values: ["@DIR@/nsc-"]}
    - matchNamespaceChanges:
      - operator: NotIn
        values: [Uts]
      matchArgs:
      - {index: 1, operator: Prefix, values: ["@DIR@/nscn-"]}
)";

class CredsSelectorsTest : public PolicyTemplateTest {
protected:
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"caps.yaml", openat_policy("kt-caps", kCapsSelectors)},
                {"capchg.yaml", openat_policy("kt-cap-changes", kCapChangesSelectors)},
                {"nschg.yaml", openat_policy("kt-ns-changes", kNsChangesSelectors)}};
    }
    std::string path(const std::string& name) { return work_ / name; }
    std::string open_step(const std::string& name) { return "open:" + path(name); }
    void SetUp() override {
        PolicyTemplateTest::SetUp();
        for (const char* n : {"cap-1", "cap-2", "nocap-1", "nocap-2", "nscap-host", "nscap-userns", "chg-1",
                              "chg-2", "chg-3", "chgn-1", "chgn-2", "chgn-3", "chgr-1", "chgr-2", "nsc-1",
                              "nsc-2", "nsc-3", "nscn-1", "nscn-2"}) {
            write_file(path(n), "x");
        }
    }
    // Runs the trigger's steps (all must succeed), then drains the stream.
    void steps(EventStream& stream, std::vector<std::string> step_args) {
        std::vector<std::string> argv{trigger_path(), "steps"};
        argv.insert(argv.end(), step_args.begin(), step_args.end());
        VIGIL_ASSERT_OK_AND_ASSIGN(st, run_to_exit(argv));
        ASSERT_EQ(describe_wait_status(st), "exited 0") << "vigil_trigger steps failed";
        run_and_drain(stream, {trigger_path(), "exit", "0"}, trigger_path());
    }
};

TEST_F(CredsSelectorsTest, CapabilitiesInAndNotInFollowTheEffectiveSet) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SYS_ADMIN to drop)";
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    // One process: opens with CAP_SYS_ADMIN effective, drops it, opens again.
    steps(*stream.value(), {open_step("cap-1"), open_step("nocap-1"), "dropcap:" + std::to_string(kCapSysAdmin),
                            open_step("cap-2"), open_step("nocap-2")});
    auto seen = posted_paths(*stream.value(), "kt-caps");
    EXPECT_EQ(seen[path("cap-1")], 1) << "In CAP_SYS_ADMIN while it was effective";
    EXPECT_EQ(seen.count(path("cap-2")), 0u) << "In CAP_SYS_ADMIN after it was dropped";
    EXPECT_EQ(seen.count(path("nocap-1")), 0u) << "NotIn CAP_SYS_ADMIN while it was effective";
    EXPECT_EQ(seen[path("nocap-2")], 1) << "NotIn CAP_SYS_ADMIN after it was dropped";
}

TEST_F(CredsSelectorsTest, NamespaceCapabilityMatchesOnlyOutsideTheHostUserNamespace) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    if (access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/unshare (util-linux)";
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    // unshare -U -r: a new user namespace, mapped to root, with every capability in it.
    VIGIL_ASSERT_OK_AND_ASSIGN(
        in_ns, run_to_exit({"/usr/bin/unshare", "-U", "-r", trigger_path(), "open", path("nscap-userns")}));
    ASSERT_EQ(describe_wait_status(in_ns), "exited 0");
    steps(*stream.value(), {open_step("nscap-host")});
    auto seen = posted_paths(*stream.value(), "kt-caps");
    EXPECT_EQ(seen[path("nscap-userns")], 1) << "CAP_SYS_ADMIN in a new user namespace";
    EXPECT_EQ(seen.count(path("nscap-host")), 0u) << "isNamespaceCapability matched in the host user namespace";
}

TEST_F(CredsSelectorsTest, CapabilityChangeIsPostedOnceAfterItHappens) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SYS_ADMIN to drop)";
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    const std::string drop = "dropcap:" + std::to_string(kCapSysAdmin);
    // In CAP_SYS_ADMIN: nothing changed at the first open; the drop is seen at the next
    // one; the baseline then follows, so the third open is quiet again.
    steps(*stream.value(), {open_step("chg-1"), drop, open_step("chg-2"), open_step("chg-3")});
    // NotIn CAP_NET_RAW: a change outside CAP_NET_RAW (CAP_SYS_ADMIN) matches.
    steps(*stream.value(), {open_step("chgn-1"), drop, open_step("chgn-2"), open_step("chgn-3")});
    // In CAP_NET_RAW: dropping CAP_SYS_ADMIN is not a change it watches.
    steps(*stream.value(), {open_step("chgr-1"), drop, open_step("chgr-2")});
    auto seen = posted_paths(*stream.value(), "kt-cap-changes");
    EXPECT_EQ(seen.count(path("chg-1")), 0u) << "no change yet";
    EXPECT_EQ(seen[path("chg-2")], 1) << "the first call after CAP_SYS_ADMIN left the effective set";
    EXPECT_EQ(seen.count(path("chg-3")), 0u) << "the same change posted twice";
    EXPECT_EQ(seen.count(path("chgn-1")), 0u);
    EXPECT_EQ(seen[path("chgn-2")], 1) << "NotIn CAP_NET_RAW with CAP_SYS_ADMIN changed";
    EXPECT_EQ(seen.count(path("chgn-3")), 0u);
    EXPECT_EQ(seen.count(path("chgr-1")), 0u);
    EXPECT_EQ(seen.count(path("chgr-2")), 0u) << "In CAP_NET_RAW matched a CAP_SYS_ADMIN change";
}

TEST_F(CredsSelectorsTest, NamespaceChangeIsPostedOnceAfterItHappens) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (unshare CLONE_NEWUTS)";
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    steps(*stream.value(), {open_step("nsc-1"), "unshare-uts", open_step("nsc-2"), open_step("nsc-3")});
    // NotIn Uts: a UTS change is the one kind it ignores.
    steps(*stream.value(), {open_step("nscn-1"), "unshare-uts", open_step("nscn-2")});
    auto seen = posted_paths(*stream.value(), "kt-ns-changes");
    EXPECT_EQ(seen.count(path("nsc-1")), 0u) << "no change yet";
    EXPECT_EQ(seen[path("nsc-2")], 1) << "the first call after entering a new UTS namespace";
    EXPECT_EQ(seen.count(path("nsc-3")), 0u) << "the same change posted twice";
    EXPECT_EQ(seen.count(path("nscn-1")), 0u);
    EXPECT_EQ(seen.count(path("nscn-2")), 0u) << "NotIn Uts matched a UTS change";
}

// A process that started before vigild: its baseline comes from vigild's /proc
// scan (without one, a *Changes selector never matches it).
class CredsSeededTest : public CredsSelectorsTest {
protected:
    void SetUp() override {
        fifo_ = path("go");
        ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0) << std::strerror(errno);
        write_file(path("chg-1"), "x");
        // Blocked on the fifo until the agent runs; then drops CAP_SYS_ADMIN and opens.
        auto c = Child::spawn({trigger_path(), "steps", "wait:" + fifo_,
                               "dropcap:" + std::to_string(kCapSysAdmin), open_step("chg-1")});
        ASSERT_TRUE(c.ok()) << c.error();
        early_ = std::move(c.value());
        CredsSelectorsTest::SetUp();
    }
    std::string fifo_;
    Child early_;
};

TEST_F(CredsSeededTest, ProcessOlderThanTheAgentIsComparedWithItsProcBaseline) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SYS_ADMIN to drop)";
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    // O_RDWR never blocks on a fifo: a trigger that died early cannot hang the test.
    const int fd = ::open(fifo_.c_str(), O_RDWR);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    ASSERT_EQ(::write(fd, "g", 1), 1);
    ::close(fd);
    const auto st = early_.wait(kEventTimeout);
    ASSERT_TRUE(st.has_value()) << "the early vigil_trigger did not end";
    ASSERT_EQ(describe_wait_status(*st), "exited 0");
    run_and_drain(*stream.value(), {trigger_path(), "exit", "0"}, trigger_path());
    EXPECT_EQ(posted_paths(*stream.value(), "kt-cap-changes")[path("chg-1")], 1)
        << "the CAP_SYS_ADMIN drop of a process older than vigild was not seen as a change";
}

}  // namespace
}  // namespace vigil::kt
