// In-kernel selectors and enforcement on this kernel (syscall tracepoints +
// bpf_send_signal): a real vigild loads TracingPolicy files; triggers prove
// what is posted, what is silently skipped, and what is killed.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"

namespace vigil::kt {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// vigild with policies written from templates where "@DIR@" is this test's
// work directory and "@TRIGGER@" the trigger program's path.
class SelectorsTest : public AgentTest {
protected:
    virtual std::vector<std::pair<std::string, std::string>> policies() = 0;
    void SetUp() override {
        for (auto [name, text] : policies()) {
            for (auto [from, to] : {std::pair<std::string, std::string>{"@DIR@", work_.path()},
                                    {"@TRIGGER@", trigger_path()}}) {
                for (auto at = text.find(from); at != std::string::npos; at = text.find(from)) {
                    text.replace(at, from.size(), to);
                }
            }
            write_file(policy_dir_ / name, text);
        }
        AgentTest::SetUp();
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--tracing-policy-dir=" + policy_dir_.path()};
        return o;
    }
    tetragon::TracingPolicyStatus policy_status(const std::string& name) {
        auto stub = agent().stub();
        grpc::ClientContext ctx;
        tetragon::ListTracingPoliciesResponse resp;
        EXPECT_TRUE(stub->ListTracingPolicies(&ctx, {}, &resp).ok());
        for (const auto& p : resp.policies()) {
            if (p.name() == name) return p;
        }
        ADD_FAILURE() << "policy " << name << " not listed";
        return {};
    }
    TempDir policy_dir_{"vigil-kt-sel-policies"};
    TempDir work_{"vigil-kt-sel"};
};

constexpr const char* kProtectFile = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-protect-passwd
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
    - matchPIDs:
      - operator: NotIn
        followForks: true
        isNamespacePID: true
        values: [0, 1]
      matchArgs:
      - index: 0
        operator: Prefix
        values: ["@DIR@/passwd"]
      matchActions:
      - action: Sigkill
)";

class ProtectFileTest : public SelectorsTest {
protected:
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"protect.yaml", kProtectFile}};
    }
    // Before vigild starts: once the policy is loaded, this test process's
    // own write to the file would be killed too.
    void SetUp() override {
        write_file(work_ / "passwd", "root:x:0:0\n");
        SelectorsTest::SetUp();
    }
};

TEST_F(ProtectFileTest, WriterIsKilledFileUnchangedOtherWritesSilent) {
    const std::string passwd = work_ / "passwd";
    const std::string other = work_ / "notes";
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();

    VIGIL_ASSERT_OK_AND_ASSIGN(killed, run_to_exit({trigger_path(), "write", passwd, "EVIL"}));
    EXPECT_EQ(describe_wait_status(killed), "killed by signal 9");
    EXPECT_EQ(read_file(passwd), "root:x:0:0\n") << "the blocked write changed the file";

    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream.value()->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().args_size() == 3 &&
                           e.process_kprobe().args(0).file_arg().path() == passwd;
                },
                "sys_write of " + passwd));
    EXPECT_EQ(ev.process_kprobe().action(), tetragon::KPROBE_ACTION_SIGKILL);
    EXPECT_EQ(ev.process_kprobe().policy_name(), "kt-protect-passwd");
    const std::string exec_id = ev.process_kprobe().process().exec_id();
    VIGIL_ASSERT_OK_AND_ASSIGN(exit, stream.value()->wait_for(exit_of(exec_id), "exit of the killed writer"));
    EXPECT_EQ(exit.process_exit().signal(), "SIGKILL");

    // The same program writing elsewhere: allowed, and no record at all.
    const std::string marker = "ok-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(fine, run_to_exit({trigger_path(), "write", other, marker}));
    EXPECT_EQ(describe_wait_status(fine), "exited 0");
    EXPECT_EQ(read_file(other), marker);
    VIGIL_ASSERT_OK_AND_ASSIGN(exec2, stream.value()->wait_for(exec_with_argument(marker), "exec of the second writer"));
    // Its exit comes after any event of its write (one ring buffer, in order).
    VIGIL_ASSERT_OK(stream.value()
                        ->wait_for(exit_of(exec2.process_exec().process().exec_id()), "exit of the second writer")
                        .ok()
                    ? Status{}
                    : Status{make_error("no exit event")});
    for (const auto& e : stream.value()->events()) {
        if (e.has_process_kprobe()) {
            EXPECT_NE(e.process_kprobe().args(0).file_arg().path(), other) << "a non-matching write was posted";
        }
    }
    auto st = policy_status("kt-protect-passwd");
    EXPECT_EQ(st.stats().action_counters().signal(), 1u);
    EXPECT_EQ(st.mode(), tetragon::TP_MODE_ENFORCE);
}

constexpr const char* kStringSets = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-string-sets
spec:
  kprobes:
  - call: sys_openat
    args:
    - index: 0
      type: int
    - index: 1
      type: string
    selectors:
    - matchArgs:
      - index: 1
        operator: Equal
        values: ["@DIR@/e1", "@DIR@/e2", "@DIR@/e3", "@DIR@/e4", "@DIR@/e5", "@DIR@/e6"]
    - matchArgs:
      - index: 1
        operator: Prefix
        values: ["@DIR@/p1-", "@DIR@/p2-", "@DIR@/p3-", "@DIR@/p4-", "@DIR@/p5-", "@DIR@/p6-"]
    - matchArgs:
      - index: 1
        operator: Postfix
        values: [".s1", ".s2", ".s3", ".s4", ".s5", ".s6"]
)";

class StringSetsTest : public SelectorsTest {
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"sets.yaml", kStringSets}};
    }
};

TEST_F(StringSetsTest, EqualPrefixAndPostfixSetsOfSixValues) {
    struct Case {
        std::string name;
        bool posted;
    };
    const std::vector<Case> cases = {
        {"e6", true},         {"e7", false},        {"e1x", false},   {"p5-anything", true},
        {"p7-nope", false},   {"xp1-", false},      {"file.s4", true}, {"file.s7", false},
        {"file.s4.bak", false},
    };
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    std::string last_exec_id;
    for (const auto& c : cases) {
        const std::string path = work_ / c.name;
        write_file(path, "x");
        VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "open", path}));
        ASSERT_EQ(describe_wait_status(status), "exited 0") << path;
    }
    // Barrier: the exit of one more trigger run comes after every earlier event.
    const std::string marker = "barrier-" + random_token();
    VIGIL_ASSERT_OK_AND_ASSIGN(b, run_to_exit({trigger_path(), "exit", "0", marker}));
    (void)b;
    VIGIL_ASSERT_OK_AND_ASSIGN(bexec, stream.value()->wait_for(exec_with_argument(marker), "barrier exec"));
    VIGIL_ASSERT_OK_AND_ASSIGN(bexit, stream.value()->wait_for(exit_of(bexec.process_exec().process().exec_id()),
                                                               "barrier exit"));
    (void)bexit;
    std::set<std::string> seen;
    for (const auto& e : stream.value()->events()) {
        if (e.has_process_kprobe() && e.process_kprobe().args_size() == 2) {
            seen.insert(e.process_kprobe().args(1).string_arg());
        }
    }
    for (const auto& c : cases) {
        EXPECT_EQ(seen.count(work_ / c.name), c.posted ? 1u : 0u) << c.name;
    }
}

constexpr const char* kBinaries = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-binaries
spec:
  kprobes:
  - call: sys_openat
    args:
    - index: 0
      type: int
    - index: 1
      type: string
    selectors:
    - matchBinaries:
      - operator: In
        values: ["@TRIGGER@"]
      matchArgs:
      - index: 1
        operator: Prefix
        values: ["@DIR@/"]
)";

class BinariesTest : public SelectorsTest {
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"bins.yaml", kBinaries}};
    }
};

TEST_F(BinariesTest, OnlyTheListedBinaryIsPosted) {
    const std::string path = work_ / ("target-" + random_token());
    write_file(path, "x");
    auto stream = agent().subscribe_binaries({"vigil_trigger$", "^/usr/bin/cat$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    VIGIL_ASSERT_OK_AND_ASSIGN(cat, run_to_exit({"/usr/bin/cat", path}));
    ASSERT_EQ(describe_wait_status(cat), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(t, run_to_exit({trigger_path(), "open", path}));
    ASSERT_EQ(describe_wait_status(t), "exited 0");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream.value()->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().args(1).string_arg() == path;
                },
                "openat by vigil_trigger"));
    EXPECT_EQ(ev.process_kprobe().process().binary(), trigger_path());
    for (const auto& e : stream.value()->events()) {
        if (e.has_process_kprobe()) {
            EXPECT_NE(e.process_kprobe().process().binary(), "/usr/bin/cat") << "cat's open was posted";
        }
    }
}

constexpr const char* kMonitor = R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: kt-monitor
spec:
  options:
  - name: policy-mode
    value: monitor
  kprobes:
  - call: sys_write
    args:
    - index: 0
      type: fd
    selectors:
    - matchArgs:
      - index: 0
        operator: Equal
        values: ["@DIR@/watched"]
      matchActions:
      - action: Sigkill
)";

class MonitorModeTest : public SelectorsTest {
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"monitor.yaml", kMonitor}};
    }
};

TEST_F(MonitorModeTest, WriterLivesAndTheWouldBeKillIsCounted) {
    const std::string watched = work_ / "watched";
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit({trigger_path(), "write", watched, "data"}));
    EXPECT_EQ(describe_wait_status(status), "exited 0");
    EXPECT_EQ(read_file(watched), "data");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ev, stream.value()->wait_for(
                [&](const tetragon::GetEventsResponse& e) {
                    return e.has_process_kprobe() && e.process_kprobe().args(0).file_arg().path() == watched;
                },
                "sys_write of " + watched));
    (void)ev;
    auto st = policy_status("kt-monitor");
    EXPECT_EQ(st.mode(), tetragon::TP_MODE_MONITOR);
    EXPECT_EQ(st.stats().action_counters().monitor_signal(), 1u);
    EXPECT_EQ(st.stats().action_counters().signal(), 0u);
}

}  // namespace
}  // namespace vigil::kt
