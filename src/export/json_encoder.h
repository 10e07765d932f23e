// A fast protojson encoder for the export path. It writes what protobuf's own
// printer (MessageToJsonString) writes with the export's options — proto
// field names, no whitespace, default scalars omitted, enums as names,
// 64-bit integers as strings, Timestamps in RFC 3339 — but walks each message
// with per-type plans built once instead of building google::protobuf::Type
// descriptions on every call, and appends into a caller's buffer.
//
// Deliberate differences from protobuf 3.21's printer, where it was wrong:
// map entries are sorted by key (protobuf prints them in hash order, so two
// runs differed; Tetragon's Go exporter sorts), and bytes of a string field
// that are not valid UTF-8 become U+FFFD instead of being silently dropped.
#pragma once

#include <string>

namespace google::protobuf {
class Message;
}

namespace vigil::exporter {

// Appends `msg` to `out` as one JSON object. Returns false, with `out`
// restored to its size on entry, when the message holds something this
// encoder leaves to protobuf (float/double values, Any, Duration, FieldMask,
// Struct, a Timestamp out of RFC 3339's range); the caller then falls back to
// protobuf's printer, so no event is ever rendered differently for it.
bool append_json(const google::protobuf::Message& msg, std::string& out);

}  // namespace vigil::exporter
