// The selector compiler's output for the blocks the kernel evaluates since
// issue 5: matchNamespaces (host_ns kept for probe/ to resolve),
// matchBinaries followChildren, matchParentBinaries, matchReturnArgs on the
// return value, and Post rateLimit with its scope; plus what it still refuses.
#include <algorithm>
#include <cstring>

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

TEST(SelectorCompile, CapabilitiesAndChangesBecomeKernelFilters) {
    auto p = plan(openat(
        "    - matchCapabilities:\n"
        "      - {operator: In, values: [CAP_SYS_ADMIN, CAP_NET_RAW], isNamespaceCapability: true}\n"
        "      - {type: Permitted, operator: NotIn, values: [CAP_CHOWN]}\n"
        "      matchCapabilityChanges:\n"
        "      - {type: Inheritable, operator: In, values: [CAP_SETUID]}\n"
        "      matchNamespaceChanges:\n"
        "      - {operator: NotIn, values: [Mnt, net]}\n"));
    ASSERT_TRUE(p.ok()) << errors(p);
    const auto& caps = first(p).caps;
    ASSERT_EQ(caps.size(), 3u);
    EXPECT_EQ(caps[0].op, model::SelOp::kEq);
    EXPECT_EQ(caps[0].set, model::CapSet::kEffective) << "the CRD default";
    EXPECT_TRUE(caps[0].namespace_only);
    EXPECT_FALSE(caps[0].changes);
    EXPECT_EQ(caps[0].mask, (std::uint64_t{1} << 21) | (std::uint64_t{1} << 13));
    EXPECT_EQ(caps[1].op, model::SelOp::kNeq);
    EXPECT_EQ(caps[1].set, model::CapSet::kPermitted);
    EXPECT_EQ(caps[1].mask, std::uint64_t{1} << 0);
    EXPECT_TRUE(caps[2].changes);
    EXPECT_EQ(caps[2].set, model::CapSet::kInheritable);
    EXPECT_EQ(caps[2].mask, std::uint64_t{1} << 7);
    EXPECT_EQ(first(p).ns_changes.op, model::SelOp::kNeq);
    EXPECT_EQ(first(p).ns_changes.mask, (1u << static_cast<unsigned>(model::NsKind::kMnt)) |
                                            (1u << static_cast<unsigned>(model::NsKind::kNet)));
}

TEST(SelectorCompile, MoreThanFourCapabilityEntriesIsRefused) {
    std::string entries;
    for (int i = 0; i < 3; ++i) entries += "      - {operator: In, values: [CAP_SYS_ADMIN]}\n";
    auto p = plan(openat("    - matchCapabilities:\n" + entries + "      matchCapabilityChanges:\n" + entries));
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("spec.kprobes[0].selectors[0].matchCapabilityChanges[1]: unsupported: more than 4 "
                             "matchCapabilities and matchCapabilityChanges entries"),
              std::string::npos)
        << errors(p);
}

// A kprobe on sys_openat whose int argument 0 is matched with `values` under
// `op`; list "dups" is a syscall list. (Tracepoint plans need tracefs, which
// unit tests do not read; the kernel test uses raw_syscalls.)
std::string openat_in_map(const std::string& op, const std::string& values) {
    return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: t\nspec:\n"
           "  lists:\n  - name: dups\n    type: syscalls\n    values: [sys_dup, dup2, __x64_sys_dup3]\n"
           "  kprobes:\n  - call: sys_openat\n    args:\n"
           "    - index: 0\n      type: uint64\n    selectors:\n    - matchArgs:\n      - index: 0\n"
           "        operator: " + op + "\n        values: " + values + "\n";
}

// The 8-byte values of an InMap set, as integers.
std::vector<std::uint64_t> in_map_values(const HookPlan& p, const model::ArgFilter& f) {
    std::vector<std::uint64_t> out;
    for (const auto& v : p.hooks.at(0).spec.selectors.sets.at(static_cast<std::size_t>(f.set)).values) {
        EXPECT_EQ(v.size(), 8u);
        std::uint64_t x = 0;
        std::memcpy(&x, v.data(), std::min<std::size_t>(8, v.size()));
        out.push_back(x);
    }
    return out;
}

TEST(SelectorCompile, InMapExpandsRangesAndSyscallLists) {
    auto p = plan(openat_in_map("InMap", "[\"list:dups\", \"0:2\", \"2\"]"));
    ASSERT_TRUE(p.ok()) << errors(p);
    const auto& f = first(p).args.at(0);
    EXPECT_EQ(f.op, model::SelOp::kInMap);
    EXPECT_TRUE(f.ranges.empty());
    // read 0, write 1, open 2 (once), dup 32, dup2 33, dup3 292: sorted, no duplicates.
    EXPECT_EQ(in_map_values(p, f), (std::vector<std::uint64_t>{0, 1, 2, 32, 33, 292}));
    EXPECT_EQ(p.hooks.at(0).spec.selectors.sets.at(static_cast<std::size_t>(f.set)).kind,
              model::StringSetKind::kExact);
}

TEST(SelectorCompile, NotInMapKeepsTheNegation) {
    auto p = plan(openat_in_map("NotInMap", "[\"59\"]"));
    ASSERT_TRUE(p.ok()) << errors(p);
    EXPECT_EQ(first(p).args.at(0).op, model::SelOp::kNotInMap);
    EXPECT_EQ(in_map_values(p, first(p).args.at(0)), (std::vector<std::uint64_t>{59}));
}

TEST(SelectorCompile, InMapPastTheKernelMapSizeIsRefused) {
    auto at_limit = plan(openat_in_map("InMap", "[\"1:16384\"]"));
    EXPECT_TRUE(at_limit.ok()) << errors(at_limit);
    auto p = plan(openat_in_map("InMap", "[\"1:16385\"]"));
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("spec.kprobes[0].selectors[0].matchArgs[0].values: unsupported: more than 16384 "
                             "InMap/NotInMap values"),
              std::string::npos)
        << errors(p);
}

TEST(SelectorCompile, InMapListOfAnUnknownOr32BitSyscallIsRefused) {
    std::string text = openat_in_map("InMap", "[\"list:dups\"]");
    const std::string good = "[sys_dup, dup2, __x64_sys_dup3]";
    auto unknown = plan(std::string(text).replace(text.find(good), good.size(), "[sys_dup, sys_nosuch]"));
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(errors(unknown).find("spec.lists[dups].values: 'sys_nosuch' is not an x86_64 syscall"),
              std::string::npos)
        << errors(unknown);
    auto compat = plan(std::string(text).replace(text.find(good), good.size(), "[i386/sys_dup]"));
    ASSERT_FALSE(compat.ok());
    EXPECT_NE(errors(compat).find("32-bit (i386) syscall 'i386/sys_dup'"), std::string::npos) << errors(compat);
}

TEST(SelectorCompile, SeveralMatchPidsEntriesAreKeptInOrder) {
    auto p = plan(openat(
        "    - matchPIDs:\n"
        "      - {operator: NotIn, followForks: true, isNamespacePID: true, values: [1]}\n"
        "      - {operator: In, values: [7, 8]}\n"));
    ASSERT_TRUE(p.ok()) << errors(p);
    const auto& pids = first(p).pids;
    ASSERT_EQ(pids.size(), 2u);
    EXPECT_EQ(pids[0].op, model::SelOp::kNeq);
    EXPECT_TRUE(pids[0].follow_forks);
    EXPECT_TRUE(pids[0].ns_pid);
    EXPECT_EQ(pids[0].pids, std::vector<std::uint32_t>{1});
    EXPECT_EQ(pids[1].op, model::SelOp::kEq);
    EXPECT_FALSE(pids[1].follow_forks);
    EXPECT_EQ(pids[1].pids, (std::vector<std::uint32_t>{7, 8}));
}

TEST(SelectorCompile, MoreThanFourMatchPidsEntriesIsRefused) {
    std::string entries;
    for (int i = 0; i < 5; ++i) entries += "      - {operator: NotIn, values: [" + std::to_string(i + 1) + "]}\n";
    auto p = plan(openat("    - matchPIDs:\n" + entries));
    ASSERT_FALSE(p.ok());
    EXPECT_NE(errors(p).find("selectors[0].matchPIDs[4]: unsupported: more than 4 matchPIDs entries"),
              std::string::npos)
        << errors(p);
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
