// Dropping the capabilities vigild does not need once it has started.
//
// Linux keeps capability sets per thread, and by the time start-up is done
// vigild runs many threads (gRPC, ring-buffer drain, sinks, watchers). So the
// drop is applied to every thread of the process: the calling thread directly,
// the others through a signal whose handler makes the same system calls
// (glibc does the same for setuid()). Each thread's sets are then read back
// from /proc/self/task/<tid>/status; a thread that kept more is an error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace vigil::agent {

// Capabilities as a bit mask (bit N = capability number N).
using CapMask = std::uint64_t;

constexpr CapMask cap_bit(int cap) { return CapMask{1} << cap; }

// What vigild keeps after start-up, and why each is needed (docs/security.md):
//  CAP_BPF, CAP_PERFMON: load, attach and update BPF programs and maps when a
//    policy is added, enabled or removed over gRPC or in the policy directory;
//  CAP_SYS_ADMIN: kernels before 5.8 (no CAP_BPF/CAP_PERFMON) and BPF
//    operations that still check it (BPF object id lookups, some attach types).
CapMask runtime_capabilities();

// The numbers the running kernel knows (0 .. /proc/sys/kernel/cap_last_cap).
CapMask known_capabilities();

// "CAP_BPF,CAP_PERFMON" (unknown numbers as "cap_40").
std::string describe_caps(CapMask mask);

struct ThreadCaps {
    int tid = 0;
    CapMask effective = 0, permitted = 0, inheritable = 0, bounding = 0, ambient = 0;
};

// Every thread's capability sets, from <procfs>/self/task/*/status.
Result<std::vector<ThreadCaps>> read_thread_caps(const std::string& procfs = "/proc");

// Reduces every thread's effective, permitted and bounding sets to `keep`
// (intersected with what it holds) and clears inheritable and ambient sets, so
// nothing dropped can come back, not even through execve. Errors name the
// thread and the capabilities it still holds.
Status drop_capabilities(CapMask keep);

}  // namespace vigil::agent
