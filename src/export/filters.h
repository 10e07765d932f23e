// Tetragon event filters (tetragon.Filter) compiled into a matcher with
// Tetragon's semantics (pkg/filters):
//  - inside one Filter every set field is ANDed; values of one field are ORed;
//  - allow list: an event passes if any Filter matches (empty list: all pass);
//  - deny list: an event is dropped if any Filter matches;
//  - result: allow minus deny.
// Regexes are RE2 partial matches, like Go's regexp.MatchString.
//
// Unsupported fields (cel_expression, ancestor_binary_regex) are refused at
// compile time rather than silently ignored, so a client never gets a wider
// stream than it asked for.
//
// pid_set limitation: descendants are learned from the events that pass
// through this filter. An event whose process's parent is a known member adds
// that process; an exit forgets a learned pid (pid reuse). A descendant whose
// ancestors' events were never seen here (e.g. forked before this filter was
// compiled, or via a parent that produced no event) is not matched. Learned
// pids are capped (FilterLimits::max_pid_set_descendants); beyond it new
// descendants are not tracked and counted in pid_set_untracked().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/result.h"
#include "tetragon/events.pb.h"

namespace vigil::exporter {

// Bounds on what a (possibly hostile) request may make the agent compile.
struct FilterLimits {
    std::size_t max_filters = 1024;         // per list
    std::size_t max_values = 4096;          // repeated values, summed over both lists
    std::size_t max_pattern_bytes = 4096;   // one regex
    std::size_t max_selector_bytes = 4096;  // one label selector
    std::int64_t regex_max_mem = 1 << 20;   // RE2 memory budget per regex
    std::size_t max_pid_set_descendants = 65536;  // learned pids, whole EventFilter
};

class EventFilter {
public:
    using FilterList = google::protobuf::RepeatedPtrField<tetragon::Filter>;

    // Errors name the list, filter index, field and value index, e.g.
    // `allow_list[0].binary_regex[1]: invalid regex "(": missing )`.
    static Result<EventFilter> compile(const FilterList& allow, const FilterList& deny,
                                       const FilterLimits& limits = {});

    EventFilter(EventFilter&&) noexcept;
    EventFilter& operator=(EventFilter&&) noexcept;
    ~EventFilter();

    // Non-const: pid_set filters learn descendants from the events they see.
    // Call it for every event of the stream, in order.
    bool matches(const tetragon::GetEventsResponse& ev);

    // True when both lists are empty (every event passes).
    bool empty() const;
    std::uint64_t pid_set_untracked() const;

private:
    struct Impl;
    explicit EventFilter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::exporter
