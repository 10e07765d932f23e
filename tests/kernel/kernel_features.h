// The running kernel's features as vigild probed them (GetInfo), for tests
// whose path exists only on some kernels (kprobes, fentry, BPF LSM). On this
// project's CI host such tests skip; in the VM matrix the runner names the
// features each kernel must have (VIGIL_REQUIRE_FEATURES, from the guest's
// kernel command line), and a required feature that is missing fails the
// test instead, so the matrix cannot pass by skipping.
#pragma once

#include <map>
#include <string>

#include "agent_fixture.h"

namespace vigil::kt {

// Probe name -> present, from the agent's GetInfo (probe::feature_list names).
std::map<std::string, bool> agent_features(Vigild& agent);

// True when the feature is present. When it is not: records a failure if the
// VM runner requires it, and returns false so the caller skips.
bool has_feature(Vigild& agent, const std::string& name);

// The features the VM runner requires here ("" on the host).
std::string required_features();

}  // namespace vigil::kt

// Skips the test when the agent's kernel lacks `name` (failing first if it is required).
#define VIGIL_REQUIRE_FEATURE(agent, name)                                                     \
    do {                                                                                       \
        if (!::vigil::kt::has_feature((agent), (name))) {                                      \
            GTEST_SKIP() << "this kernel has no " << (name) << " (not required here)";         \
        }                                                                                      \
    } while (0)
