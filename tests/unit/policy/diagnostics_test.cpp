// Rejection messages: each names file, line, column and path, says what is
// wrong and what is accepted, and suggests the intended spelling.
#include <cstdio>
#include <fstream>

#include "policy_test_util.h"

namespace vigil::policy {
namespace {

using namespace test;

TEST(PolicyDiagnostics, FormatIsFileLineColumnSeverityPathMessage) {
    Diagnostic d{Severity::Error, "p.yaml", 12, 7, "spec.kprobes[0].call", "missing"};
    EXPECT_EQ(format_diagnostic(d), "p.yaml:12:7: error: spec.kprobes[0].call: missing");
    d.severity = Severity::Warning;
    EXPECT_EQ(format_diagnostic(d), "p.yaml:12:7: warning: spec.kprobes[0].call: missing");
    d.severity = Severity::Unsupported;
    d.message = "unsupported: X";
    EXPECT_EQ(format_diagnostic(d), "p.yaml:12:7: error: spec.kprobes[0].call: unsupported: X");
    d.path.clear();
    d.line = 0;
    EXPECT_EQ(format_diagnostic(d), "p.yaml: error: unsupported: X");
}

TEST(PolicyDiagnostics, MisspeltOperatorHasExactPositionAndSuggestion) {
    auto r = parse(kprobe(R"(    args:
    - index: 1
      type: string
    selectors:
    - matchArgs:
      - index: 1
        operator: Prefx
        values: ["/etc"]
)"));
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
    const Diagnostic& d = r.diagnostics[0];
    EXPECT_EQ(d.file, "test.yaml");
    EXPECT_EQ(d.line, 14u);
    EXPECT_EQ(d.column, 19u);
    EXPECT_EQ(d.path, "spec.kprobes[0].selectors[0].matchArgs[0].operator");
    EXPECT_EQ(d.message, "unknown operator 'Prefx'; did you mean 'Prefix'?");
    EXPECT_EQ(format_diagnostic(d),
              "test.yaml:14:19: error: spec.kprobes[0].selectors[0].matchArgs[0].operator: "
              "unknown operator 'Prefx'; did you mean 'Prefix'?");
    EXPECT_TRUE(r.policies.empty());
}

TEST(PolicyDiagnostics, UnknownKeysAreErrorsWithSuggestions) {
    auto r = parse(kprobe(R"(    sycall: true
    selectors:
    - matchArg: []
      matchBinary: []
      matchActions:
      - action: Post
        ratelimit: "1m"
)"));
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].sycall",
                "unknown field 'sycall' in a kprobe; did you mean 'syscall'?");
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].selectors[0].matchArg", "did you mean 'matchArgs'?");
    EXPECT_DIAG(r, Severity::Error, "selectors[0].matchBinary", "did you mean 'matchBinaries'?");
    EXPECT_DIAG(r, Severity::Error, "matchActions[0].ratelimit", "did you mean 'rateLimit'?");
    const Diagnostic* d = find(r, Severity::Error, "sycall", "");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->line, 8u);
    EXPECT_EQ(d->column, 5u);
}

TEST(PolicyDiagnostics, UnknownKeyWithoutCloseMatchListsAcceptedFields) {
    auto r = parse(policy("  zzzzzz: 1\n"));
    EXPECT_DIAG(r, Severity::Error, "spec.zzzzzz", "accepted fields: kprobes, fentries, tracepoints");
}

TEST(PolicyDiagnostics, TopLevelMistakes) {
    auto r = parse(R"(apiVersion: cilium.io/v1
kind: TracingPolcy
metadata: {}
spec: {}
status: {}
)");
    EXPECT_DIAG(r, Severity::Error, "apiVersion", "expected 'cilium.io/v1alpha1'");
    EXPECT_DIAG(r, Severity::Error, "kind", "did you mean 'TracingPolicy'?");
    EXPECT_DIAG(r, Severity::Error, "metadata", "metadata.name is required");
    EXPECT_DIAG(r, Severity::Error, "status", "unknown field 'status'");
    auto missing = parse("apiVersion: cilium.io/v1alpha1\n");
    EXPECT_DIAG(missing, Severity::Error, "", "missing required field 'kind'");
    EXPECT_DIAG(missing, Severity::Error, "", "missing required field 'spec'");
}

TEST(PolicyDiagnostics, EnumValuesGetSuggestions) {
    auto r = parse(kprobe(R"(    args:
    - index: 0
      type: strng
    selectors:
    - matchActions:
      - action: SigKill
      matchNamespaces:
      - namespace: PID
        operator: In
        values: [host_ns]
      matchCapabilities:
      - type: Efective
        operator: In
        values: [CAP_SYS_ADMN]
      matchPIDs:
      - operator: Inn
        values: [1]
)"));
    EXPECT_DIAG(r, Severity::Error, "args[0].type", "unknown argument type 'strng'; did you mean 'string'?");
    EXPECT_DIAG(r, Severity::Error, "matchActions[0].action",
                "unknown action 'SigKill'; did you mean 'Sigkill'?");
    EXPECT_DIAG(r, Severity::Error, "matchNamespaces[0].namespace", "did you mean 'Pid'?");
    EXPECT_DIAG(r, Severity::Error, "matchCapabilities[0].type", "did you mean 'Effective'?");
    EXPECT_DIAG(r, Severity::Error, "matchCapabilities[0].values[0]", "did you mean 'CAP_SYS_ADMIN'?");
    EXPECT_DIAG(r, Severity::Error, "matchPIDs[0].operator", "did you mean 'In'?");
}

TEST(PolicyDiagnostics, InIsNotAnArgumentOperator) {
    auto r = parse(match_arg("int", "In", {"1"}));
    EXPECT_DIAG(r, Severity::Error, "matchArgs[0].operator", "In/NotIn belong to matchPIDs");
}

TEST(PolicyDiagnostics, TypedScalarsAreChecked) {
    auto r = parse(kprobe(R"(    syscall: "true"
    return: maybe
    args:
    - index: one
      type: int
    - index: -1
      type: int
    - index: [1]
      type: int
)"));
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].syscall",
                "must be true or false, got the quoted string 'true'");
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].return", "must be true or false, got 'maybe'");
    EXPECT_DIAG(r, Severity::Error, "args[0].index", "must be an integer, got 'one'");
    EXPECT_DIAG(r, Severity::Error, "args[1].index", "must be between 0 and 2147483647, got -1");
    EXPECT_DIAG(r, Severity::Error, "args[2].index", "must be an integer, got a list");
}

TEST(PolicyDiagnostics, WrongShapes) {
    auto r = parse(policy(R"(  kprobes:
    call: fd_install
  lists: "x"
)"));
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes", "'kprobes' must be a list, got a mapping");
    EXPECT_DIAG(r, Severity::Error, "spec.lists", "'lists' must be a list, got a scalar");
    auto top = parse("- a\n- b\n");
    EXPECT_DIAG(top, Severity::Error, "", "a policy document must be a mapping of fields, got a list");
}

TEST(PolicyDiagnostics, DuplicateKeys) {
    auto r = parse(kprobe("    syscall: false\n    syscall: true\n", "fd_install"));
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].syscall", "duplicate field 'syscall'");
}

TEST(PolicyDiagnostics, YamlSyntaxErrorsCarryThePosition) {
    auto r = parse(policy("  kprobes:\n  - call: fd_install\n   syscall: false\n"));
    ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
    EXPECT_GT(r.diagnostics[0].line, 0u);
    EXPECT_NE(r.diagnostics[0].message.find("invalid YAML"), std::string::npos);
    auto flow = parse("spec: {kprobes: [}\n");
    ASSERT_EQ(flow.diagnostics.size(), 1u) << dump(flow);
    EXPECT_EQ(flow.diagnostics[0].line, 1u);
}

TEST(PolicyDiagnostics, StrayFlowIndicatorDoesNotHangTheReader) {
    // yaml-cpp 0.7 alone loops forever on this input, creating empty documents.
    auto r = parse(", void *addr, void *data);\n  - call: x\n");
    ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
    EXPECT_NE(r.diagnostics[0].message.find("cannot make progress"), std::string::npos) << dump(r);
    EXPECT_GT(r.diagnostics[0].line, 0u);
    EXPECT_TRUE(r.policies.empty());
}

TEST(PolicyDiagnostics, DocumentCountIsBounded) {
    std::string many;
    for (int i = 0; i < 1001; ++i) many += "--- {}\n";
    auto r = parse(many);
    EXPECT_DIAG(r, Severity::Error, "", "more than 1000 documents");
}

TEST(PolicyDiagnostics, MissingRequiredFieldsNameWhatIsExpected) {
    auto r = parse(policy(R"(  kprobes:
  - syscall: false
    args:
    - type: int
    selectors:
    - matchArgs:
      - index: 0
        values: ["1"]
      matchActions:
      - argError: -1
)"));
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0]", "missing required field 'call'");
    EXPECT_DIAG(r, Severity::Error, "spec.kprobes[0].args[0]", "missing required field 'index'");
    EXPECT_DIAG(r, Severity::Error, "matchArgs[0]", "missing required field 'operator'");
    EXPECT_DIAG(r, Severity::Error, "matchActions[0]", "missing required field 'action'");
}

TEST(PolicyDiagnostics, OversizedInputIsRefusedUnread) {
    std::string big(kMaxPolicyFileBytes + 1, '#');
    auto r = parse(big);
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_NE(r.diagnostics[0].message.find("at most 4194304"), std::string::npos);
}

TEST(PolicyDiagnostics, DeepNestingIsRefusedWithoutCrashing) {
    std::string deep = "spec: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
    auto r = parse(deep);
    EXPECT_FALSE(r.ok());
    std::string block = "spec:\n";
    for (int i = 0; i < 5000; ++i) block += std::string(static_cast<size_t>(i % 200), ' ') + "- \n";
    auto r2 = parse(block);
    EXPECT_FALSE(r2.ok());
}

TEST(PolicyDiagnostics, AliasFanOutIsBounded) {
    // Aliases nest along the schema: 100 kprobes x 100 selectors x 100
    // matchArgs x 1000 values is 10^9 nodes from a few kilobytes of text.
    auto repeat = [](const std::string& item, int n) {
        std::string out = "[";
        for (int i = 0; i < n; ++i) out += (i ? ", " : "") + item;
        return out + "]";
    };
    std::string text =
        "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: bomb\n"
        "  defs:\n";
    text += "    v: &V " + repeat("\"x\"", 1000) + "\n";
    text += "    m: &m {index: 0, operator: Equal, values: *V}\n";
    text += "    ms: &M " + repeat("*m", 100) + "\n";
    text += "    s: &s {matchArgs: *M}\n";
    text += "    ss: &S " + repeat("*s", 100) + "\n";
    text += "    k: &k {call: fd_install, syscall: false, args: [{index: 0, type: string}], selectors: *S}\n";
    text += "spec:\n  kprobes: " + repeat("*k", 100) + "\n";
    ASSERT_LT(text.size(), 10000u);
    auto r = parse(text);
    EXPECT_FALSE(r.ok());
    EXPECT_DIAG(r, Severity::Error, "", "refusing to read further");
}

TEST(PolicyDiagnostics, TooManyProblemsAreCapped) {
    std::string body = "    args:\n";
    for (int i = 0; i < 500; ++i) body += "    - {index: 0, type: bogus" + std::to_string(i) + "}\n";
    auto r = parse(kprobe(body));
    EXPECT_LE(r.diagnostics.size(), 201u);
    EXPECT_DIAG(r, Severity::Error, "", "too many problems");
}

TEST(PolicyDiagnostics, OversizedFileIsRefusedUnread) {
    const std::string path = ::testing::TempDir() + "/vigil_policy_oversized.yaml";
    {
        std::ofstream out(path, std::ios::binary);
        out << std::string(kMaxPolicyFileBytes + 1, '#');
    }
    auto r = load_policy_file(path);
    std::remove(path.c_str());
    ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
    EXPECT_EQ(r.diagnostics[0].file, path);
    EXPECT_NE(r.diagnostics[0].message.find("policy files are limited to 4194304 bytes"), std::string::npos)
        << dump(r);
}

TEST(PolicyDiagnostics, MissingFileAndDirectory) {
    auto r = load_policy_file("/nonexistent/policy.yaml");
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].file, "/nonexistent/policy.yaml");
    EXPECT_NE(r.diagnostics[0].message.find("cannot open"), std::string::npos);
    auto d = load_policy_file("/tmp");
    ASSERT_EQ(d.diagnostics.size(), 1u);
    EXPECT_NE(d.diagnostics[0].message.find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace vigil::policy
