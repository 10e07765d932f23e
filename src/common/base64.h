#pragma once

#include <string>
#include <string_view>

namespace vigil {

// Standard base64 (RFC 4648, with padding), as Go's base64.StdEncoding.
std::string base64_encode(std::string_view in);

}  // namespace vigil
