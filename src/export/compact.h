// Human one-line rendering of events, like `tetra getevents -o compact`
// (Tetragon pkg/encoder/encoder.go and color.go):
//   [<time> ]<emoji> <label %-7s> <namespace/pod | node> <binary> <details>
// e.g. "🚀 process kube-system/tetragon /usr/bin/curl cilium.io".
//
// Deliberate differences from Tetragon:
//  - the CAP_SYS_ADMIN trailer is shown when the effective set really holds
//    CAP_SYS_ADMIN (Tetragon tests whether index 21 of the slice exists);
//  - raw_syscalls/sys_enter shows the syscall name without its argument list
//    (we carry no syscall signature table);
//  - when colours are on, padding to the caps column counts visible bytes,
//    not escape codes.
#pragma once

#include <string>
#include <string_view>

#include "tetragon/events.pb.h"

namespace vigil::exporter {

struct CompactOptions {
    bool color = false;       // ANSI colours, as `--color always`
    bool timestamps = false;  // RFC 3339 UTC time with 9 fraction digits first
};

// One human line per event, no trailing newline; empty string for events
// compact does not show (no event, rate_limit_info, or a missing process).
std::string render_compact(const tetragon::GetEventsResponse& ev, const CompactOptions& opts = {});

// Untrusted text (paths, arguments, host names, symbols) is printed as is
// unless it holds a space, a non-printable character or invalid UTF-8; then it
// is quoted and escaped like Go's strconv.Quote, so a crafted file name cannot
// drive the terminal (Tetragon PR 5249).
std::string quote_if_needed(std::string_view s);

}  // namespace vigil::exporter
