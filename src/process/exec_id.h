// Tetragon-compatible process identifiers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::process {

// base64("<node>:<ktime>:<pid>"), exactly as Tetragon's GetProcessID, so ids
// can be compared across agents and with recorded Tetragon output.
std::string make_exec_id(std::string_view node, std::uint64_t ktime, std::uint32_t pid);

}  // namespace vigil::process
