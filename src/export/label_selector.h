// Kubernetes label selectors (the string form accepted by `kubectl -l` and by
// Tetragon's `labels` filter): comma-separated requirements, all ANDed.
//   key=value  key==value  key!=value  key in (a,b)  key notin (a)
//   key  (exists)   !key  (does not exist)   key>1  key<9  (integer compare)
// An empty selector matches every label set.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace vigil::exporter {

using LabelMap = std::map<std::string, std::string, std::less<>>;

class LabelSelector {
public:
    enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGreaterThan, kLessThan };

    struct Requirement {
        std::string key;
        Op op = Op::kExists;
        std::vector<std::string> values;  // one for =, !=, <, >; the set for in/notin
    };

    // Parses `text`; the error names what is wrong and where (byte offset).
    static Result<LabelSelector> parse(std::string_view text);

    // `Labels` is any map-like container of string keys/values with find()/end()
    // (std::map, google::protobuf::Map).
    template <typename Labels>
    bool matches(const Labels& labels) const {
        for (const Requirement& r : requirements_) {
            auto it = labels.find(r.key);
            const bool present = it != labels.end();
            if (!requirement_matches(r, present, present ? std::string_view(it->second) : std::string_view()))
                return false;
        }
        return true;
    }

    const std::vector<Requirement>& requirements() const { return requirements_; }

private:
    static bool requirement_matches(const Requirement& r, bool present, std::string_view value);

    std::vector<Requirement> requirements_;
};

}  // namespace vigil::exporter
