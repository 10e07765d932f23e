// Kernel-test fixture: a real vigild started with policies written from
// templates, where "@DIR@" stands for the test's own work directory, plus
// helpers to drain the event stream and count what a policy posted.
#pragma once

#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"

namespace vigil::kt {

inline void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A TracingPolicy `name` with one sys_openat hook capturing the path (index 1) as a
// string, and `selectors`: YAML list items indented by four spaces ("    - match...").
inline std::string openat_policy(const std::string& name, const std::string& selectors) {
    return "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: " + name +
           "\nspec:\n  kprobes:\n  - call: sys_openat\n    args:\n    - index: 1\n      type: string\n"
           "    selectors:\n" + selectors;
}

class PolicyTemplateTest : public AgentTest {
protected:
    // (file name, policy text) pairs; "@DIR@" becomes work_.path().
    virtual std::vector<std::pair<std::string, std::string>> policies() = 0;
    void SetUp() override {
        for (auto [name, text] : policies()) {
            const std::string from = "@DIR@";
            for (auto at = text.find(from); at != std::string::npos; at = text.find(from)) {
                text.replace(at, from.size(), work_.path());
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

    // Runs argv to completion, then waits for a marker process's exit event:
    // every event of the run is in the stream before it (one ring buffer, in order).
    void run_and_drain(EventStream& stream, std::vector<std::string> argv, const std::string& marker_binary) {
        VIGIL_ASSERT_OK_AND_ASSIGN(status, run_to_exit(argv));
        (void)status;
        const std::string marker = "drain-" + random_token();
        VIGIL_ASSERT_OK_AND_ASSIGN(done, run_to_exit({marker_binary, "exit", "0", marker}));
        ASSERT_EQ(describe_wait_status(done), "exited 0");
        VIGIL_ASSERT_OK_AND_ASSIGN(ex, stream.wait_for(exec_with_argument(marker), "exec of " + marker));
        VIGIL_ASSERT_OK_AND_ASSIGN(
            exit, stream.wait_for(exit_of(ex.process_exec().process().exec_id()), "exit of " + marker));
        (void)exit;
    }

    // Paths of the string argument at `arg` in the stream's kprobe events of `policy`.
    std::map<std::string, int> posted_paths(const EventStream& stream, const std::string& policy, int arg = 0) {
        std::map<std::string, int> out;
        for (const auto& e : stream.events()) {
            if (!e.has_process_kprobe() || e.process_kprobe().policy_name() != policy) continue;
            if (e.process_kprobe().args_size() <= arg) continue;
            const auto& a = e.process_kprobe().args(arg);
            out[a.has_file_arg() ? a.file_arg().path() : a.string_arg()]++;
        }
        return out;
    }

    TempDir policy_dir_{"vigil-kt-policies"};
    TempDir work_{"vigil-kt-work"};
};

}  // namespace vigil::kt
