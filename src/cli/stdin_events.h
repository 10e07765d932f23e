// `vigil getevents` without an agent: JSON export lines read from a stream
// (`kubectl logs ... | vigil getevents -o compact`), filtered locally with
// the same Filter semantics the agent applies.
#pragma once

#include <cstdint>
#include <iosfwd>

#include "cli/event_printer.h"
#include "export/filters.h"

namespace vigil::cli {

enum class StdinMode { kAuto, kForce, kNever };

// kAuto reads stdin when it is a pipe or a regular file. A terminal, or a
// character device such as /dev/null (daemons, CI runners), means "connect
// to the agent" instead.
bool read_events_from_stdin(StdinMode mode, int stdin_fd);

struct StdinStats {
    std::uint64_t lines = 0;      // non-blank lines read
    std::uint64_t printed = 0;    // lines written to out
    std::uint64_t filtered = 0;   // valid events the filter dropped
    std::uint64_t malformed = 0;  // lines that are not one JSON event
};

// One event per line; blank lines are skipped. A line that does not parse,
// or parses to an object with no event in it, is reported on `err` with its
// 1-based line number, counted, and reading goes on.
StdinStats print_events_from(std::istream& in, exporter::EventFilter& filter,
                             const EventPrinter& printer, std::ostream& out, std::ostream& err);

}  // namespace vigil::cli
