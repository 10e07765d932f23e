#include "agent/hook_registry.h"

#include <gtest/gtest.h>

namespace vigil::agent {
namespace {

exporter::HookInfo info(const std::string& policy) {
    exporter::HookInfo i;
    i.policy_name = policy;
    i.function_name = "__x64_sys_write";
    return i;
}

TEST(HookRegistry, RetiredHookAnswersUntilTwoDrainPassesBegunAfterItHaveEnded) {
    HookRegistry r(4);
    auto id = r.add(info("gone"));
    ASSERT_TRUE(id);
    const auto before = r.drain_pass_begins();  // a pass already running at the delete
    r.retire(*id);
    r.drain_pass_ended(before);
    ASSERT_NE(r.get(*id), nullptr) << "the pass that began before the delete may not have seen its records";
    const auto first = r.drain_pass_begins();
    r.drain_pass_ended(first);
    ASSERT_NE(r.get(*id), nullptr) << "a program run still in flight at the detach may post after the first pass";
    EXPECT_EQ(r.get(*id)->policy_name, "gone");
    const auto second = r.drain_pass_begins();
    r.drain_pass_ended(second);
    EXPECT_EQ(r.get(*id), nullptr);
    EXPECT_EQ(r.retired(), 0u);
    EXPECT_EQ(r.size(), 0u);
}

TEST(HookRegistry, RetiredIdIsNotHandedOutAgainUntilFreed) {
    HookRegistry r(2);
    auto a = r.add(info("a"));
    auto b = r.add(info("b"));
    ASSERT_TRUE(a && b);
    r.retire(*a);
    EXPECT_FALSE(r.add(info("c"))) << "a retired id still has records in flight";
    for (int i = 0; i < 2; ++i) r.drain_pass_ended(r.drain_pass_begins());
    auto c = r.add(info("c"));
    ASSERT_TRUE(c);
    EXPECT_EQ(*c, *a);
    EXPECT_EQ(r.get(*c)->policy_name, "c");
}

TEST(HookRegistry, RemoveFreesAtOnceAndForgetsARetirement) {
    HookRegistry r(2);
    auto a = r.add(info("a"));
    ASSERT_TRUE(a);
    r.retire(*a);
    r.remove(*a);
    EXPECT_EQ(r.get(*a), nullptr);
    EXPECT_EQ(r.retired(), 0u);
    r.retire(*a);  // unknown id: nothing to keep
    EXPECT_EQ(r.retired(), 0u);
}

}  // namespace
}  // namespace vigil::agent
