// Readiness for /readyz: a set of named conditions the agent declares at
// start ("base-sensor", "pod-cache", ...) and marks met as start-up
// progresses. Ready means every declared condition is met, and at least one
// was declared, so a probe never reports ready before the agent said anything.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vigil::metrics {

class Health {
public:
    // Declares a condition, not met yet. Declaring it again resets it.
    void require(const std::string& condition, std::string waiting_for = {});
    // Marks a declared condition met or not; `detail` says why it is not.
    // Undeclared names are declared on the way.
    void set(const std::string& condition, bool met, std::string detail = {});

    struct Report {
        bool ready = false;
        // "condition: detail" for every unmet one, in name order.
        std::vector<std::string> pending;
    };
    Report report() const;
    bool ready() const { return report().ready; }

private:
    struct Condition {
        bool met = false;
        std::string detail;
    };
    mutable std::mutex mu_;
    std::map<std::string, Condition> conditions_;
};

}  // namespace vigil::metrics
