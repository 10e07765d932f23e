// Exponential backoff with "equal jitter": each delay is between half and
// all of min(initial * 2^n, max), so many agents restarting together (a
// DaemonSet after an API server outage) spread their reconnects.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace vigil::k8s {

class Backoff {
public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
            std::uint64_t seed = std::random_device{}());

    std::chrono::milliseconds next();
    void reset() { attempt_ = 0; }
    unsigned attempt() const { return attempt_; }

private:
    std::chrono::milliseconds initial_, max_;
    unsigned attempt_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace vigil::k8s
