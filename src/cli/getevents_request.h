// The GetEventsRequest built from `vigil getevents` flags. Like tetra, every
// flag goes into ONE allow_list Filter, so different flags are ANDed and the
// values of one flag are ORed. No flag at all means an empty allow list: all
// events.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "tetragon/events.pb.h"

namespace vigil::cli {

struct FilterFlags {
    std::vector<std::string> namespaces;   // --namespace -> Filter.namespace
    std::vector<std::string> pods;         // --pod       -> Filter.pod_regex
    std::vector<std::string> processes;    // --process   -> Filter.binary_regex
    std::vector<std::string> event_types;  // --event-types -> Filter.event_set
};

// Fails on an unknown event type name, naming the flag and the value.
Result<tetragon::GetEventsRequest> build_request(const FilterFlags& flags);

}  // namespace vigil::cli
