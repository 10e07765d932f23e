#include "k8s/line_splitter.h"

namespace vigil::k8s {
namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

}  // namespace

LineSplitter::Feed LineSplitter::feed(std::string_view data,
                                      const std::function<bool(std::string_view)>& on_line) {
    while (!data.empty()) {
        auto nl = data.find('\n');
        if (nl == std::string_view::npos) {
            if (partial_.size() + data.size() > max_line_) return Feed::kTooLong;
            partial_.append(data);
            return Feed::kOk;
        }
        std::string_view line;
        if (partial_.empty()) {
            line = data.substr(0, nl);
        } else {
            partial_.append(data.substr(0, nl));
            line = partial_;
        }
        if (line.size() > max_line_) return Feed::kTooLong;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        bool go_on = blank(line) || on_line(line);
        partial_.clear();
        data.remove_prefix(nl + 1);
        if (!go_on) return Feed::kStopped;
    }
    return Feed::kOk;
}

}  // namespace vigil::k8s
