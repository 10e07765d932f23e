// `vigil tracingpolicy add|delete|list|enable|disable|set-mode` (the real
// binary) against the in-process fake vigild: the request each sends, what
// it prints, and that an agent's refusal reaches the user verbatim with a
// failing exit status.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_agent.h"
#include "run_cli.h"

namespace vigil::cli {
namespace {

using cli_test::run_cli;
using cli_test::stdin_file;

const char* kPolicy = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: write-etc
spec:
  kprobes:
  - call: sys_write
    syscall: true
    args:
    - index: 0
      type: fd
    selectors:
    - matchActions:
      - action: Sigkill
)";

class PolicyAgentTest : public cli_test::WithFakeAgent {
protected:
    cli_test::CliRun tp(std::vector<std::string> args) {
        args.insert(args.begin(), "tracingpolicy");
        args.push_back("--server-address");
        args.push_back(address_);
        return run_cli(args, stdin_file("/dev/null"));
    }
};

TEST_F(PolicyAgentTest, AddSendsTheFileAsIs) {
    start();
    const std::string path = write_file("p.yaml", kPolicy);
    auto r = tp({"add", path});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "added tracing policy from " + path + "\n");
    const auto calls = agent_.policy_calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].rpc, "Add");
    EXPECT_EQ(calls[0].yaml, kPolicy);
}

TEST_F(PolicyAgentTest, RefusedAddPrintsEachAgentProblemOnItsOwnLine) {
    const std::string problems =
        "grpc:7:11: error: spec.kprobes[0].args[0].type: unknown type 'fdd' (did you mean 'fd'?)\n"
        "grpc:12:19: error: spec.kprobes[0].selectors[0].matchActions[0].action: unknown action";
    agent_.policy_status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, problems);
    start();
    auto r = tp({"add", write_file("p.yaml", kPolicy)});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("AddTracingPolicy at " + address_ + " failed: INVALID_ARGUMENT:\n" +
                         problems + "\n"),
              std::string::npos)
        << r.err;
}

TEST_F(PolicyAgentTest, AddOfAMissingFileFailsWithoutCallingTheAgent) {
    start();
    auto r = tp({"add", (dir_ / "missing.yaml").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("missing.yaml: cannot open"), std::string::npos) << r.err;
    EXPECT_TRUE(agent_.policy_calls().empty());
}

TEST_F(PolicyAgentTest, DeleteSendsNameAndNamespace) {
    start();
    auto r = tp({"delete", "web-guard", "--namespace", "shop"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "deleted tracing policy web-guard\n");
    const auto calls = agent_.policy_calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].rpc, "Delete");
    EXPECT_EQ(calls[0].name, "web-guard");
    EXPECT_EQ(calls[0].ns, "shop");
}

TEST_F(PolicyAgentTest, DeleteOfAnUnknownPolicyFails) {
    agent_.policy_status =
        grpc::Status(grpc::StatusCode::NOT_FOUND, "no tracing policy named 'nope'");
    start();
    auto r = tp({"delete", "nope"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("NOT_FOUND: no tracing policy named 'nope'"), std::string::npos) << r.err;
    ASSERT_EQ(agent_.policy_calls().size(), 1u);
    EXPECT_EQ(agent_.policy_calls()[0].ns, "") << "no --namespace: a cluster-wide policy";
}

TEST_F(PolicyAgentTest, EnableAndDisableUseTheirOwnRpcs) {
    start();
    auto e = tp({"enable", "a"});
    auto d = tp({"disable", "b", "-n", "ns1"});
    EXPECT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(e.out, "enabled tracing policy a\n");
    EXPECT_EQ(d.out, "disabled tracing policy b\n");
    const auto calls = agent_.policy_calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].rpc, "Enable");
    EXPECT_EQ(calls[0].name, "a");
    EXPECT_EQ(calls[1].rpc, "Disable");
    EXPECT_EQ(calls[1].name, "b");
    EXPECT_EQ(calls[1].ns, "ns1");
}

TEST_F(PolicyAgentTest, SetModeConfiguresOnlyTheMode) {
    start();
    auto m = tp({"set-mode", "a", "monitor"});
    auto e = tp({"set-mode", "a", "enforce"});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(m.out, "tracing policy a is now in monitor mode\n");
    const auto calls = agent_.policy_calls();
    ASSERT_EQ(calls.size(), 2u);
    for (const auto& c : calls) {
        EXPECT_EQ(c.rpc, "Configure");
        EXPECT_EQ(c.name, "a");
        EXPECT_FALSE(c.has_enable) << "set-mode must not change enabled/disabled";
        EXPECT_TRUE(c.has_mode);
    }
    EXPECT_EQ(calls[0].mode, tetragon::TP_MODE_MONITOR);
    EXPECT_EQ(calls[1].mode, tetragon::TP_MODE_ENFORCE);
}

TEST_F(PolicyAgentTest, SetModeRejectsAnUnknownModeBeforeCallingTheAgent) {
    start();
    auto r = tp({"set-mode", "a", "audit"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("audit"), std::string::npos) << r.err;
    EXPECT_TRUE(agent_.policy_calls().empty());
}

tetragon::ListTracingPoliciesResponse sample_list() {
    tetragon::ListTracingPoliciesResponse l;
    auto* a = l.add_policies();
    a->set_id(1);
    a->set_name("file-writes-etc");
    a->set_state(tetragon::TP_STATE_ENABLED);
    a->set_mode(tetragon::TP_MODE_ENFORCE);
    auto* c = a->mutable_stats()->mutable_action_counters();
    c->set_post(1234);
    c->set_signal(5);
    for (int i = 0; i < 2; ++i) {
        auto* h = a->add_hook_statuses();
        h->set_section("kprobes");
        h->set_state(tetragon::STATUS_LOADED);
        h->set_hook_idx(static_cast<std::uint32_t>(i));
    }
    auto* b = l.add_policies();
    b->set_id(2);
    b->set_name("kprobe-creds");
    b->set_namespace_("shop");
    b->set_state(tetragon::TP_STATE_LOAD_ERROR);
    b->set_mode(tetragon::TP_MODE_MONITOR);
    b->mutable_stats()->mutable_action_counters()->set_monitor_signal(7);
    b->set_error(
        "grpc:8:11: spec.kprobes[0].call: 'commit_creds' is a kernel function: it needs kprobes\n"
        "grpc:20:9: spec.kprobes[1].call: 'fd_install' is a kernel function: it needs kprobes");
    return l;
}

TEST_F(PolicyAgentTest, ListTextShowsStateModeHooksCountersAndErrors) {
    agent_.policies = sample_list();
    start();
    auto r = tp({"list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out,
              "ID  NAME             NAMESPACE  STATE       MODE     HOOKS  POST  SIGNAL  "
              "MONITOR_SIGNAL\n"
              "1   file-writes-etc  -          enabled     enforce  2      1234  5       0\n"
              "2   kprobe-creds     shop       load_error  monitor  0      0     0       7\n"
              "    error: grpc:8:11: spec.kprobes[0].call: 'commit_creds' is a kernel function: "
              "it needs kprobes\n"
              "    error: grpc:20:9: spec.kprobes[1].call: 'fd_install' is a kernel function: "
              "it needs kprobes\n");
}

TEST_F(PolicyAgentTest, ListOfNothingSaysSo) {
    start();
    auto r = tp({"list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "ID  NAME  NAMESPACE  STATE  MODE  HOOKS  POST  SIGNAL  MONITOR_SIGNAL\n"
                     "(no tracing policies loaded)\n");
}

TEST_F(PolicyAgentTest, ListJsonIsTheResponseOnOneLine) {
    agent_.policies = sample_list();
    start();
    auto r = tp({"list", "-o", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out_lines().size(), 1u) << r.out;
    tetragon::ListTracingPoliciesResponse back;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out_lines()[0], &back).ok()) << r.out;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, agent_.policies))
        << back.DebugString();
    EXPECT_NE(r.out.find("\"monitorSignal\":\"7\""), std::string::npos) << r.out;
}

TEST_F(PolicyAgentTest, AgentErrorOnListFails) {
    agent_.policy_status =
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "policy management is disabled");
    start();
    auto r = tp({"list"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("ListTracingPolicies at " + address_ +
                         " failed: UNIMPLEMENTED: policy management is disabled"),
              std::string::npos)
        << r.err;
}

TEST(PolicyAgentUnreachable, EveryManagementCommandNamesTheAddress) {
    const std::string addr = "unix:///nonexistent/vigil-test/vigil.sock";
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"list"}, {"delete", "x"}, {"enable", "x"}, {"disable", "x"},
          {"set-mode", "x", "monitor"}}) {
        std::vector<std::string> full{"tracingpolicy"};
        full.insert(full.end(), args.begin(), args.end());
        full.insert(full.end(), {"--server-address", addr, "--timeout", "2"});
        auto r = run_cli(full, stdin_file("/dev/null"));
        EXPECT_EQ(r.exit_code, 1) << args[0];
        EXPECT_NE(r.err.find("cannot reach vigild at " + addr), std::string::npos)
            << args[0] << ": " << r.err;
    }
}

void add_probe(tetragon::GetInfoResponse& info, const std::string& name, bool on) {
    auto* p = info.add_probes();
    p->set_name(name);
    p->mutable_enabled()->set_value(on);
}

TEST_F(PolicyAgentTest, ValidatePlanWithAgentFeaturesUsesGetInfo) {
    add_probe(agent_.info, "tracepoint", true);
    add_probe(agent_.info, "ring_buffer", true);
    add_probe(agent_.info, "signal", false);
    start();
    const std::string path = write_file("p.yaml", kPolicy);
    auto r = run_cli({"tp", "validate", "--plan", "--features", "agent", path,
                      "--server-address", address_},
                     stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("Sigkill needs bpf_send_signal"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(path + ": valid, but cannot load on the 'agent' kernel (1 problem)"),
              std::string::npos)
        << r.out;
}

TEST_F(PolicyAgentTest, ExplainWithAgentFeaturesPlansWhenTheAgentHasThem) {
    add_probe(agent_.info, "tracepoint", true);
    add_probe(agent_.info, "signal", true);
    start();
    auto r = run_cli({"tp", "explain", "--features", "agent", write_file("p.yaml", kPolicy),
                      "--server-address", address_},
                     stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out_lines().at(0), "# kernel features: agent (tracepoint, signal)");
    EXPECT_NE(r.out.find("actions: Sigkill"), std::string::npos) << r.out;
}

TEST(PolicyAgentUnreachable, AgentFeaturesNeedAReachableAgent) {
    auto r = run_cli({"tp", "validate", "--plan", "--features", "agent", "x.yaml",
                      "--server-address", "unix:///nonexistent/vigil-test/vigil.sock",
                      "--timeout", "2"},
                     stdin_file("/dev/null"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--features agent: cannot reach vigild"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace vigil::cli
