#include "policy/tracepoint_format.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace vigil::policy {

namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

// "key:value" between separators of a field line, e.g. "offset:16".
bool attr(const std::string& line, const std::string& key, std::string& out) {
    auto p = line.find(key + ":");
    if (p == std::string::npos) return false;
    p += key.size() + 1;
    auto e = line.find(';', p);
    if (e == std::string::npos) return false;
    out = trim(line.substr(p, e - p));
    return true;
}

bool to_u32(const std::string& s, std::uint32_t& out) {
    if (s.empty() || s.size() > 9) return false;
    std::uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    out = v;
    return true;
}

}  // namespace

Result<std::vector<TracepointField>> parse_tracepoint_format(const std::string& text) {
    std::vector<TracepointField> fields;
    std::istringstream in(text);
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        std::string t = trim(line);
        if (t.rfind("field:", 0) != 0) continue;
        const std::string where = "format line " + std::to_string(lineno);
        std::string decl, off, size, sign;
        if (!attr(t, "field", decl) || !attr(t, "offset", off) || !attr(t, "size", size)) {
            return make_error(where + ": expected 'field:<declaration>; offset:N; size:N;'");
        }
        TracepointField f;
        if (!to_u32(off, f.offset) || !to_u32(size, f.size)) {
            return make_error(where + ": offset and size must be numbers");
        }
        f.is_signed = attr(t, "signed", sign) && sign == "1";
        auto sp = decl.find_last_of(" \t*");
        if (sp == std::string::npos || sp + 1 >= decl.size()) {
            return make_error(where + ": no field name in '" + decl + "'");
        }
        f.name = decl.substr(sp + 1);
        f.type = trim(decl.substr(0, sp + 1));
        if (auto br = f.name.find('['); br != std::string::npos) {
            f.array = true;
            f.type += f.name.substr(br);
            f.name = f.name.substr(0, br);
        }
        if (f.type.rfind("__data_loc", 0) == 0) {
            f.data_loc = true;
            f.array = false;
        }
        f.pointer = !f.data_loc && !f.array && f.type.find('*') != std::string::npos;
        fields.push_back(std::move(f));
    }
    if (fields.empty()) return make_error("format: no fields");
    return fields;
}

TracepointFormatLookup tracefs_format_lookup() {
    return [](const std::string& subsys, const std::string& event) -> Result<std::vector<TracepointField>> {
        auto safe = [](const std::string& s) {
            if (s.empty() || s.size() > 128) return false;
            for (char c : s) {
                if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
            }
            return true;
        };
        if (!safe(subsys) || !safe(event)) return make_error("not a tracepoint name");
        for (const char* root : {"/sys/kernel/tracing/events/", "/sys/kernel/debug/tracing/events/"}) {
            std::ifstream in(std::string(root) + subsys + "/" + event + "/format");
            if (!in) continue;
            std::stringstream ss;
            ss << in.rdbuf();
            return parse_tracepoint_format(ss.str());
        }
        return make_error("no such tracepoint in tracefs (events/" + subsys + "/" + event + "/format)");
    };
}

}  // namespace vigil::policy
