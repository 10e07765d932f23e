// InMap / NotInMap in the kernel (issue 5): Tetragon's raw_syscalls pattern,
// a syscall list matched as syscall numbers, with a real vigild on this
// kernel. The trigger makes dup, dup2 and other calls in one process; only
// the calls whose number is in (or, for NotInMap, out of) the set are posted.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "policy_template_fixture.h"

namespace vigil::kt {
namespace {

constexpr std::uint64_t kDup = 32;   // x86_64
constexpr std::uint64_t kDup2 = 33;
constexpr std::uint64_t kOpenat = 257;

// raw_syscalls/sys_enter posting the syscall id (format field 4) of vigil_trigger's calls.
std::string sys_enter_policy(const std::string& name, const std::string& op, const std::string& values) {
    return R"(apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: )" + name + R"(
spec:
  lists:
  - name: dups
    type: syscalls
    values: [sys_dup, sys_dup2]
  tracepoints:
  - subsystem: raw_syscalls
    event: sys_enter
    args:
    - index: 4
      type: uint64
    selectors:
    - matchArgs:
      - index: 0
        operator: )" + op + R"(
        values: )" + values + R"(
      matchBinaries:
      - {operator: Postfix, values: ["/vigil_trigger"]}
)";
}

class InMapTest : public PolicyTemplateTest {
protected:
    std::vector<std::pair<std::string, std::string>> policies() override {
        return {{"in.yaml", sys_enter_policy("kt-in-map", "InMap", "[\"list:dups\"]")},
                // Everything but the dups and a range holding openat: what else the trigger calls.
                {"notin.yaml", sys_enter_policy("kt-not-in-map", "NotInMap", "[\"list:dups\", \"250:260\"]")}};
    }
    // Syscall ids posted by `policy` for the process with this pid.
    std::multiset<std::uint64_t> posted_ids(const EventStream& s, const std::string& policy, std::uint32_t pid) {
        std::multiset<std::uint64_t> out;
        for (const auto& e : s.events()) {
            if (!e.has_process_tracepoint()) continue;
            const auto& t = e.process_tracepoint();
            if (t.policy_name() != policy || t.process().pid().value() != pid || t.args_size() != 1) continue;
            out.insert(t.args(0).size_arg());
        }
        return out;
    }
};

TEST_F(InMapTest, SyscallListSelectsTheCallsByNumber) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    const std::string file = work_ / "f";
    write_file(file, "x");
    VIGIL_ASSERT_OK_AND_ASSIGN(
        child, Child::spawn({trigger_path(), "steps", "dup", "open:" + file, "dup2", "dup", "open:" + file}));
    const std::uint32_t pid = static_cast<std::uint32_t>(child.pid());
    const auto st = child.wait(kEventTimeout);
    ASSERT_TRUE(st.has_value()) << "vigil_trigger steps did not end";
    ASSERT_EQ(describe_wait_status(*st), "exited 0");
    run_and_drain(*stream.value(), {trigger_path(), "exit", "0"}, trigger_path());

    EXPECT_EQ(posted_ids(*stream.value(), "kt-in-map", pid), (std::multiset<std::uint64_t>{kDup, kDup, kDup2}));
    const auto others = posted_ids(*stream.value(), "kt-not-in-map", pid);
    EXPECT_FALSE(others.empty()) << "NotInMap posted none of the trigger's other calls";
    for (std::uint64_t id : {kDup, kDup2, kOpenat}) {
        EXPECT_EQ(others.count(id), 0u) << "NotInMap posted syscall " << id << ", which is in its set";
    }
}

}  // namespace
}  // namespace vigil::kt
