// "Did you mean 'X'?" support: a bounded edit distance and the choice of the
// closest candidate for a misspelt key or enum value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::policy {

bool iequals(std::string_view a, std::string_view b);

// Levenshtein distance, comparing letters case-insensitively. Inputs longer
// than 64 characters are never close to a keyword: returns a large number.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible
// typo (case-only differences always are).
std::optional<std::string> closest(std::string_view word, const std::vector<std::string_view>& candidates);

// " did you mean 'X'?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

// "a, b, c" for messages listing what is accepted.
std::string join(const std::vector<std::string_view>& items, std::string_view sep = ", ");

}  // namespace vigil::policy
