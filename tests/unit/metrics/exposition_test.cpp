// The text exposition format: what Prometheus parses must be exactly what we
// render, escapes included, and the parser used by the other tests must
// reject what Prometheus would reject.
#include <cmath>

#include <gtest/gtest.h>

#include "metrics/exposition.h"

namespace vigil::metrics {
namespace {

TEST(Exposition, HelpAndTypeLinesPrecedeSamples) {
    std::vector<FamilySnapshot> fams = {
        {"vigil_events_total", "Events published.", MetricType::kCounter, {"type"},
         {{{"PROCESS_EXEC"}, 3}, {{"PROCESS_EXIT"}, 2}}},
        {"vigil_pod_cache_size", "Pods.", MetricType::kGauge, {}, {{{}, 7}}},
    };
    EXPECT_EQ(render(fams),
              "# HELP vigil_events_total Events published.\n"
              "# TYPE vigil_events_total counter\n"
              "vigil_events_total{type=\"PROCESS_EXEC\"} 3\n"
              "vigil_events_total{type=\"PROCESS_EXIT\"} 2\n"
              "# HELP vigil_pod_cache_size Pods.\n"
              "# TYPE vigil_pod_cache_size gauge\n"
              "vigil_pod_cache_size 7\n");
}

TEST(Exposition, FamilyWithoutSamplesStillDeclaresItself) {
    std::vector<FamilySnapshot> fams = {{"vigil_x", "h", MetricType::kGauge, {"a"}, {}}};
    EXPECT_EQ(render(fams), "# HELP vigil_x h\n# TYPE vigil_x gauge\n");
}

TEST(Exposition, LabelValuesEscapeBackslashQuoteAndNewline) {
    EXPECT_EQ(escape_label_value(R"(C:\dir "x")" "\nend"), R"(C:\\dir \"x\"\nend)");
    std::vector<FamilySnapshot> fams = {{"m", "h", MetricType::kGauge, {"path", "b"},
                                         {{{"a\\b\"c\nd", ""}, 1}}}};
    EXPECT_EQ(render(fams), "# HELP m h\n# TYPE m gauge\nm{path=\"a\\\\b\\\"c\\nd\",b=\"\"} 1\n");
}

TEST(Exposition, HelpEscapesBackslashAndNewlineButNotQuotes) {
    EXPECT_EQ(escape_help("a \"q\" \\ b\nc"), "a \"q\" \\\\ b\\nc");
}

TEST(Exposition, ValuesUseShortestRoundTripText) {
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(12345), "12345");
    EXPECT_EQ(format_value(0.25), "0.25");
    EXPECT_EQ(format_value(-3.5), "-3.5");
    EXPECT_EQ(format_value(18446744073709551616.0), "18446744073709551616");  // 2^64, exact
    EXPECT_EQ(format_value(1e21), "1e+21");
    EXPECT_EQ(format_value(HUGE_VAL), "+Inf");
    EXPECT_EQ(format_value(-HUGE_VAL), "-Inf");
    EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(Exposition, RenderedTextParsesBackToTheSameSamples) {
    std::vector<FamilySnapshot> fams = {
        {"vigil_policy_events_total", "Policy \"events\"\nsecond line \\ ok", MetricType::kCounter,
         {"policy", "hook", "action"},
         {{{"block-\"x\"", "kprobe:__x64_sys_write", "Sigkill"}, 4},
          {{"multi\nline", "k\\p", "Post"}, 0.5}}},
        {"vigil_grpc_subscribers", "Streams.", MetricType::kGauge, {}, {{{}, 2}}},
    };
    auto parsed = parse_exposition(render(fams));
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->type.at("vigil_policy_events_total"), "counter");
    EXPECT_EQ(parsed->type.at("vigil_grpc_subscribers"), "gauge");
    EXPECT_EQ(parsed->help.at("vigil_policy_events_total"), "Policy \"events\"\nsecond line \\ ok");
    ASSERT_EQ(parsed->samples.size(), 3u);
    EXPECT_EQ(parsed->value("vigil_policy_events_total",
                            {{"policy", "block-\"x\""}, {"hook", "kprobe:__x64_sys_write"}, {"action", "Sigkill"}}),
              4);
    EXPECT_EQ(parsed->value("vigil_policy_events_total",
                            {{"policy", "multi\nline"}, {"hook", "k\\p"}, {"action", "Post"}}),
              0.5);
    EXPECT_EQ(parsed->sum("vigil_policy_events_total"), 4.5);
    EXPECT_EQ(parsed->sum("vigil_policy_events_total", {{"action", "Post"}}), 0.5);
    EXPECT_EQ(parsed->value("vigil_grpc_subscribers"), 2);
    EXPECT_FALSE(parsed->value("vigil_grpc_subscribers", {{"x", "y"}}).has_value());
}

TEST(Exposition, ParserAcceptsTimestampsAndSpecialValues) {
    auto p = parse_exposition("# a free comment\nm{a=\"1\"} +Inf 1700000000000\nn NaN\no -Inf\n\n");
    ASSERT_TRUE(p) << p.error();
    EXPECT_TRUE(std::isinf(*p->value("m", {{"a", "1"}})));
    EXPECT_TRUE(std::isnan(*p->value("n")));
    EXPECT_LT(*p->value("o"), 0);
}

TEST(Exposition, ParserRejectsMalformedLinesNamingTheLine) {
    struct Case {
        const char* text;
        const char* error;
    } cases[] = {
        {"ok 1\nm{a=\"x} 1\n", "line 2: label a: unterminated label value"},
        {"m{a=\"x\\q\"} 1\n", "line 1: label a: unknown escape \\q"},
        {"m{a=x} 1\n", "line 1: label a: expected '\"'"},
        {"m 12abc\n", "line 1: '12abc' is not a number"},
        {"m{a=\"1\",a=\"2\"} 1\n", "line 1: label a given twice"},
        {"{a=\"1\"} 1\n", "line 1: expected a metric name"},
        {"m{a=\"1\"}1\n", "line 1: expected a space before the value"},
    };
    for (const auto& c : cases) {
        auto p = parse_exposition(c.text);
        ASSERT_FALSE(p) << c.text;
        EXPECT_EQ(p.error(), c.error) << c.text;
    }
}

}  // namespace
}  // namespace vigil::metrics
