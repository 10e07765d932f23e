// Reserved values of the in-kernel scope sets (bpf/include/vigil/abi.h:
// VIGIL_SCOPE_ALL_PODS, VIGIL_SCOPE_HOST_CGROUP), for the modules that may not
// include the ABI header; probe/scope_maps.cpp checks they agree.
#pragma once

#include <cstdint>

namespace vigil::model {

// The scope whose set is every container cgroup of every pod on the node.
inline constexpr std::uint32_t kAllPodsScopeId = 0xffffffffU;
// In a scope's set: the scope also covers tasks outside every pod.
inline constexpr std::uint64_t kHostCgroupMarker = 0xffffffffffffffffULL;

}  // namespace vigil::model
