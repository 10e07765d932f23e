// The attach paths this project's host lacks, proven on kernels that have them
// (the VM matrix, tests/vm): kprobes and kretprobes on kernel functions with
// kernel-object arguments, fentry, BPF LSM hooks and fmod_ret with Override,
// and syscall hooks attached as kprobes. Each test needs a feature: it skips
// where the kernel lacks it, and fails there if the VM runner requires it
// (kernel_features.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "kernel_features.h"

namespace vigil::kt {
namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class KernelPathsTest : public AgentTest {
protected:
    void SetUp() override {
        AgentTest::SetUp();
        stream_ = subscribe();
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--tracing-policy-dir=" + policies_.path()};
        return o;
    }
    std::unique_ptr<EventStream> subscribe() {
        auto s = agent().subscribe_binaries({"vigil_trigger$", "vigil_kernel_tests$"});
        EXPECT_TRUE(s.ok()) << s.error();
        return s.ok() ? std::move(s).value() : nullptr;
    }
    // Adds a policy over gRPC and expects it enabled.
    void add_policy(const std::string& yaml) {
        auto stub = agent().stub();
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml(yaml);
        tetragon::AddTracingPolicyResponse resp;
        auto st = stub->AddTracingPolicy(&ctx, req, &resp);
        ASSERT_TRUE(st.ok()) << st.error_message();
    }
    static void write_file(const std::string& path, const std::string& text) {
        std::ofstream(path) << text;
    }
    // Names of loaded BPF programs (bpftool), to see which attach method a hook got.
    static std::string loaded_programs() {
        TempDir tmp{"vigil-kt-bpftool"};
        auto st = run_to_exit({"/usr/bin/env", "bpftool", "prog", "show"}, {.stdout_path = tmp / "out"});
        EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error());
        return read_all(tmp / "out");
    }
    TempDir policies_{"vigil-kt-policies"};
    TempDir work_{"vigil-kt-kpaths-"};
    std::unique_ptr<EventStream> stream_;
};

TEST_F(KernelPathsTest, FeatureProbeReportsWhatTheKernelMustHave) {
    const std::string required = required_features();
    if (required.empty()) GTEST_SKIP() << "no required features here (host run)";
    std::stringstream ss(required);
    std::string name;
    while (std::getline(ss, name, ',')) {
        EXPECT_TRUE(has_feature(agent(), name)) << name;
    }
}

TEST_F(KernelPathsTest, KprobeAndKretprobeOnAKernelFunctionWithAFileArgument) {
    VIGIL_REQUIRE_FEATURE(agent(), "kprobe");
    ASSERT_TRUE(stream_);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-kprobe-perm
spec:
  kprobes:
  - call: security_file_permission
    syscall: false
    return: true
    returnArg:
      index: 0
      type: int
    args:
    - index: 0
      type: file
    - index: 1
      type: int
    selectors:
    - matchArgs:
      - index: 0
        operator: Prefix
        values:
        - )" + work_.path() + R"(/
)");
    const std::string path = work_ / "read-me";
    write_file(path, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "read", path, "16"}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    // The read (MAY_READ), not the test's own write of the file.
                    return e.has_process_kprobe() && e.process_kprobe().function_name() == "security_file_permission" &&
                           e.process_kprobe().args_size() == 2 &&
                           e.process_kprobe().args(0).file_arg().path() == path &&
                           e.process_kprobe().args(1).int_arg() == 4;
                },
                "security_file_permission(MAY_READ) on " + path));
    const auto& k = ev.process_kprobe();
    SCOPED_TRACE(k.DebugString());
    EXPECT_EQ(k.policy_name(), "kt-kprobe-perm");
    EXPECT_EQ(k.return_().int_arg(), 0) << "permission granted";
}

TEST_F(KernelPathsTest, KprobeOnTcpConnectReadsTheSock) {
    VIGIL_REQUIRE_FEATURE(agent(), "kprobe");
    ASSERT_TRUE(stream_);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-kprobe-tcp
spec:
  kprobes:
  - call: tcp_connect
    syscall: false
    args:
    - index: 0
      type: sock
)");
    VIGIL_ASSERT_OK_AND_ASSIGN(listener, LoopbackListener::open());
    const uint16_t port = listener->port();
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "connect", "127.0.0.1", std::to_string(port)}));
    listener->close();
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().function_name() == "tcp_connect" &&
                           e.process_kprobe().args_size() == 1 &&
                           e.process_kprobe().args(0).sock_arg().dport() == port;
                },
                "tcp_connect to port " + std::to_string(port)));
    const auto& s = ev.process_kprobe().args(0).sock_arg();
    SCOPED_TRACE(s.DebugString());
    EXPECT_EQ(s.family(), "AF_INET");
    EXPECT_EQ(s.type(), "SOCK_STREAM");
    EXPECT_EQ(s.protocol(), "IPPROTO_TCP");
    EXPECT_EQ(s.daddr(), "127.0.0.1");
    EXPECT_EQ(s.saddr(), "127.0.0.1");
    EXPECT_NE(s.sport(), 0u);
    EXPECT_EQ(s.state(), "TCP_SYN_SENT");
}

TEST_F(KernelPathsTest, KprobeOnFdInstallGivesTheFdAndItsFile) {
    VIGIL_REQUIRE_FEATURE(agent(), "kprobe");
    ASSERT_TRUE(stream_);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-kprobe-fdinstall
spec:
  kprobes:
  - call: fd_install
    syscall: false
    args:
    - index: 0
      type: int
    - index: 1
      type: file
    selectors:
    - matchArgs:
      - index: 1
        operator: Prefix
        values:
        - )" + work_.path() + R"(/
)");
    const std::string path = work_ / "installed";
    write_file(path, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "open", path}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().function_name() == "fd_install" &&
                           e.process_kprobe().args_size() == 2 &&
                           e.process_kprobe().args(1).file_arg().path() == path;
                },
                "fd_install of " + path));
    EXPECT_GE(ev.process_kprobe().args(0).int_arg(), 3);
}

TEST_F(KernelPathsTest, FentryHookPostsItsArguments) {
    VIGIL_REQUIRE_FEATURE(agent(), "fentry");
    ASSERT_TRUE(stream_);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-fentry-perm
spec:
  fentries:
  - call: security_file_permission
    args:
    - index: 0
      type: file
    - index: 1
      type: int
    selectors:
    - matchArgs:
      - index: 0
        operator: Prefix
        values:
        - )" + work_.path() + R"(/
)");
    EXPECT_NE(loaded_programs().find("vigil_fentry"), std::string::npos) << "attached as fentry";
    const std::string path = work_ / "fentry-read";
    write_file(path, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "read", path, "16"}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-fentry-perm" &&
                           e.process_kprobe().args_size() == 2 &&
                           e.process_kprobe().args(0).file_arg().path() == path &&
                           e.process_kprobe().args(1).int_arg() == 4;
                },
                "fentry security_file_permission on " + path));
    EXPECT_EQ(ev.process_kprobe().function_name(), "security_file_permission");
}

TEST_F(KernelPathsTest, LsmFileOpenOverrideDeniesTheOpenWithEperm) {
    VIGIL_REQUIRE_FEATURE(agent(), "lsm");
    ASSERT_TRUE(stream_);
    const std::string blocked = work_ / "blocked";
    const std::string allowed = work_ / "allowed";
    write_file(blocked, "secret");
    write_file(allowed, "fine");
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-lsm-open
spec:
  lsmhooks:
  - hook: file_open
    args:
    - index: 0
      type: file
    selectors:
    - matchArgs:
      - index: 0
        operator: Equal
        values:
        - )" + blocked + R"(
      matchActions:
      - action: Override
        argError: -1
)");
    errno = 0;
    int fd = ::open(blocked.c_str(), O_RDONLY | O_CLOEXEC);
    const int err = errno;
    if (fd >= 0) ::close(fd);
    EXPECT_LT(fd, 0);
    EXPECT_EQ(err, EPERM);
    fd = ::open(allowed.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0) << "other files open";
    if (fd >= 0) ::close(fd);
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_lsm() && e.process_lsm().args_size() == 1 &&
                           e.process_lsm().args(0).file_arg().path() == blocked;
                },
                "LSM file_open of " + blocked));
    EXPECT_EQ(ev.process_lsm().function_name(), "file_open");
    EXPECT_EQ(ev.process_lsm().action(), tetragon::KPROBE_ACTION_OVERRIDE);
    EXPECT_EQ(ev.process_lsm().policy_name(), "kt-lsm-open");
}

TEST_F(KernelPathsTest, LsmBprmCheckOverrideStopsTheExec) {
    VIGIL_REQUIRE_FEATURE(agent(), "lsm");
    ASSERT_TRUE(stream_);
    const std::string blocked = work_ / "blocked-true";
    {
        std::ifstream src("/bin/true", std::ios::binary);
        std::ofstream dst(blocked, std::ios::binary);
        dst << src.rdbuf();
    }
    ASSERT_EQ(::chmod(blocked.c_str(), 0755), 0);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-lsm-exec
spec:
  lsmhooks:
  - hook: bprm_check_security
    args:
    - index: 0
      type: linux_binprm
    selectors:
    - matchArgs:
      - index: 0
        operator: Equal
        values:
        - )" + blocked + R"(
      matchActions:
      - action: Override
        argError: -1
)");
    const std::string err_path = work_ / "stderr";
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "fork-exec", blocked}, {.stderr_path = err_path}));
    EXPECT_EQ(describe_wait_status(status), "exited 127") << "the exec failed";
    EXPECT_NE(read_all(err_path).find("Operation not permitted"), std::string::npos) << read_all(err_path);
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_lsm() && e.process_lsm().args_size() == 1 &&
                           e.process_lsm().args(0).linux_binprm_arg().path() == blocked;
                },
                "LSM bprm_check_security of " + blocked));
    EXPECT_EQ(ev.process_lsm().function_name(), "bprm_check_security");
    EXPECT_EQ(ev.process_lsm().action(), tetragon::KPROBE_ACTION_OVERRIDE);
}

TEST_F(KernelPathsTest, FmodRetOverrideOnASecurityFunction) {
    VIGIL_REQUIRE_FEATURE(agent(), "fmodret");
    ASSERT_TRUE(stream_);
    const std::string blocked = work_ / "fmodret-blocked";
    write_file(blocked, "secret");
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-fmodret-open
spec:
  kprobes:
  - call: security_file_open
    syscall: false
    args:
    - index: 0
      type: file
    selectors:
    - matchArgs:
      - index: 0
        operator: Equal
        values:
        - )" + blocked + R"(
      matchActions:
      - action: Override
        argError: -1
)");
    EXPECT_NE(loaded_programs().find("vigil_fmod_ret"), std::string::npos) << "attached as fmod_ret";
    errno = 0;
    int fd = ::open(blocked.c_str(), O_RDONLY | O_CLOEXEC);
    const int err = errno;
    if (fd >= 0) ::close(fd);
    EXPECT_LT(fd, 0);
    EXPECT_EQ(err, EPERM);
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().function_name() == "security_file_open" &&
                           e.process_kprobe().args_size() == 1 &&
                           e.process_kprobe().args(0).file_arg().path() == blocked;
                },
                "fmod_ret security_file_open of " + blocked));
    EXPECT_EQ(ev.process_kprobe().action(), tetragon::KPROBE_ACTION_OVERRIDE);
}

TEST_F(KernelPathsTest, SyscallSigkillThroughAKprobeLeavesTheFileUnchanged) {
    VIGIL_REQUIRE_FEATURE(agent(), "kprobe");
    ASSERT_TRUE(stream_);
    const std::string target = work_ / "passwd";
    write_file(target, "original");
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-kprobe-sigkill
spec:
  kprobes:
  - call: sys_write
    syscall: true
    args:
    - index: 0
      type: fd
    selectors:
    - matchArgs:
      - index: 0
        operator: Equal
        values:
        - )" + target + R"(
      matchActions:
      - action: Sigkill
)");
    const std::string progs = loaded_programs();
    EXPECT_TRUE(progs.find("vigil_kprobe") != std::string::npos) << "syscall hook attached as a kprobe";
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "write", target, "overwritten"}));
    EXPECT_EQ(describe_wait_status(status), "killed by signal 9");
    EXPECT_EQ(read_all(target), "original");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-kprobe-sigkill";
                },
                "the Sigkill event"));
    EXPECT_EQ(ev.process_kprobe().function_name(), "__x64_sys_write");
    EXPECT_EQ(ev.process_kprobe().action(), tetragon::KPROBE_ACTION_SIGKILL);
    EXPECT_EQ(ev.process_kprobe().args(0).file_arg().path(), target);
}

TEST_F(KernelPathsTest, FexitHookHasArgumentsAndReturnValue) {
    VIGIL_REQUIRE_FEATURE(agent(), "fentry");
    ASSERT_TRUE(stream_);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-fexit-perm
spec:
  fentries:
  - call: security_file_permission
    return: true
    returnArg:
      index: 0
      type: int
    args:
    - index: 0
      type: file
    - index: 1
      type: int
    selectors:
    - matchArgs:
      - index: 0
        operator: Prefix
        values:
        - )" + work_.path() + R"(/
)");
    EXPECT_NE(loaded_programs().find("vigil_fexit"), std::string::npos) << "attached as fexit";
    const std::string path = work_ / "fexit-read";
    write_file(path, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "read", path, "16"}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-fexit-perm" &&
                           e.process_kprobe().args_size() == 2 &&
                           e.process_kprobe().args(0).file_arg().path() == path &&
                           e.process_kprobe().args(1).int_arg() == 4;
                },
                "fexit security_file_permission(MAY_READ) on " + path));
    EXPECT_TRUE(ev.process_kprobe().has_return_());
    EXPECT_EQ(ev.process_kprobe().return_().int_arg(), 0);
}

TEST_F(KernelPathsTest, KprobePathAndDentryArguments) {
    VIGIL_REQUIRE_FEATURE(agent(), "kprobe");
    ASSERT_TRUE(stream_);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-kprobe-mkdir
spec:
  kprobes:
  - call: security_path_mkdir
    syscall: false
    args:
    - index: 0
      type: path
    - index: 1
      type: dentry
    selectors:
    - matchArgs:
      - index: 0
        operator: Equal
        values:
        - )" + work_.path() + R"(
)");
    const std::string dir = work_ / "made";
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "mkdir", dir}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-kprobe-mkdir" &&
                           e.process_kprobe().args_size() == 2;
                },
                "security_path_mkdir in " + work_.path()));
    const auto& k = ev.process_kprobe();
    SCOPED_TRACE(k.DebugString());
    EXPECT_EQ(k.args(0).path_arg().path(), work_.path()) << "the parent directory, a full path";
    // A dentry's path stops at its file system's root (the guest's /tmp is on / , the host's may not be).
    const std::string d = k.args(1).path_arg().path();
    const std::string tail = work_.path().substr(work_.path().rfind('/')) + "/made";
    ASSERT_GE(d.size(), tail.size()) << d;
    EXPECT_EQ(d.substr(d.size() - tail.size()), tail);
}

TEST_F(KernelPathsTest, KprobeCredArgument) {
    VIGIL_REQUIRE_FEATURE(agent(), "kprobe");
    ASSERT_TRUE(stream_);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-kprobe-creds
spec:
  kprobes:
  - call: commit_creds
    syscall: false
    args:
    - index: 0
      type: cred
)");
    // The spawned child drops to uid 65534 before its exec: commit_creds with the new creds.
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "exit", "0"}, {.uid = 65534}));
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-kprobe-creds" &&
                           e.process_kprobe().args_size() == 1 &&
                           e.process_kprobe().args(0).process_credentials_arg().uid().value() == 65534;
                },
                "commit_creds to uid 65534"));
    const auto& c = ev.process_kprobe().args(0).process_credentials_arg();
    SCOPED_TRACE(c.DebugString());
    EXPECT_EQ(c.euid().value(), 65534u);
    EXPECT_EQ(c.fsuid().value(), 65534u);
}

TEST_F(KernelPathsTest, KprobeSkbArgument) {
    VIGIL_REQUIRE_FEATURE(agent(), "kprobe");
    ASSERT_TRUE(stream_);
    add_policy(R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-kprobe-skb
spec:
  kprobes:
  - call: __dev_queue_xmit
    syscall: false
    args:
    - index: 0
      type: skb
)");
    VIGIL_ASSERT_OK_AND_ASSIGN(listener, LoopbackListener::open());
    const uint16_t port = listener->port();
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "connect", "127.0.0.1", std::to_string(port)}));
    listener->close();
    ASSERT_EQ(describe_wait_status(status), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream_->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().policy_name() == "kt-kprobe-skb" &&
                           e.process_kprobe().args_size() == 1 &&
                           e.process_kprobe().args(0).skb_arg().dport() == port;
                },
                "a packet to port " + std::to_string(port)));
    const auto& k = ev.process_kprobe().args(0).skb_arg();
    SCOPED_TRACE(k.DebugString());
    EXPECT_EQ(k.family(), "AF_INET");
    EXPECT_EQ(k.protocol(), "IPPROTO_TCP");
    EXPECT_EQ(k.saddr(), "127.0.0.1");
    EXPECT_EQ(k.daddr(), "127.0.0.1");
    EXPECT_GT(k.len(), 0u);
}

}  // namespace
}  // namespace vigil::kt
