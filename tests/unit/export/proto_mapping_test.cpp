// model -> Tetragon proto mapping: field by field, with Tetragon's string
// conventions for arguments, flags and exit signals.
#include "export/proto_mapping.h"

#include <gtest/gtest.h>

#include "export/json_codec.h"

namespace vigil::exporter {
namespace {

model::Process sample_process() {
    model::Process p;
    p.key = {4242, 1'000'000'000};
    p.parent_key = {1, 10'000'000};
    p.exec_id = "exec-id";
    p.parent_exec_id = "parent-id";
    p.pid = 4242;
    p.tid = 4242;
    p.ppid = 1;
    p.auid = 1000;
    p.creds = {1, 2, 3, 4, 5, 6, 7, 8};  // uid euid suid fsuid gid egid sgid fsgid
    p.caps = {(1ull << 21) | 1ull, 1ull << 21, 0};
    p.ns = {11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    p.binary = "/usr/bin/echo";
    p.argv = {"hello", "two words", "x"};
    p.cwd = "/tmp";
    p.start_ktime = 1'000'000'000;
    p.flags = model::kFlagExecve | model::kFlagClone;
    return p;
}

ProtoMapper mapper(bool cred = true, bool ns = true) {
    model::Namespaces host{11, 0, 99, 14, 0, 0, 0, 0, 0, 20};
    // realtime - boottime = 1e9: boot ns 1e9 is wall 2 s after the epoch.
    return ProtoMapper({"node-a", cred, ns}, BootClock(1'000'000'000), host);
}

TEST(ProtoMapping, ExecEventCarriesEveryProcessField) {
    auto p = sample_process();
    auto parent = sample_process();
    parent.exec_id = "parent-id";
    parent.binary = "/bin/bash";
    auto ev = mapper().exec_event({&p, 1}, {&parent, 2}, 1'500'000'000);

    ASSERT_TRUE(ev.has_process_exec());
    const auto& proc = ev.process_exec().process();
    EXPECT_EQ(proc.exec_id(), "exec-id");
    EXPECT_EQ(proc.pid().value(), 4242u);
    EXPECT_EQ(proc.tid().value(), 4242u);
    EXPECT_EQ(proc.uid().value(), 2u);  // effective uid, like Tetragon
    EXPECT_EQ(proc.auid().value(), 1000u);
    EXPECT_EQ(proc.binary(), "/usr/bin/echo");
    EXPECT_EQ(proc.arguments(), "hello \"two words\" x");
    EXPECT_EQ(proc.cwd(), "/tmp");
    EXPECT_EQ(proc.flags(), "execve clone");
    EXPECT_EQ(proc.parent_exec_id(), "parent-id");
    EXPECT_EQ(proc.refcnt(), 1u);
    EXPECT_EQ(proc.start_time().seconds(), 2);
    EXPECT_EQ(proc.process_credentials().uid().value(), 1u);
    EXPECT_EQ(proc.process_credentials().euid().value(), 2u);
    EXPECT_EQ(proc.process_credentials().suid().value(), 3u);
    EXPECT_EQ(proc.process_credentials().fsuid().value(), 4u);
    EXPECT_EQ(proc.process_credentials().gid().value(), 5u);
    EXPECT_EQ(proc.process_credentials().egid().value(), 6u);
    EXPECT_EQ(proc.process_credentials().sgid().value(), 7u);
    EXPECT_EQ(proc.process_credentials().fsgid().value(), 8u);
    ASSERT_EQ(proc.cap().permitted_size(), 2);
    EXPECT_EQ(proc.cap().permitted(0), tetragon::CAP_CHOWN);
    EXPECT_EQ(proc.cap().permitted(1), tetragon::CAP_SYS_ADMIN);
    ASSERT_EQ(proc.cap().effective_size(), 1);
    EXPECT_EQ(proc.cap().inheritable_size(), 0);
    EXPECT_EQ(proc.ns().uts().inum(), 11u);
    EXPECT_TRUE(proc.ns().uts().is_host());
    EXPECT_EQ(proc.ns().mnt().inum(), 13u);
    EXPECT_FALSE(proc.ns().mnt().is_host());
    EXPECT_EQ(proc.ns().user().inum(), 20u);
    EXPECT_TRUE(proc.ns().user().is_host());

    EXPECT_EQ(ev.process_exec().parent().binary(), "/bin/bash");
    EXPECT_EQ(ev.process_exec().parent().refcnt(), 2u);
    EXPECT_EQ(ev.node_name(), "node-a");
    EXPECT_EQ(ev.time().seconds(), 2);
    EXPECT_EQ(ev.time().nanos(), 500'000'000);
}

TEST(ProtoMapping, CredentialsAndNamespacesCanBeLeftOut) {
    auto p = sample_process();
    auto ev = mapper(false, false).exec_event({&p, 1}, {nullptr, 0}, 1);
    const auto& proc = ev.process_exec().process();
    EXPECT_FALSE(proc.has_process_credentials());
    EXPECT_FALSE(proc.has_cap());
    EXPECT_FALSE(proc.has_ns());
    EXPECT_FALSE(ev.process_exec().has_parent());
}

TEST(ProtoMapping, ExitStatusAndSignalFromWaitStatus) {
    auto p = sample_process();
    model::ExitEvent exit{p.key, 4242, 7 << 8, 3'000'000'000};
    auto ev = mapper().exit_event({&p, 0}, {nullptr, 0}, exit);
    ASSERT_TRUE(ev.has_process_exit());
    EXPECT_EQ(ev.process_exit().status(), 7u);
    EXPECT_EQ(ev.process_exit().signal(), "");
    EXPECT_EQ(ev.process_exit().time().seconds(), 4);
    EXPECT_EQ(ev.process_exit().process().refcnt(), 0u);

    exit.exit_code = 9;  // killed by SIGKILL
    EXPECT_EQ(mapper().exit_event({&p, 0}, {nullptr, 0}, exit).process_exit().signal(), "SIGKILL");
    exit.exit_code = 0x80 | 11;  // SIGSEGV, core dumped
    auto segv = mapper().exit_event({&p, 0}, {nullptr, 0}, exit);
    EXPECT_EQ(segv.process_exit().signal(), "SIGSEGV");
    EXPECT_EQ(segv.process_exit().status(), 0u);
}

TEST(ProtoMapping, ArgumentsQuotingFollowsTetragon) {
    EXPECT_EQ(format_arguments({}), "");
    EXPECT_EQ(format_arguments({"a", "b"}), "a b");
    EXPECT_EQ(format_arguments({"-c", "echo hi"}), "-c \"echo hi\"");
    // Tetragon quirk: a quoted first argument leaves a leading space.
    EXPECT_EQ(format_arguments({"echo hi", "x"}), " \"echo hi\" x");
    EXPECT_EQ(format_arguments({"", "x"}), " x");
}

TEST(ProtoMapping, FlagsInTetragonOrder) {
    EXPECT_EQ(format_flags(0), "");
    EXPECT_EQ(format_flags(model::kFlagClone | model::kFlagRootCwd | model::kFlagExecve),
              "execve rootcwd clone");
    EXPECT_EQ(format_flags(model::kFlagProcFS | model::kFlagTruncArgs), "procFS truncArgs");
    EXPECT_EQ(format_flags(model::kFlagErrorCgroupName | model::kFlagErrorCwd), "errorCWD errorCgroupName");
}

TEST(ProtoMapping, SignalNames) {
    EXPECT_EQ(signal_name(0), "");
    EXPECT_EQ(signal_name(9), "SIGKILL");
    EXPECT_EQ(signal_name(15), "SIGTERM");
    EXPECT_EQ(signal_name(31), "SIGSYS");
    EXPECT_EQ(signal_name(34), "");
}

TEST(ProtoMapping, InvalidUtf8IsReplacedSoEncodingNeverFails) {
    EXPECT_EQ(to_valid_utf8("plain"), "plain");
    EXPECT_EQ(to_valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
    EXPECT_EQ(to_valid_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
    EXPECT_EQ(to_valid_utf8("\xC3"), "\xEF\xBF\xBD");          // truncated sequence
    EXPECT_EQ(to_valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
    EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate

    auto p = sample_process();
    p.binary = "/tmp/\xFF\xFE";
    p.argv = {"\x80"};
    auto line = to_json_line(mapper().exec_event({&p, 1}, {nullptr, 0}, 1));
    EXPECT_EQ(line.find("vigil_encode_error"), std::string::npos) << line;
    EXPECT_NE(line.find("/tmp/\xEF\xBF\xBD\xEF\xBF\xBD"), std::string::npos) << line;
}

}  // namespace
}  // namespace vigil::exporter
