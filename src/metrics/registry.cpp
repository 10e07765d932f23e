#include "metrics/registry.h"

#include <algorithm>
#include <exception>

namespace vigil::metrics {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool valid_metric_name(const std::string& name) {
    if (name.empty() || !(is_alpha(name[0]) || name[0] == ':')) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_alpha(c) || is_digit(c) || c == ':'; });
}

bool valid_label_name(const std::string& name) {
    if (name.empty() || !is_alpha(name[0]) || name.rfind("__", 0) == 0) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return is_alpha(c) || is_digit(c); });
}

std::atomic<std::uint64_t>* CounterFamily::handle(const std::vector<std::string>& label_values) {
    if (label_values.size() != label_count_) return nullptr;
    std::lock_guard lock(mu_);
    auto& slot = series_[label_values];
    if (!slot) slot = std::make_unique<std::atomic<std::uint64_t>>(0);
    return slot.get();
}

void CounterFamily::inc(const std::vector<std::string>& label_values, std::uint64_t n) {
    if (auto* h = handle(label_values)) h->fetch_add(n, std::memory_order_relaxed);
}

std::vector<Sample> CounterFamily::collect() const {
    std::lock_guard lock(mu_);
    std::vector<Sample> out;
    out.reserve(series_.size());
    for (const auto& [labels, value] : series_) {
        out.push_back({labels, static_cast<double>(value->load(std::memory_order_relaxed))});
    }
    return out;
}

Status Registry::check_new(const std::string& name, MetricType type,
                           const std::vector<std::string>& label_names) const {
    if (!valid_metric_name(name)) return make_error("metric name '" + name + "' is not valid");
    if (type == MetricType::kCounter &&
        (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0)) {
        return make_error("counter '" + name + "' must end in _total");
    }
    for (const auto& l : label_names) {
        if (!valid_label_name(l)) return make_error("metric " + name + ": label name '" + l + "' is not valid");
    }
    for (const auto& e : entries_) {
        if (e.name == name) return make_error("metric " + name + " is registered twice");
    }
    return {};
}

Status Registry::add_family(const std::string& name, const std::string& help, MetricType type,
                            std::vector<std::string> label_names, Collector collect) {
    std::lock_guard lock(mu_);
    auto st = check_new(name, type, label_names);
    if (!st) return st;
    entries_.push_back({name, help, type, std::move(label_names), std::move(collect)});
    return {};
}

Status Registry::add_counter(const std::string& name, const std::string& help, ValueFn value) {
    Collector c;
    if (value) c = [value = std::move(value)] { return std::vector<Sample>{{{}, value()}}; };
    return add_family(name, help, MetricType::kCounter, {}, std::move(c));
}

Status Registry::add_gauge(const std::string& name, const std::string& help, ValueFn value) {
    Collector c;
    if (value) c = [value = std::move(value)] { return std::vector<Sample>{{{}, value()}}; };
    return add_family(name, help, MetricType::kGauge, {}, std::move(c));
}

Result<CounterFamily*> Registry::add_counter_family(const std::string& name, const std::string& help,
                                                    std::vector<std::string> label_names) {
    auto family = std::make_unique<CounterFamily>(label_names.size());
    CounterFamily* raw = family.get();
    auto st = add_family(name, help, MetricType::kCounter, std::move(label_names),
                         [raw] { return raw->collect(); });
    if (!st) return make_error(st.error());
    std::lock_guard lock(mu_);
    owned_.push_back(std::move(family));
    return raw;
}

std::vector<FamilySnapshot> Registry::collect() const {
    std::lock_guard lock(mu_);
    std::vector<FamilySnapshot> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) {
        FamilySnapshot s{e.name, e.help, e.type, e.label_names, {}};
        if (e.collect) {
            std::vector<Sample> samples;
            try {
                samples = e.collect();
            } catch (const std::exception&) {
                collect_errors_.fetch_add(1, std::memory_order_relaxed);
            }
            for (auto& smp : samples) {
                if (smp.label_values.size() != e.label_names.size()) {
                    collect_errors_.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                s.samples.push_back(std::move(smp));
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<std::string> Registry::names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
}

}  // namespace vigil::metrics
