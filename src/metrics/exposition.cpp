#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace vigil::metrics {

namespace {

std::string escape(std::string_view s, bool quote) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '"':
                if (quote) {
                    out += "\\\"";
                    break;
                }
                [[fallthrough]];
            default: out += c;
        }
    }
    return out;
}

const char* type_name(MetricType t) { return t == MetricType::kCounter ? "counter" : "gauge"; }

}  // namespace

std::string escape_help(std::string_view s) { return escape(s, false); }
std::string escape_label_value(std::string_view s) { return escape(s, true); }

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    if (ec != std::errc()) return "NaN";  // cannot happen with 64 bytes
    return std::string(buf, end);
}

std::string render(const std::vector<FamilySnapshot>& families) {
    std::string out;
    for (const auto& f : families) {
        out += "# HELP " + f.name + " " + escape_help(f.help) + "\n";
        out += "# TYPE " + f.name + " " + type_name(f.type) + "\n";
        for (const auto& s : f.samples) {
            out += f.name;
            if (!f.label_names.empty()) {
                out += '{';
                for (std::size_t i = 0; i < f.label_names.size(); ++i) {
                    if (i) out += ',';
                    out += f.label_names[i] + "=\"" + escape_label_value(s.label_values[i]) + "\"";
                }
                out += '}';
            }
            out += ' ';
            out += format_value(s.value);
            out += '\n';
        }
    }
    return out;
}

// ---- parser -------------------------------------------------------------

namespace {

bool name_char(char c, bool first) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    return first ? alpha : alpha || (c >= '0' && c <= '9');
}

std::string_view take_name(std::string_view& s) {
    std::size_t i = 0;
    while (i < s.size() && name_char(s[i], i == 0)) ++i;
    auto name = s.substr(0, i);
    s.remove_prefix(i);
    return name;
}

Result<double> parse_value(std::string_view s) {
    if (s == "+Inf" || s == "Inf") return HUGE_VAL;
    if (s == "-Inf") return -HUGE_VAL;
    if (s == "NaN") return std::nan("");
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
        return make_error("'" + std::string(s) + "' is not a number");
    }
    return v;
}

// Reads `"..."` with the exposition escapes; leaves `s` after the quote.
Result<std::string> take_quoted(std::string_view& s) {
    if (s.empty() || s[0] != '"') return make_error("expected '\"'");
    std::string out;
    for (std::size_t i = 1; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') {
            s.remove_prefix(i + 1);
            return out;
        }
        if (c == '\\') {
            if (++i == s.size()) break;
            switch (s[i]) {
                case '\\': out += '\\'; break;
                case '"': out += '"'; break;
                case 'n': out += '\n'; break;
                default: return make_error(std::string("unknown escape \\") + s[i]);
            }
        } else {
            out += c;
        }
    }
    return make_error("unterminated label value");
}

std::string unescape_help(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == 'n')) {
            out += s[i + 1] == 'n' ? '\n' : '\\';
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

Result<ParsedSample> parse_sample(std::string_view s) {
    ParsedSample out;
    out.name = std::string(take_name(s));
    if (out.name.empty()) return make_error("expected a metric name");
    if (!s.empty() && s[0] == '{') {
        s.remove_prefix(1);
        while (true) {
            if (!s.empty() && s[0] == '}') {
                s.remove_prefix(1);
                break;
            }
            std::string label(take_name(s));
            if (label.empty()) return make_error("expected a label name");
            if (s.empty() || s[0] != '=') return make_error("expected '=' after label " + label);
            s.remove_prefix(1);
            auto v = take_quoted(s);
            if (!v) return make_error("label " + label + ": " + v.error());
            if (!out.labels.emplace(label, std::move(v).value()).second) {
                return make_error("label " + label + " given twice");
            }
            if (!s.empty() && s[0] == ',') s.remove_prefix(1);
            else if (s.empty() || s[0] != '}') return make_error("expected ',' or '}'");
        }
    }
    if (s.empty() || s[0] != ' ') return make_error("expected a space before the value");
    while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
    auto sp = s.find(' ');  // an optional timestamp follows
    auto v = parse_value(s.substr(0, sp));
    if (!v) return make_error(v.error());
    out.value = *v;
    return out;
}

}  // namespace

Result<ParsedScrape> parse_exposition(std::string_view text) {
    ParsedScrape out;
    int line_no = 0;
    while (!text.empty()) {
        ++line_no;
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (line.empty()) continue;
        auto where = "line " + std::to_string(line_no) + ": ";
        if (line[0] == '#') {
            for (const char* kw : {"# HELP ", "# TYPE "}) {
                std::string_view k(kw);
                if (line.substr(0, k.size()) != k) continue;
                auto rest = line.substr(k.size());
                std::string name(take_name(rest));
                if (name.empty()) return make_error(where + "expected a metric name after " + std::string(k));
                if (!rest.empty()) rest.remove_prefix(1);
                if (k == "# HELP ") out.help[name] = unescape_help(rest);
                else out.type[name] = std::string(rest);
            }
            continue;  // other comments are allowed
        }
        auto s = parse_sample(line);
        if (!s) return make_error(where + s.error());
        out.samples.push_back(std::move(s).value());
    }
    return out;
}

std::optional<double> ParsedScrape::value(const std::string& name,
                                          const std::map<std::string, std::string>& labels) const {
    for (const auto& s : samples) {
        if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nullopt;
}

double ParsedScrape::sum(const std::string& name, const std::map<std::string, std::string>& match) const {
    double total = 0;
    for (const auto& s : samples) {
        if (s.name != name) continue;
        bool ok = true;
        for (const auto& [k, v] : match) {
            auto it = s.labels.find(k);
            if (it == s.labels.end() || it->second != v) ok = false;
        }
        if (ok) total += s.value;
    }
    return total;
}

}  // namespace vigil::metrics
