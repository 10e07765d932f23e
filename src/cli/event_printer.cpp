#include "cli/event_printer.h"

#include "export/json_codec.h"

namespace vigil::cli {

Result<OutputFormat> parse_output_format(std::string_view name) {
    if (name == "json") return OutputFormat::kJson;
    if (name == "compact") return OutputFormat::kCompact;
    return make_error("unknown output format \"" + std::string(name) + "\" (valid: json, compact)");
}

Result<ColorMode> parse_color_mode(std::string_view name) {
    if (name == "auto") return ColorMode::kAuto;
    if (name == "always") return ColorMode::kAlways;
    if (name == "never") return ColorMode::kNever;
    return make_error("unknown color mode \"" + std::string(name) +
                      "\" (valid: auto, always, never)");
}

bool use_color(ColorMode mode, bool stdout_is_tty, const char* no_color, const char* term) {
    switch (mode) {
        case ColorMode::kAlways:
            return true;
        case ColorMode::kNever:
            return false;
        case ColorMode::kAuto:
            break;
    }
    if (no_color != nullptr) return false;
    if (term != nullptr && std::string_view(term) == "dumb") return false;
    return stdout_is_tty;
}

std::string EventPrinter::format(const tetragon::GetEventsResponse& ev) const {
    if (format_ == OutputFormat::kCompact) return exporter::render_compact(ev, compact_);
    return exporter::to_json_line(ev);
}

}  // namespace vigil::cli
