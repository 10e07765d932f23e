#include "cli/stdin_events.h"

#include <sys/stat.h>

#include <istream>
#include <ostream>
#include <string>

#include "export/json_codec.h"

namespace vigil::cli {

bool read_events_from_stdin(StdinMode mode, int stdin_fd) {
    if (mode != StdinMode::kAuto) return mode == StdinMode::kForce;
    struct stat st {};
    if (::fstat(stdin_fd, &st) != 0) return false;
    return S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode);
}

namespace {

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// Protobuf's JSON errors may append the offending input and a caret on
// further lines; one diagnostic line per bad input line keeps stderr usable.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

StdinStats print_events_from(std::istream& in, exporter::EventFilter& filter,
                             const EventPrinter& printer, std::ostream& out, std::ostream& err) {
    StdinStats stats;
    std::string line;
    for (std::uint64_t number = 1; std::getline(in, line); ++number) {
        if (blank(line)) continue;
        ++stats.lines;
        auto ev = exporter::parse_json_line(line);
        if (!ev.ok() || ev->event_case() == tetragon::GetEventsResponse::EVENT_NOT_SET) {
            ++stats.malformed;
            err << "vigil getevents: stdin line " << number << ": "
                << (ev.ok() ? std::string("no event in JSON object")
                            : "malformed event: " + first_line(ev.error()))
                << '\n';
            continue;
        }
        if (!filter.matches(ev.value())) {
            ++stats.filtered;
            continue;
        }
        std::string text = printer.format(ev.value());
        if (text.empty()) continue;
        out << text << '\n';
        ++stats.printed;
    }
    return stats;
}

}  // namespace vigil::cli
