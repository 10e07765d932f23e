// Base sensor, end to end: raw_tp/sched_process_{exec,fork,exit} -> vigild ->
// GetEvents stream and JSON export. Each test triggers one known thing with
// vigil_trigger (as a child of this test) and asserts the event fields.
#include <filesystem>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "event_checks.h"

namespace vigil::kt {
namespace {

class ProcessEventsTest : public AgentTest {};

// Checks an exec event of a direct child of this test process, run from `cwd`
// as `uid`, and the fields every exec carries.
void expect_child_exec(const tetragon::GetEventsResponse& ev, const Vigild& agent, pid_t child_pid,
                       const std::string& cwd, uint32_t uid) {
    ASSERT_TRUE(ev.has_process_exec()) << describe(ev);
    const auto& p = ev.process_exec().process();
    const auto& parent = ev.process_exec().parent();
    SCOPED_TRACE(describe(ev));

    EXPECT_EQ(ev.node_name(), agent.node_name());
    EXPECT_EQ(p.binary(), trigger_path());
    EXPECT_EQ(p.cwd(), cwd);
    ASSERT_TRUE(p.has_pid());
    EXPECT_EQ(p.pid().value(), static_cast<uint32_t>(child_pid));
    ASSERT_TRUE(p.has_tid());
    EXPECT_EQ(p.tid().value(), static_cast<uint32_t>(child_pid)) << "the exec'ing thread is the group leader";
    ASSERT_TRUE(p.has_uid());
    EXPECT_EQ(p.uid().value(), uid);
    ASSERT_TRUE(p.has_process_credentials());
    EXPECT_EQ(p.process_credentials().uid().value(), uid);
    EXPECT_EQ(p.process_credentials().euid().value(), uid);
    EXPECT_TRUE(p.has_auid());
    EXPECT_TRUE(p.has_ns()) << "exec event without namespaces";
    EXPECT_TRUE(p.has_cap()) << "exec event without capabilities";
    EXPECT_TRUE(has_flag(p.flags(), "execve")) << "flags: " << p.flags();
    EXPECT_FALSE(has_flag(p.flags(), "procFS")) << "flags: " << p.flags();
    ASSERT_TRUE(p.has_start_time());
    EXPECT_LT(seconds_from_now(p.start_time()), 60.0) << "start_time " << p.start_time().DebugString();

    // exec_id = base64("<node>:<ktime>:<pid>").
    const std::string decoded = b64_decode(p.exec_id());
    const std::string prefix = agent.node_name() + ":";
    EXPECT_EQ(decoded.rfind(prefix, 0), 0u) << "exec_id decodes to " << decoded;
    EXPECT_TRUE(decoded.ends_with(":" + std::to_string(child_pid))) << "exec_id decodes to " << decoded;

    // The parent is this test process, known to vigild from its /proc scan.
    ASSERT_TRUE(ev.process_exec().has_parent()) << "exec event without parent";
    EXPECT_EQ(parent.pid().value(), static_cast<uint32_t>(::getpid()));
    EXPECT_FALSE(parent.exec_id().empty());
    EXPECT_EQ(p.parent_exec_id(), parent.exec_id());
    EXPECT_EQ(parent.binary(), self_exe());
    EXPECT_TRUE(has_flag(parent.flags(), "procFS")) << "parent flags: " << parent.flags();
}

// Runs vigil_trigger exit 7 <marker> "arg with space" from a temp dir and
// checks the exec and exit events, streamed to a subscription made before.
void check_exec_and_exit(Vigild& agent, std::optional<uid_t> uid) {
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent.subscribe_binaries({"vigil_trigger$"}));
    TempDir cwd("vigil-kt-cwd");
    const std::string marker = "--marker-" + random_token();
    SpawnOptions so;
    so.cwd = cwd.path();
    so.uid = uid;
    VIGIL_ASSERT_OK_AND_ASSIGN(child, Child::spawn({trigger_path(), "exit", "7", marker, "arg with space"}, so));
    const auto status = child.wait(kEventTimeout);
    ASSERT_TRUE(status) << "vigil_trigger did not exit";
    ASSERT_EQ(describe_wait_status(*status), "exited 7");

    VIGIL_ASSERT_OK_AND_ASSIGN(exec, stream->wait_for(exec_with_argument(marker), "process_exec " + marker));
    const auto& p = exec.process_exec().process();
    EXPECT_EQ(p.arguments(), "exit 7 " + marker + " \"arg with space\"");
    expect_child_exec(exec, agent, child.pid(), cwd.path(), uid.value_or(0));

    VIGIL_ASSERT_OK_AND_ASSIGN(exit, stream->wait_for(exit_of(p.exec_id()), "process_exit of " + p.exec_id()));
    const auto& e = exit.process_exit();
    SCOPED_TRACE(describe(exit));
    EXPECT_EQ(e.status(), 7u);
    EXPECT_EQ(e.signal(), "");
    EXPECT_EQ(e.process().pid().value(), static_cast<uint32_t>(child.pid()));
    EXPECT_EQ(e.process().binary(), trigger_path());
    EXPECT_EQ(e.parent().exec_id(), exec.process_exec().parent().exec_id());
    ASSERT_TRUE(e.has_time());
    EXPECT_LT(seconds_from_now(e.time()), 60.0);
}

TEST_F(ProcessEventsTest, ExecAndExitOfChildAreStreamed) { check_exec_and_exit(agent(), std::nullopt); }

TEST_F(ProcessEventsTest, ExecAfterSetuidCarriesNewUid) { check_exec_and_exit(agent(), 65534); }

TEST_F(ProcessEventsTest, ExecAndExitAreWrittenToExportFile) {
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
    const std::string marker = "--export-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "exit", "3", marker}));
    ASSERT_EQ(describe_wait_status(status), "exited 3");

    VIGIL_ASSERT_OK_AND_ASSIGN(grpc_exec, stream->wait_for(exec_with_argument(marker), "process_exec " + marker));
    const std::string exec_id = grpc_exec.process_exec().process().exec_id();
    VIGIL_ASSERT_OK_AND_ASSIGN(grpc_exit, stream->wait_for(exit_of(exec_id), "process_exit of " + exec_id));

    auto& file = agent().export_file();
    VIGIL_ASSERT_OK_AND_ASSIGN(file_exec, file.wait_for(exec_with_argument(marker), "process_exec " + marker));
    VIGIL_ASSERT_OK_AND_ASSIGN(file_exit, file.wait_for(exit_of(exec_id), "process_exit of " + exec_id));
    EXPECT_TRUE(file.errors().empty()) << file.errors().size() << " unparsable line(s), first: " << file.errors()[0];

    // Same event, both ways out.
    const auto& gp = grpc_exec.process_exec().process();
    const auto& fp = file_exec.process_exec().process();
    EXPECT_EQ(fp.exec_id(), exec_id);
    EXPECT_EQ(fp.pid().value(), gp.pid().value());
    EXPECT_EQ(fp.binary(), gp.binary());
    EXPECT_EQ(fp.arguments(), gp.arguments());
    EXPECT_EQ(fp.arguments(), "exit 3 " + marker);
    EXPECT_EQ(fp.cwd(), gp.cwd());
    EXPECT_EQ(fp.flags(), gp.flags());
    EXPECT_EQ(fp.parent_exec_id(), gp.parent_exec_id());
    EXPECT_EQ(file_exec.process_exec().parent().exec_id(), grpc_exec.process_exec().parent().exec_id());
    EXPECT_EQ(file_exec.node_name(), agent().node_name());
    EXPECT_EQ(file_exit.process_exit().status(), 3u);
    EXPECT_EQ(file_exit.process_exit().status(), grpc_exit.process_exit().status());
    EXPECT_EQ(file_exit.process_exit().signal(), "");
}

TEST_F(ProcessEventsTest, SigkillIsReportedOnExit) {
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
    const std::string marker = "--kill-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(child, Child::spawn({trigger_path(), "sleep", marker}));
    // Kill only once it has exec'd, so the exit belongs to vigil_trigger.
    VIGIL_ASSERT_OK_AND_ASSIGN(exec, stream->wait_for(exec_with_argument(marker), "process_exec " + marker));
    child.kill(SIGKILL);
    const auto status = child.wait(kEventTimeout);
    ASSERT_TRUE(status);
    ASSERT_EQ(describe_wait_status(*status), "killed by signal 9");

    const std::string exec_id = exec.process_exec().process().exec_id();
    VIGIL_ASSERT_OK_AND_ASSIGN(exit, stream->wait_for(exit_of(exec_id), "process_exit of " + exec_id));
    SCOPED_TRACE(describe(exit));
    EXPECT_EQ(exit.process_exit().signal(), "SIGKILL");
    EXPECT_EQ(exit.process_exit().status(), 0u);
    EXPECT_EQ(exit.process_exit().process().pid().value(), static_cast<uint32_t>(child.pid()));
}

TEST_F(ProcessEventsTest, ForkThenExecHasTheForkingProcessAsParent) {
    // The filter admits any *true; the asserts below pin the exact binary.
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$", "true$"}));
    const std::string marker = "--fork-exec-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(child, Child::spawn({trigger_path(), "fork-exec", "/bin/true", marker}));
    const auto status = child.wait(kEventTimeout);
    ASSERT_TRUE(status);
    ASSERT_EQ(describe_wait_status(*status), "exited 0");

    VIGIL_ASSERT_OK_AND_ASSIGN(
        trigger, stream->wait_for(
                     [&](const tetragon::GetEventsResponse& ev) {
                         return ev.has_process_exec() && ev.process_exec().process().binary() == trigger_path() &&
                                ev.process_exec().process().arguments() == "fork-exec /bin/true " + marker;
                     },
                     "process_exec of vigil_trigger fork-exec " + marker));
    VIGIL_ASSERT_OK_AND_ASSIGN(
        true_exec, stream->wait_for(
                       [&](const tetragon::GetEventsResponse& ev) {
                           return ev.has_process_exec() && ev.process_exec().process().arguments() == marker;
                       },
                       "process_exec of /bin/true " + marker));

    const auto& t = trigger.process_exec().process();
    const auto& p = true_exec.process_exec().process();
    SCOPED_TRACE(describe(true_exec));
    EXPECT_EQ(t.pid().value(), static_cast<uint32_t>(child.pid()));
    // The binary is the exec'd file's path resolved in the kernel, so the
    // /bin -> usr/bin symlink of merged-/usr systems is followed.
    EXPECT_EQ(p.binary(), std::filesystem::canonical("/bin/true").string());
    EXPECT_NE(p.pid().value(), t.pid().value()) << "/bin/true runs in the forked child";
    EXPECT_TRUE(has_flag(p.flags(), "execve")) << "flags: " << p.flags();
    EXPECT_NE(p.exec_id(), t.exec_id());
    EXPECT_EQ(p.parent_exec_id(), t.exec_id());
    EXPECT_EQ(true_exec.process_exec().parent().exec_id(), t.exec_id());
    EXPECT_EQ(true_exec.process_exec().parent().pid().value(), t.pid().value());
    EXPECT_EQ(true_exec.process_exec().parent().binary(), trigger_path());

    VIGIL_ASSERT_OK_AND_ASSIGN(true_exit, stream->wait_for(exit_of(p.exec_id()), "process_exit of /bin/true"));
    EXPECT_EQ(true_exit.process_exit().status(), 0u);
    EXPECT_EQ(true_exit.process_exit().parent().exec_id(), t.exec_id());
    VIGIL_ASSERT_OK_AND_ASSIGN(trigger_exit, stream->wait_for(exit_of(t.exec_id()), "process_exit of vigil_trigger"));
    EXPECT_EQ(trigger_exit.process_exit().status(), 0u);
}

// A process that was running before vigild started is reported from the
// start-up /proc scan (flag procFS, export file only: no client could have
// subscribed yet), and its later exit is correlated with that exec_id.
class PreExistingProcessTest : public AgentTest {
protected:
    void SetUp() override {
        auto child = Child::spawn({trigger_path(), "sleep", marker_});
        ASSERT_TRUE(child.ok()) << child.error();
        sleeper_ = std::move(child).value();
        AgentTest::SetUp();
    }

    const std::string marker_ = "--pre-" + random_token();
    Child sleeper_;
};

TEST_F(PreExistingProcessTest, ProcScanExecIsExportedAndExitCorrelates) {
    auto& file = agent().export_file();
    VIGIL_ASSERT_OK_AND_ASSIGN(
        exec, file.wait_for(
                  [&](const tetragon::GetEventsResponse& ev) {
                      return exec_with_argument(marker_)(ev) &&
                             has_flag(ev.process_exec().process().flags(), "procFS");
                  },
                  "process_exec with flag procFS for vigil_trigger sleep " + marker_));
    const auto& p = exec.process_exec().process();
    SCOPED_TRACE(describe(exec));
    EXPECT_EQ(p.binary(), trigger_path());
    EXPECT_EQ(p.arguments(), "sleep " + marker_);
    EXPECT_EQ(p.pid().value(), static_cast<uint32_t>(sleeper_.pid()));
    EXPECT_TRUE(b64_decode(p.exec_id()).ends_with(":" + std::to_string(sleeper_.pid())))
        << "exec_id decodes to " << b64_decode(p.exec_id());
    EXPECT_EQ(exec.process_exec().parent().pid().value(), static_cast<uint32_t>(::getpid()));
    EXPECT_EQ(p.parent_exec_id(), exec.process_exec().parent().exec_id());

    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
    sleeper_.kill(SIGKILL);
    ASSERT_TRUE(sleeper_.wait(kEventTimeout));
    VIGIL_ASSERT_OK_AND_ASSIGN(exit, stream->wait_for(exit_of(p.exec_id()), "process_exit of " + p.exec_id()));
    SCOPED_TRACE(describe(exit));
    EXPECT_EQ(exit.process_exit().signal(), "SIGKILL");
    EXPECT_EQ(exit.process_exit().process().pid().value(), static_cast<uint32_t>(sleeper_.pid()));
    EXPECT_EQ(exit.process_exit().process().binary(), trigger_path());
}

}  // namespace
}  // namespace vigil::kt
