#include "export/filters.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <re2/re2.h>

#include "export/event_access.h"
#include "export/label_selector.h"
#include "export/pid_set_tracker.h"

namespace vigil::exporter {
namespace {

using Predicate = std::function<bool(const EventView&)>;
using Regexes = std::vector<std::shared_ptr<const re2::RE2>>;
// Returns the string a regex field looks at, or null when the event lacks it
// (then the field does not match, as in Tetragon).
using TextOf = const std::string* (*)(const EventView&);

// One tetragon.Filter: every predicate must hold.
struct CompiledFilter {
    std::vector<Predicate> predicates;

    bool matches(const EventView& v) const {
        return std::all_of(predicates.begin(), predicates.end(), [&](const Predicate& p) { return p(v); });
    }
};

bool any_matches(const std::vector<CompiledFilter>& list, const EventView& v) {
    return std::any_of(list.begin(), list.end(), [&](const CompiledFilter& f) { return f.matches(v); });
}

const tetragon::Pod* pod_of(const tetragon::Process* p) {
    return p != nullptr && p->has_pod() ? &p->pod() : nullptr;
}

bool maybe_exec_probe(const tetragon::Process* p) {
    const tetragon::Pod* pod = pod_of(p);
    return pod != nullptr && pod->has_container() && pod->container().maybe_exec_probe();
}

// RE2's error() is "<what>: <offending text>"; keep the what, the pattern is quoted separately.
std::string regex_error(const re2::RE2& re) {
    std::string msg = re.error();
    const std::string suffix = ": " + re.error_arg();
    if (!re.error_arg().empty() && msg.size() > suffix.size() &&
        msg.compare(msg.size() - suffix.size(), suffix.size(), suffix) == 0) {
        msg.resize(msg.size() - suffix.size());
    }
    return msg;
}

bool caps_contain(const google::protobuf::RepeatedField<int>& caps, int cap) {
    return std::find(caps.begin(), caps.end(), cap) != caps.end();
}

// One CapFilterSet over one capability set of the process. Exactly one operator
// is set (checked at compile time).
bool cap_set_matches(const tetragon::CapFilterSet& f, const google::protobuf::RepeatedField<int>& caps) {
    if (f.any_size() > 0)
        return std::any_of(f.any().begin(), f.any().end(), [&](int c) { return caps_contain(caps, c); });
    if (f.all_size() > 0)
        return std::all_of(f.all().begin(), f.all().end(), [&](int c) { return caps_contain(caps, c); });
    if (f.exactly_size() > 0) {
        // Set equality: duplicates on either side do not matter.
        return std::all_of(f.exactly().begin(), f.exactly().end(), [&](int c) { return caps_contain(caps, c); }) &&
               std::all_of(caps.begin(), caps.end(), [&](int c) { return caps_contain(f.exactly(), c); });
    }
    if (f.none_size() > 0)
        return std::none_of(f.none().begin(), f.none().end(), [&](int c) { return caps_contain(caps, c); });
    return false;
}

class Compiler {
public:
    Compiler(const FilterLimits& limits, std::shared_ptr<PidBudget> budget,
             std::vector<std::shared_ptr<PidSetTracker>>& trackers)
        : limits_(limits), budget_(std::move(budget)), trackers_(trackers) {}

    Result<std::vector<CompiledFilter>> list(const EventFilter::FilterList& filters, const std::string& name) {
        if (static_cast<std::size_t>(filters.size()) > limits_.max_filters)
            return Error{name + ": " + std::to_string(filters.size()) + " filters exceed the limit of " +
                         std::to_string(limits_.max_filters)};
        std::vector<CompiledFilter> out;
        for (int i = 0; i < filters.size(); ++i) {
            CompiledFilter cf;
            Status st = filter(filters.Get(i), name + "[" + std::to_string(i) + "]", cf);
            if (!st.ok()) return Error{st.error()};
            out.push_back(std::move(cf));
        }
        return out;
    }

private:
    Status filter(const tetragon::Filter& f, const std::string& at, CompiledFilter& cf) {
        if (f.cel_expression_size() > 0)
            return Error{at + ".cel_expression: CEL filters are not supported by vigil"};
        if (f.ancestor_binary_regex_size() > 0)
            return Error{at + ".ancestor_binary_regex: ancestor filters are not supported by vigil"};

        Status st;
        auto regex_field = [&](const auto& values, const char* field, TextOf text_of) {
            if (st.ok() && !values.empty()) st = add_regex(values, at + "." + field, text_of, cf);
        };
        regex_field(f.binary_regex(), "binary_regex",
                    [](const EventView& v) { return v.process ? &v.process->binary() : nullptr; });
        regex_field(f.pod_regex(), "pod_regex", [](const EventView& v) {
            const tetragon::Pod* pod = pod_of(v.process);
            return pod ? &pod->name() : nullptr;
        });
        regex_field(f.arguments_regex(), "arguments_regex",
                    [](const EventView& v) { return v.process ? &v.process->arguments() : nullptr; });
        regex_field(f.parent_binary_regex(), "parent_binary_regex",
                    [](const EventView& v) { return v.parent ? &v.parent->binary() : nullptr; });
        regex_field(f.parent_arguments_regex(), "parent_arguments_regex",
                    [](const EventView& v) { return v.parent ? &v.parent->arguments() : nullptr; });
        regex_field(f.container_id(), "container_id",
                    [](const EventView& v) { return v.process ? &v.process->docker() : nullptr; });
        regex_field(f.container_name_regex(), "container_name_regex", [](const EventView& v) {
            const tetragon::Pod* pod = pod_of(v.process);
            return pod && pod->has_container() ? &pod->container().name() : nullptr;
        });
        regex_field(f.namespace_regex(), "namespace_regex", [](const EventView& v) {
            const tetragon::Pod* pod = pod_of(v.process);
            return pod ? &pod->namespace_() : nullptr;
        });
        if (!st.ok()) return st;

        if (f.namespace__size() > 0) {
            if (st = count(f.namespace__size(), at + ".namespace"); !st.ok()) return st;
            std::vector<std::string> namespaces(f.namespace_().begin(), f.namespace_().end());
            cf.predicates.emplace_back([namespaces](const EventView& v) {
                if (v.process == nullptr) return false;
                // "" selects host processes, which have no pod.
                const tetragon::Pod* pod = pod_of(v.process);
                return std::any_of(namespaces.begin(), namespaces.end(), [&](const std::string& want) {
                    return pod ? want == pod->namespace_() : want.empty();
                });
            });
        }
        if (f.has_health_check()) {
            const bool want = f.health_check().value();
            cf.predicates.emplace_back([want](const EventView& v) {
                return want == (maybe_exec_probe(v.process) || maybe_exec_probe(v.parent));
            });
        }
        if (f.pid_size() > 0) {
            if (st = count(f.pid_size(), at + ".pid"); !st.ok()) return st;
            std::vector<std::uint32_t> pids(f.pid().begin(), f.pid().end());
            cf.predicates.emplace_back([pids](const EventView& v) {
                return v.process != nullptr &&
                       std::find(pids.begin(), pids.end(), v.process->pid().value()) != pids.end();
            });
        }
        if (f.pid_set_size() > 0) {
            if (st = count(f.pid_set_size(), at + ".pid_set"); !st.ok()) return st;
            auto tracker = std::make_shared<PidSetTracker>(
                std::vector<std::uint32_t>(f.pid_set().begin(), f.pid_set().end()), budget_);
            trackers_.push_back(tracker);
            cf.predicates.emplace_back([tracker](const EventView& v) {
                return v.process != nullptr && tracker->contains(v.process->pid().value());
            });
        }
        if (f.event_set_size() > 0) {
            if (st = count(f.event_set_size(), at + ".event_set"); !st.ok()) return st;
            std::vector<int> types(f.event_set().begin(), f.event_set().end());
            cf.predicates.emplace_back([types](const EventView& v) {
                return std::find(types.begin(), types.end(), static_cast<int>(v.type)) != types.end();
            });
        }
        if (f.labels_size() > 0) {
            if (st = add_labels(f, at + ".labels", cf); !st.ok()) return st;
        }
        if (f.policy_names_size() > 0) {
            if (st = count(f.policy_names_size(), at + ".policy_names"); !st.ok()) return st;
            std::vector<std::string> names(f.policy_names().begin(), f.policy_names().end());
            cf.predicates.emplace_back([names](const EventView& v) {
                return !v.policy_name.empty() && std::find(names.begin(), names.end(), v.policy_name) != names.end();
            });
        }
        if (f.has_capabilities()) {
            if (st = add_capabilities(f.capabilities(), at + ".capabilities", cf); !st.ok()) return st;
        }
        if (f.has_in_init_tree()) {
            const bool want = f.in_init_tree().value();
            cf.predicates.emplace_back([want](const EventView& v) {
                // A missing flag counts as false, as in Tetragon.
                const bool have = v.process != nullptr && v.process->has_in_init_tree() &&
                                  v.process->in_init_tree().value();
                return have == want;
            });
        }
        return {};
    }

    Status count(int n, const std::string& at) {
        values_ += static_cast<std::size_t>(n);
        if (values_ > limits_.max_values)
            return Error{at + ": too many filter values in the request (limit " + std::to_string(limits_.max_values) +
                         ")"};
        return {};
    }

    Status add_regex(const google::protobuf::RepeatedPtrField<std::string>& patterns, const std::string& at,
                     TextOf text_of, CompiledFilter& cf) {
        if (Status st = count(patterns.size(), at); !st.ok()) return st;
        Regexes res;
        for (int i = 0; i < patterns.size(); ++i) {
            const std::string& pattern = patterns.Get(i);
            const std::string where = at + "[" + std::to_string(i) + "]";
            if (pattern.size() > limits_.max_pattern_bytes)
                return Error{where + ": regex is " + std::to_string(pattern.size()) + " bytes, limit " +
                             std::to_string(limits_.max_pattern_bytes)};
            re2::RE2::Options opts;
            opts.set_log_errors(false);
            opts.set_never_capture(true);
            opts.set_max_mem(limits_.regex_max_mem);
            auto re = std::make_shared<const re2::RE2>(pattern, opts);
            if (!re->ok()) return Error{where + ": invalid regex \"" + pattern + "\": " + regex_error(*re)};
            res.push_back(std::move(re));
        }
        cf.predicates.emplace_back([res = std::move(res), text_of](const EventView& v) {
            const std::string* text = text_of(v);
            if (text == nullptr) return false;
            return std::any_of(res.begin(), res.end(),
                               [&](const auto& re) { return re2::RE2::PartialMatch(*text, *re); });
        });
        return {};
    }

    Status add_labels(const tetragon::Filter& f, const std::string& at, CompiledFilter& cf) {
        if (Status st = count(f.labels_size(), at); !st.ok()) return st;
        std::vector<LabelSelector> selectors;
        for (int i = 0; i < f.labels_size(); ++i) {
            const std::string& text = f.labels(i);
            const std::string where = at + "[" + std::to_string(i) + "]";
            if (text.size() > limits_.max_selector_bytes)
                return Error{where + ": label selector is " + std::to_string(text.size()) + " bytes, limit " +
                             std::to_string(limits_.max_selector_bytes)};
            auto sel = LabelSelector::parse(text);
            if (!sel.ok()) return Error{where + ": invalid label selector \"" + text + "\": " + sel.error()};
            selectors.push_back(std::move(sel.value()));
        }
        cf.predicates.emplace_back([selectors = std::move(selectors)](const EventView& v) {
            const tetragon::Pod* pod = pod_of(v.process);
            if (pod == nullptr) return false;  // host processes have no labels
            return std::any_of(selectors.begin(), selectors.end(),
                               [&](const LabelSelector& s) { return s.matches(pod->pod_labels()); });
        });
        return {};
    }

    Status add_capabilities(const tetragon::CapFilter& cap, const std::string& at, CompiledFilter& cf) {
        struct Part {
            const char* name;
            bool present;
            const tetragon::CapFilterSet* set;
        };
        const Part parts[] = {{"permitted", cap.has_permitted(), &cap.permitted()},
                              {"effective", cap.has_effective(), &cap.effective()},
                              {"inheritable", cap.has_inheritable(), &cap.inheritable()}};
        for (const Part& p : parts) {
            if (!p.present) continue;
            const tetragon::CapFilterSet& s = *p.set;
            const int ops = (s.any_size() > 0) + (s.all_size() > 0) + (s.exactly_size() > 0) + (s.none_size() > 0);
            if (ops != 1)
                return Error{at + "." + p.name + ": a capability filter set must use exactly one of any, all, "
                                                 "exactly, none (got " + std::to_string(ops) + ")"};
            const int n = s.any_size() + s.all_size() + s.exactly_size() + s.none_size();
            if (Status st = count(n, at + "." + p.name); !st.ok()) return st;
        }
        cf.predicates.emplace_back([cap](const EventView& v) {
            // Without capabilities on the process (--enable-process-cred off) nothing matches.
            if (v.process == nullptr || !v.process->has_cap()) return false;
            const tetragon::Capabilities& have = v.process->cap();
            return (!cap.has_permitted() || cap_set_matches(cap.permitted(), have.permitted())) &&
                   (!cap.has_effective() || cap_set_matches(cap.effective(), have.effective())) &&
                   (!cap.has_inheritable() || cap_set_matches(cap.inheritable(), have.inheritable()));
        });
        return {};
    }

    const FilterLimits& limits_;
    std::shared_ptr<PidBudget> budget_;
    std::vector<std::shared_ptr<PidSetTracker>>& trackers_;
    std::size_t values_ = 0;
};

}  // namespace

struct EventFilter::Impl {
    std::vector<CompiledFilter> allow;
    std::vector<CompiledFilter> deny;
    std::vector<std::shared_ptr<PidSetTracker>> trackers;
    std::shared_ptr<PidBudget> budget;
};

Result<EventFilter> EventFilter::compile(const FilterList& allow, const FilterList& deny, const FilterLimits& limits) {
    auto impl = std::make_unique<Impl>();
    impl->budget = std::make_shared<PidBudget>();
    impl->budget->remaining = limits.max_pid_set_descendants;
    Compiler compiler(limits, impl->budget, impl->trackers);
    auto a = compiler.list(allow, "allow_list");
    if (!a.ok()) return Error{a.error()};
    auto d = compiler.list(deny, "deny_list");
    if (!d.ok()) return Error{d.error()};
    impl->allow = std::move(a.value());
    impl->deny = std::move(d.value());
    return EventFilter(std::move(impl));
}

EventFilter::EventFilter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventFilter::EventFilter(EventFilter&&) noexcept = default;
EventFilter& EventFilter::operator=(EventFilter&&) noexcept = default;
EventFilter::~EventFilter() = default;

bool EventFilter::matches(const tetragon::GetEventsResponse& ev) {
    const EventView v = view_of(ev);
    // Learn descendants before matching, whatever the other fields decide, so an
    // excluded parent event still makes its children known.
    for (const auto& t : impl_->trackers) t->learn(v);
    const bool pass = (impl_->allow.empty() || any_matches(impl_->allow, v)) && !any_matches(impl_->deny, v);
    for (const auto& t : impl_->trackers) t->forget(v);
    return pass;
}

bool EventFilter::empty() const { return impl_->allow.empty() && impl_->deny.empty(); }

std::uint64_t EventFilter::pid_set_untracked() const { return impl_->budget->untracked; }

}  // namespace vigil::exporter
