#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "metrics/exposition.h"
#include "metrics/registry.h"

namespace vigil::metrics {
namespace {

TEST(Registry, RefusesBadNamesDuplicatesAndCountersWithoutTotal) {
    Registry r;
    ASSERT_TRUE(r.add_gauge("vigil_ok", "h", [] { return 1.0; }));
    auto dup = r.add_gauge("vigil_ok", "h", nullptr);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error(), "metric vigil_ok is registered twice");
    auto bad = r.add_gauge("9starts_with_digit", "h", nullptr);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), "metric name '9starts_with_digit' is not valid");
    auto cnt = r.add_counter("vigil_events", "h", nullptr);
    ASSERT_FALSE(cnt);
    EXPECT_EQ(cnt.error(), "counter 'vigil_events' must end in _total");
    auto lbl = r.add_family("vigil_x", "h", MetricType::kGauge, {"__reserved"}, nullptr);
    ASSERT_FALSE(lbl);
    EXPECT_EQ(lbl.error(), "metric vigil_x: label name '__reserved' is not valid");
    EXPECT_FALSE(r.add_family("vigil_y", "h", MetricType::kGauge, {"has-dash"}, nullptr));
    EXPECT_EQ(r.names(), std::vector<std::string>{"vigil_ok"});
}

TEST(Registry, NameRules) {
    EXPECT_TRUE(valid_metric_name("a:b_c9"));
    EXPECT_TRUE(valid_metric_name(":x"));
    EXPECT_FALSE(valid_metric_name(""));
    EXPECT_FALSE(valid_metric_name("a-b"));
    EXPECT_TRUE(valid_label_name("_x9"));
    EXPECT_FALSE(valid_label_name("a:b"));
    EXPECT_FALSE(valid_label_name("__name__"));
}

TEST(Registry, CallbacksAreReadAtEveryScrapeInRegistrationOrder) {
    Registry r;
    double v = 1;
    ASSERT_TRUE(r.add_gauge("b_gauge", "h", [&v] { return v; }));
    ASSERT_TRUE(r.add_counter("a_total", "h", [&v] { return v * 10; }));
    auto first = r.collect();
    v = 2;
    auto second = r.collect();
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(second[0].name, "b_gauge");
    EXPECT_EQ(first[0].samples.at(0).value, 1);
    EXPECT_EQ(second[0].samples.at(0).value, 2);
    EXPECT_EQ(second[1].samples.at(0).value, 20);
}

TEST(Registry, NullCallbackMeansNoSampleNotZero) {
    Registry r;
    ASSERT_TRUE(r.add_gauge("vigil_pod_cache_size", "h", nullptr));
    auto f = r.collect();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_TRUE(f[0].samples.empty());
}

TEST(Registry, AFailingCollectorLosesOnlyItsOwnOutput) {
    Registry r;
    ASSERT_TRUE(r.add_family("throws", "h", MetricType::kGauge, {}, []() -> std::vector<Sample> {
        throw std::runtime_error("boom");
    }));
    ASSERT_TRUE(r.add_family("wrong_arity", "h", MetricType::kGauge, {"a"}, [] {
        return std::vector<Sample>{{{"x", "extra"}, 1}, {{"good"}, 2}};
    }));
    auto f = r.collect();
    ASSERT_EQ(f.size(), 2u);
    EXPECT_TRUE(f[0].samples.empty());
    ASSERT_EQ(f[1].samples.size(), 1u);
    EXPECT_EQ(f[1].samples[0].label_values, std::vector<std::string>{"good"});
    EXPECT_EQ(r.collect_errors(), 2u);
}

TEST(CounterFamily, HandlesAreStableAndCountConcurrently) {
    Registry r;
    auto fam = r.add_counter_family("vigil_things_total", "h", {"kind"});
    ASSERT_TRUE(fam) << fam.error();
    auto* a = (*fam)->handle({"a"});
    ASSERT_NE(a, nullptr);
    EXPECT_EQ((*fam)->handle({"a"}), a);
    EXPECT_EQ((*fam)->handle({"a", "b"}), nullptr);
    constexpr int kThreads = 4, kPerThread = 10000;
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
        ts.emplace_back([&] {
            for (int i = 0; i < kPerThread; ++i) (*fam)->inc({i % 2 ? "a" : "b"});
        });
    }
    for (auto& t : ts) t.join();
    auto parsed = parse_exposition(render(r));
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->value("vigil_things_total", {{"kind", "a"}}), kThreads * kPerThread / 2);
    EXPECT_EQ(parsed->value("vigil_things_total", {{"kind", "b"}}), kThreads * kPerThread / 2);
    EXPECT_EQ(parsed->type.at("vigil_things_total"), "counter");
}

}  // namespace
}  // namespace vigil::metrics
