#include "export/label_selector.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>

namespace vigil::exporter {
namespace {

enum class Tok { kEnd, kIdent, kNot, kEq, kDoubleEq, kNotEq, kComma, kOpen, kClose, kGt, kLt };

struct Token {
    Tok kind = Tok::kEnd;
    std::string_view text;
    std::size_t pos = 0;
};

bool is_special(char c) {
    return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' || c == '<' || c == '>';
}

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// Splits the selector into tokens the way apimachinery's lexer does: identifiers
// are runs of anything that is neither whitespace nor a special character.
std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (is_space(s[i])) {
            ++i;
            continue;
        }
        const std::size_t start = i;
        if (is_special(s[i])) {
            Tok kind = Tok::kEnd;
            const bool eq_next = i + 1 < s.size() && s[i + 1] == '=';
            switch (s[i]) {
                case '!': kind = eq_next ? Tok::kNotEq : Tok::kNot; break;
                case '=': kind = eq_next ? Tok::kDoubleEq : Tok::kEq; break;
                case ',': kind = Tok::kComma; break;
                case '(': kind = Tok::kOpen; break;
                case ')': kind = Tok::kClose; break;
                case '<': kind = Tok::kLt; break;
                default: kind = Tok::kGt; break;
            }
            i += (kind == Tok::kNotEq || kind == Tok::kDoubleEq) ? 2 : 1;
            out.push_back({kind, s.substr(start, i - start), start});
            continue;
        }
        while (i < s.size() && !is_space(s[i]) && !is_special(s[i])) ++i;
        out.push_back({Tok::kIdent, s.substr(start, i - start), start});
    }
    out.push_back({Tok::kEnd, {}, s.size()});
    return out;
}

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
bool valid_name(std::string_view s) {
    if (s.empty() || s.size() > 63) return false;
    if (!is_alnum(s.front()) || !is_alnum(s.back())) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// DNS-1123 subdomain: lowercase labels joined by dots, at most 253 characters.
bool valid_dns_subdomain(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    std::size_t start = 0;
    while (start <= s.size()) {
        std::size_t dot = s.find('.', start);
        if (dot == std::string_view::npos) dot = s.size();
        std::string_view label = s.substr(start, dot - start);
        if (label.empty()) return false;
        auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
        if (!lower_alnum(label.front()) || !lower_alnum(label.back())) return false;
        for (char c : label)
            if (!lower_alnum(c) && c != '-') return false;
        start = dot + 1;
        if (dot == s.size()) break;
    }
    return true;
}

std::optional<std::string> check_key(std::string_view key) {
    const std::size_t slash = key.find('/');
    if (slash == std::string_view::npos) {
        if (valid_name(key)) return std::nullopt;
    } else if (valid_dns_subdomain(key.substr(0, slash)) && valid_name(key.substr(slash + 1))) {
        return std::nullopt;
    }
    return "invalid label key \"" + std::string(key) +
           "\": must be a name (alphanumerics, '-', '_', '.', at most 63) with an optional DNS prefix/";
}

std::optional<std::string> check_value(std::string_view value) {
    if (value.empty() || valid_name(value)) return std::nullopt;
    return "invalid label value \"" + std::string(value) +
           "\": must be empty or alphanumerics, '-', '_', '.' (at most 63, starting and ending alphanumeric)";
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

class Parser {
public:
    explicit Parser(std::string_view text) : toks_(tokenize(text)) {}

    Result<std::vector<LabelSelector::Requirement>> run() {
        std::vector<LabelSelector::Requirement> reqs;
        if (peek().kind == Tok::kEnd) return reqs;  // empty selector: everything
        for (;;) {
            auto r = requirement();
            if (!r.ok()) return Error{r.error()};
            reqs.push_back(std::move(r.value()));
            const Token& t = next();
            if (t.kind == Tok::kEnd) return reqs;
            if (t.kind != Tok::kComma) return fail(t, "expected ',' or end of selector");
            if (peek().kind == Tok::kEnd) return fail(peek(), "expected a requirement after ','");
        }
    }

private:
    using Op = LabelSelector::Op;

    const Token& peek() const { return toks_[pos_]; }
    const Token& next() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }

    static Error fail(const Token& t, std::string_view what) {
        std::string found = t.kind == Tok::kEnd ? "end of selector" : "'" + std::string(t.text) + "'";
        return Error{"at offset " + std::to_string(t.pos) + ": found " + found + ", " + std::string(what)};
    }

    Result<LabelSelector::Requirement> requirement() {
        LabelSelector::Requirement r;
        bool negated = false;
        if (peek().kind == Tok::kNot) {
            next();
            negated = true;
        }
        const Token& key = next();
        if (key.kind != Tok::kIdent) return fail(key, "expected a label key");
        if (auto err = check_key(key.text)) return Error{"at offset " + std::to_string(key.pos) + ": " + *err};
        r.key = std::string(key.text);
        if (negated) {
            r.op = Op::kDoesNotExist;
            return r;
        }
        if (peek().kind == Tok::kEnd || peek().kind == Tok::kComma) {
            r.op = Op::kExists;
            return r;
        }
        const Token& op = next();
        switch (op.kind) {
            case Tok::kEq:
            case Tok::kDoubleEq: r.op = Op::kEquals; break;
            case Tok::kNotEq: r.op = Op::kNotEquals; break;
            case Tok::kGt: r.op = Op::kGreaterThan; break;
            case Tok::kLt: r.op = Op::kLessThan; break;
            case Tok::kIdent:
                if (op.text == "in") {
                    r.op = Op::kIn;
                    break;
                }
                if (op.text == "notin") {
                    r.op = Op::kNotIn;
                    break;
                }
                [[fallthrough]];
            default: return fail(op, "expected one of '=', '==', '!=', 'in', 'notin', '>', '<'");
        }
        Status st = (r.op == Op::kIn || r.op == Op::kNotIn) ? value_set(r) : single_value(r);
        if (!st.ok()) return Error{st.error()};
        return r;
    }

    // `=`/`!=` accept an empty value (`a=` matches a present, empty label).
    Status single_value(LabelSelector::Requirement& r) {
        const Token& t = peek();
        std::string_view value;
        if (t.kind == Tok::kIdent) {
            value = next().text;
        } else if (r.op == Op::kGreaterThan || r.op == Op::kLessThan ||
                   (t.kind != Tok::kEnd && t.kind != Tok::kComma)) {
            return fail(t, "expected a value");
        }
        if (r.op == Op::kGreaterThan || r.op == Op::kLessThan) {
            if (!parse_int(value))
                return Error{"at offset " + std::to_string(t.pos) + ": value \"" + std::string(value) +
                             "\" for '>' or '<' must be an integer"};
        } else if (auto err = check_value(value)) {
            return Error{"at offset " + std::to_string(t.pos) + ": " + *err};
        }
        r.values.emplace_back(value);
        return {};
    }

    Status value_set(LabelSelector::Requirement& r) {
        const Token& open = next();
        if (open.kind != Tok::kOpen) return fail(open, "expected '(' after in/notin");
        if (peek().kind == Tok::kClose)
            return fail(peek(), "expected at least one value: the set of 'in'/'notin' can't be empty");
        for (;;) {
            const Token& t = peek();
            std::string_view value;
            if (t.kind == Tok::kIdent) value = next().text;
            if (auto err = check_value(value)) return Error{"at offset " + std::to_string(t.pos) + ": " + *err};
            r.values.emplace_back(value);
            const Token& sep = next();
            if (sep.kind == Tok::kClose) return {};
            if (sep.kind != Tok::kComma) return fail(sep, "expected ',' or ')' in value set");
        }
    }

    std::vector<Token> toks_;
    std::size_t pos_ = 0;
};

}  // namespace

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
    auto reqs = Parser(text).run();
    if (!reqs.ok()) return Error{reqs.error()};
    LabelSelector sel;
    sel.requirements_ = std::move(reqs.value());
    return sel;
}

bool LabelSelector::requirement_matches(const Requirement& r, bool present, std::string_view value) {
    auto in_set = [&] { return std::find(r.values.begin(), r.values.end(), value) != r.values.end(); };
    switch (r.op) {
        case Op::kEquals:
        case Op::kIn: return present && in_set();
        case Op::kNotEquals:
        case Op::kNotIn: return !present || !in_set();
        case Op::kExists: return present;
        case Op::kDoesNotExist: return !present;
        case Op::kGreaterThan:
        case Op::kLessThan: {
            if (!present) return false;
            auto have = parse_int(value);
            auto want = parse_int(r.values.front());
            if (!have || !want) return false;
            return r.op == Op::kGreaterThan ? *have > *want : *have < *want;
        }
    }
    return false;
}

}  // namespace vigil::exporter
