// TracingPolicy objects from the API server -> the document the policy
// manager loads, the source it is known by, and nodeSelector.
#include "k8s/tracing_policy_object.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigil::k8s {
namespace {

using nlohmann::json;

const json kSpec = json::parse(R"({
  "kprobes": [{"call": "sys_openat", "syscall": true,
               "args": [{"index": 1, "type": "string"}]}]
})");

json object(const std::string& kind, const std::string& name, const std::string& ns = "") {
    json meta{{"name", name}, {"uid", "u-1"}, {"resourceVersion", "1234"},
              {"annotations", {{"kubectl.kubernetes.io/last-applied-configuration", "{...}"}}},
              {"managedFields", json::array({{{"manager", "kubectl"}}})},
              {"labels", {{"team", "sec"}}}};
    if (!ns.empty()) meta["namespace"] = ns;
    return {{"apiVersion", "cilium.io/v1alpha1"}, {"kind", kind}, {"metadata", meta}, {"spec", kSpec},
            {"status", {{"state", "whatever"}}}};
}

TEST(TracingPolicyObject, ClusterWideDocumentKeepsOnlyWhatThePolicyIs) {
    auto o = tracing_policy_from_json(object("TracingPolicy", "open-watch"), TracingPolicyKind::kTracingPolicy);
    ASSERT_TRUE(o.ok()) << o.error();
    EXPECT_EQ(o->name, "open-watch");
    EXPECT_EQ(o->namespace_, "");
    EXPECT_EQ(o->source(), "k8s:open-watch");
    EXPECT_FALSE(o->node_selector.has_value());
    auto doc = json::parse(o->document);
    EXPECT_EQ(doc["apiVersion"], "cilium.io/v1alpha1");
    EXPECT_EQ(doc["kind"], "TracingPolicy");
    EXPECT_EQ(doc["metadata"], json::parse(R"({"name": "open-watch", "labels": {"team": "sec"}})"));
    EXPECT_EQ(doc["spec"], kSpec);
    EXPECT_FALSE(doc.contains("status"));
}

TEST(TracingPolicyObject, ServerSideChangesDoNotChangeTheDocument) {
    auto a = object("TracingPolicy", "p");
    auto b = a;
    b["metadata"]["resourceVersion"] = "9999";
    b["metadata"]["annotations"]["x"] = "y";
    b["status"]["state"] = "changed";
    auto oa = tracing_policy_from_json(a, TracingPolicyKind::kTracingPolicy);
    auto ob = tracing_policy_from_json(b, TracingPolicyKind::kTracingPolicy);
    ASSERT_TRUE(oa.ok() && ob.ok());
    EXPECT_EQ(oa->document, ob->document);
    b["spec"]["kprobes"][0]["call"] = "sys_write";
    auto oc = tracing_policy_from_json(b, TracingPolicyKind::kTracingPolicy);
    ASSERT_TRUE(oc.ok());
    EXPECT_NE(oa->document, oc->document);
}

TEST(TracingPolicyObject, NamespacedCarriesItsNamespace) {
    auto o = tracing_policy_from_json(object("TracingPolicyNamespaced", "p", "shop"),
                                      TracingPolicyKind::kTracingPolicyNamespaced);
    ASSERT_TRUE(o.ok()) << o.error();
    EXPECT_EQ(o->namespace_, "shop");
    EXPECT_EQ(o->source(), "k8s:shop/p");
    auto doc = json::parse(o->document);
    EXPECT_EQ(doc["kind"], "TracingPolicyNamespaced");
    EXPECT_EQ(doc["metadata"]["namespace"], "shop");
}

TEST(TracingPolicyObject, ListItemsWithoutKindAreFine) {
    auto item = object("TracingPolicy", "p");
    item.erase("kind");
    item.erase("apiVersion");
    auto o = tracing_policy_from_json(item, TracingPolicyKind::kTracingPolicy);
    ASSERT_TRUE(o.ok()) << o.error();
    EXPECT_EQ(json::parse(o->document)["kind"], "TracingPolicy");
}

TEST(TracingPolicyObject, MalformedObjectsAreNamed) {
    auto no_spec = object("TracingPolicy", "p");
    no_spec.erase("spec");
    auto a = tracing_policy_from_json(no_spec, TracingPolicyKind::kTracingPolicy);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error(), "TracingPolicy p: spec is missing");

    auto no_ns = object("TracingPolicyNamespaced", "p");
    auto b = tracing_policy_from_json(no_ns, TracingPolicyKind::kTracingPolicyNamespaced);
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error().find("metadata.namespace"), std::string::npos);

    auto c = tracing_policy_from_json(json::array(), TracingPolicyKind::kTracingPolicy);
    EXPECT_FALSE(c.ok());

    auto bad_selector = object("TracingPolicy", "p");
    bad_selector["spec"]["nodeSelector"] = {{"matchLabels", {{"a", 1}}}};
    auto d = tracing_policy_from_json(bad_selector, TracingPolicyKind::kTracingPolicy);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().find("TracingPolicy p: spec.nodeSelector.matchLabels.a"), std::string::npos) << d.error();
}

TEST(TracingPolicyObject, NodeSelectorDecidesTheNode) {
    auto obj = object("TracingPolicy", "p");
    obj["spec"]["nodeSelector"] = json::parse(R"({"matchLabels": {"vigil.test/role": "edge"}})");
    auto o = tracing_policy_from_json(obj, TracingPolicyKind::kTracingPolicy);
    ASSERT_TRUE(o.ok()) << o.error();
    ASSERT_TRUE(o->node_selector.has_value());
    EXPECT_TRUE(selects_node(*o, {{"vigil.test/role", "edge"}}));
    EXPECT_FALSE(selects_node(*o, {{"vigil.test/role", "core"}}));
    EXPECT_FALSE(selects_node(*o, {}));
    // The policy parser sees nodeSelector too (it is part of the spec).
    EXPECT_TRUE(json::parse(o->document)["spec"].contains("nodeSelector"));

    auto plain = tracing_policy_from_json(object("TracingPolicy", "q"), TracingPolicyKind::kTracingPolicy);
    ASSERT_TRUE(plain.ok());
    EXPECT_TRUE(selects_node(*plain, {}));
}

}  // namespace
}  // namespace vigil::k8s
