// Fuzzes the JSON-lines reader of `vigil getevents` (cli::print_events_from,
// built on exporter::parse_json_line) with arbitrary bytes as stdin, through
// both output formats (compact with colours and timestamps, and JSON) and
// with a filter whose pid_set learns from the stream. Every non-blank line
// must be accounted for exactly once.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "cli/event_printer.h"
#include "cli/stdin_events.h"
#include "export/filters.h"
#include "tetragon/tetragon.pb.h"

namespace {

void check(bool condition) {
    if (!condition) __builtin_trap();
}

vigil::exporter::EventFilter make_filter(bool empty) {
    google::protobuf::RepeatedPtrField<tetragon::Filter> allow, deny;
    if (!empty) {
        auto* f = allow.Add();
        f->add_pid_set(1);
        f->add_binary_regex("^/");
        auto* d = deny.Add();
        d->add_namespace_("kube-system");
    }
    auto r = vigil::exporter::EventFilter::compile(allow, deny);
    if (!r.ok()) __builtin_trap();
    return std::move(r.value());
}

void run(const std::string& input, vigil::cli::OutputFormat format, bool empty_filter) {
    using namespace vigil::cli;
    vigil::exporter::CompactOptions compact;
    compact.color = true;
    compact.timestamps = true;
    const EventPrinter printer(format, compact);
    auto filter = make_filter(empty_filter);
    std::istringstream in(input);
    std::ostringstream out, err;
    StdinStats s = print_events_from(in, filter, printer, out, err);
    check(s.printed + s.filtered + s.malformed <= s.lines);
    if (empty_filter) check(s.filtered == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    run(input, vigil::cli::OutputFormat::kCompact, true);
    run(input, vigil::cli::OutputFormat::kJson, false);
    return 0;
}
