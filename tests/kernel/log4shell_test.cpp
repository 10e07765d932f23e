// The shipped policies/log4shell.yaml, end to end: a server whose binary is
// named `java` spawns a shell and connects outside its allowed destination,
// as an exploited JVM would. Only loopback addresses are used (127.0.0.1 is
// allowed by the policy, 127.0.0.2 is not).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"

namespace vigil::kt {
namespace {

// A TCP listener on a loopback address with an ephemeral port.
class Listener {
public:
    explicit Listener(const char* ip) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        inet_pton(AF_INET, ip, &sin.sin_addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0 || ::listen(fd_, 8) != 0) {
            ::close(fd_);
            fd_ = -1;
            return;
        }
        socklen_t len = sizeof(sin);
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len);
        port_ = ntohs(sin.sin_port);
    }
    ~Listener() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return fd_ >= 0; }
    std::string port() const { return std::to_string(port_); }
    // Everything received on connections accepted within `timeout`; the
    // sender has exited by the time this is called, so reads end.
    std::string received(Millis timeout) {
        std::string out;
        pollfd p{fd_, POLLIN, 0};
        while (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
            int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) break;
            char buf[256];
            for (ssize_t n; (n = ::read(c, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<std::size_t>(n));
            ::close(c);
        }
        return out;
    }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

class Log4ShellTest : public AgentTest {
protected:
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {std::string("--tracing-policy=") + VIGIL_SOURCE_DIR + "/policies/log4shell.yaml",
                        "--tracing-policy-dir=" + work_.path() + "/no-such-dir"};
        return o;
    }
    void SetUp() override {
        java_ = work_ / "java";
        std::filesystem::copy_file(trigger_path(), java_);
        std::filesystem::permissions(java_, std::filesystem::perms::owner_all);
        AgentTest::SetUp();
    }
    TempDir work_{"vigil-kt-log4shell"};
    std::string java_;
};

TEST_F(Log4ShellTest, ShellFromJavaIsKilledBeforeItRunsAnything) {
    auto stream = agent().subscribe_binaries({"/java$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    const std::string trace = work_ / "pwned";
    VIGIL_ASSERT_OK_AND_ASSIGN(status,
                               run_to_exit({java_, "fork-exec", "/bin/sh", "-c", "echo pwned > " + trace}));
    EXPECT_EQ(describe_wait_status(status), "exited 137") << "java's child should die by SIGKILL";
    EXPECT_FALSE(std::filesystem::exists(trace)) << "the shell ran its command";
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream.value()->wait_for(
                [](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().function_name() == "__x64_sys_execve";
                },
                "sys_execve by java"));
    const auto& k = ev.process_kprobe();
    EXPECT_EQ(k.action(), tetragon::KPROBE_ACTION_SIGKILL);
    EXPECT_EQ(k.args(0).string_arg(), "/bin/sh");
    EXPECT_EQ(k.process().binary(), java_);
    EXPECT_EQ(k.policy_name(), "log4shell");
    EXPECT_EQ(k.message(), "java tried to start a shell");
}

TEST_F(Log4ShellTest, ConnectOutsideTheAllowedSetIsStopped) {
    Listener forbidden("127.0.0.2");
    Listener allowed("127.0.0.1");
    ASSERT_TRUE(forbidden.ok() && allowed.ok());
    auto stream = agent().subscribe_binaries({"/java$"});
    ASSERT_TRUE(stream.ok()) << stream.error();

    VIGIL_ASSERT_OK_AND_ASSIGN(blocked, run_to_exit({java_, "connect-send", "127.0.0.2", forbidden.port(), "exfil"}));
    EXPECT_EQ(describe_wait_status(blocked), "killed by signal 9");
    EXPECT_EQ(forbidden.received(500ms), "") << "data reached the forbidden destination";
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream.value()->wait_for(
                [](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().function_name() == "__x64_sys_connect";
                },
                "sys_connect by java"));
    EXPECT_EQ(ev.process_kprobe().action(), tetragon::KPROBE_ACTION_SIGKILL);
    EXPECT_EQ(ev.process_kprobe().args(1).sockaddr_arg().addr(), "127.0.0.2");

    VIGIL_ASSERT_OK_AND_ASSIGN(fine, run_to_exit({java_, "connect-send", "127.0.0.1", allowed.port(), "hello"}));
    EXPECT_EQ(describe_wait_status(fine), "exited 0");
    EXPECT_EQ(allowed.received(2000ms), "hello");
}

TEST_F(Log4ShellTest, OtherProgramsStillStartShells) {
    const std::string trace = work_ / "ok";
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "fork-exec", "/bin/sh", "-c", "echo ok > " + trace}));
    EXPECT_EQ(describe_wait_status(status), "exited 0");
    EXPECT_TRUE(std::filesystem::exists(trace));
}

}  // namespace
}  // namespace vigil::kt
