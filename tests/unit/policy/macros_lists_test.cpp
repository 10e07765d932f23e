// Selector macros, lists and their references, enforcers and options.
#include "policy_test_util.h"

namespace vigil::policy {
namespace {

using namespace test;

TEST(PolicyMacros, MacrosAreSplicedIntoSelectors) {
    auto r = parse(policy(R"(  selectorsMacros:
    not-init:
      matchPIDs:
      - {operator: NotIn, values: [1], isNamespacePID: true}
    kill:
      matchActions:
      - {action: Sigkill}
  kprobes:
  - call: sys_openat
    args: [{index: 1, type: string}]
    selectors:
    - macros: [not-init, kill]
      matchArgs:
      - {index: 1, operator: Equal, values: ["/etc/shadow"]}
)"));
    EXPECT_CLEAN(r);
    const Selector& s = only(r).hooks[0].selectors[0];
    EXPECT_EQ(s.macros, (std::vector<std::string>{"not-init", "kill"}));
    ASSERT_EQ(s.match_pids.size(), 1u);
    EXPECT_EQ(s.match_pids[0].pos.path, "spec.selectorsMacros.not-init.matchPIDs[0]")
        << "spliced entries keep the macro's position";
    ASSERT_EQ(s.match_actions.size(), 1u);
    EXPECT_EQ(s.match_actions[0].kind, ActionKind::Sigkill);
    EXPECT_EQ(s.match_args.size(), 1u);
    EXPECT_EQ(only(r).selectors_macros.size(), 2u);
}

TEST(PolicyMacros, MacroArgumentFiltersAreCheckedPerHook) {
    auto r = parse(policy(R"(  selectorsMacros:
    etc:
      matchArgs:
      - {index: 0, operator: Prefix, values: ["/etc"]}
  kprobes:
  - call: security_file_open
    syscall: false
    args: [{index: 0, type: file}]
    selectors: [{macros: [etc]}]
  - call: security_task_kill
    syscall: false
    args: [{index: 0, type: int}]
    selectors: [{macros: [etc]}]
)"));
    EXPECT_DIAG(r, Severity::Error, "spec.selectorsMacros.etc.matchArgs[0].operator",
                "needs a string-like argument");
    EXPECT_EQ(count(r, Severity::Error), 1u) << dump(r);
}

TEST(PolicyMacros, MacroErrors) {
    auto r = parse(policy(R"(  selectorsMacros:
    a:
      matchActions: [{action: Post}]
    b:
      matchActions: [{action: NoPost}]
    nested:
      macros: [a]
  kprobes:
  - call: sys_openat
    selectors:
    - macros: [a, b]
    - macros: [c]
      matchActions: [{action: Post}]
    - macros: [a]
      matchActions: [{action: Sigkill}]
)"));
    EXPECT_DIAG(r, Severity::Error, "spec.selectorsMacros.nested", "a macro cannot use other macros");
    EXPECT_DIAG(r, Severity::Error, "selectors[0]", "'matchActions' is set both by macro 'b'");
    EXPECT_DIAG(r, Severity::Error, "selectors[1].macros[0]",
                "macro 'c' is not defined in spec.selectorsMacros; did you mean 'a'?");
    EXPECT_DIAG(r, Severity::Error, "selectors[2]", "'matchActions' is set both by macro 'a'");
    auto none = parse(kprobe("    selectors: [{macros: [x]}]\n"));
    EXPECT_DIAG(none, Severity::Error, "macros[0]", "the policy defines no macros");
}

TEST(PolicyLists, ListsParseAndResolve) {
    auto r = parse(policy(R"(  lists:
  - name: dups
    type: syscalls
    values: [sys_dup, sys_dup2, "i386/sys_dup"]
  - name: all
    type: generated_syscalls
  - name: ksys
    type: generated_ftrace
    pattern: "^ksys_*"
  - name: plain
    values: [fd_install]
  enforcers:
  - calls: ["list:dups"]
  kprobes:
  - call: "list:dups"
    syscall: false
    selectors:
    - matchActions: [{action: NotifyEnforcer, argError: -1}]
)"));
    EXPECT_TRUE(r.ok()) << dump(r);
    EXPECT_DIAG(r, Severity::Warning, "spec.kprobes[0]", "syscall: false is overridden");
    const Policy& p = only(r);
    ASSERT_EQ(p.lists.size(), 4u);
    EXPECT_EQ(p.lists[0].type, ListType::Syscalls);
    EXPECT_EQ(p.lists[1].type, ListType::GeneratedSyscalls);
    EXPECT_EQ(p.lists[2].type, ListType::GeneratedFtrace);
    EXPECT_EQ(p.lists[2].pattern, "^ksys_*");
    EXPECT_EQ(p.lists[3].type, ListType::Plain);
    EXPECT_TRUE(p.hooks[0].syscall) << "syscall lists force syscall mode";
    EXPECT_EQ(p.enforcers[0].calls, std::vector<std::string>{"list:dups"});
}

TEST(PolicyLists, ListErrors) {
    auto r = parse(policy(R"(  lists:
  - name: a
    type: syscall
    values: [sys_dup]
  - name: b
    type: generated_ftrace
  - name: c
  - name: a
    values: [x]
  enforcers:
  - calls: ["list:nope"]
  - calls: [sys_dup]
  kprobes:
  - call: "list:aa"
)"));
    EXPECT_DIAG(r, Severity::Error, "spec.lists[0].type", "did you mean 'syscalls'?");
    EXPECT_DIAG(r, Severity::Error, "spec.lists[1]", "needs 'pattern'");
    EXPECT_DIAG(r, Severity::Error, "spec.lists[2]", "list 'c' has no values");
    EXPECT_DIAG(r, Severity::Error, "spec.lists[3].name", "list 'a' is defined twice");
    EXPECT_DIAG(r, Severity::Error, "spec.enforcers[0].calls[0]", "list 'nope' is not defined");
    EXPECT_DIAG(r, Severity::Error, "spec.enforcers[1]", "at most one enforcer");
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0]",
                "list 'aa' is not defined in spec.lists; did you mean 'a'?");
}

TEST(PolicyLists, InMapWithListValues) {
    const std::string base = R"(  lists:
  - {name: dups, type: syscalls, values: [sys_dup]}
  - {name: funcs, values: [fd_install]}
  tracepoints:
  - subsystem: raw_syscalls
    event: sys_enter
    args: [{index: 4, type: syscall64}]
    selectors:
    - matchArgs:
      - index: 0
        operator: InMap
        values: [)";
    auto ok = parse(policy(base + "\"list:dups\", \"100:102\"]\n"));
    EXPECT_CLEAN(ok);
    const MatchArg& m = first_match_arg(ok);
    EXPECT_EQ(m.lists, std::vector<std::string>{"dups"});
    EXPECT_EQ(m.ranges, (std::vector<Range>{{100, 102}}));
    auto missing = parse(policy(base + "\"list:dupz\"]\n"));
    EXPECT_DIAG(missing, Severity::Error, "matchArgs[0].values[0]", "did you mean 'dups'?");
    auto wrong = parse(policy(base + "\"list:funcs\"]\n"));
    EXPECT_DIAG(wrong, Severity::Error, "matchArgs[0].values[0]",
                "must be of type syscalls or generated_syscalls");
}

TEST(PolicyOptions, OptionValuesAreChecked) {
    auto r = parse(policy(R"(  options:
  - {name: disable-kprobe-multi, value: "yes please"}
  - {name: policy-mode, value: enforcing}
  - {name: override-method, value: kprobe}
  - {name: sleepable-preload-size, value: "0"}
  - {name: disable-kprobe-mult, value: "true"}
)"));
    EXPECT_DIAG(r, Severity::Error, "options[0].value", "needs a boolean value");
    EXPECT_DIAG(r, Severity::Error, "options[1].value", "policy-mode must be enforce or monitor");
    EXPECT_DIAG(r, Severity::Error, "options[2].value",
                "override-method must be override-return or fmod-ret");
    EXPECT_DIAG(r, Severity::Error, "options[3].value", "must be a positive integer");
    EXPECT_DIAG(r, Severity::Warning, "options[4].name", "did you mean 'disable-kprobe-multi'?");
}

}  // namespace
}  // namespace vigil::policy
