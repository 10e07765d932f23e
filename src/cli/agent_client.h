// The CLI's gRPC client for vigild (service tetragon.FineGuidanceSensors).
// Errors name the agent address and carry gRPC's message, so a user sees
// e.g. "cannot reach vigild at unix:///var/run/vigil/vigil.sock: ...".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "tetragon/sensors.grpc.pb.h"

namespace vigil::cli {

inline constexpr const char* kDefaultServerAddress = "unix:///var/run/vigil/vigil.sock";

// VIGIL_SERVER_ADDRESS when set and non-empty, else kDefaultServerAddress.
std::string default_server_address(const char* env_value);

class AgentClient {
public:
    // `address` is a gRPC target: "unix:///path", "host:port", "dns:///...".
    // `rpc_timeout` bounds unary calls; the event stream has no deadline.
    AgentClient(std::string address, std::chrono::milliseconds rpc_timeout);

    const std::string& address() const { return address_; }

    Result<tetragon::GetHealthStatusResponse> health();
    Result<std::string> server_version();

    // Calls on_event for each event until the server ends the stream (ok)
    // or the stream fails (error).
    Status stream_events(const tetragon::GetEventsRequest& request,
                         const std::function<void(const tetragon::GetEventsResponse&)>& on_event);

private:
    std::string address_;
    std::chrono::milliseconds rpc_timeout_;
    std::unique_ptr<tetragon::FineGuidanceSensors::Stub> stub_;
};

}  // namespace vigil::cli
