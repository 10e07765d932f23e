// Hook kinds other than syscall hooks, on this machine's kernel: tracepoints
// (fields by index from tracefs, __data_loc strings, user pointers), raw
// tracepoints (a kernel object argument), uprobes on a test program's
// function; and the load errors of hooks this kernel cannot attach, which
// must name the missing kernel feature while the other policies keep working.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "kernel_features.h"

namespace vigil::kt {
namespace {

constexpr const char* kForkTracepoint = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-tp-fork
spec:
  tracepoints:
  - subsystem: sched
    event: sched_process_fork
    message: "fork seen"
    args:
    - index: 4
      type: string
      label: parent_comm
    - index: 5
      type: int
    - index: 7
      type: int
)";

// A syscall tracepoint with a user-memory string field and an in-kernel filter on it.
constexpr const char* kOpenatTracepoint = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-tp-openat
spec:
  tracepoints:
  - subsystem: syscalls
    event: sys_enter_openat
    args:
    - index: 5
      type: int
    - index: 6
      type: string
    selectors:
    - matchArgs:
      - index: 6
        operator: Prefix
        values:
        - /tmp/vigil-kt-tpopen-
)";

// Raw tracepoint: sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm).
constexpr const char* kExecRawTracepoint = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-rawtp-exec
spec:
  tracepoints:
  - subsystem: sched
    event: sched_process_exec
    raw: true
    args:
    - index: 1
      type: int
    - index: 2
      type: linux_binprm
    selectors:
    - matchArgs:
      - index: 2
        operator: Postfix
        values:
        - /vigil_trigger
)";

constexpr const char* kLsmPolicy = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-lsm-open
spec:
  lsmhooks:
  - hook: file_open
    args:
    - index: 0
      type: file
)";

constexpr const char* kSyscallOverride = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-override-openat
spec:
  kprobes:
  - call: sys_openat
    args:
    - index: 1
      type: string
    selectors:
    - matchArgs:
      - index: 1
        operator: Equal
        values:
        - /nonexistent/vigil
      matchActions:
      - action: Override
        argError: -1
)";

// writev(fd, iov, iovcnt): the iovecs read in the kernel and concatenated.
constexpr const char* kWritevPolicy = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-writev
spec:
  kprobes:
  - call: sys_writev
    args:
    - index: 0
      type: fd
    - index: 1
      type: char_iovec
      sizeArgIndex: 3
    - index: 2
      type: int
    selectors:
    - matchArgs:
      - index: 0
        operator: Prefix
        values:
        - /tmp/vigil-kt-writev-
)";

std::string uprobe_policy() {
    return R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-uprobe
spec:
  uprobes:
  - path: )" + trigger_path() + R"(
    symbols:
    - vigil_trigger_probe_me
    message: "probed"
    args:
    - index: 0
      type: int
    - index: 1
      type: string
)";
}

class GenericHooksTest : public AgentTest {
protected:
    void SetUp() override {
        write_file(policies_ / "tp-fork.yaml", kForkTracepoint);
        write_file(policies_ / "tp-openat.yaml", kOpenatTracepoint);
        write_file(policies_ / "rawtp-exec.yaml", kExecRawTracepoint);
        write_file(policies_ / "uprobe.yaml", uprobe_policy());
        write_file(policies_ / "lsm.yaml", kLsmPolicy);
        write_file(policies_ / "override.yaml", kSyscallOverride);
        write_file(policies_ / "writev.yaml", kWritevPolicy);
        AgentTest::SetUp();
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--tracing-policy-dir=" + policies_.path()};
        return o;
    }
    static void write_file(const std::string& path, const std::string& text) {
        std::ofstream(path) << text;
    }
    std::unique_ptr<EventStream> trigger_stream() {
        auto s = agent().subscribe_binaries({"vigil_trigger$"});
        EXPECT_TRUE(s.ok()) << s.error();
        return s.ok() ? std::move(s).value() : nullptr;
    }
    // The listed state of a policy, and its error text.
    std::pair<tetragon::TracingPolicyState, std::string> policy_state(const std::string& name) {
        auto stub = agent().stub();
        grpc::ClientContext ctx;
        tetragon::ListTracingPoliciesRequest req;
        tetragon::ListTracingPoliciesResponse resp;
        EXPECT_TRUE(stub->ListTracingPolicies(&ctx, req, &resp).ok());
        for (const auto& p : resp.policies()) {
            if (p.name() == name) return {p.state(), p.error()};
        }
        ADD_FAILURE() << "policy " << name << " is not listed";
        return {tetragon::TP_STATE_UNKNOWN, ""};
    }
    TempDir policies_{"vigil-kt-policies"};
};

TEST_F(GenericHooksTest, TracepointFieldsByIndexWithDataLocString) {
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    const std::string marker = "tp-fork-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "fork-exec", "/bin/true", marker}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(exec, stream->wait_for(exec_with_argument(marker), "exec of the forker"));
    const uint32_t pid = exec.process_exec().process().pid().value();
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_tracepoint() && e.process_tracepoint().process().pid().value() == pid &&
                           e.process_tracepoint().event() == "sched_process_fork";
                },
                "sched_process_fork from the forker"));
    const auto& t = ev.process_tracepoint();
    SCOPED_TRACE(t.DebugString());
    EXPECT_EQ(t.subsys(), "sched");
    EXPECT_EQ(t.policy_name(), "kt-tp-fork");
    EXPECT_EQ(t.message(), "fork seen");
    EXPECT_EQ(t.action(), tetragon::KPROBE_ACTION_POST);
    ASSERT_EQ(t.args_size(), 3);
    EXPECT_EQ(t.args(0).string_arg(), "vigil_trigger");
    EXPECT_EQ(t.args(0).label(), "parent_comm");
    EXPECT_EQ(t.args(1).int_arg(), static_cast<int>(pid));
    EXPECT_GT(t.args(2).int_arg(), 0);
    EXPECT_NE(t.args(2).int_arg(), static_cast<int>(pid));
    EXPECT_EQ(t.process().exec_id(), exec.process_exec().process().exec_id());
}

TEST_F(GenericHooksTest, SyscallTracepointUserStringFilteredInTheKernel) {
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    TempDir dir{"vigil-kt-tpopen-"};
    const std::string path = dir / "opened";
    write_file(path, "x");
    const std::string other = "/tmp/vigil-kt-other-" + random_token();
    write_file(other, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(s1, run_to_exit({trigger_path(), "open", other}));
    VIGIL_ASSERT_OK_AND_ASSIGN(s2, run_to_exit({trigger_path(), "open", path}));
    ASSERT_EQ(describe_wait_status(s2), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_tracepoint() && e.process_tracepoint().event() == "sys_enter_openat" &&
                           e.process_tracepoint().args_size() == 2 &&
                           e.process_tracepoint().args(1).string_arg() == path;
                },
                "sys_enter_openat of " + path));
    EXPECT_EQ(ev.process_tracepoint().subsys(), "syscalls");
    EXPECT_EQ(ev.process_tracepoint().args(0).int_arg(), -100) << "dfd is AT_FDCWD";
    // The earlier open of a path outside the prefix never left the kernel.
    for (const auto& e : stream->events()) {
        if (e.has_process_tracepoint() && e.process_tracepoint().event() == "sys_enter_openat") {
            EXPECT_NE(e.process_tracepoint().args(1).string_arg(), other);
        }
    }
    std::remove(other.c_str());
}

TEST_F(GenericHooksTest, RawTracepointResolvesTheBinprmPath) {
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    const std::string marker = "rawtp-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "exit", "0", marker}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(exec, stream->wait_for(exec_with_argument(marker), "exec of the trigger"));
    const uint32_t pid = exec.process_exec().process().pid().value();
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_tracepoint() && e.process_tracepoint().event() == "sched_process_exec" &&
                           e.process_tracepoint().process().pid().value() == pid;
                },
                "raw sched_process_exec of the trigger"));
    const auto& t = ev.process_tracepoint();
    SCOPED_TRACE(t.DebugString());
    EXPECT_EQ(t.policy_name(), "kt-rawtp-exec");
    ASSERT_EQ(t.args_size(), 2);
    EXPECT_EQ(t.args(0).int_arg(), static_cast<int>(pid)) << "old_pid of a single-threaded exec";
    EXPECT_EQ(t.args(1).linux_binprm_arg().path(), exec.process_exec().process().binary());
}

TEST_F(GenericHooksTest, UprobeOnATestProgramFunction) {
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    const std::string text = "uprobe-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "call", "21", text}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_uprobe() && e.process_uprobe().args_size() == 2 &&
                           e.process_uprobe().args(1).string_arg() == text;
                },
                "uprobe on vigil_trigger_probe_me"));
    const auto& u = ev.process_uprobe();
    SCOPED_TRACE(u.DebugString());
    EXPECT_EQ(u.path(), trigger_path());
    EXPECT_EQ(u.symbol(), "vigil_trigger_probe_me");
    EXPECT_EQ(u.policy_name(), "kt-uprobe");
    EXPECT_EQ(u.message(), "probed");
    EXPECT_EQ(u.args(0).int_arg(), 21);
    EXPECT_EQ(u.process().binary(), trigger_path());
}

TEST_F(GenericHooksTest, CharIovecConcatenatesTheBuffers) {
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    TempDir dir{"vigil-kt-writev-"};
    const std::string path = dir / "out";
    const std::string a = "first-" + random_token(), b = "-second";
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "writev", path, a, b}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-writev" &&
                           e.process_kprobe().args_size() == 3 &&
                           e.process_kprobe().args(0).file_arg().path() == path;
                },
                "sys_writev of " + path));
    const auto& k = ev.process_kprobe();
    EXPECT_EQ(k.function_name(), "__x64_sys_writev");
    EXPECT_EQ(k.args(1).bytes_arg(), a + b);
    EXPECT_EQ(k.args(2).int_arg(), 2) << "iovcnt";
}

TEST_F(GenericHooksTest, HooksThisKernelCannotAttachNameTheMissingFeature) {
    if (!has_feature(agent(), "lsm")) {
        auto [state, error] = policy_state("kt-lsm-open");
        EXPECT_EQ(state, tetragon::TP_STATE_LOAD_ERROR);
        EXPECT_NE(error.find("BPF LSM"), std::string::npos) << error;
        EXPECT_NE(error.find("spec.lsmhooks[0]"), std::string::npos) << error;
    }
    if (!has_feature(agent(), "override_return")) {
        auto [state, error] = policy_state("kt-override-openat");
        EXPECT_EQ(state, tetragon::TP_STATE_LOAD_ERROR);
        EXPECT_NE(error.find("bpf_override_return"), std::string::npos) << error;
        EXPECT_NE(error.find("matchActions[0]"), std::string::npos) << error;
    }
    // The others loaded.
    EXPECT_EQ(policy_state("kt-tp-fork").first, tetragon::TP_STATE_ENABLED);
    EXPECT_EQ(policy_state("kt-uprobe").first, tetragon::TP_STATE_ENABLED);
    EXPECT_EQ(policy_state("kt-rawtp-exec").first, tetragon::TP_STATE_ENABLED);
}

}  // namespace
}  // namespace vigil::kt
