// The CLI's gRPC client for vigild (service tetragon.FineGuidanceSensors).
// Errors name the agent address and carry gRPC's message, so a user sees
// e.g. "cannot reach vigild at unix:///var/run/vigil/vigil.sock: ...".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/client_tls.h"
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
    // With `tls` enabled (and loaded) the channel speaks TLS.
    AgentClient(std::string address, std::chrono::milliseconds rpc_timeout, const ClientTls& tls = {});

    const std::string& address() const { return address_; }

    Result<tetragon::GetHealthStatusResponse> health();
    Result<std::string> server_version();
    Result<tetragon::GetInfoResponse> info();

    // Tracing policy management. An agent's refusal keeps its message
    // verbatim (for AddTracingPolicy: one file:line:col problem per line).
    Status add_policy(const std::string& yaml);
    Status delete_policy(const std::string& name, const std::string& ns);
    Result<tetragon::ListTracingPoliciesResponse> list_policies();
    Status enable_policy(const std::string& name, const std::string& ns);
    Status disable_policy(const std::string& name, const std::string& ns);
    Status set_policy_mode(const std::string& name, const std::string& ns,
                           tetragon::TracingPolicyMode mode);

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
