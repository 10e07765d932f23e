// Tetragon-compatible JSON lines: one GetEventsResponse per line, encoded the
// way Tetragon's exporter does (protojson with proto field names).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "tetragon/events.pb.h"

namespace vigil::exporter {

// Encodes `ev` as one JSON object without the trailing newline: snake_case
// field names, no whitespace, default values omitted, enums as names, 64-bit
// integers as strings, Timestamps as RFC 3339 in UTC.
// Protobuf refuses to encode string fields holding invalid UTF-8; the proto
// mapping must hand in valid UTF-8. If encoding still fails, the result is a
// one-field object {"vigil_encode_error":"..."} so a line is never silently lost.
// Map entries are sorted by key; see export/json_encoder.h for the encoder.
std::string to_json_line(const tetragon::GetEventsResponse& ev);
// The same, appended to `out` (no allocation when `out` has room: the sinks
// reuse one buffer for every line).
void append_json_line(const tetragon::GetEventsResponse& ev, std::string& out);

// Decodes one export line. Unknown fields are ignored (a newer Tetragon may
// add some); a trailing "\n" or "\r\n" is accepted. The error names the
// problem as protobuf reports it.
vigil::Result<tetragon::GetEventsResponse> parse_json_line(std::string_view line);

}  // namespace vigil::exporter
