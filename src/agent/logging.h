// The one spdlog sink setup: stderr, with level from --log-level.
#pragma once

#include <string>

namespace vigil::agent {

void setup_logging(const std::string& level);

}  // namespace vigil::agent
