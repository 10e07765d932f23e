// Problems found in a policy file, each precise enough to act on: where
// (file, line, column, and the path inside the document) and what is wrong
// and accepted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::policy {

// Where a node of the policy came from. Every model node keeps one so later
// stages (the kernel compiler) can report problems at the right place.
struct SourcePos {
    std::string file;
    uint32_t line = 0;    // 1-based; 0 when unknown
    uint32_t column = 0;  // 1-based; 0 when unknown
    std::string path;     // e.g. spec.kprobes[0].selectors[1].matchArgs[0].operator
};

enum class Severity {
    Error,        // invalid for Tetragon too: the policy is refused
    Unsupported,  // valid for Tetragon, but Vigil does not implement it: refused
    Warning,      // accepted; worth a look (ignored fields, truncation, ...)
};

struct Diagnostic {
    Severity severity = Severity::Error;
    std::string file;
    uint32_t line = 0;
    uint32_t column = 0;
    std::string path;
    std::string message;
};

Diagnostic make_diagnostic(Severity severity, const SourcePos& pos, std::string message);

// "file:line:col: error: path: message". Unsupported features print as
// errors whose message starts with "unsupported: ".
std::string format_diagnostic(const Diagnostic& d);

// "file:line:col: path" (or "file: path" when the line is unknown), the
// prefix of the compiler's (plan_hooks) error lines.
std::string format_location(const SourcePos& pos, const std::string& path);

// True for Error and Unsupported: what makes a policy unloadable.
bool is_blocking(Severity s);
bool has_blocking(const std::vector<Diagnostic>& diags);

}  // namespace vigil::policy
