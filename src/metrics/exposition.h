// Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): what
// /metrics serves, and a parser for it so tests (and the kernel tests'
// scrapes) read a scrape back instead of grepping it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "metrics/registry.h"

namespace vigil::metrics {

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// "# HELP", "# TYPE" and one line per sample for every family, in order.
std::string render(const std::vector<FamilySnapshot>& families);
inline std::string render(const Registry& r) { return render(r.collect()); }

// HELP text: backslash and newline escaped. Label values: also the double quote.
std::string escape_help(std::string_view s);
std::string escape_label_value(std::string_view s);
// Shortest text that reads back as the same double; "+Inf", "-Inf", "NaN".
std::string format_value(double v);

struct ParsedSample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct ParsedScrape {
    std::map<std::string, std::string> help;  // family name -> unescaped HELP text
    std::map<std::string, std::string> type;  // family name -> "counter", "gauge", ...
    std::vector<ParsedSample> samples;

    // The value of the sample with exactly these labels, if present.
    std::optional<double> value(const std::string& name,
                                const std::map<std::string, std::string>& labels = {}) const;
    // Sum over every sample of `name` whose labels include `match`.
    double sum(const std::string& name, const std::map<std::string, std::string>& match = {}) const;
};

// Strict: a malformed line is an error naming its line number, so a broken
// renderer cannot pass a test by being skipped over.
Result<ParsedScrape> parse_exposition(std::string_view text);

}  // namespace vigil::metrics
