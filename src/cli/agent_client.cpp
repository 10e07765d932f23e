#include "cli/agent_client.h"

#include <grpcpp/grpcpp.h>

#include <iterator>
#include <utility>

namespace vigil::cli {
namespace {

// tetra's --max-recv-size default: large kprobe events with stack traces
// exceed gRPC's 4 MiB default.
constexpr int kMaxRecvBytes = 10 * 1024 * 1024;

// gRPC's canonical code names, indexed by code (0..16, fixed by the spec).
const char* code_name(grpc::StatusCode code) {
    static constexpr const char* kNames[] = {"OK",
                                             "CANCELLED",
                                             "UNKNOWN",
                                             "INVALID_ARGUMENT",
                                             "DEADLINE_EXCEEDED",
                                             "NOT_FOUND",
                                             "ALREADY_EXISTS",
                                             "PERMISSION_DENIED",
                                             "RESOURCE_EXHAUSTED",
                                             "FAILED_PRECONDITION",
                                             "ABORTED",
                                             "OUT_OF_RANGE",
                                             "UNIMPLEMENTED",
                                             "INTERNAL",
                                             "UNAVAILABLE",
                                             "DATA_LOSS",
                                             "UNAUTHENTICATED"};
    const auto i = static_cast<std::size_t>(code);
    return i < std::size(kNames) ? kNames[i] : "UNKNOWN_CODE";
}

// Unreachable (no socket, refused, timed out connecting) is worded for the
// user; anything else is the agent answering with an error.
Error rpc_error(const std::string& address, const char* rpc, const grpc::Status& st) {
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
        st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        return make_error("cannot reach vigild at " + address + ": " + st.error_message());
    }
    // A multi-line message (a refused policy's problems) starts on its own
    // line so each problem stays one whole line, as the agent wrote it.
    const std::string& msg = st.error_message();
    return make_error(std::string(rpc) + " at " + address + " failed: " +
                      code_name(st.error_code()) +
                      (msg.find('\n') == std::string::npos ? ": " : ":\n") + msg);
}

template <typename Fn>
Status unary(const std::string& address, std::chrono::milliseconds timeout, const char* rpc,
             Fn&& call) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    grpc::Status st = call(ctx);
    if (!st.ok()) return rpc_error(address, rpc, st);
    return {};
}

}  // namespace

std::string default_server_address(const char* env_value) {
    if (env_value != nullptr && *env_value != '\0') return env_value;
    return kDefaultServerAddress;
}

AgentClient::AgentClient(std::string address, std::chrono::milliseconds rpc_timeout, const ClientTls& tls)
    : address_(std::move(address)), rpc_timeout_(rpc_timeout) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxRecvBytes);
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
    if (tls.enabled()) {
        grpc::SslCredentialsOptions o;
        o.pem_root_certs = tls.ca_pem;
        o.pem_cert_chain = tls.cert_pem;
        o.pem_private_key = tls.key_pem;
        creds = grpc::SslCredentials(o);
        if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
    }
    auto channel = grpc::CreateCustomChannel(address_, creds, args);
    stub_ = tetragon::FineGuidanceSensors::NewStub(channel);
}

Result<tetragon::GetHealthStatusResponse> AgentClient::health() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + rpc_timeout_);
    tetragon::GetHealthStatusRequest req;
    req.add_event_set(tetragon::HEALTH_STATUS_TYPE_STATUS);
    tetragon::GetHealthStatusResponse resp;
    grpc::Status st = stub_->GetHealth(&ctx, req, &resp);
    if (!st.ok()) return rpc_error(address_, "GetHealth", st);
    return resp;
}

Result<std::string> AgentClient::server_version() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + rpc_timeout_);
    tetragon::GetVersionResponse resp;
    grpc::Status st = stub_->GetVersion(&ctx, tetragon::GetVersionRequest(), &resp);
    if (!st.ok()) return rpc_error(address_, "GetVersion", st);
    return resp.version();
}

Result<tetragon::GetInfoResponse> AgentClient::info() {
    tetragon::GetInfoResponse resp;
    auto st = unary(address_, rpc_timeout_, "GetInfo", [&](grpc::ClientContext& ctx) {
        return stub_->GetInfo(&ctx, tetragon::GetInfoRequest(), &resp);
    });
    if (!st.ok()) return make_error(st.error());
    return resp;
}

Status AgentClient::add_policy(const std::string& yaml) {
    tetragon::AddTracingPolicyRequest req;
    req.set_yaml(yaml);
    tetragon::AddTracingPolicyResponse resp;
    return unary(address_, rpc_timeout_, "AddTracingPolicy", [&](grpc::ClientContext& ctx) {
        return stub_->AddTracingPolicy(&ctx, req, &resp);
    });
}

Status AgentClient::delete_policy(const std::string& name, const std::string& ns) {
    tetragon::DeleteTracingPolicyRequest req;
    req.set_name(name);
    req.set_namespace_(ns);
    tetragon::DeleteTracingPolicyResponse resp;
    return unary(address_, rpc_timeout_, "DeleteTracingPolicy", [&](grpc::ClientContext& ctx) {
        return stub_->DeleteTracingPolicy(&ctx, req, &resp);
    });
}

Result<tetragon::ListTracingPoliciesResponse> AgentClient::list_policies() {
    tetragon::ListTracingPoliciesResponse resp;
    auto st = unary(address_, rpc_timeout_, "ListTracingPolicies", [&](grpc::ClientContext& ctx) {
        return stub_->ListTracingPolicies(&ctx, tetragon::ListTracingPoliciesRequest(), &resp);
    });
    if (!st.ok()) return make_error(st.error());
    return resp;
}

Status AgentClient::enable_policy(const std::string& name, const std::string& ns) {
    tetragon::EnableTracingPolicyRequest req;
    req.set_name(name);
    req.set_namespace_(ns);
    tetragon::EnableTracingPolicyResponse resp;
    return unary(address_, rpc_timeout_, "EnableTracingPolicy", [&](grpc::ClientContext& ctx) {
        return stub_->EnableTracingPolicy(&ctx, req, &resp);
    });
}

Status AgentClient::disable_policy(const std::string& name, const std::string& ns) {
    tetragon::DisableTracingPolicyRequest req;
    req.set_name(name);
    req.set_namespace_(ns);
    tetragon::DisableTracingPolicyResponse resp;
    return unary(address_, rpc_timeout_, "DisableTracingPolicy", [&](grpc::ClientContext& ctx) {
        return stub_->DisableTracingPolicy(&ctx, req, &resp);
    });
}

Status AgentClient::set_policy_mode(const std::string& name, const std::string& ns,
                                    tetragon::TracingPolicyMode mode) {
    tetragon::ConfigureTracingPolicyRequest req;
    req.set_name(name);
    req.set_namespace_(ns);
    req.set_mode(mode);
    tetragon::ConfigureTracingPolicyResponse resp;
    return unary(address_, rpc_timeout_, "ConfigureTracingPolicy", [&](grpc::ClientContext& ctx) {
        return stub_->ConfigureTracingPolicy(&ctx, req, &resp);
    });
}

Status AgentClient::stream_events(
    const tetragon::GetEventsRequest& request,
    const std::function<void(const tetragon::GetEventsResponse&)>& on_event) {
    grpc::ClientContext ctx;
    auto reader = stub_->GetEvents(&ctx, request);
    tetragon::GetEventsResponse ev;
    while (reader->Read(&ev)) on_event(ev);
    grpc::Status st = reader->Finish();
    if (!st.ok()) return rpc_error(address_, "GetEvents", st);
    return {};
}

}  // namespace vigil::cli
