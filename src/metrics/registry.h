// A small Prometheus metrics registry. Most values are read at scrape time
// from callbacks the agent registers, so this module knows nothing about the
// agent's internals and the hot paths keep their own plain counters. Owned
// labelled counters (CounterFamily) exist for the few values nobody else
// counts. Rendering to the text exposition format is in exposition.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"

namespace vigil::metrics {

enum class MetricType { kCounter, kGauge };

// One time series of a family: its label values, in the order of the
// family's label names, and its value.
struct Sample {
    std::vector<std::string> label_values;
    double value = 0;
};

// What a scrape sees of one family.
struct FamilySnapshot {
    std::string name;
    std::string help;
    MetricType type = MetricType::kGauge;
    std::vector<std::string> label_names;
    std::vector<Sample> samples;
};

// Called at every scrape, possibly from several HTTP threads at once: it must
// be thread-safe and cheap (read atomics or take a short lock).
using Collector = std::function<std::vector<Sample>()>;
using ValueFn = std::function<double()>;

// Counters owned by the registry, one per label-value tuple. handle() returns
// a stable pointer, so a hot path can resolve its series once and then only
// do an atomic add.
class CounterFamily {
public:
    explicit CounterFamily(std::size_t label_count) : label_count_(label_count) {}

    // Null when the number of values differs from the family's label count.
    std::atomic<std::uint64_t>* handle(const std::vector<std::string>& label_values);
    void inc(const std::vector<std::string>& label_values, std::uint64_t n = 1);
    std::vector<Sample> collect() const;

private:
    const std::size_t label_count_;
    mutable std::mutex mu_;
    std::map<std::vector<std::string>, std::unique_ptr<std::atomic<std::uint64_t>>> series_;
};

class Registry {
public:
    // Every add_* refuses a name already registered, a name or label name the
    // exposition format does not allow, and a counter not ending in "_total"
    // (the OpenMetrics rule, so names read the same in both formats).
    Status add_family(const std::string& name, const std::string& help, MetricType type,
                      std::vector<std::string> label_names, Collector collect);
    // Unlabelled metrics. A null callback registers the family with no sample.
    Status add_counter(const std::string& name, const std::string& help, ValueFn value);
    Status add_gauge(const std::string& name, const std::string& help, ValueFn value);
    // An owned labelled counter family; the pointer lives as long as the registry.
    Result<CounterFamily*> add_counter_family(const std::string& name, const std::string& help,
                                              std::vector<std::string> label_names);

    // Runs every collector, in registration order. A collector that throws or
    // returns a sample with the wrong number of label values loses only that
    // family's (or that sample's) output, and collect_errors() counts it.
    std::vector<FamilySnapshot> collect() const;
    std::vector<std::string> names() const;
    std::uint64_t collect_errors() const { return collect_errors_.load(std::memory_order_relaxed); }

private:
    struct Entry {
        std::string name;
        std::string help;
        MetricType type;
        std::vector<std::string> label_names;
        Collector collect;
    };
    Status check_new(const std::string& name, MetricType type,
                     const std::vector<std::string>& label_names) const;

    mutable std::mutex mu_;
    std::vector<Entry> entries_;
    std::vector<std::unique_ptr<CounterFamily>> owned_;
    mutable std::atomic<std::uint64_t> collect_errors_{0};
};

// The exposition format's name rules: metric names [a-zA-Z_:][a-zA-Z0-9_:]*,
// label names [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__" (reserved).
bool valid_metric_name(const std::string& name);
bool valid_label_name(const std::string& name);

}  // namespace vigil::metrics
