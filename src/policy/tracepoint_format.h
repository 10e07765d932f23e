// The field list of a tracepoint, parsed from its tracefs `format` file
// (events/<subsys>/<event>/format). Tracepoint policy arguments name fields
// by index in this list, common_* fields included (Tetragon's numbering).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace vigil::policy {

struct TracepointField {
    std::string name;        // "filename", "parent_comm"
    std::string type;        // declaration without the name: "const char *", "__data_loc char[]"
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
    bool is_signed = false;
    bool data_loc = false;   // __data_loc: a u32 (length << 16 | offset) pointing into the record
    bool array = false;      // an array inside the record ("char comm[16]")
    bool pointer = false;    // the field holds a pointer
};

// Parses a format file's text; errors name the line.
Result<std::vector<TracepointField>> parse_tracepoint_format(const std::string& text);

// Looks up a tracepoint's fields, or says why it cannot (no such tracepoint, no tracefs).
using TracepointFormatLookup =
    std::function<Result<std::vector<TracepointField>>(const std::string& subsys, const std::string& event)>;

// Reads events/<subsys>/<event>/format under the first tracefs root that has
// it (/sys/kernel/tracing, then /sys/kernel/debug/tracing).
TracepointFormatLookup tracefs_format_lookup();

}  // namespace vigil::policy
