// What the running kernel lets Vigil do, probed once at start by trying it:
// loading (and where it matters attaching) tiny programs, asking libbpf about
// helpers and map types, and looking for the perf PMUs. Hooks pick their
// attach method from this, and `vigil status` / GetInfo show it.
#pragma once

#include <string>
#include <vector>

#include "model/features.h"

namespace vigil::probe {

using KernelFeatures = model::KernelFeatures;

struct NamedFeature {
    std::string name;
    bool enabled = false;
};

// Runs every probe. Needs the privileges vigild already checked; a probe
// that fails for any reason reports the feature as absent.
KernelFeatures probe_kernel_features();

// Stable names for status output and GetInfo (Tetragon-style snake_case).
std::vector<NamedFeature> feature_list(const KernelFeatures& f);

}  // namespace vigil::probe
