#include "k8s/backoff.h"

#include <algorithm>

namespace vigil::k8s {

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, std::uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))), max_(std::max(max, initial_)), rng_(seed) {}

std::chrono::milliseconds Backoff::next() {
    long long cap = max_.count();
    long long d = initial_.count();
    for (unsigned i = 0; i < attempt_ && d < cap; ++i) d *= 2;
    d = std::min(d, cap);
    if (attempt_ < 64) ++attempt_;
    std::uniform_int_distribution<long long> jitter(0, d / 2);
    return std::chrono::milliseconds(d - d / 2 + jitter(rng_));
}

}  // namespace vigil::k8s
