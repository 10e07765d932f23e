// A checked walk over yaml-cpp nodes: every read names the path it is at,
// reports problems as Diagnostics (never throws), rejects unknown and
// duplicate keys with a did-you-mean, and bounds the work done so hostile
// input (aliases fanning out, huge documents) cannot run away.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/diagnostic.h"
#include "policy/support.h"

namespace vigil::policy {

std::string child_path(const std::string& path, std::string_view key);
std::string index_path(const std::string& path, size_t i);

struct Field {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
};

// The checked keys of one mapping.
struct Fields {
    std::string path;
    YAML::Node node;
    std::vector<Field> items;
    bool ok = false;  // node was a mapping
    const Field* find(std::string_view key) const;
};

class Reader {
public:
    static constexpr size_t kMaxNodes = 200000;
    static constexpr size_t kMaxDiagnostics = 200;

    Reader(std::string file, std::vector<Diagnostic>& diags) : file_(std::move(file)), diags_(diags) {}

    const std::string& file() const { return file_; }
    SourcePos pos(const YAML::Node& n, const std::string& path) const;
    SourcePos pos_of(const Field& f, const std::string& path) const;  // value, else key

    void report(Severity s, const SourcePos& pos, std::string message);
    void error(const SourcePos& pos, std::string message) {
        report(Severity::Error, pos, std::move(message));
    }
    void warning(const SourcePos& pos, std::string message) {
        report(Severity::Warning, pos, std::move(message));
    }
    // Reports "unsupported: <feature>" unless Vigil supports the feature;
    // returns whether it is supported.
    bool require_supported(Feature f, const SourcePos& pos);

    // Counts a visited node. False (after one diagnostic) once the budget
    // is spent; callers stop descending.
    bool visit(const YAML::Node& n, const std::string& path);
    bool exhausted() const { return exhausted_; }

    // The keys of a mapping, checked against `allowed`. `what` names the
    // object in messages ("a kprobe", "an argument").
    Fields fields(const YAML::Node& n, const std::string& path, std::string_view what,
                  std::initializer_list<std::string_view> allowed);
    // A mapping whose keys are free (labels, annotations, macros).
    Fields free_fields(const YAML::Node& n, const std::string& path, std::string_view what);

    void require(const Fields& f, std::string_view key, std::string_view what);

    std::optional<std::string> str(const Fields& f, std::string_view key);
    std::optional<bool> boolean(const Fields& f, std::string_view key);
    std::optional<int64_t> integer(const Fields& f, std::string_view key, int64_t min, int64_t max);
    std::optional<uint64_t> uint64(const Fields& f, std::string_view key);
    std::vector<std::string> str_list(const Fields& f, std::string_view key,
                                      std::vector<SourcePos>* positions = nullptr);
    std::vector<uint64_t> uint_list(const Fields& f, std::string_view key, uint64_t max);
    // The items of a sequence field (empty when absent or null).
    std::vector<YAML::Node> seq(const Fields& f, std::string_view key);

    // Scalar conversions of a node (used for list items).
    std::optional<std::string> scalar(const YAML::Node& n, const std::string& path, std::string_view what);
    std::optional<int64_t> int_scalar(const YAML::Node& n, const std::string& path, int64_t min, int64_t max);

private:
    std::string file_;
    std::vector<Diagnostic>& diags_;
    size_t visited_ = 0;
    bool exhausted_ = false;
    bool truncated_ = false;
};

}  // namespace vigil::policy
