// Turns one event into one output line for `vigil getevents`: Tetragon's JSON
// export line or tetra's compact line.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "export/compact.h"
#include "tetragon/events.pb.h"

namespace vigil::cli {

enum class OutputFormat { kJson, kCompact };
enum class ColorMode { kAuto, kAlways, kNever };

Result<OutputFormat> parse_output_format(std::string_view name);  // "json" | "compact"
Result<ColorMode> parse_color_mode(std::string_view name);        // "auto" | "always" | "never"

// Whether compact output is coloured. auto: only on a terminal, and not when
// NO_COLOR is set (https://no-color.org) or TERM is "dumb", as fatih/color
// (which tetra uses) decides. The environment is passed in (nullptr = unset).
bool use_color(ColorMode mode, bool stdout_is_tty, const char* no_color, const char* term);

class EventPrinter {
public:
    EventPrinter(OutputFormat format, exporter::CompactOptions compact)
        : format_(format), compact_(compact) {}

    // The line without its newline; empty means "print nothing" (compact
    // output has no rendering for some events).
    std::string format(const tetragon::GetEventsResponse& ev) const;

private:
    OutputFormat format_;
    exporter::CompactOptions compact_;
};

}  // namespace vigil::cli
