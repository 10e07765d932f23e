#include "export/json_codec.h"

#include <google/protobuf/util/json_util.h>

#include "export/json_encoder.h"

namespace vigil::exporter {

namespace pbutil = google::protobuf::util;

namespace {

// Escapes a message so it can sit inside a JSON string literal.
std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80) {
                    out += '?';  // keep the fallback line pure ASCII and valid JSON
                } else {
                    out += c;
                }
        }
    }
    return out;
}

// protobuf's printer, for what the fast encoder leaves to it.
void append_with_protobuf(const tetragon::GetEventsResponse& ev, std::string& out) {
    pbutil::JsonPrintOptions opts;
    opts.add_whitespace = false;
    opts.always_print_primitive_fields = false;
    opts.always_print_enums_as_ints = false;
    opts.preserve_proto_field_names = true;

    std::string json;
    auto status = pbutil::MessageToJsonString(ev, &json, opts);
    if (!status.ok()) {
        out += "{\"vigil_encode_error\":\"" + json_escape(std::string(status.message())) + "\"}";
        return;
    }
    out += json;
}

}  // namespace

void append_json_line(const tetragon::GetEventsResponse& ev, std::string& out) {
    if (!append_json(ev, out)) append_with_protobuf(ev, out);
}

std::string to_json_line(const tetragon::GetEventsResponse& ev) {
    std::string out;
    append_json_line(ev, out);
    return out;
}

vigil::Result<tetragon::GetEventsResponse> parse_json_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
        line.remove_suffix(1);
    }
    if (line.empty()) {
        return vigil::make_error("parse_json_line: empty line");
    }

    pbutil::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;

    tetragon::GetEventsResponse ev;
    auto status = pbutil::JsonStringToMessage(
        google::protobuf::StringPiece(line.data(), line.size()), &ev, opts);
    if (!status.ok()) {
        return vigil::make_error("parse_json_line: " + std::string(status.message()));
    }
    return ev;
}

}  // namespace vigil::exporter
