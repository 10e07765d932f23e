// metav1.LabelSelector from JSON and its matching, as the API server's.
#include "k8s/label_selector.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::k8s {
namespace {

using nlohmann::json;

LabelSelector parse(const std::string& text) {
    auto s = label_selector_from_json(json::parse(text), "spec.nodeSelector");
    EXPECT_TRUE(s.ok()) << text << ": " << (s.ok() ? "" : s.error());
    return s.ok() ? *s : LabelSelector{};
}

std::string error_of(const std::string& text) {
    auto s = label_selector_from_json(json::parse(text), "spec.nodeSelector");
    EXPECT_FALSE(s.ok()) << text;
    return s.ok() ? "" : s.error();
}

TEST(LabelSelector, EmptyAndNullSelectEverything) {
    EXPECT_TRUE(matches(parse("{}"), {}));
    EXPECT_TRUE(matches(parse("null"), {{"a", "b"}}));
    EXPECT_TRUE(parse(R"({"matchLabels": null, "matchExpressions": null})").empty());
}

TEST(LabelSelector, MatchLabelsAllMustHold) {
    auto s = parse(R"({"matchLabels": {"zone": "z1", "role": "edge"}})");
    EXPECT_TRUE(matches(s, {{"zone", "z1"}, {"role", "edge"}, {"extra", "x"}}));
    EXPECT_FALSE(matches(s, {{"zone", "z1"}}));
    EXPECT_FALSE(matches(s, {{"zone", "z2"}, {"role", "edge"}}));
}

TEST(LabelSelector, Expressions) {
    auto in = parse(R"({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1", "z2"]}]})");
    EXPECT_TRUE(matches(in, {{"zone", "z2"}}));
    EXPECT_FALSE(matches(in, {{"zone", "z3"}}));
    EXPECT_FALSE(matches(in, {}));

    auto not_in = parse(R"({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["z1"]}]})");
    EXPECT_FALSE(matches(not_in, {{"zone", "z1"}}));
    EXPECT_TRUE(matches(not_in, {{"zone", "z2"}}));
    EXPECT_TRUE(matches(not_in, {}));  // a missing key is "not in"

    auto exists = parse(R"({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]})");
    EXPECT_TRUE(matches(exists, {{"gpu", ""}}));
    EXPECT_FALSE(matches(exists, {}));

    auto absent = parse(R"({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]})");
    EXPECT_FALSE(matches(absent, {{"gpu", "1"}}));
    EXPECT_TRUE(matches(absent, {}));
}

TEST(LabelSelector, LabelsAndExpressionsAreAnded) {
    auto s = parse(R"({"matchLabels": {"role": "edge"},
                       "matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1"]}]})");
    EXPECT_TRUE(matches(s, {{"role", "edge"}, {"zone", "z1"}}));
    EXPECT_FALSE(matches(s, {{"role", "edge"}, {"zone", "z2"}}));
    EXPECT_FALSE(matches(s, {{"zone", "z1"}}));
}

TEST(LabelSelector, InvalidSelectorsNameTheField) {
    EXPECT_NE(error_of(R"({"matchLabel": {}})").find("spec.nodeSelector.matchLabel: unknown field"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"matchLabels": {"a": 1}})").find("spec.nodeSelector.matchLabels.a"), std::string::npos);
    EXPECT_NE(error_of(R"({"matchExpressions": [{"key": "a", "operator": "Has"}]})")
                  .find("spec.nodeSelector.matchExpressions[0].operator: 'Has'"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"matchExpressions": [{"key": "a", "operator": "In"}]})").find("need at least one value"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})")
                  .find("take no values"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"matchExpressions": [{"operator": "Exists"}]})").find(".key"), std::string::npos);
    EXPECT_NE(error_of(R"("zone=z1")").find("not an object"), std::string::npos);
}

}  // namespace
}  // namespace vigil::k8s
