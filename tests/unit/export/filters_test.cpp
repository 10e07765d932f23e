#include "export/filters.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "test_events.h"

namespace vigil::exporter {
namespace {

using testing::exec_event;
using testing::exit_event;
using testing::kprobe_event;
using testing::make_process;
using testing::set_pod;
using FilterList = EventFilter::FilterList;

// Filters are written the way users write --export-allowlist lines.
FilterList filters(std::initializer_list<const char*> json) {
    FilterList out;
    for (const char* j : json) {
        auto st = google::protobuf::util::JsonStringToMessage(j, out.Add());
        EXPECT_TRUE(st.ok()) << st.message() << " in " << j;
    }
    return out;
}

EventFilter compile(std::initializer_list<const char*> allow, std::initializer_list<const char*> deny = {},
                    const FilterLimits& limits = {}) {
    auto f = EventFilter::compile(filters(allow), filters(deny), limits);
    EXPECT_TRUE(f.ok()) << f.error();
    if (!f.ok()) return std::move(EventFilter::compile({}, {}).value());
    return std::move(f.value());
}

std::string compile_error(std::initializer_list<const char*> allow, std::initializer_list<const char*> deny = {},
                          const FilterLimits& limits = {}) {
    auto f = EventFilter::compile(filters(allow), filters(deny), limits);
    EXPECT_FALSE(f.ok()) << "compiled, but an error was expected";
    return f.ok() ? "" : f.error();
}

tetragon::GetEventsResponse pod_exec(const std::string& binary, const std::string& ns, const std::string& pod,
                                     std::uint32_t pid = 100) {
    auto p = make_process(binary, "", pid);
    set_pod(p, ns, pod);
    return exec_event(p);
}

tetragon::GetEventsResponse child_exec(std::uint32_t pid, std::uint32_t parent_pid) {
    auto ev = exec_event(make_process("/bin/child", "", pid));
    *ev.mutable_process_exec()->mutable_parent() = make_process("/bin/parent", "", parent_pid);
    return ev;
}

TEST(Filters, EmptyListsPassEverything) {
    auto f = compile({});
    EXPECT_TRUE(f.empty());
    EXPECT_TRUE(f.matches(exec_event(make_process("/bin/ls"))));
    tetragon::GetEventsResponse none;
    EXPECT_TRUE(f.matches(none));
}

TEST(Filters, BinaryRegexIsAPartialMatch) {
    auto f = compile({R"({"binary_regex":["curl", "^/bin/(ba)?sh$"]})"});
    EXPECT_TRUE(f.matches(exec_event(make_process("/usr/bin/curl"))));
    EXPECT_TRUE(f.matches(exec_event(make_process("/bin/bash"))));
    EXPECT_FALSE(f.matches(exec_event(make_process("/usr/bin/bash"))));
    EXPECT_FALSE(f.matches(exec_event(make_process("/bin/ls"))));
    tetragon::GetEventsResponse throttle;
    throttle.mutable_process_throttle();
    EXPECT_FALSE(f.matches(throttle)) << "events without a process never match a process field";
}

TEST(Filters, NamespaceIsExactAndEmptyMeansHost) {
    auto f = compile({R"({"namespace":["default"]})"});
    EXPECT_TRUE(f.matches(pod_exec("/bin/ls", "default", "p")));
    EXPECT_FALSE(f.matches(pod_exec("/bin/ls", "default2", "p")));
    EXPECT_FALSE(f.matches(exec_event(make_process("/bin/ls"))));

    auto host = compile({R"({"namespace":[""]})"});
    EXPECT_TRUE(host.matches(exec_event(make_process("/bin/ls"))));
    EXPECT_FALSE(host.matches(pod_exec("/bin/ls", "default", "p")));
}

TEST(Filters, NamespaceRegexPodRegexContainerName) {
    auto ev = pod_exec("/bin/ls", "kube-system", "coredns-abc");
    ev.mutable_process_exec()->mutable_process()->mutable_pod()->mutable_container()->set_name("coredns");
    ev.mutable_process_exec()->mutable_process()->set_docker("a1b2c3");

    EXPECT_TRUE(compile({R"({"namespace_regex":["^kube-"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"namespace_regex":["^default$"]})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"pod_regex":["^coredns-"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"pod_regex":["^etcd"]})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"container_name_regex":["dns"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"container_name_regex":["nginx"]})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"container_id":["^a1b2"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"container_id":["^ffff"]})"}).matches(ev));
    // Host processes have no pod, so pod fields never match them.
    EXPECT_FALSE(compile({R"({"pod_regex":[".*"]})"}).matches(exec_event(make_process("/bin/ls"))));
}

TEST(Filters, ArgumentsAndParentFields) {
    auto ev = exec_event(make_process("/usr/bin/curl", "-s https://example.com"));
    *ev.mutable_process_exec()->mutable_parent() = make_process("/bin/bash", "-c run.sh");
    EXPECT_TRUE(compile({R"({"arguments_regex":["example\\.com"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"arguments_regex":["^--help"]})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"parent_binary_regex":["bash$"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"parent_binary_regex":["zsh"]})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"parent_arguments_regex":["run\\.sh"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"parent_arguments_regex":["deploy"]})"}).matches(ev));
    // No parent: parent fields do not match.
    EXPECT_FALSE(compile({R"({"parent_binary_regex":[".*"]})"}).matches(exec_event(make_process("/bin/ls"))));
}

TEST(Filters, HealthCheckLooksAtProcessAndParent) {
    auto probe = pod_exec("/bin/grpc_health_probe", "default", "p");
    probe.mutable_process_exec()->mutable_process()->mutable_pod()->mutable_container()->set_maybe_exec_probe(true);
    auto child = pod_exec("/bin/sh", "default", "p");
    *child.mutable_process_exec()->mutable_parent() = probe.process_exec().process();
    auto normal = pod_exec("/bin/sh", "default", "p");

    auto yes = compile({R"({"health_check":true})"});
    EXPECT_TRUE(yes.matches(probe));
    EXPECT_TRUE(yes.matches(child));
    EXPECT_FALSE(yes.matches(normal));
    auto no = compile({R"({"health_check":false})"});
    EXPECT_FALSE(no.matches(probe));
    EXPECT_TRUE(no.matches(normal));
}

TEST(Filters, PidMatchesExactly) {
    auto f = compile({R"({"pid":[10, 20]})"});
    EXPECT_TRUE(f.matches(exec_event(make_process("/bin/a", "", 10))));
    EXPECT_TRUE(f.matches(exec_event(make_process("/bin/a", "", 20))));
    EXPECT_FALSE(f.matches(exec_event(make_process("/bin/a", "", 30))));
    EXPECT_FALSE(f.matches(child_exec(30, 10))) << "pid does not follow children";
}

TEST(Filters, PidSetFollowsDescendantsAndForgetsOnExit) {
    auto f = compile({R"({"pid_set":[10]})"});
    EXPECT_TRUE(f.matches(exec_event(make_process("/bin/a", "", 10))));
    EXPECT_TRUE(f.matches(child_exec(11, 10)));
    EXPECT_TRUE(f.matches(child_exec(12, 11))) << "grandchild";
    EXPECT_FALSE(f.matches(child_exec(13, 99)));

    auto exit = exit_event(make_process("/bin/child", "", 12));
    *exit.mutable_process_exit()->mutable_parent() = make_process("/bin/parent", "", 11);
    EXPECT_TRUE(f.matches(exit)) << "the exit itself is still shown";
    EXPECT_FALSE(f.matches(exec_event(make_process("/bin/reused", "", 12)))) << "a reused pid is not a member";
    EXPECT_TRUE(f.matches(exec_event(make_process("/bin/a", "", 10)))) << "roots are never forgotten";
}

TEST(Filters, PidSetLearnsEvenFromEventsTheFilterDrops) {
    auto f = compile({R"({"pid_set":[10], "event_set":["PROCESS_KPROBE"]})"});
    EXPECT_FALSE(f.matches(child_exec(11, 10)));  // exec is not in event_set
    auto k = kprobe_event(make_process("/bin/child", "", 11), "fd_install");
    EXPECT_TRUE(f.matches(k));
}

TEST(Filters, PidSetDescendantsAreBounded) {
    FilterLimits limits;
    limits.max_pid_set_descendants = 2;
    auto f = compile({R"({"pid_set":[10]})"}, {}, limits);
    EXPECT_TRUE(f.matches(child_exec(11, 10)));
    EXPECT_TRUE(f.matches(child_exec(12, 10)));
    EXPECT_FALSE(f.matches(child_exec(13, 10)));
    EXPECT_EQ(f.pid_set_untracked(), 1u);

    // An exit frees a slot.
    auto exit = exit_event(make_process("/bin/child", "", 11));
    EXPECT_TRUE(f.matches(exit));
    EXPECT_TRUE(f.matches(child_exec(14, 10)));
}

TEST(Filters, EventSetSelectsTypes) {
    auto f = compile({R"({"event_set":["PROCESS_EXEC","PROCESS_KPROBE"]})"});
    EXPECT_TRUE(f.matches(exec_event(make_process("/bin/a"))));
    EXPECT_TRUE(f.matches(kprobe_event(make_process("/bin/a"), "x")));
    EXPECT_FALSE(f.matches(exit_event(make_process("/bin/a"))));
    tetragon::GetEventsResponse rate;
    rate.mutable_rate_limit_info();
    EXPECT_FALSE(f.matches(rate));
    EXPECT_TRUE(compile({R"({"event_set":["RATE_LIMIT_INFO"]})"}).matches(rate));
}

TEST(Filters, LabelsUseKubernetesSelectors) {
    auto ev = pod_exec("/bin/ls", "default", "p");
    auto& labels = *ev.mutable_process_exec()->mutable_process()->mutable_pod()->mutable_pod_labels();
    labels["app"] = "web";
    labels["tier"] = "frontend";
    EXPECT_TRUE(compile({R"({"labels":["app=web"]})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"labels":["app in (api, web), tier"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"labels":["app=web,tier!=frontend"]})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"labels":["app=api", "tier=frontend"]})"}).matches(ev)) << "selectors are ORed";
    EXPECT_FALSE(compile({R"({"labels":["!app"]})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"labels":[""]})"}).matches(exec_event(make_process("/bin/ls"))))
        << "host processes have no labels";
    EXPECT_TRUE(compile({R"({"labels":[""]})"}).matches(ev)) << "an empty selector matches any pod";
}

TEST(Filters, PolicyNamesOnlyMatchPolicyEvents) {
    auto k = kprobe_event(make_process("/bin/a"), "fd_install");
    k.mutable_process_kprobe()->set_policy_name("file-monitoring");
    auto f = compile({R"({"policy_names":["file-monitoring"]})"});
    EXPECT_TRUE(f.matches(k));
    k.mutable_process_kprobe()->set_policy_name("other");
    EXPECT_FALSE(f.matches(k));
    EXPECT_FALSE(f.matches(exec_event(make_process("/bin/a"))));
}

TEST(Filters, CapabilitiesOperators) {
    auto p = make_process("/bin/a");
    p.mutable_cap()->add_effective(tetragon::CAP_SYS_ADMIN);
    p.mutable_cap()->add_effective(tetragon::CAP_NET_RAW);
    p.mutable_cap()->add_permitted(tetragon::CAP_SYS_ADMIN);
    auto ev = exec_event(p);

    EXPECT_TRUE(compile({R"({"capabilities":{"effective":{"any":["CAP_SYS_ADMIN","CAP_BPF"]}}})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"capabilities":{"effective":{"all":["CAP_SYS_ADMIN","CAP_BPF"]}}})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"capabilities":{"effective":{"all":["CAP_SYS_ADMIN","CAP_NET_RAW"]}}})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"capabilities":{"effective":{"exactly":["CAP_NET_RAW","CAP_SYS_ADMIN"]}}})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"capabilities":{"effective":{"exactly":["CAP_SYS_ADMIN"]}}})"}).matches(ev));
    EXPECT_TRUE(compile({R"({"capabilities":{"effective":{"none":["CAP_BPF"]}}})"}).matches(ev));
    EXPECT_FALSE(compile({R"({"capabilities":{"effective":{"none":["CAP_NET_RAW"]}}})"}).matches(ev));
    // Sets are ANDed.
    EXPECT_FALSE(compile({R"({"capabilities":{"effective":{"any":["CAP_SYS_ADMIN"]},
                               "permitted":{"any":["CAP_NET_RAW"]}}})"})
                     .matches(ev));
    // No capabilities on the process: nothing matches, not even "none".
    EXPECT_FALSE(compile({R"({"capabilities":{"effective":{"none":["CAP_BPF"]}}})"})
                     .matches(exec_event(make_process("/bin/a"))));
}

TEST(Filters, InInitTree) {
    auto in = make_process("/bin/a");
    in.mutable_in_init_tree()->set_value(true);
    auto out = make_process("/bin/a");
    out.mutable_in_init_tree()->set_value(false);
    auto yes = compile({R"({"in_init_tree":true})"});
    EXPECT_TRUE(yes.matches(exec_event(in)));
    EXPECT_FALSE(yes.matches(exec_event(out)));
    auto no = compile({R"({"in_init_tree":false})"});
    EXPECT_TRUE(no.matches(exec_event(out)));
    EXPECT_TRUE(no.matches(exec_event(make_process("/bin/a")))) << "missing flag counts as false";
}

TEST(Filters, FieldsAreAndedFiltersOredDenyWins) {
    auto f = compile({R"({"binary_regex":["curl"], "namespace":["default"]})", R"({"pid":[7]})"},
                     {R"({"pod_regex":["^blocked"]})"});
    EXPECT_TRUE(f.matches(pod_exec("/usr/bin/curl", "default", "web")));
    EXPECT_FALSE(f.matches(pod_exec("/usr/bin/curl", "prod", "web"))) << "fields are ANDed";
    EXPECT_FALSE(f.matches(pod_exec("/usr/bin/wget", "default", "web")));
    EXPECT_TRUE(f.matches(pod_exec("/usr/bin/wget", "prod", "web", 7))) << "second filter, ORed";
    EXPECT_FALSE(f.matches(pod_exec("/usr/bin/curl", "default", "blocked-1"))) << "deny wins";
    EXPECT_FALSE(f.matches(pod_exec("/usr/bin/wget", "prod", "blocked-2", 7)));

    auto deny_only = compile({}, {R"({"namespace":["kube-system"]})"});
    EXPECT_FALSE(deny_only.empty());
    EXPECT_TRUE(deny_only.matches(pod_exec("/bin/a", "default", "p")));
    EXPECT_FALSE(deny_only.matches(pod_exec("/bin/a", "kube-system", "p")));
}

TEST(Filters, HelmDefaultsDropHostAndSystemNamespaces) {
    auto f = compile({R"({"event_set":["PROCESS_EXEC","PROCESS_EXIT","PROCESS_KPROBE","PROCESS_UPROBE",
                                       "PROCESS_TRACEPOINT","PROCESS_LSM"]})"},
                     {R"({"health_check":true})", R"({"namespace":["","cilium","kube-system"]})"});
    EXPECT_TRUE(f.matches(pod_exec("/bin/a", "default", "p")));
    EXPECT_FALSE(f.matches(pod_exec("/bin/a", "cilium", "p")));
    EXPECT_FALSE(f.matches(exec_event(make_process("/bin/a"))));
}

TEST(Filters, BadRegexErrorNamesTheLocation) {
    const std::string err = compile_error({R"({"binary_regex":["ok"]})", R"({"binary_regex":["fine", "("]})"});
    EXPECT_EQ(err.rfind("allow_list[1].binary_regex[1]: invalid regex \"(\"", 0), 0u) << err;
    EXPECT_NE(err.find("missing )"), std::string::npos) << err;

    const std::string deny = compile_error({}, {R"({})", R"({"parent_arguments_regex":["[z-a]"]})"});
    EXPECT_EQ(deny.rfind("deny_list[1].parent_arguments_regex[0]: invalid regex \"[z-a]\"", 0), 0u) << deny;

    for (const char* field : {"pod_regex", "arguments_regex", "parent_binary_regex", "container_id",
                              "container_name_regex", "namespace_regex"}) {
        const std::string json = std::string(R"({")") + field + R"(":["a(b"]})";
        auto f = EventFilter::compile(filters({json.c_str()}), {});
        ASSERT_FALSE(f.ok()) << field;
        EXPECT_EQ(f.error().rfind(std::string("allow_list[0].") + field + "[0]: invalid regex", 0), 0u) << f.error();
    }
}

TEST(Filters, BadLabelSelectorAndCapabilitySetAreRefusedWithLocation) {
    const std::string labels = compile_error({R"({"labels":["app=web", "app in (a"]})"});
    EXPECT_EQ(labels.rfind("allow_list[0].labels[1]: invalid label selector \"app in (a\"", 0), 0u) << labels;

    const std::string caps =
        compile_error({}, {R"({"capabilities":{"inheritable":{"any":["CAP_BPF"],"none":["CAP_CHOWN"]}}})"});
    EXPECT_EQ(caps.rfind("deny_list[0].capabilities.inheritable: ", 0), 0u) << caps;

    const std::string empty_caps = compile_error({R"({"capabilities":{"effective":{}}})"});
    EXPECT_EQ(empty_caps.rfind("allow_list[0].capabilities.effective: ", 0), 0u) << empty_caps;
}

TEST(Filters, UnsupportedFieldsAreRefusedNotIgnored) {
    const std::string cel = compile_error({R"({"cel_expression":["process_exec.process.pid > 1"]})"});
    EXPECT_EQ(cel.rfind("allow_list[0].cel_expression: ", 0), 0u) << cel;
    const std::string anc = compile_error({}, {R"({})", R"({})", R"({"ancestor_binary_regex":["sh"]})"});
    EXPECT_EQ(anc.rfind("deny_list[2].ancestor_binary_regex: ", 0), 0u) << anc;
}

TEST(Filters, LimitsBoundWhatARequestCompiles) {
    FilterLimits limits;
    limits.max_filters = 2;
    const std::string many = compile_error({"{}", "{}", "{}"}, {}, limits);
    EXPECT_NE(many.find("allow_list: 3 filters exceed the limit of 2"), std::string::npos) << many;

    limits = {};
    limits.max_values = 3;
    // Values are summed over both lists.
    const std::string values = compile_error({R"({"pid":[1,2]})"}, {R"({"namespace":["a","b"]})"}, limits);
    EXPECT_EQ(values.rfind("deny_list[0].namespace: too many filter values", 0), 0u) << values;
    EXPECT_TRUE(EventFilter::compile(filters({R"({"pid":[1,2]})"}), filters({R"({"namespace":["a"]})"}), limits).ok());

    limits = {};
    limits.max_pattern_bytes = 8;
    const std::string pattern = compile_error({R"({"binary_regex":["0123456789"]})"}, {}, limits);
    EXPECT_EQ(pattern.rfind("allow_list[0].binary_regex[0]: regex is 10 bytes, limit 8", 0), 0u) << pattern;

    limits = {};
    limits.max_selector_bytes = 4;
    const std::string selector = compile_error({R"({"labels":["app=web"]})"}, {}, limits);
    EXPECT_EQ(selector.rfind("allow_list[0].labels[0]: label selector is 7 bytes, limit 4", 0), 0u) << selector;

    // A pattern that is fine under the default memory budget but not under a small one.
    const char* big = R"({"binary_regex":["[a-z]{1000}[0-9]{1000}[a-f]{1000}[g-k]{1000}"]})";
    EXPECT_TRUE(EventFilter::compile(filters({big}), {}).ok());
    limits = {};
    limits.regex_max_mem = 16 << 10;
    const std::string mem = compile_error({big}, {}, limits);
    EXPECT_EQ(mem.rfind("allow_list[0].binary_regex[0]: invalid regex", 0), 0u) << mem;
    EXPECT_NE(mem.find("pattern too large"), std::string::npos) << mem;
}

}  // namespace
}  // namespace vigil::exporter
