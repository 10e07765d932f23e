// Splits a watch stream into its newline-delimited JSON events. The API
// server writes one JSON object and '\n' per event, but chunk boundaries can
// fall anywhere, so partial lines are kept until their newline arrives.
// A line longer than the limit stops the stream instead of growing memory.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace vigil::k8s {

class LineSplitter {
public:
    enum class Feed { kOk, kStopped, kTooLong };

    explicit LineSplitter(std::size_t max_line) : max_line_(max_line) {}

    // Calls on_line for each complete, non-blank line ('\r' trimmed). kStopped
    // when on_line returned false; kTooLong when a line passed max_line.
    Feed feed(std::string_view data, const std::function<bool(std::string_view)>& on_line);

    std::size_t pending() const { return partial_.size(); }
    void clear() { partial_.clear(); }

private:
    std::size_t max_line_;
    std::string partial_;
};

}  // namespace vigil::k8s
