// Helpers around model::ProcessKey shared by the cache and the /proc scan.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/process.h"

namespace vigil::process {

// The kernel "process": parent of init and of kthreadd. Tetragon's id for it
// is exec_id(node, 1, 0).
inline constexpr model::ProcessKey kKernelKey{0, 1};

// /proc/<pid>/stat starttime is in USER_HZ ticks (100 on every Linux ABI).
// BPF derives keys of pre-existing tasks from start_boottime rounded down to
// the same unit, so both sides produce identical keys.
inline constexpr std::uint64_t kProcfsTickNs = 10'000'000;

inline constexpr std::uint64_t procfs_ktime(std::uint64_t starttime_ticks) {
    return starttime_ticks * kProcfsTickNs;
}

struct ProcessKeyHash {
    std::size_t operator()(const model::ProcessKey& k) const noexcept {
        std::uint64_t h = k.ktime * 0x9E3779B97F4A7C15ull;
        h ^= (static_cast<std::uint64_t>(k.pid) << 1) + (h >> 29);
        return static_cast<std::size_t>(h ^ (h >> 32));
    }
};

}  // namespace vigil::process
