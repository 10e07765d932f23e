// Several matchPIDs entries in one selector (issue 5; Tetragon's
// sys_clock_settime.yaml uses two): the kernel ANDs them, in any order.
// The test process's own pid is the one value that tells the entries apart:
// vigil_trigger, a child, is never it.
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "policy_template_fixture.h"

namespace vigil::kt {
namespace {

class MatchPidsTest : public PolicyTemplateTest {
protected:
    std::vector<std::pair<std::string, std::string>> policies() override {
        const std::string self = std::to_string(::getpid());
        auto sel = [&](const std::string& prefix, const std::string& first, const std::string& second) {
            return "    - matchPIDs:\n"
                   "      - {operator: " + first + "}\n"
                   "      - {operator: " + second + "}\n"
                   "      matchArgs:\n"
                   "      - {index: 1, operator: Prefix, values: [\"@DIR@/" + prefix + "\"]}\n";
        };
        // Entry templates: operator and values, the test's pid or pid 1.
        const std::string not_init = "NotIn, values: [1]";
        const std::string not_self = "NotIn, values: [" + self + "]";
        const std::string is_self = "In, values: [" + self + "]";
        return {{"pids.yaml", openat_policy("kt-pids", sel("both-", not_init, not_self) +
                                                           sel("second-", not_init, is_self) +
                                                           sel("first-", is_self, not_init))}};
    }
};

TEST_F(MatchPidsTest, EntriesAreAndedWhateverTheirOrder) {
    auto stream = agent().subscribe_binaries({"vigil_trigger$"});
    ASSERT_TRUE(stream.ok()) << stream.error();
    for (const char* n : {"both-1", "second-1", "first-1"}) write_file(work_ / n, "x");
    for (const char* n : {"both-1", "second-1", "first-1"}) {
        VIGIL_ASSERT_OK_AND_ASSIGN(st, run_to_exit({trigger_path(), "open", work_ / n}));
        ASSERT_EQ(describe_wait_status(st), "exited 0");
    }
    run_and_drain(*stream.value(), {trigger_path(), "exit", "0"}, trigger_path());
    auto seen = posted_paths(*stream.value(), "kt-pids");
    EXPECT_EQ(seen[work_ / "both-1"], 1) << "both entries hold for vigil_trigger";
    EXPECT_EQ(seen.count(work_ / "second-1"), 0u) << "the second entry (In: the test's pid) was not evaluated";
    EXPECT_EQ(seen.count(work_ / "first-1"), 0u) << "the first entry (In: the test's pid) was not evaluated";
}

}  // namespace
}  // namespace vigil::kt
