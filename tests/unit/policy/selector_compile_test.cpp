// The selector compiler's output for the blocks the kernel evaluates since
// issue 5: matchNamespaces (host_ns kept for probe/ to resolve),
// matchBinaries followChildren, matchParentBinaries, matchReturnArgs on the
// return value, and Post rateLimit with its scope; plus what it still refuses.
#include <gtest/gtest.h>

#include "policy/hook_plan.h"
#include "policy_test_util.h"

namespace vigil::policy {
namespace {

model::KernelFeatures host_like() {
    model::KernelFeatures f;
    f.ring_buffer = f.tracepoint = f.raw_tracepoint = f.uprobe = f.send_signal = f.attach_cookie = true;
    return f;
}

HookPlan plan(const std::string& text) {
    auto r = test::parse(text);
    EXPECT_TRUE(r.ok()) << test::dump(r);
    if (!r.ok() || r.policies.empty()) return {};
    return plan_hooks(r.policies[0], host_like());
}

std::string errors(const HookPlan& p) {
    std::string out;
    for (const auto& e : p.errors) out += e + "\n";
    return out;
}

// The first selector of the only hook, with the plan kept alive by the caller.
const model::CompiledSelector& first(const HookPlan& p) { return p.hooks.at(0).spec.selectors.selectors.at(0); }

// sys_openat with a string argument and `selector` (lines indented for "    - ").
std::string openat(const std::string& selector, const std::string& extra = "") {
    return test::kprobe("    args:\n    - index: 1\n      type: string\n" + extra + "    selectors:\n" + selector);
}

TEST(SelectorCompile, NamespacesKeepKindOperatorAndHostNs) {
    auto p = plan(openat(
        "    - matchNamespaces:\n"
        "      - namespace: Pid\n        operator: NotIn\n        values: [host_ns]\n"
        "      - namespace: Mnt\n        operator: In\n        values: [\"4026531840\", host_ns]\n"
        "      - namespace: User\n        operator: In\n        values: [\"4026531837\"]\n"));
    ASSERT_TRUE(p.ok()) << errors(p);
    const auto& ns = first(p).namespaces;
    ASSERT_EQ(ns.size(), 3u);
    EXPECT_EQ(ns[0].kind, model::NsKind::kPid);
    EXPECT_EQ(ns[0].op, model::SelOp::kNeq);
    ASSERT_EQ(ns[0].values.size(), 1u);
    EXPECT_TRUE(ns[0].values[0].host_ns);
    EXPECT_EQ(ns[1].kind, model::NsKind::kMnt);
    EXPECT_EQ(ns[1].op, model::SelOp::kEq);
    ASSERT_EQ(ns[1].values.size(), 2u);
    EXPECT_FALSE(ns[1].values[0].host_ns);
    EXPECT_EQ(ns[1].values[0].inode, 4026531840u);
    EXPECT_TRUE(ns[1].values[1].host_ns);
    EXPECT_EQ(ns[2].kind, model::NsKind::kUser);
}

TEST(SelectorCompile, NamespaceKindsFollowTheKernelSlotOrder) {
    // abi.h enum vigil_ns_slot: Uts Ipc Mnt Pid PidForChildren Net Time TimeForChildren Cgroup User.
    const std::vector<std::pair<std::string, model::NsKind>> kinds = {
        {"Uts", model::NsKind::kUts},   {"Ipc", model::NsKind::kIpc},
        {"Net", model::NsKind::kNet},   {"Time", model::NsKind::kTime},
        {"Cgroup", model::NsKind::kCgroup}, {"PidForChildren", model::NsKind::kPidForChildren},
    };
    for (const auto& [name, kind] : kinds) {
        auto p = plan(openat("    - matchNamespaces:\n      - namespace: " + name +
                             "\n        operator: In\n        values: [\"1\"]\n"));
        ASSERT_TRUE(p.ok()) << name << ": " << errors(p);
        EXPECT_EQ(first(p).namespaces.at(0).kind, kind) << name;
    }
    EXPECT_EQ(static_cast<int>(model::NsKind::kUser), 9);
}

TEST(SelectorCompile, BinariesFollowChildrenAndParentBinaries) {
    auto p = plan(openat(
        "    - matchBinaries:\n      - operator: In\n        values: [/usr/bin/java]\n        followChildren: true\n"
        "      matchParentBinaries:\n      - operator: Postfix\n        values: [/sh, /bash]\n"));
    ASSERT_TRUE(p.ok()) << errors(p);
    const auto& s = first(p);
    const auto& sets = p.hooks[0].spec.selectors.sets;
    EXPECT_EQ(s.binaries.op, model::SelOp::kEq);
    EXPECT_TRUE(s.binaries.follow_children);
    ASSERT_GE(s.binaries.set, 0);
    EXPECT_EQ(sets.at(s.binaries.set).values, std::vector<std::string>{"/usr/bin/java"});
    EXPECT_EQ(s.parent_binaries.op, model::SelOp::kPostfix);
    EXPECT_FALSE(s.parent_binaries.follow_children);
    ASSERT_GE(s.parent_binaries.set, 0);
    EXPECT_EQ(sets.at(s.parent_binaries.set).kind, model::StringSetKind::kPostfix);
    EXPECT_EQ(sets.at(s.parent_binaries.set).values, (std::vector<std::string>{"/sh", "/bash"}));
}

TEST(SelectorCompile, NotInFollowChildrenKeepsTheNegation) {
    auto p = plan(openat(
        "    - matchBinaries:\n      - operator: NotIn\n        values: [/bin/sh]\n        followChildren: true\n"));
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(first(p).binaries.op, model::SelOp::kNeq);
    EXPECT_TRUE(first(p).binaries.follow_children);
}

const std::string kReturnHook =
    "    return: true\n"
    "    returnArg:\n      index: 0\n      type: int\n";

TEST(SelectorCompile, ReturnArgsBecomeFiltersOnTheReturnValue) {
    auto p = plan(openat(
        "    - matchArgs:\n      - index: 1\n        operator: Prefix\n        values: [/etc/]\n"
        "      matchReturnArgs:\n      - index: 0\n        operator: LT\n        values: [\"0\"]\n"
        "      - index: 0\n        operator: NotInRange\n        values: [\"-13:-13\"]\n",
        kReturnHook));
    ASSERT_TRUE(p.ok()) << errors(p);
    const auto& args = first(p).args;
    ASSERT_EQ(args.size(), 3u);
    EXPECT_EQ(args[0].pos, 0u) << "matchArgs on the first captured argument";
    EXPECT_EQ(args[1].pos, model::kReturnValuePos);
    EXPECT_EQ(args[1].op, model::SelOp::kLt);
    EXPECT_TRUE(args[1].is_signed);
    ASSERT_EQ(args[1].ranges.size(), 1u);
    EXPECT_EQ(args[1].ranges[0].min, 0u);
    EXPECT_EQ(args[2].pos, model::kReturnValuePos);
    EXPECT_EQ(args[2].op, model::SelOp::kNeq);
    ASSERT_EQ(args[2].ranges.size(), 1u);
    EXPECT_EQ(static_cast<std::int64_t>(args[2].ranges[0].min), -13);
    EXPECT_EQ(static_cast<std::int64_t>(args[2].ranges[0].max), -13);
}

TEST(SelectorCompile, ReturnArgsWithoutReturnProbeAreIgnored) {
    auto r = test::parse(openat("    - matchReturnArgs:\n      - index: 0\n        operator: GT\n        values: [\"0\"]\n",
                                "    returnArg:\n      index: 0\n      type: int\n"));
    ASSERT_FALSE(r.policies.empty()) << test::dump(r);
    auto p = plan_hooks(r.policies[0], host_like());
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_TRUE(first(p).args.empty());
}

TEST(SelectorCompile, MoreThanFiveArgAndReturnFiltersIsRefused) {
    std::string sel = "    - matchArgs:\n";
    for (int i = 0; i < 3; ++i) sel += "      - index: 1\n        operator: Prefix\n        values: [/x" + std::to_string(i) + "]\n";
    sel += "      matchReturnArgs:\n";
    for (int i = 0; i < 3; ++i) sel += "      - index: 0\n        operator: GT\n        values: [\"" + std::to_string(i) + "\"]\n";
    auto p = plan(openat(sel, kReturnHook));
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("selectors[0]: unsupported: more than 5 matchArgs and matchReturnArgs"),
              std::string::npos)
        << errors(p);
}

TEST(SelectorCompile, PostRateLimitAndScope) {
    struct Case {
        std::string scope;
        model::RateScope want;
    };
    for (const auto& c : std::vector<Case>{{"", model::RateScope::kThread},
                                           {"    rateLimitScope: process\n", model::RateScope::kProcess},
                                           {"    rateLimitScope: global\n", model::RateScope::kGlobal}}) {
        std::string scope = c.scope.empty() ? "" : "    " + c.scope;
        auto p = plan(openat("    - matchActions:\n      - action: Post\n        rateLimit: \"1m\"\n" + scope));
        ASSERT_TRUE(p.ok()) << c.scope << errors(p);
        EXPECT_EQ(first(p).rate_limit_ms, 60000u) << c.scope;
        EXPECT_EQ(first(p).rate_scope, c.want) << c.scope;
        ASSERT_EQ(first(p).actions.size(), 1u);
        EXPECT_EQ(first(p).actions[0].kind, model::ActionKind::kPost);
    }
    auto none = plan(openat("    - matchActions:\n      - action: Post\n"));
    ASSERT_TRUE(none.ok()) << errors(none);
    EXPECT_EQ(first(none).rate_limit_ms, 0u);
}

TEST(SelectorCompile, StackTracesAreStillRefusedWithTheirLocation) {
    auto p = plan(openat("    - matchActions:\n      - action: Post\n        kernelStackTrace: true\n"));
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("spec.kprobes[0].selectors[0].matchActions[0]: unsupported: stack traces"),
              std::string::npos)
        << errors(p);
}

}  // namespace
}  // namespace vigil::policy
