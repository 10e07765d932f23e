// Event type names on the command line: "process_exec" or "PROCESS_EXEC",
// i.e. tetragon.EventType names in either case.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "tetragon/events.pb.h"

namespace vigil::cli {

// UNDEF is refused: it would match nothing a user can ask for.
Result<tetragon::EventType> parse_event_type(std::string_view name);

// "process_exec, process_exit, ..." for error messages and --help.
std::string event_type_names();

}  // namespace vigil::cli
