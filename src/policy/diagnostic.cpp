#include "policy/diagnostic.h"

#include <algorithm>

namespace vigil::policy {

Diagnostic make_diagnostic(Severity severity, const SourcePos& pos, std::string message) {
    Diagnostic d;
    d.severity = severity;
    d.file = pos.file;
    d.line = pos.line;
    d.column = pos.column;
    d.path = pos.path;
    d.message = std::move(message);
    return d;
}

std::string format_location(const SourcePos& pos, const std::string& path) {
    std::string out = pos.file;
    if (pos.line) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
    return out + ": " + path;
}

std::string format_diagnostic(const Diagnostic& d) {
    std::string out = d.file.empty() ? std::string("<input>") : d.file;
    if (d.line) {
        out += ':' + std::to_string(d.line);
        if (d.column) out += ':' + std::to_string(d.column);
    }
    out += d.severity == Severity::Warning ? ": warning: " : ": error: ";
    if (!d.path.empty()) out += d.path + ": ";
    out += d.message;
    return out;
}

bool is_blocking(Severity s) { return s != Severity::Warning; }

bool has_blocking(const std::vector<Diagnostic>& diags) {
    return std::any_of(diags.begin(), diags.end(),
                       [](const Diagnostic& d) { return is_blocking(d.severity); });
}

}  // namespace vigil::policy
