// `vigil tracingpolicy validate` and `explain` (the real binary, no agent):
// one line per problem with file:line:col, per-file verdicts, exit status,
// planning against a named kernel, and explain's text, which must be the
// same on every run. Every upstream Tetragon example must validate.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "run_cli.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;
using cli_test::stdin_file;

const fs::path kExamples = fs::path(VIGIL_SHARED_DIR) / "corpus" / "tetragon-examples";

const char* kWriteEtc = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: file-writes-etc
spec:
  kprobes:
  - call: sys_write
    syscall: true
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
        values:
        - /etc/
)";

// Two documents: a syscall hook with every kind of compiled selector, and a
// monitor-mode policy hooking a kernel function (not loadable on "ci").
const char* kTwoPolicies = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: guard
spec:
  kprobes:
  - call: sys_connect
    syscall: true
    return: true
    message: "outbound connect"
    tags: ["network", "egress"]
    args:
    - index: 0
      type: int
      label: fd
    - index: 1
      type: sockaddr
    returnArg:
      index: 0
      type: int
    selectors:
    - matchArgs:
      - index: 1
        operator: NotSAddr
        values: ["127.0.0.1", "10.0.0.0/8"]
      - index: 1
        operator: SPort
        values: ["443", "8000:8080"]
      - index: 0
        operator: Equal
        values: ["-1", "3"]
      matchPIDs:
      - operator: NotIn
        followForks: true
        values: [1, 2]
      matchBinaries:
      - operator: In
        values: ["/usr/bin/curl", "/usr/bin/wget"]
      matchActions:
      - action: Signal
        argSig: 10
    - matchActions:
      - action: NoPost
---
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: creds
spec:
  options:
  - name: policy-mode
    value: monitor
  kprobes:
  - call: commit_creds
    syscall: false
    args:
    - index: 0
      type: cred
)";

class PolicyOffline : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "vigil-tp-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string write(const std::string& name, const std::string& text) {
        const auto p = dir_ / name;
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
    static cli_test::CliRun tp(std::vector<std::string> args) {
        args.insert(args.begin(), "tracingpolicy");
        return run_cli(args, stdin_file("/dev/null"));
    }
    fs::path dir_;
};

TEST_F(PolicyOffline, ValidFileIsOk) {
    const auto f = write("w.yaml", kWriteEtc);
    auto r = tp({"validate", f});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, f + ": ok (1 policy)\n");
    EXPECT_EQ(r.err, "");
}

TEST_F(PolicyOffline, ValidateNeedsNoAgent) {
    // An address that cannot work: validate must not try it.
    auto r = run_cli({"tp", "validate", write("w.yaml", kWriteEtc), "--server-address",
                      "unix:///nonexistent/x.sock"},
                     stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(PolicyOffline, EachProblemIsOneLineWithFileLineColumnAndPath) {
    std::string bad = kWriteEtc;
    bad.replace(bad.find("type: fd"), 8, "type: fdd");
    bad.replace(bad.find("operator: Prefix"), 16, "operator: Prefx");
    const auto f = write("bad.yaml", bad);
    auto r = tp({"validate", f});
    EXPECT_EQ(r.exit_code, 1);
    const auto lines = r.out_lines();
    ASSERT_EQ(lines.size(), 3u) << r.out;
    EXPECT_EQ(lines[0].rfind(f + ":11:13: error: spec.kprobes[0].args[0].type: ", 0), 0u)
        << lines[0];
    EXPECT_NE(lines[0].find("did you mean 'fd'"), std::string::npos) << lines[0];
    EXPECT_EQ(lines[1].rfind(f + ":20:19: error: spec.kprobes[0].selectors[0].matchArgs[0]"
                                 ".operator: ",
                             0),
              0u)
        << lines[1];
    EXPECT_NE(lines[1].find("did you mean 'Prefix'"), std::string::npos) << lines[1];
    EXPECT_EQ(lines[2], f + ": invalid (2 errors)");
}

TEST_F(PolicyOffline, SeveralFilesAreEachJudgedAndAnyInvalidFails) {
    const auto good = write("good.yaml", kWriteEtc);
    const auto bad = write("bad.yaml", "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\n");
    const auto missing = (dir_ / "missing.yaml").string();
    auto r = tp({"validate", bad, good, missing});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find(good + ": ok (1 policy)\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(bad + ": invalid ("), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(missing + ": invalid ("), std::string::npos) << r.out;
    // Problems of a file come before its verdict, and name it.
    const auto lines = r.out_lines();
    const auto verdict = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
        return l.rfind(bad + ": invalid (", 0) == 0;
    });
    ASSERT_NE(verdict, lines.end()) << r.out;
    ASSERT_NE(verdict, lines.begin());
    EXPECT_EQ((verdict - 1)->rfind(bad + ":", 0), 0u) << r.out;
    EXPECT_NE((verdict - 1)->find(": error: "), std::string::npos) << r.out;
}

TEST_F(PolicyOffline, WarningsAreShownButDoNotFail) {
    std::string warn = kWriteEtc;
    warn += "  - call: sys_read\n    syscall: true\n    args:\n    - index: 0\n      type: int\n"
            "      returnCopy: true\n";
    const auto f = write("warn.yaml", warn);
    auto r = tp({"validate", f});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find(": warning: spec.kprobes[1].args[0]: returnCopy is only used by char_buf"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(f + ": ok (1 policy, 1 warning)\n"), std::string::npos) << r.out;
}

TEST_F(PolicyOffline, PlanReportsWhatTheCiKernelCannotLoad) {
    const auto f = write("two.yaml", kTwoPolicies);
    auto plain = tp({"validate", f});
    EXPECT_EQ(plain.exit_code, 0) << plain.out;
    EXPECT_EQ(plain.out, f + ": ok (2 policies)\n");

    auto planned = tp({"validate", "--plan", f});
    EXPECT_EQ(planned.exit_code, 1);
    const auto lines = planned.out_lines();
    ASSERT_EQ(lines.size(), 2u) << planned.out;
    EXPECT_EQ(lines[0].rfind(f + ":54:5: spec.kprobes[0].call: 'commit_creds' is a kernel "
                                 "function: it needs kprobes or fentry",
                             0),
              0u)
        << lines[0];
    EXPECT_EQ(lines[1], f + ": valid, but cannot load on the 'ci' kernel (1 problem)");

    auto ok = tp({"validate", "--plan", write("w.yaml", kWriteEtc)});
    EXPECT_EQ(ok.exit_code, 0) << ok.out;
    EXPECT_EQ(ok.out, (dir_ / "w.yaml").string() + ": ok (1 policy, 1 hook on the 'ci' kernel)\n");
}

TEST_F(PolicyOffline, UnknownFeaturesNameIsAnError) {
    auto r = tp({"validate", "--plan", "--features", "mainframe", write("w.yaml", kWriteEtc)});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--features: unknown value 'mainframe' (expected ci, all or agent)"),
              std::string::npos)
        << r.err;
}

TEST_F(PolicyOffline, EveryTetragonExampleValidates) {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(kExamples)) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
            files.push_back(e.path().string());
        }
    }
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 60u) << "corpus not found under " << kExamples;
    std::vector<std::string> args{"validate"};
    args.insert(args.end(), files.begin(), files.end());
    auto r = tp(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const auto& f : files) {
        EXPECT_NE(r.out.find(f + ": ok ("), std::string::npos) << f << " not ok:\n" << r.out;
    }
    EXPECT_EQ(r.out.find(": error: "), std::string::npos) << r.out;
}

TEST_F(PolicyOffline, ExplainPrintsThePlanOfEachPolicy) {
    const auto f = write("two.yaml", kTwoPolicies);
    auto r = tp({"explain", f});
    EXPECT_EQ(r.exit_code, 1) << "the second policy cannot be planned on 'ci'\n" << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out,
              "# kernel features: ci (ring_buffer, raw_tracepoint, tracepoint, uprobe, signal, "
              "bpf_cookie)\n"
              "policy guard at " + f + ":1:1\n"
              "  kind: TracingPolicy\n"
              "  section: kprobes\n"
              "  mode: enforce\n"
              "  hooks: 1\n"
              "  hook 0:\n"
              "    attach: syscall tracepoint\n"
              "    syscall: connect\n"
              "    function: __x64_sys_connect\n"
              "    return: yes (type int)\n"
              "    message: \"outbound connect\"\n"
              "    tags: \"network\", \"egress\"\n"
              "    args: 2\n"
              "      arg 0: kind s32, index 0, size_index 0, return_copy no, max_data 4096, "
              "type int, label \"fd\"\n"
              "      arg 1: kind sockaddr, index 1, size_index 0, return_copy no, max_data 4096, "
              "type sockaddr\n"
              "    monitor: no\n"
              "    selectors: 2\n"
              "      selector 0:\n"
              "        arg filter 0: op not_addr, pos 1, set 0\n"
              "        arg filter 1: op port, pos 1, ranges [443, 8000..8080]\n"
              "        arg filter 2: op eq, pos 0, signed, ranges [-1, 3]\n"
              "        pids: op neq, ns_pid no, follow_forks yes, values [1, 2]\n"
              "        binaries: op eq, set 1\n"
              "        actions: Signal(10)\n"
              "      selector 1:\n"
              "        actions: NoPost\n"
              "    string sets: 2\n"
              "      set 0: cidr [127.0.0.1/32, 10.0.0.0/8]\n"
              "      set 1: exact [\"/usr/bin/curl\", \"/usr/bin/wget\"]\n"
              "\n"
              "policy creds at " + f + ":45:1\n"
              "  kind: TracingPolicy\n"
              "  section: kprobes\n"
              "  mode: monitor\n"
              "  plan: failed, 1 problem\n"
              "    " + f + ":54:5: spec.kprobes[0].call: 'commit_creds' is a kernel function: "
              "it needs kprobes or fentry, and this kernel has neither (kprobes: CONFIG_KPROBES "
              "is off; fentry: trampolines refused)\n");
}

TEST_F(PolicyOffline, ExplainIsDeterministic) {
    const auto f = write("two.yaml", kTwoPolicies);
    auto first = tp({"explain", "--features", "all", f});
    for (int i = 0; i < 3; ++i) {
        auto again = tp({"explain", "--features", "all", f});
        EXPECT_EQ(again.out, first.out);
        EXPECT_EQ(again.exit_code, first.exit_code);
    }
    EXPECT_EQ(first.out_lines().at(0),
              "# kernel features: all (ring_buffer, raw_tracepoint, tracepoint, kprobe, "
              "kprobe_multi, uprobe, fentry, fmodret, lsm, override_return, signal, bpf_cookie)");
    // With kprobe.multi present, both the syscall and the kernel function use it.
    EXPECT_NE(first.out.find("    attach: kprobe.multi\n    syscall: connect\n"), std::string::npos) << first.out;
    EXPECT_NE(first.out.find("    attach: kprobe.multi\n    function: commit_creds\n"), std::string::npos)
        << first.out;
}

TEST_F(PolicyOffline, ExplainOfAnInvalidFileShowsItsProblems) {
    const auto f = write("bad.yaml", "kind: TracingPolicy\n");
    auto r = tp({"explain", f});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(f + ":1:1: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(f + ": invalid, nothing to explain\n"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vigil::cli
