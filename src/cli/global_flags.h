// Flags every `vigil` command shares: where vigild is and how long to wait.
#pragma once

#include <chrono>
#include <string>

#include "cli/agent_client.h"
#include "cli/client_tls.h"

namespace vigil::cli {

struct GlobalFlags {
    std::string server_address;
    double timeout_s = 10;
    ClientTls tls;  // loaded (tls.load) before any client is made

    AgentClient client() const {
        return AgentClient(server_address,
                           std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)), tls);
    }
};

// Exit statuses of every command.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace vigil::cli
