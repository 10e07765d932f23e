// Argument types and fields, and actions with their parameters and the hook
// kinds that allow them.
#include "policy/names.h"
#include "policy_test_util.h"

namespace vigil::policy {
namespace {

using namespace test;

TEST(PolicyTypes, EveryCrdTypeNameParses) {
    for (auto name : arg_type_names()) {
        if (name == "auto" || name == "syscall64") continue;  // not for kprobes
        auto r = parse(kprobe(
            "    syscall: false\n    args:\n    - index: 0\n      type: \"" + std::string(name) + "\"\n",
            "some_function"));
        EXPECT_TRUE(r.ok()) << name << "\n" << dump(r);
        if (!r.policies.empty()) {
            EXPECT_EQ(arg_type_from_name(name), r.policies[0].hooks[0].args[0].type);
        }
    }
}

TEST(PolicyTypes, AliasesShareOneType) {
    EXPECT_EQ(arg_type_from_name("sint32"), ArgType::Int32);
    EXPECT_EQ(arg_type_from_name("int32"), ArgType::Int32);
    EXPECT_EQ(arg_type_from_name("long"), ArgType::Int64);
    EXPECT_EQ(arg_type_from_name("sint64"), ArgType::Int64);
    EXPECT_EQ(arg_type_from_name("ulong"), ArgType::Uint64);
    EXPECT_EQ(arg_type_from_name("sint8"), ArgType::Int8);
    EXPECT_EQ(arg_type_from_name("sint16"), ArgType::Int16);
    EXPECT_FALSE(arg_type_from_name("unsigned long")) << "not in Tetragon's CRD enum";
    EXPECT_FALSE(arg_type_from_name("Int"));
}

TEST(PolicyTypes, TypeIsRequiredOutsideTracepoints) {
    auto r = parse(kprobe("    args:\n    - index: 0\n"));
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].args[0]",
                "'auto' is only available for tracepoint arguments");
    auto tp = parse(
        policy("  tracepoints:\n  - subsystem: sched\n    event: sched_switch\n    args:\n    - index: 3\n"));
    EXPECT_CLEAN(tp);
    EXPECT_EQ(only(tp).hooks[0].args[0].type, ArgType::Auto) << "CRD default";
}

TEST(PolicyTypes, Syscall64IsForTracepoints) {
    auto r = parse(kprobe("    args:\n    - index: 0\n      type: syscall64\n"));
    EXPECT_DIAG(r, Severity::Error, "args[0]", "syscall64 is for tracepoints");
}

TEST(PolicyTypes, ArgumentFieldRules) {
    auto r = parse(kprobe(R"(    args:
    - index: 5
      type: int
    - index: 1
      type: int
      sizeArgIndex: 2
      returnCopy: true
      maxData: true
    - index: 2
      type: char_buf
      sizeArgIndex: 16
    - index: 3
      type: char_buf
      maxData: true
      returnCopy: true
    - index: 4
      type: string
      source: current_task
)"));
    EXPECT_DIAG(r, Severity::Error, "args[0]",
                "argument index 5 is out of range: kprobes read the first 5 arguments");
    EXPECT_DIAG(r, Severity::Warning, "args[1]", "sizeArgIndex is only used by char_buf and char_iovec");
    EXPECT_DIAG(r, Severity::Warning, "args[1]", "returnCopy is only used by char_buf and char_iovec");
    EXPECT_DIAG(r, Severity::Warning, "args[1]", "maxData is only used by char_buf and iov_iter");
    EXPECT_DIAG(r, Severity::Error, "args[2]", "sizeArgIndex 16 is too large (at most 15)");
    EXPECT_DIAG(r, Severity::Error, "args[3]", "maxData cannot be combined with returnCopy");
    EXPECT_DIAG(r, Severity::Error, "args[4].source", "'source' is only allowed in data entries");
}

TEST(PolicyTypes, ResolvePathsAreChecked) {
    for (const char* bad : {"a..b", "a.[1]", "a[1", "a[]", "a]", "a[x]"}) {
        auto r = parse(kprobe(std::string("    args:\n    - index: 0\n      type: int\n      resolve: \"") +
                              bad + "\"\n"));
        EXPECT_DIAG(r, Severity::Error, "args[0].resolve", "invalid resolve path");
    }
}

TEST(PolicyTypes, DataSourcesAndPtRegs) {
    auto r = parse(kprobe(R"(    data:
    - index: 0
      type: uint64
      source: pt_regs
    - index: 0
      type: int
      source: task
)"));
    EXPECT_DIAG(r, Severity::Error, "data[0]", "needs 'resolve' naming the register");
    EXPECT_DIAG(r, Severity::Error, "data[1].source", "unknown source 'task'");
}

TEST(PolicyTypes, ArgsAndDataShareTheFiveSlotBudget) {
    std::string body = "    args:\n";
    for (int i = 0; i < 4; ++i) body += "    - {index: " + std::to_string(i) + ", type: int}\n";
    body +=
        "    data:\n    - {index: 0, type: int, source: current_task, resolve: pid}\n"
        "    - {index: 1, type: int, source: current_task, resolve: tgid}\n";
    auto r = parse(kprobe(body));
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0]", "at most 5 arguments (args and data together), got 6");
}

// --- Actions -------------------------------------------------------------

std::string with_action(const std::string& action_yaml, const std::string& call = "sys_openat",
                        const std::string& extra = "") {
    return kprobe(
        extra + "    args:\n    - {index: 0, type: int}\n    selectors:\n    - matchActions:\n" + action_yaml,
        call);
}

TEST(PolicyActions, EveryActionParsesWithItsParameters) {
    auto r = parse(policy(R"(  enforcers:
  - calls: [sys_openat]
  kprobes:
  - call: sys_openat
    args:
    - {index: 0, type: sock}
    selectors:
    - matchActions:
      - {action: Post, rateLimit: "10s", rateLimitScope: process, kernelStackTrace: true, userStackTrace: true}
      - {action: NoPost}
      - {action: Sigkill}
    - matchActions:
      - {action: Signal, argSig: 10}
      - {action: Override, argError: -1}
      - {action: NotifyEnforcer, argError: -13, argSig: 9}
    - matchActions:
      - {action: TrackSock, argSock: 0}
      - {action: UntrackSock, argSock: 0}
      - {action: CleanupEnforcerNotification}
    - matchActions:
      - {action: GetUrl, argUrl: "http://example.com/x"}
      - {action: DnsLookup, argFqdn: "canary.example.com"}
)"));
    EXPECT_CLEAN(r);
    const auto& sel = only(r).hooks[0].selectors;
    ASSERT_EQ(sel.size(), 4u);
    const Action& post = sel[0].match_actions[0];
    EXPECT_EQ(post.kind, ActionKind::Post);
    EXPECT_EQ(post.rate_limit_ms, 10000u);
    EXPECT_EQ(post.rate_limit_scope, RateLimitScope::Process);
    EXPECT_TRUE(post.kernel_stack_trace);
    EXPECT_TRUE(post.user_stack_trace);
    EXPECT_EQ(sel[1].match_actions[0].arg_sig, 10u);
    EXPECT_EQ(sel[1].match_actions[1].arg_error, -1);
    EXPECT_EQ(sel[1].match_actions[2].kind, ActionKind::NotifyEnforcer);
    EXPECT_EQ(sel[2].match_actions[2].kind, ActionKind::CleanupEnforcerNotification);
    EXPECT_EQ(sel[3].match_actions[0].arg_url, "http://example.com/x");
    EXPECT_EQ(sel[3].match_actions[1].arg_fqdn, "canary.example.com");
}

TEST(PolicyActions, RateLimitForms) {
    auto ms = [](const std::string& v) {
        auto r = parse(with_action("      - {action: Post, rateLimit: \"" + v + "\"}\n"));
        return r.policies.empty() ? 0u : r.policies[0].hooks[0].selectors[0].match_actions[0].rate_limit_ms;
    };
    EXPECT_EQ(ms("5"), 5000u);
    EXPECT_EQ(ms("5s"), 5000u);
    EXPECT_EQ(ms("2m"), 120000u);
    EXPECT_EQ(ms("1h"), 3600000u);
    EXPECT_EQ(ms("4294967295h"), 0xffffffffu) << "capped like Tetragon";
    auto bad = parse(with_action("      - {action: Post, rateLimit: \"1d\"}\n"));
    EXPECT_DIAG(bad, Severity::Error, "matchActions[0].rateLimit", "invalid rateLimit '1d'");
    auto scope = parse(with_action("      - {action: Post, rateLimit: \"1\", rateLimitScope: proces}\n"));
    EXPECT_DIAG(scope, Severity::Error, "rateLimitScope", "did you mean 'process'?");
}

TEST(PolicyActions, PostOnlyParameters) {
    auto r = parse(
        with_action("      - {action: Sigkill, rateLimit: \"1m\", kernelStackTrace: true, imaHash: true}\n"));
    EXPECT_DIAG(r, Severity::Error, "matchActions[0].rateLimit", "only valid with action Post, not Sigkill");
    EXPECT_DIAG(r, Severity::Error, "matchActions[0].kernelStackTrace", "only valid with action Post");
    EXPECT_DIAG(r, Severity::Error, "matchActions[0].imaHash", "only valid with action Post");
    auto scope = parse(with_action("      - {action: Post, rateLimitScope: global}\n"));
    EXPECT_DIAG(scope, Severity::Warning, "rateLimitScope", "no effect without rateLimit");
    auto ima = parse(with_action("      - {action: Post, imaHash: true}\n"));
    EXPECT_DIAG(ima, Severity::Warning, "matchActions[0]", "imaHash works only on lsmhooks");
}

TEST(PolicyActions, IrrelevantParametersAreFlagged) {
    auto r = parse(with_action("      - {action: Sigkill, argError: -1, argUrl: x}\n"));
    EXPECT_TRUE(r.ok()) << dump(r);
    EXPECT_DIAG(r, Severity::Warning, "matchActions[0].argError",
                "'argError' has no effect on action Sigkill");
    EXPECT_DIAG(r, Severity::Warning, "matchActions[0].argUrl", "has no effect on action Sigkill");
}

TEST(PolicyActions, RemovedAndMisspeltActions) {
    auto r = parse(with_action("      - {action: FollowFD, argFd: 0, argName: 1}\n"));
    EXPECT_DIAG(r, Severity::Error, "matchActions[0].action", "'FollowFD' was removed from Tetragon");
    auto typo = parse(with_action("      - {action: Overide}\n"));
    EXPECT_DIAG(typo, Severity::Error, "matchActions[0].action", "did you mean 'Override'?");
}

TEST(PolicyActions, OverrideNeedsASyscallOrSecurityHook) {
    EXPECT_CLEAN(parse(with_action("      - {action: Override, argError: -1}\n")));
    EXPECT_CLEAN(parse(with_action("      - {action: Override, argError: -1}\n", "security_file_open",
                                   "    syscall: false\n")));
    auto r = parse(
        with_action("      - {action: Override, argError: -1}\n", "fd_install", "    syscall: false\n"));
    EXPECT_DIAG(r, Severity::Error, "matchActions[0]",
                "Override works only on syscalls (syscall: true) and security_*");
    auto regs = parse(with_action("      - {action: Override, argRegs: [\"rax=1\"]}\n"));
    EXPECT_DIAG(regs, Severity::Error, "matchActions[0]", "only for uprobes");
}

TEST(PolicyActions, HookKindRestrictions) {
    auto fentry = parse(policy(R"(  fentries:
  - call: sys_openat
    selectors:
    - matchActions: [{action: Sigkill}]
)"));
    EXPECT_DIAG(fentry, Severity::Error, "matchActions[0]", "fentries cannot enforce");
    auto tp = parse(policy(R"(  tracepoints:
  - subsystem: raw_syscalls
    event: sys_enter
    selectors:
    - matchActions: [{action: Override, argError: -1}]
)"));
    EXPECT_DIAG(tp, Severity::Error, "matchActions[0]", "use NotifyEnforcer with spec.enforcers");
    auto notify = parse(with_action("      - {action: NotifyEnforcer, argError: -1}\n"));
    EXPECT_DIAG(notify, Severity::Error, "matchActions[0]", "NotifyEnforcer needs an enforcer");
    auto set = parse(with_action("      - {action: Set, argIndex: 0, argValue: 1}\n"));
    EXPECT_DIAG(set, Severity::Error, "matchActions[0]", "Set action is only available on usdts");
    auto url = parse(policy(R"(  uprobes:
  - path: /bin/bash
    symbols: [readline]
    selectors:
    - matchActions: [{action: GetUrl, argUrl: "http://x"}]
)"));
    EXPECT_DIAG(url, Severity::Error, "matchActions[0]", "GetUrl is not available on uprobes");
    auto usdt_set = parse(policy(R"(  usdts:
  - path: /bin/app
    provider: p
    name: n
    args: [{index: 0, type: int32}]
    selectors:
    - matchActions: [{action: Set, argIndex: 3, argValue: 1}]
)"));
    EXPECT_DIAG(usdt_set, Severity::Error, "matchActions[0]", "Set argIndex 3 does not refer to an argument");
}

TEST(PolicyActions, ActionArgumentRequirements) {
    auto r = parse(
        with_action("      - {action: GetUrl}\n      - {action: DnsLookup}\n      - {action: Signal}\n"));
    EXPECT_DIAG(r, Severity::Error, "matchActions[0]", "GetUrl needs argUrl");
    EXPECT_DIAG(r, Severity::Error, "matchActions[1]", "DnsLookup needs argFqdn");
    EXPECT_DIAG(r, Severity::Warning, "matchActions[2]", "Signal without argSig");
    auto sock = parse(with_action("      - {action: TrackSock, argSock: 3}\n"));
    EXPECT_DIAG(sock, Severity::Error, "matchActions[0]", "argSock 3 does not refer to a declared argument");
    auto uprobe = parse(policy(R"(  uprobes:
  - path: /bin/bash
    symbols: [readline]
    selectors:
    - matchActions: [{action: Override, argNewSymbol: x, argNewAddr: 0x10}]
)"));
    EXPECT_DIAG(uprobe, Severity::Error, "matchActions[0]",
                "at most one of argNewSymbol, argNewAddr and argNewOffset");
}

TEST(PolicyActions, ReturnArgActionValues) {
    auto ok =
        parse(kprobe("    syscall: false\n    return: true\n    returnArg: {index: 0, type: sock}\n"
                     "    returnArgAction: TrackSock\n",
                     "sk_alloc"));
    EXPECT_CLEAN(ok);
    EXPECT_EQ(only(ok).hooks[0].return_arg_action, ActionKind::TrackSock);
    auto bad = parse(
        kprobe("    return: true\n    returnArg: {index: 0, type: int}\n    returnArgAction: Sigkill\n"));
    EXPECT_DIAG(bad, Severity::Error, "returnArgAction", "returnArgAction 'Sigkill' is not allowed");
}

}  // namespace
}  // namespace vigil::policy
