// Policy syscall hooks on this kernel (no kprobes): TracingPolicy files given
// to vigild at start, attached through syscalls/sys_{enter,exit}_* tracepoints,
// checked end to end as ProcessKprobe events over gRPC.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "kernel_features.h"

namespace vigil::kt {
namespace {

constexpr const char* kWritePolicy = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-writes
spec:
  kprobes:
  - call: sys_write
    syscall: true
    message: "write observed"
    tags: ["kt"]
    args:
    - index: 0
      type: fd
    - index: 1
      type: char_buf
      sizeArgIndex: 3
    - index: 2
      type: size_t
)";

// A second policy on the same syscall: both must see every call.
constexpr const char* kSecondWritePolicy = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-writes-too
spec:
  kprobes:
  - call: sys_write
    args:
    - index: 0
      type: fd
)";

constexpr const char* kOpenConnectReadPolicy = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-open-connect-read
spec:
  kprobes:
  - call: sys_openat
    args:
    - index: 0
      type: int
    - index: 1
      type: string
  - call: sys_connect
    args:
    - index: 0
      type: int
    - index: 1
      type: sockaddr
    - index: 2
      type: int
  - call: sys_read
    return: true
    returnArg:
      index: 0
      type: int
    args:
    - index: 0
      type: fd
    - index: 1
      type: char_buf
      returnCopy: true
    - index: 2
      type: size_t
)";

// Valid Tetragon, but needs kprobes (or fentry) on a kernel function: a load
// error on this project's host; where the kernel has them, it loads.
constexpr const char* kKernelFunctionPolicy = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-needs-kprobes
spec:
  kprobes:
  - call: security_file_permission
    syscall: false
    args:
    - index: 0
      type: file
    - index: 1
      type: int
)";

class SyscallHooksTest : public AgentTest {
protected:
    void SetUp() override {
        write_file(policies_ / "write.yaml", kWritePolicy);
        write_file(policies_ / "write-too.yaml", kSecondWritePolicy);
        write_file(policies_ / "open-connect-read.yaml", kOpenConnectReadPolicy);
        write_file(policies_ / "needs-kprobes.yaml", kKernelFunctionPolicy);
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
    // A stream of this test's trigger runs: their execs and kprobe events.
    std::unique_ptr<EventStream> trigger_stream() {
        auto s = agent().subscribe_binaries({"vigil_trigger$"});
        EXPECT_TRUE(s.ok()) << s.error();
        return s.ok() ? std::move(s).value() : nullptr;
    }
    static EventPredicate kprobe_of(pid_t pid, const std::string& function) {
        return [pid, function](const tetragon::GetEventsResponse& ev) {
            return ev.has_process_kprobe() &&
                   ev.process_kprobe().process().pid().value() == static_cast<uint32_t>(pid) &&
                   ev.process_kprobe().function_name() == function;
        };
    }
    TempDir policies_{"vigil-kt-policies"};
    TempDir work_{"vigil-kt-hooks"};
};

TEST_F(SyscallHooksTest, WriteEventCarriesPathPayloadAndSize) {
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    const std::string target = work_ / "passwd";
    const std::string payload = "vigil-payload-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "write", target, payload}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");

    VIGIL_ASSERT_OK_AND_ASSIGN(exec, stream->wait_for(exec_with_argument(payload), "exec of the writer"));
    const uint32_t pid = exec.process_exec().process().pid().value();
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return kprobe_of(static_cast<pid_t>(pid), "__x64_sys_write")(e) &&
                           e.process_kprobe().args_size() == 3 &&
                           e.process_kprobe().args(0).file_arg().path() == target;
                },
                "sys_write of " + target));
    const auto& k = ev.process_kprobe();
    SCOPED_TRACE(k.DebugString());
    EXPECT_EQ(k.policy_name(), "kt-writes");
    EXPECT_EQ(k.message(), "write observed");
    ASSERT_EQ(k.tags_size(), 1);
    EXPECT_EQ(k.tags(0), "kt");
    EXPECT_EQ(k.action(), tetragon::KPROBE_ACTION_POST);
    EXPECT_EQ(k.args(1).bytes_arg(), payload);
    EXPECT_EQ(k.args(2).size_arg(), payload.size());
    EXPECT_EQ(k.process().exec_id(), exec.process_exec().process().exec_id());
    EXPECT_EQ(k.parent().exec_id(), exec.process_exec().parent().exec_id());

    // The second policy on sys_write saw the same call.
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev2, stream->wait_for(
                 [&](const tetragon::GetEventsResponse& e) {
                     return kprobe_of(static_cast<pid_t>(pid), "__x64_sys_write")(e) &&
                            e.process_kprobe().policy_name() == "kt-writes-too" &&
                            e.process_kprobe().args(0).file_arg().path() == target;
                 },
                 "kt-writes-too's sys_write of " + target));
    EXPECT_EQ(ev2.process_kprobe().args_size(), 1);
}

TEST_F(SyscallHooksTest, LongWriteIsTruncatedAndSaysHowLongItWas) {
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    const std::string target = work_ / "big";
    const std::string payload = random_token() + std::string(10000, 'x');
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "write", target, payload}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().args_size() == 3 &&
                           e.process_kprobe().args(0).file_arg().path() == target;
                },
                "sys_write of " + target));
    const auto& a = ev.process_kprobe().args(1);
    ASSERT_TRUE(a.has_truncated_bytes_arg()) << a.DebugString().substr(0, 200);
    EXPECT_EQ(a.truncated_bytes_arg().orig_size(), payload.size());
    EXPECT_EQ(a.truncated_bytes_arg().bytes_arg(), payload.substr(0, 4096));
    EXPECT_EQ(ev.process_kprobe().args(2).size_arg(), payload.size());
}

TEST_F(SyscallHooksTest, OpenatFilenameIsAString) {
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    const std::string path = work_ / ("opened-" + random_token());
    write_file(path, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "open", path}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() &&
                           e.process_kprobe().function_name() == "__x64_sys_openat" &&
                           e.process_kprobe().args_size() == 2 &&
                           e.process_kprobe().args(1).string_arg() == path;
                },
                "sys_openat of " + path));
    EXPECT_EQ(ev.process_kprobe().args(0).int_arg(), AT_FDCWD);
    EXPECT_EQ(ev.process_kprobe().policy_name(), "kt-open-connect-read");
}

TEST_F(SyscallHooksTest, ConnectSockaddrHasAddressAndPort) {
    VIGIL_ASSERT_OK_AND_ASSIGN(listener, LoopbackListener::open());
    const uint16_t port = listener->port();

    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "connect", "127.0.0.1", std::to_string(port)}));
    listener->close();
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() &&
                           e.process_kprobe().function_name() == "__x64_sys_connect" &&
                           e.process_kprobe().args_size() == 3 &&
                           e.process_kprobe().args(1).sockaddr_arg().port() == port;
                },
                "sys_connect to port " + std::to_string(port)));
    const auto& sa = ev.process_kprobe().args(1).sockaddr_arg();
    EXPECT_EQ(sa.family(), "AF_INET");
    EXPECT_EQ(sa.addr(), "127.0.0.1");
    EXPECT_EQ(ev.process_kprobe().args(2).int_arg(), static_cast<int>(sizeof(sockaddr_in)));
}

TEST_F(SyscallHooksTest, ReadReturnValueAndReturnCopiedBuffer) {
    const std::string path = work_ / "source";
    const std::string contents = "read-me-" + random_token();
    write_file(path, contents);
    auto stream = trigger_stream();
    ASSERT_TRUE(stream);
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "read", path, "4096"}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() &&
                           e.process_kprobe().function_name() == "__x64_sys_read" &&
                           e.process_kprobe().args_size() == 3 &&
                           e.process_kprobe().args(0).file_arg().path() == path;
                },
                "sys_read of " + path));
    const auto& k = ev.process_kprobe();
    SCOPED_TRACE(k.DebugString());
    EXPECT_EQ(k.return_().int_arg(), static_cast<int>(contents.size()));
    EXPECT_EQ(k.args(1).bytes_arg(), contents) << "returnCopy reads what the call returned";
    EXPECT_EQ(k.args(2).size_arg(), 4096u);
}

TEST_F(SyscallHooksTest, PolicyNeedingKprobesIsALoadErrorAndOthersWork) {
    auto stub = agent().stub();
    grpc::ClientContext ctx;
    tetragon::ListTracingPoliciesRequest req;
    tetragon::ListTracingPoliciesResponse resp;
    ASSERT_TRUE(stub->ListTracingPolicies(&ctx, req, &resp).ok());
    bool saw_error = false, saw_enabled = false;
    const bool can_attach = has_feature(agent(), "kprobe") || has_feature(agent(), "fentry");
    for (const auto& p : resp.policies()) {
        if (p.name() == "kt-needs-kprobes" && can_attach) {
            saw_error = true;  // seen, and rightly not an error here
            EXPECT_EQ(p.state(), tetragon::TP_STATE_ENABLED) << p.error();
        } else if (p.name() == "kt-needs-kprobes") {
            saw_error = true;
            EXPECT_EQ(p.state(), tetragon::TP_STATE_LOAD_ERROR);
            EXPECT_NE(p.error().find("kprobes"), std::string::npos) << p.error();
            EXPECT_NE(p.error().find("needs-kprobes.yaml:"), std::string::npos) << p.error();
            EXPECT_NE(p.error().find("spec.kprobes[0]"), std::string::npos) << p.error();
        }
        if (p.name() == "kt-writes") {
            saw_enabled = true;
            EXPECT_EQ(p.state(), tetragon::TP_STATE_ENABLED);
            ASSERT_EQ(p.hook_statuses_size(), 1);
            EXPECT_EQ(p.hook_statuses(0).hook_description(), "__x64_sys_write");
        }
    }
    EXPECT_TRUE(saw_error);
    EXPECT_TRUE(saw_enabled);
}

TEST_F(SyscallHooksTest, GrpcAddAndDeleteTracingPolicy) {
    auto stub = agent().stub();
    const std::string name = "kt-added-" + random_token();
    std::string yaml = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: )" + name + R"(
spec:
  kprobes:
  - call: sys_unlinkat
    args:
    - index: 1
      type: string
)";
    {
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml(yaml);
        tetragon::AddTracingPolicyResponse resp;
        auto st = stub->AddTracingPolicy(&ctx, req, &resp);
        ASSERT_TRUE(st.ok()) << st.error_message();
    }
    auto stream = agent().subscribe_binaries({"^/usr/bin/rm$", "vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    const std::string victim = work_ / ("victim-" + random_token());
    write_file(victim, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({"/usr/bin/rm", victim}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK(stream.value()
                        ->wait_for(
                            [&](const tetragon::GetEventsResponse& e) {
                                return e.has_process_kprobe() && e.process_kprobe().policy_name() == name &&
                                       e.process_kprobe().args(0).string_arg() == victim;
                            },
                            "sys_unlinkat of " + victim)
                        .ok()
                    ? Status{}
                    : Status{make_error("no unlinkat event")});
    {
        grpc::ClientContext ctx;
        tetragon::DeleteTracingPolicyRequest req;
        req.set_name(name);
        tetragon::DeleteTracingPolicyResponse resp;
        auto st = stub->DeleteTracingPolicy(&ctx, req, &resp);
        ASSERT_TRUE(st.ok()) << st.error_message();
    }
    {
        grpc::ClientContext ctx;
        tetragon::DeleteTracingPolicyRequest req;
        req.set_name(name);
        tetragon::DeleteTracingPolicyResponse resp;
        auto st = stub->DeleteTracingPolicy(&ctx, req, &resp);
        EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
    }
    {
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: bad\nspec:\n  kprobes:\n  - call: sys_write\n    args:\n    - index: 0\n      type: nosuchtype\n");
        tetragon::AddTracingPolicyResponse resp;
        auto st = stub->AddTracingPolicy(&ctx, req, &resp);
        EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
        EXPECT_NE(st.error_message().find("nosuchtype"), std::string::npos) << st.error_message();
    }
    grpc::ClientContext ctx;
    tetragon::ListTracingPoliciesResponse list;
    ASSERT_TRUE(stub->ListTracingPolicies(&ctx, {}, &list).ok());
    for (const auto& p : list.policies()) {
        EXPECT_NE(p.name(), name) << "deleted policy still listed";
        EXPECT_NE(p.name(), "bad") << "refused policy listed";
    }
}

}  // namespace
}  // namespace vigil::kt
