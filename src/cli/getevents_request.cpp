#include "cli/getevents_request.h"

#include "cli/event_types.h"

namespace vigil::cli {

Result<tetragon::GetEventsRequest> build_request(const FilterFlags& flags) {
    tetragon::GetEventsRequest req;
    if (flags.namespaces.empty() && flags.pods.empty() && flags.processes.empty() &&
        flags.event_types.empty()) {
        return req;
    }
    tetragon::Filter* f = req.add_allow_list();
    for (const auto& ns : flags.namespaces) f->add_namespace_(ns);
    for (const auto& pod : flags.pods) f->add_pod_regex(pod);
    for (const auto& bin : flags.processes) f->add_binary_regex(bin);
    for (const auto& name : flags.event_types) {
        auto type = parse_event_type(name);
        if (!type.ok()) return make_error("--event-types: " + type.error());
        f->add_event_set(type.value());
    }
    return req;
}

}  // namespace vigil::cli
