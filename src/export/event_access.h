// Uniform access to the parts of a GetEventsResponse that filters look at,
// whatever the event type (Tetragon's helpers.ResponseGetProcess & co).
#pragma once

#include <string_view>

#include "tetragon/events.pb.h"

namespace vigil::exporter {

struct EventView {
    tetragon::EventType type = tetragon::UNDEF;
    const tetragon::Process* process = nullptr;  // null when the event has none
    const tetragon::Process* parent = nullptr;
    std::string_view policy_name;  // kprobe/tracepoint/uprobe/lsm/usdt only
};

// The event type is the number of the oneof member that is set (the two are
// defined to be equal); UNDEF when none is.
tetragon::EventType event_type_of(const tetragon::GetEventsResponse& ev);

EventView view_of(const tetragon::GetEventsResponse& ev);

}  // namespace vigil::exporter
