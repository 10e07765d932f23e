// The model a policy parses into: every hook kind and field lands where the
// compiler will look for it, CRD defaults are applied, and positions are kept.
#include "policy_test_util.h"

namespace vigil::policy {
namespace {

using namespace test;

TEST(PolicyModel, KprobeFieldsAndDefaults) {
    auto r = parse(kprobe(R"(    return: true
    message: "opening a file"
    tags: ["observability.filesystem", "files"]
    ignore:
      callNotFound: true
    args:
    - index: 0
      type: int
      label: dirfd
    - index: 1
      type: "string"
    - index: 2
      type: char_buf
      sizeArgIndex: 3
      returnCopy: true
    returnArg:
      index: 0
      type: int
    returnArgAction: Post
)"));
    EXPECT_CLEAN(r);
    const Policy& p = only(r);
    EXPECT_EQ(p.name, "test");
    EXPECT_EQ(p.kind, PolicyKind::TracingPolicy);
    ASSERT_EQ(p.hook_kind, HookKind::Kprobe);
    ASSERT_EQ(p.hooks.size(), 1u);
    const Hook& h = p.hooks[0];
    EXPECT_EQ(h.call, "sys_openat");
    EXPECT_TRUE(h.syscall) << "syscall defaults to true (CRD default)";
    EXPECT_FALSE(h.syscall_set);
    EXPECT_TRUE(h.return_probe);
    EXPECT_TRUE(h.ignore_call_not_found);
    EXPECT_EQ(h.message, "opening a file");
    EXPECT_EQ(h.tags, (std::vector<std::string>{"observability.filesystem", "files"}));
    ASSERT_EQ(h.args.size(), 3u);
    EXPECT_EQ(h.args[0].type, ArgType::Int);
    EXPECT_EQ(h.args[0].label, "dirfd");
    EXPECT_EQ(h.args[1].type, ArgType::String);
    EXPECT_EQ(h.args[2].type, ArgType::CharBuf);
    EXPECT_EQ(h.args[2].size_arg_index, 3u);
    EXPECT_TRUE(h.args[2].return_copy);
    ASSERT_TRUE(h.return_arg);
    EXPECT_EQ(h.return_arg->type, ArgType::Int);
    EXPECT_EQ(h.return_arg_action, ActionKind::Post);
}

TEST(PolicyModel, SyscallFalseIsKeptAndRecorded) {
    auto r = parse(kprobe("    syscall: false\n", "fd_install"));
    EXPECT_CLEAN(r);
    EXPECT_FALSE(only(r).hooks[0].syscall);
    EXPECT_TRUE(only(r).hooks[0].syscall_set);
}

TEST(PolicyModel, SourcePositionsPointAtTheNode) {
    auto r = parse(kprobe(R"(    args:
    - index: 1
      type: string
    selectors:
    - matchArgs:
      - index: 1
        operator: Prefix
        values: ["/etc/"]
)"));
    EXPECT_CLEAN(r);
    const Hook& h = only(r).hooks[0];
    EXPECT_EQ(h.pos.file, "test.yaml");
    EXPECT_EQ(h.pos.line, 7u);
    EXPECT_EQ(h.pos.column, 5u);
    EXPECT_EQ(h.pos.path, "spec.kprobes[0]");
    const MatchArg& m = h.selectors[0].match_args[0];
    EXPECT_EQ(m.pos.path, "spec.kprobes[0].selectors[0].matchArgs[0]");
    EXPECT_EQ(m.pos.line, 13u);
    EXPECT_EQ(m.op_pos.line, 14u);
    EXPECT_EQ(m.op_pos.column, 19u);
    ASSERT_EQ(m.value_pos.size(), 1u);
    EXPECT_EQ(m.value_pos[0].path, "spec.kprobes[0].selectors[0].matchArgs[0].values[0]");
    EXPECT_EQ(m.position, 0);
    EXPECT_EQ(m.arg_type, ArgType::String);
    EXPECT_EQ(m.strings, std::vector<std::string>{"/etc/"});
}

TEST(PolicyModel, FentriesShareTheKprobeSchema) {
    auto r = parse(policy(R"(  fentries:
  - call: security_file_open
    syscall: false
    args:
    - index: 0
      type: file
)"));
    EXPECT_CLEAN(r);
    EXPECT_EQ(only(r).hook_kind, HookKind::Fentry);
    EXPECT_EQ(only(r).hooks[0].kind, HookKind::Fentry);
}

TEST(PolicyModel, TracepointsUprobesUsdtsLsmhooks) {
    auto tp = parse(policy(R"(  tracepoints:
  - subsystem: raw_syscalls
    event: sys_enter
    raw: true
    args:
    - index: 4
      type: syscall64
)"));
    EXPECT_CLEAN(tp);
    EXPECT_EQ(only(tp).hooks[0].subsystem, "raw_syscalls");
    EXPECT_EQ(only(tp).hooks[0].event, "sys_enter");
    EXPECT_TRUE(only(tp).hooks[0].raw);

    auto up = parse(policy(R"(  uprobes:
  - path: /bin/bash
    symbols: [readline, main]
    refCtrOffsets: [0x10, 0x20]
    btfPath: /sys/kernel/btf/vmlinux
    binaryDigests: ["sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]
    ignore:
      digestVerificationFailure: true
    return: true
    returnArg: {index: 0, type: int}
)"));
    EXPECT_CLEAN(up);
    const Hook& u = only(up).hooks[0];
    EXPECT_EQ(u.path, "/bin/bash");
    EXPECT_EQ(u.symbols, (std::vector<std::string>{"readline", "main"}));
    EXPECT_EQ(u.ref_ctr_offsets, (std::vector<uint64_t>{16, 32}));
    EXPECT_TRUE(u.ignore_digest_verification_failure);
    EXPECT_EQ(u.binary_digests.size(), 1u);

    auto usdt = parse(policy(R"(  usdts:
  - path: /usr/bin/app
    provider: app
    name: probe1
    args:
    - index: 0
      type: int32
)"));
    EXPECT_CLEAN(usdt);
    EXPECT_EQ(only(usdt).hooks[0].provider, "app");
    EXPECT_EQ(only(usdt).hooks[0].name, "probe1");

    auto lsm = parse(policy(R"(  lsmhooks:
  - hook: file_open
    args:
    - index: 0
      type: file
)"));
    EXPECT_CLEAN(lsm);
    EXPECT_EQ(only(lsm).hooks[0].hook, "file_open");
}

TEST(PolicyModel, DataEntriesAndResolve) {
    auto r = parse(kprobe(R"(    syscall: false
    args:
    - index: 0
      type: string
      resolve: "mm.owner.real_parent.comm"
    data:
    - index: 0
      type: string
      source: current_task
      resolve: "comm"
    - index: 0
      type: uint64
      source: pt_regs
      resolve: rax
    - index: 0
      type: int
      source: current_task
      resolve: "files.fdt.fd[3].f_flags"
)",
                          "do_sys_open"));
    EXPECT_CLEAN(r);
    const Hook& h = only(r).hooks[0];
    EXPECT_EQ(h.args[0].resolve_path, (std::vector<std::string>{"mm", "owner", "real_parent", "comm"}));
    ASSERT_EQ(h.data.size(), 3u);
    EXPECT_EQ(h.data[0].source, ArgSource::CurrentTask);
    EXPECT_EQ(h.data[1].source, ArgSource::PtRegs);
    EXPECT_TRUE(h.data[1].resolve_path.empty()) << "a register name is not a BTF path";
    EXPECT_EQ(h.data[2].resolve_path, (std::vector<std::string>{"files", "fdt", "fd", "[3]", "f_flags"}));
}

TEST(PolicyModel, SpecLevelSelectorsOptionsAndLoader) {
    auto r = parse(policy(R"(  loader: true
  podSelector:
    matchLabels:
      app: web
    matchExpressions:
    - key: tier
      operator: In
      values: [front]
  containerSelector:
    matchExpressions:
    - key: name
      operator: NotIn
      values: [sidecar]
  hostSelector: {}
  nodeSelector:
    matchLabels:
      kubernetes.io/arch: amd64
  options:
  - name: disable-kprobe-multi
    value: "true"
  - name: policy-mode
    value: monitor
  - name: override-method
    value: fmod-ret
  - name: sleepable-preload-size
    value: "64"
)"));
    EXPECT_CLEAN(r);
    const Policy& p = only(r);
    EXPECT_TRUE(p.loader);
    ASSERT_TRUE(p.pod_selector);
    EXPECT_EQ(p.pod_selector->match_labels.at("app"), "web");
    ASSERT_EQ(p.pod_selector->match_expressions.size(), 1u);
    EXPECT_EQ(p.pod_selector->match_expressions[0].values, std::vector<std::string>{"front"});
    ASSERT_TRUE(p.container_selector);
    ASSERT_TRUE(p.host_selector);
    EXPECT_TRUE(p.host_selector->empty());
    ASSERT_TRUE(p.node_selector);
    EXPECT_TRUE(p.parsed_options.disable_kprobe_multi);
    EXPECT_EQ(p.parsed_options.policy_mode, PolicyMode::Monitor);
    EXPECT_EQ(p.parsed_options.override_method, OverrideMethod::FmodRet);
    EXPECT_EQ(p.parsed_options.sleepable_preload_size, 64u);
    EXPECT_EQ(p.options.size(), 4u);
    EXPECT_FALSE(p.hook_kind) << "a policy without hooks is valid (e.g. loader only)";
}

TEST(PolicyModel, NamespacedPolicyKeepsItsNamespace) {
    auto r = parse(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicyNamespaced
metadata:
  name: ns-policy
  namespace: prod
  labels: {team: sec}
  annotations: {note: "x"}
spec:
  kprobes:
  - call: fd_install
    syscall: false
)");
    EXPECT_CLEAN(r);
    EXPECT_EQ(only(r).kind, PolicyKind::TracingPolicyNamespaced);
    EXPECT_EQ(only(r).namespace_, "prod");
    EXPECT_EQ(only(r).labels.at("team"), "sec");
    EXPECT_EQ(only(r).annotations.at("note"), "x");
}

TEST(PolicyModel, MultiDocumentFilesYieldEveryPolicy) {
    const std::string one = policy("  kprobes:\n  - call: fd_install\n    syscall: false\n");
    std::string two = one;
    two.replace(two.find("name: test"), 10, "name: second");
    auto r = parse("---\n" + one + "---\n" + two + "...\n---\n");
    EXPECT_CLEAN(r);
    ASSERT_EQ(r.policies.size(), 2u);
    EXPECT_EQ(r.policies[0].name, "test");
    EXPECT_EQ(r.policies[1].name, "second");
    EXPECT_EQ(r.policies[1].pos.line, 11u);
}

TEST(PolicyModel, BadDocumentDoesNotHideGoodOnes) {
    const std::string good = policy("  kprobes:\n  - call: fd_install\n    syscall: false\n");
    std::string bad = good;
    bad.replace(bad.find("call:"), 5, "cal:");
    auto r = parse(good + "---\n" + bad);
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.policies.size(), 1u) << "the valid first document is still returned";
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].cal", "did you mean 'call'?");
    EXPECT_EQ(r.diagnostics[0].line, 16u);
}

}  // namespace
}  // namespace vigil::policy
