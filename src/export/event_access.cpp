#include "export/event_access.h"

namespace vigil::exporter {
namespace {

// Every event message with process/parent uses the same accessor names.
template <typename Msg>
void fill_processes(const Msg& m, EventView& v) {
    if (m.has_process()) v.process = &m.process();
    if (m.has_parent()) v.parent = &m.parent();
}

template <typename Msg>
void fill_policy(const Msg& m, EventView& v) {
    fill_processes(m, v);
    v.policy_name = m.policy_name();
}

}  // namespace

tetragon::EventType event_type_of(const tetragon::GetEventsResponse& ev) {
    const int n = static_cast<int>(ev.event_case());
    return tetragon::EventType_IsValid(n) ? static_cast<tetragon::EventType>(n) : tetragon::UNDEF;
}

EventView view_of(const tetragon::GetEventsResponse& ev) {
    EventView v;
    v.type = event_type_of(ev);
    using R = tetragon::GetEventsResponse;
    switch (ev.event_case()) {
        case R::kProcessExec: fill_processes(ev.process_exec(), v); break;
        case R::kProcessExit: fill_processes(ev.process_exit(), v); break;
        case R::kProcessLoader: fill_processes(ev.process_loader(), v); break;
        case R::kProcessKprobe: fill_policy(ev.process_kprobe(), v); break;
        case R::kProcessTracepoint: fill_policy(ev.process_tracepoint(), v); break;
        case R::kProcessUprobe: fill_policy(ev.process_uprobe(), v); break;
        case R::kProcessLsm: fill_policy(ev.process_lsm(), v); break;
        case R::kProcessUsdt: fill_policy(ev.process_usdt(), v); break;
        default: break;  // throttle, test, rate_limit_info: no process
    }
    return v;
}

}  // namespace vigil::exporter
