#include "policy/suggest.h"

#include <algorithm>
#include <cctype>

namespace vigil::policy {
namespace {

constexpr size_t kMaxCompared = 64;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

size_t edit_distance(std::string_view a, std::string_view b) {
    if (a.size() > kMaxCompared || b.size() > kMaxCompared) return kMaxCompared * 2;
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t subst = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string_view>& candidates) {
    if (word.empty()) return std::nullopt;
    // A third of the word may be wrong, at least 2 letters for short words.
    const size_t allowed = std::max<size_t>(2, word.size() / 3);
    size_t best = allowed + 1;
    std::optional<std::string> out;
    for (auto c : candidates) {
        if (c == word) continue;
        size_t d = iequals(c, word) ? 0 : edit_distance(word, c);
        if (d < best) {
            best = d;
            out = std::string(c);
        }
    }
    return out;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
    auto c = closest(word, candidates);
    if (!c) return "";
    return " did you mean '" + *c + "'?";
}

std::string join(const std::vector<std::string_view>& items, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += items[i];
    }
    return out;
}

}  // namespace vigil::policy
