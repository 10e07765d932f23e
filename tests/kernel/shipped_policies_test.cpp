// Every policy shipped in policies/ loads on this machine's kernel.
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "agent_fixture.h"

namespace vigil::kt {
namespace {

class ShippedPoliciesTest : public AgentTest {
protected:
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {std::string("--tracing-policy-dir=") + VIGIL_SOURCE_DIR + "/policies"};
        return o;
    }
};

TEST_F(ShippedPoliciesTest, EveryShippedPolicyIsEnabled) {
    std::set<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(std::string(VIGIL_SOURCE_DIR) + "/policies")) {
        if (e.path().extension() == ".yaml") files.insert(e.path().filename());
    }
    ASSERT_FALSE(files.empty());
    auto stub = agent().stub();
    grpc::ClientContext ctx;
    tetragon::ListTracingPoliciesResponse resp;
    ASSERT_TRUE(stub->ListTracingPolicies(&ctx, {}, &resp).ok());
    std::set<std::string> loaded_from;
    for (const auto& p : resp.policies()) {
        EXPECT_EQ(p.state(), tetragon::TP_STATE_ENABLED) << p.name() << ": " << p.error();
        loaded_from.insert(std::filesystem::path(p.info()).filename());
    }
    for (const auto& f : files) EXPECT_EQ(loaded_from.count(f), 1u) << f << " was not loaded";
}

}  // namespace
}  // namespace vigil::kt
