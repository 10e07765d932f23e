#include "policy/reader.h"

#include <algorithm>
#include <unordered_set>

#include "policy/suggest.h"
#include "policy/values.h"

namespace vigil::policy {
namespace {

std::string_view kind_of(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Scalar: return "a scalar";
        case YAML::NodeType::Null: return "null";
        default: return "nothing";
    }
}

// yaml-cpp tags quoted scalars "!" and plain ones "?".
bool is_quoted(const YAML::Node& n) { return n.Tag() == "!"; }

std::string quote(std::string_view s) {
    constexpr size_t kMax = 80;
    std::string out = "'";
    out += s.size() > kMax ? std::string(s.substr(0, kMax)) + "..." : std::string(s);
    out += "'";
    return out;
}

}  // namespace

std::string child_path(const std::string& path, std::string_view key) {
    if (path.empty()) return std::string(key);
    std::string out = path;
    out += '.';
    out += key;
    return out;
}

std::string index_path(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

const Field* Fields::find(std::string_view key) const {
    for (const auto& f : items) {
        if (f.key == key) return &f;
    }
    return nullptr;
}

SourcePos Reader::pos(const YAML::Node& n, const std::string& path) const {
    SourcePos p;
    p.file = file_;
    p.path = path;
    if (n.IsDefined()) {
        const YAML::Mark m = n.Mark();
        if (m.line >= 0 && m.column >= 0) {
            p.line = static_cast<uint32_t>(m.line) + 1;
            p.column = static_cast<uint32_t>(m.column) + 1;
        }
    }
    return p;
}

SourcePos Reader::pos_of(const Field& f, const std::string& path) const {
    SourcePos p = pos(f.value, path);
    if (p.line == 0 || f.value.IsNull()) {
        SourcePos k = pos(f.key_node, path);
        p.line = k.line;
        p.column = k.column;
    }
    return p;
}

void Reader::report(Severity s, const SourcePos& pos, std::string message) {
    // A macro used by several selectors is checked once per use; say it once.
    for (const auto& d : diags_) {
        if (d.severity == s && d.line == pos.line && d.column == pos.column && d.path == pos.path &&
            d.message == message) {
            return;
        }
    }
    if (diags_.size() >= kMaxDiagnostics) {
        if (!truncated_) {
            truncated_ = true;
            diags_.push_back(make_diagnostic(Severity::Error, SourcePos{file_, 0, 0, ""},
                                             "too many problems; the rest are not reported"));
        }
        return;
    }
    diags_.push_back(make_diagnostic(s, pos, std::move(message)));
}

bool Reader::require_supported(Feature f, const SourcePos& pos) {
    if (is_supported(f)) return true;
    report(Severity::Unsupported, pos, "unsupported: " + std::string(feature_name(f)));
    return false;
}

bool Reader::visit(const YAML::Node& n, const std::string& path) {
    if (exhausted_) return false;
    if (++visited_ > kMaxNodes) {
        exhausted_ = true;
        error(pos(n, path), "the document has more than " + std::to_string(kMaxNodes) +
                                " nodes (counting alias expansions); refusing to read further");
        return false;
    }
    return true;
}

Fields Reader::free_fields(const YAML::Node& n, const std::string& path, std::string_view what) {
    Fields out;
    out.path = path;
    out.node = n;
    if (!visit(n, path)) return out;
    if (n.IsNull()) {
        out.ok = true;
        return out;
    }
    if (!n.IsMap()) {
        error(pos(n, path),
              std::string(what) + " must be a mapping of fields, got " + std::string(kind_of(n)));
        return out;
    }
    out.ok = true;
    // A set, not Fields::find: a hostile mapping with 100k keys made the
    // duplicate check quadratic (12 s for a 900 KB AddTracingPolicy).
    std::unordered_set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
        if (!visit(it->first, path)) break;
        if (!it->first.IsScalar()) {
            error(pos(it->first, path), "keys of " + std::string(what) + " must be plain names, got " +
                                            std::string(kind_of(it->first)));
            continue;
        }
        std::string key = it->first.Scalar();
        if (!seen.insert(key).second) {
            error(pos(it->first, child_path(path, key)),
                  "duplicate field '" + key + "'; each field may appear once");
            continue;
        }
        out.items.push_back(Field{key, it->first, it->second});
    }
    return out;
}

Fields Reader::fields(const YAML::Node& n, const std::string& path, std::string_view what,
                      std::initializer_list<std::string_view> allowed) {
    Fields all = free_fields(n, path, what);
    const std::vector<std::string_view> names(allowed);
    Fields out;
    out.path = all.path;
    out.node = all.node;
    out.ok = all.ok;
    for (auto& f : all.items) {
        if (std::find(names.begin(), names.end(), f.key) != names.end()) {
            out.items.push_back(std::move(f));
            continue;
        }
        std::string msg = "unknown field '" + f.key + "' in " + std::string(what) + ";";
        std::string hint = did_you_mean(f.key, names);
        if (!hint.empty()) {
            msg += hint;
        } else {
            msg += " accepted fields: " + join(names);
        }
        error(pos(f.key_node, child_path(path, f.key)), msg);
    }
    return out;
}

void Reader::require(const Fields& f, std::string_view key, std::string_view what) {
    if (!f.ok) return;
    const Field* x = f.find(key);
    if (x && !x->value.IsNull()) return;
    SourcePos p = x ? pos_of(*x, child_path(f.path, key)) : pos(f.node, f.path);
    if (!x) p.path = f.path;
    error(p, "missing required field '" + std::string(key) + "' (" + std::string(what) + ")");
}

std::optional<std::string> Reader::scalar(const YAML::Node& n, const std::string& path,
                                          std::string_view what) {
    if (!visit(n, path)) return std::nullopt;
    if (n.IsNull()) return std::nullopt;
    if (!n.IsScalar()) {
        error(pos(n, path), std::string(what) + " must be a single value, got " + std::string(kind_of(n)));
        return std::nullopt;
    }
    return n.Scalar();
}

std::optional<std::string> Reader::str(const Fields& f, std::string_view key) {
    const Field* x = f.find(key);
    if (!x) return std::nullopt;
    return scalar(x->value, child_path(f.path, key), "'" + std::string(key) + "'");
}

std::optional<bool> Reader::boolean(const Fields& f, std::string_view key) {
    const Field* x = f.find(key);
    if (!x || x->value.IsNull()) return std::nullopt;
    const std::string path = child_path(f.path, key);
    if (!visit(x->value, path)) return std::nullopt;
    if (!x->value.IsScalar()) {
        error(pos(x->value, path),
              "'" + std::string(key) + "' must be true or false, got " + std::string(kind_of(x->value)));
        return std::nullopt;
    }
    auto b = parse_yaml_bool(x->value.Scalar());
    if (!b || is_quoted(x->value)) {
        error(pos(x->value, path), "'" + std::string(key) + "' must be true or false, got " +
                                       (is_quoted(x->value) ? "the quoted string " : "") +
                                       quote(x->value.Scalar()));
        return std::nullopt;
    }
    return b;
}

std::optional<int64_t> Reader::int_scalar(const YAML::Node& n, const std::string& path, int64_t min,
                                          int64_t max) {
    if (!visit(n, path)) return std::nullopt;
    if (n.IsNull()) return std::nullopt;
    if (!n.IsScalar()) {
        error(pos(n, path), "must be an integer, got " + std::string(kind_of(n)));
        return std::nullopt;
    }
    auto v = parse_yaml_int(n.Scalar());
    if (!v || is_quoted(n)) {
        error(pos(n, path), std::string("must be an integer, got ") +
                                (is_quoted(n) ? "the quoted string " : "") + quote(n.Scalar()));
        return std::nullopt;
    }
    if (*v < min || *v > max) {
        error(pos(n, path), "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                ", got " + std::to_string(*v));
        return std::nullopt;
    }
    return v;
}

std::optional<int64_t> Reader::integer(const Fields& f, std::string_view key, int64_t min, int64_t max) {
    const Field* x = f.find(key);
    if (!x) return std::nullopt;
    return int_scalar(x->value, child_path(f.path, key), min, max);
}

std::optional<uint64_t> Reader::uint64(const Fields& f, std::string_view key) {
    const Field* x = f.find(key);
    if (!x || x->value.IsNull()) return std::nullopt;
    const std::string path = child_path(f.path, key);
    if (!visit(x->value, path)) return std::nullopt;
    std::string s = x->value.IsScalar() ? x->value.Scalar() : "";
    if (!s.empty() && s[0] == '+') s.erase(0, 1);
    auto v = x->value.IsScalar() && !is_quoted(x->value) ? parse_uint(s, 0, 64) : std::nullopt;
    if (!v) {
        error(pos(x->value, path),
              "'" + std::string(key) + "' must be an unsigned 64-bit integer, got " +
                  (x->value.IsScalar() ? quote(x->value.Scalar()) : std::string(kind_of(x->value))));
    }
    return v;
}

std::vector<YAML::Node> Reader::seq(const Fields& f, std::string_view key) {
    std::vector<YAML::Node> out;
    const Field* x = f.find(key);
    if (!x || x->value.IsNull()) return out;
    const std::string path = child_path(f.path, key);
    if (!visit(x->value, path)) return out;
    if (!x->value.IsSequence()) {
        error(pos(x->value, path),
              "'" + std::string(key) + "' must be a list, got " + std::string(kind_of(x->value)));
        return out;
    }
    for (const auto& item : x->value) {
        if (exhausted_) break;
        out.push_back(item);
    }
    return out;
}

std::vector<std::string> Reader::str_list(const Fields& f, std::string_view key,
                                          std::vector<SourcePos>* positions) {
    std::vector<std::string> out;
    const std::string path = child_path(f.path, key);
    auto items = seq(f, key);
    for (size_t i = 0; i < items.size(); ++i) {
        const std::string p = index_path(path, i);
        auto s = scalar(items[i], p, "each item of '" + std::string(key) + "'");
        if (!s) {
            if (items[i].IsNull() && !exhausted_) error(pos(items[i], p), "empty list item");
            continue;
        }
        out.push_back(*s);
        if (positions) positions->push_back(pos(items[i], p));
    }
    return out;
}

std::vector<uint64_t> Reader::uint_list(const Fields& f, std::string_view key, uint64_t max) {
    std::vector<uint64_t> out;
    const std::string path = child_path(f.path, key);
    auto items = seq(f, key);
    const int64_t bound = max > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(max);
    for (size_t i = 0; i < items.size(); ++i) {
        auto v = int_scalar(items[i], index_path(path, i), 0, bound);
        if (v) out.push_back(static_cast<uint64_t>(*v));
    }
    return out;
}

}  // namespace vigil::policy
