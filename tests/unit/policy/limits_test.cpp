// Tetragon's limits, each at its boundary, and the structural rules between
// blocks (index resolution, return probes, hook sections, namespaced policies).
#include "policy_test_util.h"

namespace vigil::policy {
namespace {

using namespace test;

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

TEST(PolicyLimits, FiveSelectorsPerHook) {
    const std::string sel = "    - matchPIDs: [{operator: In, values: [1]}]\n";
    EXPECT_CLEAN(parse(kprobe("    selectors:\n" + repeat(sel, 5))));
    auto r = parse(kprobe("    selectors:\n" + repeat(sel, 6)));
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].selectors[5]", "at most 5 selectors, got 6");
}

TEST(PolicyLimits, ThreeActionsPerSelector) {
    const std::string act = "      - {action: Post}\n";
    EXPECT_CLEAN(parse(kprobe("    selectors:\n    - matchActions:\n" + repeat(act, 3))));
    auto r = parse(kprobe("    selectors:\n    - matchActions:\n" + repeat(act, 4)));
    EXPECT_DIAG(r, Severity::Error, "selectors[0].matchActions[3]", "at most 3 matchActions, got 4");
    auto ret =
        parse(kprobe("    return: true\n    returnArg: {index: 0, type: int}\n"
                     "    selectors:\n    - matchReturnActions:\n" +
                     repeat(act, 4)));
    EXPECT_DIAG(ret, Severity::Error, "matchReturnActions[3]", "at most 3 matchReturnActions");
}

TEST(PolicyLimits, FiveArgumentFiltersCountingMatchData) {
    const std::string args =
        "    args:\n    - {index: 0, type: int}\n"
        "    data:\n    - {index: 0, type: int, source: current_task, resolve: pid}\n";
    const std::string filter = "      - {index: 0, operator: Equal, values: [\"1\"]}\n";
    EXPECT_CLEAN(parse(kprobe(args + "    selectors:\n    - matchArgs:\n" + repeat(filter, 3) +
                              "      matchData:\n" + repeat(filter, 2))));
    auto r = parse(kprobe(args + "    selectors:\n    - matchArgs:\n" + repeat(filter, 3) +
                          "      matchData:\n" + repeat(filter, 3)));
    EXPECT_DIAG(r, Severity::Error, "selectors[0]",
                "at most 5 matchArgs and matchData entries together, got 6");
}

TEST(PolicyLimits, OneMatchBinariesPerSelector) {
    const std::string mb = "      - {operator: In, values: [/bin/a]}\n";
    auto r = parse(kprobe("    selectors:\n    - matchBinaries:\n" + repeat(mb, 2)));
    EXPECT_DIAG(r, Severity::Error, "selectors[0].matchBinaries[1]", "only one matchBinaries entry");
    auto p = parse(kprobe("    selectors:\n    - matchParentBinaries:\n" + repeat(mb, 2)));
    EXPECT_DIAG(p, Severity::Error, "matchParentBinaries[1]", "only one matchParentBinaries entry");
}

TEST(PolicyLimits, MatchBinariesOperatorsAndLengths) {
    auto r = parse(kprobe(R"(    selectors:
    - matchBinaries:
      - operator: Postfix
        values: ["/bash"]
        followChildren: true
    - matchBinaries:
      - operator: NotPrefix
        values: ["/usr/"]
    - matchParentBinaries:
      - operator: NotIn
        values: ["/usr/bin/sshd"]
        followChildren: true
    - matchBinaries:
      - operator: Equal
        values: ["/bin/sh"]
)"));
    EXPECT_DIAG(r, Severity::Error, "selectors[0].matchBinaries[0].followChildren",
                "only with the In and NotIn");
    EXPECT_DIAG(r, Severity::Error, "selectors[3].matchBinaries[0].operator",
                "unknown matchBinaries operator 'Equal'; accepted: In, NotIn, Prefix, NotPrefix, Postfix, "
                "NotPostfix");
    EXPECT_EQ(r.diagnostics.size(), 2u) << dump(r);
    auto len =
        parse(kprobe("    selectors:\n    - matchBinaries:\n      - operator: In\n        values: [\"/" +
                     std::string(255, 'a') + "\"]\n"));
    EXPECT_DIAG(len, Severity::Error, "matchBinaries[0].values[0]", "accepts at most 255");
}

TEST(PolicyLimits, PidsNamespacesAndCapabilities) {
    auto r = parse(kprobe(R"(    selectors:
    - matchPIDs:
      - {operator: NotIn, values: [1, 2, 3, 4, 5], isNamespacePID: true, followForks: true}
      matchNamespaces:
      - {namespace: Pid, operator: In, values: [host_ns, "1", "2", "3", "4"]}
      - {namespace: Mnt, operator: NotIn, values: [container]}
      matchNamespaceChanges:
      - {operator: In, values: [Mnt]}
      - {operator: In, values: [Pid]}
)"));
    EXPECT_DIAG(r, Severity::Error, "matchPIDs[0]", "at most 4 values per entry, got 5");
    EXPECT_DIAG(r, Severity::Error, "matchNamespaces[0].values", "at most 4 values per entry, got 5");
    EXPECT_DIAG(r, Severity::Error, "matchNamespaces[1].values[0]", "neither an inode number");
    EXPECT_DIAG(r, Severity::Error, "matchNamespaceChanges[1]", "only one matchNamespaceChanges entry");

    std::string ns;
    const char* kinds[] = {"Uts",    "Ipc",  "Mnt", "Pid", "PidForChildren", "Net", "Time", "TimeForChildren",
                           "Cgroup", "User", "Uts"};
    for (const char* k : kinds)
        ns += std::string("      - {namespace: ") + k + ", operator: In, values: [host_ns]}\n";
    auto eleven = parse(kprobe("    selectors:\n    - matchNamespaces:\n" + ns));
    EXPECT_DIAG(eleven, Severity::Error, "matchNamespaces[10]", "at most 10 matchNamespaces entries");
}

TEST(PolicyLimits, SelectorBlocksParseIntoTheModel) {
    auto r = parse(kprobe(R"(    selectors:
    - label: sel-a
      matchPIDs:
      - {operator: NotIn, values: [0, 1], isNamespacePID: true, followForks: true}
      matchNamespaces:
      - {namespace: Net, operator: NotIn, values: [host_ns, "4026531840"]}
      matchNamespaceChanges:
      - {operator: In, values: [mnt, Pid]}
      matchCapabilities:
      - {operator: In, values: [CAP_SYS_ADMIN, cap_net_raw], isNamespaceCapability: true}
      matchCapabilityChanges:
      - {type: Permitted, operator: NotIn, values: [DAC_OVERRIDE]}
      matchWorkloads:
      - podSelector: {matchLabels: {app: x}}
)"));
    EXPECT_CLEAN(r);
    const Selector& s = only(r).hooks[0].selectors[0];
    EXPECT_EQ(s.label, "sel-a");
    EXPECT_EQ(s.match_pids[0].op, Operator::NotIn);
    EXPECT_EQ(s.match_pids[0].values, (std::vector<uint32_t>{0, 1}));
    EXPECT_TRUE(s.match_pids[0].is_namespace_pid);
    EXPECT_TRUE(s.match_pids[0].follow_forks);
    EXPECT_EQ(s.match_namespaces[0].ns, NamespaceKind::Net);
    EXPECT_TRUE(s.match_namespaces[0].values[0].host_ns);
    EXPECT_EQ(s.match_namespaces[0].values[1].inode, 4026531840u);
    EXPECT_EQ(s.match_namespace_changes[0].mask, (1u << 2) | (1u << 3));
    EXPECT_EQ(s.match_capabilities[0].type, CapSet::Effective) << "CRD default";
    EXPECT_EQ(s.match_capabilities[0].mask, (uint64_t{1} << 21) | (uint64_t{1} << 13));
    EXPECT_TRUE(s.match_capabilities[0].is_namespace_capability);
    EXPECT_EQ(s.match_capability_changes[0].type, CapSet::Permitted);
    EXPECT_EQ(s.match_capability_changes[0].mask, uint64_t{1} << 1);
    ASSERT_EQ(s.match_workloads.size(), 1u);
    EXPECT_TRUE(s.match_workloads[0].pod_selector);
}

TEST(PolicyLimits, CapDacOverrideIsSpelledWithoutPrefix) {
    auto r = parse(
        kprobe("    selectors:\n    - matchCapabilities: [{operator: In, values: [CAP_DAC_OVERRIDE]}]\n"));
    EXPECT_DIAG(r, Severity::Error, "matchCapabilities[0].values[0]", "spells capability 1 'DAC_OVERRIDE'");
}

TEST(PolicyLimits, MessageAndTags) {
    EXPECT_CLEAN(parse(kprobe("    message: \"" + std::string(256, 'm') + "\"\n")));
    auto longer = parse(kprobe("    message: \"" + std::string(300, 'm') + "\"\n"));
    EXPECT_TRUE(longer.ok());
    EXPECT_DIAG(longer, Severity::Warning, "spec.kprobes[0].message", "only the first 256 are kept");
    EXPECT_EQ(only(longer).hooks[0].message.size(), 256u);
    auto short_msg = parse(kprobe("    message: \"x\"\n"));
    EXPECT_DIAG(short_msg, Severity::Error, "message", "at least 2 characters");
    std::string tags = "    tags: [";
    for (int i = 0; i < 17; ++i) tags += std::string(i ? ", " : "") + "tag" + std::to_string(i);
    auto many = parse(kprobe(tags + "]\n"));
    EXPECT_DIAG(many, Severity::Error, "spec.kprobes[0].tags", "at most 16 tags are allowed, got 17");
    auto tiny = parse(kprobe("    tags: [ok, x]\n"));
    EXPECT_DIAG(tiny, Severity::Error, "tags[1]", "at least 2 characters");
}

TEST(PolicyLimits, IndexResolution) {
    auto r = parse(kprobe(R"(    args:
    - {index: 1, type: string}
    - {index: 3, type: int}
    selectors:
    - matchArgs:
      - {index: 3, operator: Equal, values: ["1"]}
      - {args: [0], operator: Prefix, values: ["/etc"]}
      - {index: 2, operator: Equal, values: ["1"]}
      - {args: [2], operator: Equal, values: ["1"]}
)"));
    EXPECT_DIAG(r, Severity::Error, "matchArgs[2]",
                "index 2 does not refer to any declared argument (declared indexes: 1, 3)");
    EXPECT_DIAG(r, Severity::Error, "matchArgs[3].args[0]",
                "args[0] = 2 is out of range: the hook has 2 arguments");
    const std::string ok = kprobe(R"(    args:
    - {index: 1, type: string}
    - {index: 3, type: int}
    selectors:
    - matchArgs:
      - {index: 3, operator: Equal, values: ["1"]}
      - {args: [0], operator: Prefix, values: ["/etc"]}
)");
    auto good = parse(ok);
    EXPECT_CLEAN(good);
    EXPECT_EQ(only(good).hooks[0].selectors[0].match_args[0].position, 1);
    EXPECT_EQ(only(good).hooks[0].selectors[0].match_args[1].position, 0);
    auto none =
        parse(kprobe("    selectors:\n    - matchArgs: [{index: 0, operator: Equal, values: [\"1\"]}]\n"));
    EXPECT_DIAG(none, Severity::Error, "matchArgs[0]", "the hook declares no arguments to filter on");
    auto data =
        parse(kprobe("    data:\n    - {index: 0, type: int, source: current_task, resolve: pid}\n"
                     "    selectors:\n    - matchData: [{index: 1, operator: Equal, values: [\"1\"]}]\n"));
    EXPECT_DIAG(data, Severity::Error, "matchData[0]",
                "matchData index 1 is out of range: the hook has 1 data entries");
}

TEST(PolicyLimits, TracepointFiltersMayUseTheArgumentPosition) {
    auto r = parse(policy(R"(  tracepoints:
  - subsystem: raw_syscalls
    event: sys_enter
    args:
    - {index: 4, type: uint64}
    selectors:
    - matchArgs:
      - {index: 0, operator: Equal, values: ["59"]}
      - {index: 4, operator: Equal, values: ["59"]}
)"));
    EXPECT_CLEAN(r);
    EXPECT_EQ(only(r).hooks[0].selectors[0].match_args[0].position, 0);
    EXPECT_EQ(only(r).hooks[0].selectors[0].match_args[1].position, 0);
}

TEST(PolicyLimits, ReturnProbeRules) {
    auto missing = parse(kprobe("    return: true\n"));
    EXPECT_DIAG(missing, Severity::Error, "spec.kprobes[0]", "return: true needs returnArg");
    auto unused = parse(kprobe("    returnArg: {index: 0, type: int}\n"));
    EXPECT_DIAG(unused, Severity::Warning, "returnArg", "ignored without return: true");
    auto ret_filter = parse(kprobe(R"(    return: true
    returnArg: {index: 0, type: int}
    selectors:
    - matchReturnArgs:
      - {index: 0, operator: GT, values: ["0"]}
      - {index: 1, operator: Equal, values: ["0"]}
      matchReturnActions: [{action: Post}]
)"));
    EXPECT_DIAG(ret_filter, Severity::Error, "matchReturnArgs[1]",
                "index 1 does not refer to any return argument");
    auto no_return =
        parse(kprobe("    returnArg: {index: 0, type: int}\n    selectors:\n"
                     "    - matchReturnArgs: [{index: 0, operator: Equal, values: [\"0\"]}]\n"));
    EXPECT_DIAG(no_return, Severity::Warning, "selectors[0]", "ignored without 'return: true'");
    auto lsm =
        parse(policy("  lsmhooks:\n  - hook: file_open\n    selectors:\n"
                     "    - matchReturnActions: [{action: Post}]\n"));
    EXPECT_DIAG(lsm, Severity::Error, "selectors[0]", "lsmhooks have no return probe");
    auto field = parse(policy("  lsmhooks:\n  - hook: file_open\n    return: true\n"));
    EXPECT_DIAG(field, Severity::Error, "lsmhooks[0].return", "unknown field 'return' in an lsm hook");
}

TEST(PolicyLimits, OneHookSectionPerPolicy) {
    auto r =
        parse(policy("  kprobes:\n  - call: fd_install\n    syscall: false\n"
                     "  tracepoints:\n  - subsystem: a\n    event: b\n"));
    EXPECT_DIAG(r, Severity::Error, "spec.tracepoints", "only one hook section; it already has 'kprobes'");
    EXPECT_CLEAN(parse(policy("  kprobes: []\n  tracepoints:\n  - subsystem: a\n    event: b\n")));
}

TEST(PolicyLimits, UprobeAddressing) {
    auto none = parse(policy("  uprobes:\n  - path: /bin/x\n"));
    EXPECT_DIAG(none, Severity::Error, "spec.uprobes[0]", "exactly one of symbols, offsets or addrs");
    auto two = parse(policy("  uprobes:\n  - path: /bin/x\n    symbols: [a]\n    offsets: [16]\n"));
    EXPECT_DIAG(two, Severity::Error, "spec.uprobes[0]", "exactly one of symbols, offsets or addrs");
    auto ref = parse(policy("  uprobes:\n  - path: /bin/x\n    symbols: [a, b]\n    refCtrOffsets: [1]\n"));
    EXPECT_DIAG(ref, Severity::Error, "spec.uprobes[0]", "refCtrOffsets has 1 entries but there are 2");
    auto digest = parse(
        policy("  uprobes:\n  - path: /bin/x\n    symbols: [a]\n    binaryDigests: [\"sha256:abc\"]\n"));
    EXPECT_DIAG(digest, Severity::Error, "binaryDigests[0]", "invalid binary digest 'sha256:abc'");
}

TEST(PolicyLimits, NamespacedPolicyRestrictions) {
    auto r = parse(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicyNamespaced
metadata: {name: n, namespace: default}
spec:
  hostSelector: {}
  uprobes:
  - path: /bin/bash
    symbols: [readline]
)");
    EXPECT_DIAG(r, Severity::Error, "spec.hostSelector", "cannot select host workloads");
    EXPECT_DIAG(r, Severity::Error, "spec.uprobes[0]",
                "uprobes are not allowed in a TracingPolicyNamespaced");
}

TEST(PolicyLimits, HostSelectorIsNullOrEmpty) {
    EXPECT_CLEAN(parse(policy("  hostSelector: ~\n")));
    auto r = parse(policy("  hostSelector:\n    matchLabels: {a: b}\n"));
    EXPECT_DIAG(r, Severity::Error, "spec.hostSelector", "only null (no host workloads) or {}");
}

TEST(PolicyLimits, LabelSelectorOperators) {
    auto r = parse(policy(R"(  podSelector:
    matchExpressions:
    - {key: a, operator: In}
    - {key: b, operator: Exists, values: [x]}
    - {key: c, operator: Exist}
)"));
    EXPECT_DIAG(r, Severity::Error, "matchExpressions[0]", "operator In needs at least one value");
    EXPECT_DIAG(r, Severity::Error, "matchExpressions[1]", "operator Exists takes no values");
    EXPECT_DIAG(r, Severity::Error, "matchExpressions[2].operator", "did you mean 'Exists'?");
}

}  // namespace
}  // namespace vigil::policy
