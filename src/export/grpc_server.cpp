#include "export/grpc_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "tetragon/sensors.grpc.pb.h"

namespace vigil::exporter {

namespace {

// How often a stream waiting for events checks for cancellation/shutdown.
constexpr std::chrono::milliseconds kPollInterval{200};

grpc::Status unimplemented(const char* method) {
    return {grpc::StatusCode::UNIMPLEMENTED,
            std::string("vigild does not implement ") + method + " yet"};
}

// "no tracing policy named ..." is NOT_FOUND; any other failure a bad argument.
grpc::Status policy_status(const Status& st) {
    if (st) return grpc::Status::OK;
    if (st.error().rfind("no tracing policy named", 0) == 0) return {grpc::StatusCode::NOT_FOUND, st.error()};
    return {grpc::StatusCode::INVALID_ARGUMENT, st.error()};
}

grpc::Status no_policies() {
    return {grpc::StatusCode::UNAVAILABLE, "tracing policy management is not running"};
}

// OK when `method` (one that changes policies) may run.
grpc::Status management_gate(const GrpcServerOptions& opts, const char* method) {
    if (!opts.policy_management) {
        return {grpc::StatusCode::PERMISSION_DENIED,
                std::string(method) + ": tracing policy management over gRPC is disabled on this node "
                "(vigild --enable-policy-management=false); change policies in its policy directory instead"};
    }
    if (!opts.policies) return no_policies();
    return grpc::Status::OK;
}

}  // namespace

std::string unix_socket_path(const std::string& address) {
    constexpr std::string_view kPrefix = "unix://";
    if (address.rfind(kPrefix, 0) != 0) return "";
    return address.substr(kPrefix.size());
}

class GrpcServer::Service final : public tetragon::FineGuidanceSensors::Service {
public:
    Service(const GrpcServerOptions& opts, Hub& hub, Counters& c)
        : opts_(opts), hub_(hub), c_(c) {}

    grpc::Status GetEvents(grpc::ServerContext* ctx, const tetragon::GetEventsRequest* req,
                           grpc::ServerWriter<tetragon::GetEventsResponse>* writer) override {
        auto filter = EventFilter::compile(req->allow_list(), req->deny_list(), opts_.filter_limits);
        if (!filter) {
            c_.refused.fetch_add(1);
            return {grpc::StatusCode::INVALID_ARGUMENT, "GetEvents: " + filter.error()};
        }
        if (req->field_filters_size() > 0 || req->has_aggregation_options()) {
            c_.refused.fetch_add(1);
            return {grpc::StatusCode::INVALID_ARGUMENT,
                    "GetEvents: field_filters and aggregation_options are not supported by vigild"};
        }
        // Count first, then check, so two racing streams cannot both pass.
        if (c_.active.fetch_add(1) >= opts_.max_streams) {
            c_.active.fetch_sub(1);
            c_.refused.fetch_add(1);
            return {grpc::StatusCode::RESOURCE_EXHAUSTED,
                    "GetEvents: too many concurrent streams (limit " +
                        std::to_string(opts_.max_streams) + ")"};
        }
        // Numbered: every unix-socket client has the same peer ("unknown"),
        // and each stream needs its own subscriber label in the metrics.
        const std::string name = "grpc-" + std::to_string(c_.started.fetch_add(1) + 1) + " " + ctx->peer();
        auto sub = hub_.subscribe(name);
        grpc::Status result = grpc::Status::OK;
        // Events are taken off the queue a batch at a time: one wake-up and
        // one lock per batch instead of per event.
        constexpr std::size_t kBatch = 256;
        std::vector<EventPtr> batch;
        batch.reserve(kBatch);
        bool gone = false;
        while (!gone && !ctx->IsCancelled()) {
            if (c_.stopping.load()) {
                result = {grpc::StatusCode::UNAVAILABLE, "vigild is shutting down"};
                break;
            }
            batch.clear();
            if (sub->pop_batch(batch, kBatch, kPollInterval) == 0) {
                if (sub->closed()) {
                    result = {grpc::StatusCode::UNAVAILABLE, "vigild is shutting down"};
                    break;
                }
                continue;
            }
            std::uint64_t sent = 0;
            for (const EventPtr& ev : batch) {
                if (!filter->matches(*ev)) continue;
                if (!writer->Write(*ev)) {  // client went away
                    gone = true;
                    break;
                }
                ++sent;
            }
            c_.sent.fetch_add(sent);
        }
        std::uint64_t dropped = sub->dropped();
        c_.dropped.fetch_add(dropped);
        if (dropped > 0) {
            spdlog::warn("gRPC stream {} ended; {} events were dropped because it read too slowly", name,
                         dropped);
        }
        hub_.unsubscribe(sub);
        c_.active.fetch_sub(1);
        return result;
    }

    grpc::Status GetHealth(grpc::ServerContext*, const tetragon::GetHealthStatusRequest*,
                           tetragon::GetHealthStatusResponse* resp) override {
        auto* h = resp->add_health_status();
        h->set_event(tetragon::HEALTH_STATUS_TYPE_STATUS);
        h->set_status(tetragon::HEALTH_STATUS_RUNNING);
        h->set_details("running");
        return grpc::Status::OK;
    }

    grpc::Status GetVersion(grpc::ServerContext*, const tetragon::GetVersionRequest*,
                            tetragon::GetVersionResponse* resp) override {
        resp->set_version(opts_.version);
        return grpc::Status::OK;
    }

    grpc::Status GetInfo(grpc::ServerContext*, const tetragon::GetInfoRequest*,
                         tetragon::GetInfoResponse* resp) override {
        resp->set_version(opts_.version);
        resp->set_name("vigild");
        for (const auto& [name, enabled] : opts_.probes) {
            auto* p = resp->add_probes();
            p->set_name(name);
            p->mutable_enabled()->set_value(enabled);
        }
        return grpc::Status::OK;
    }

    grpc::Status AddTracingPolicy(grpc::ServerContext*, const tetragon::AddTracingPolicyRequest* req,
                                  tetragon::AddTracingPolicyResponse*) override {
        if (auto gate = management_gate(opts_, "AddTracingPolicy"); !gate.ok()) return gate;
        auto st = opts_.policies->add_yaml(req->yaml(), req->domain());
        if (!st) return {grpc::StatusCode::INVALID_ARGUMENT, st.error()};
        return grpc::Status::OK;
    }
    grpc::Status DeleteTracingPolicy(grpc::ServerContext*,
                                     const tetragon::DeleteTracingPolicyRequest* req,
                                     tetragon::DeleteTracingPolicyResponse*) override {
        if (auto gate = management_gate(opts_, "DeleteTracingPolicy"); !gate.ok()) return gate;
        auto st = opts_.policies->remove(req->name(), req->namespace_());
        if (!st) return {grpc::StatusCode::NOT_FOUND, st.error()};
        return grpc::Status::OK;
    }
    grpc::Status ConfigureTracingPolicy(grpc::ServerContext*,
                                        const tetragon::ConfigureTracingPolicyRequest* req,
                                        tetragon::ConfigureTracingPolicyResponse*) override {
        if (auto gate = management_gate(opts_, "ConfigureTracingPolicy"); !gate.ok()) return gate;
        std::optional<bool> enable, monitor;
        if (req->has_enable()) enable = req->enable();
        if (req->has_mode()) {
            if (req->mode() == tetragon::TP_MODE_ENFORCE) monitor = false;
            else if (req->mode() == tetragon::TP_MODE_MONITOR) monitor = true;
            else return {grpc::StatusCode::INVALID_ARGUMENT,
                         "ConfigureTracingPolicy: mode must be TP_MODE_ENFORCE or TP_MODE_MONITOR"};
        }
        return policy_status(opts_.policies->configure(req->name(), req->namespace_(), enable, monitor));
    }
    grpc::Status EnableTracingPolicy(grpc::ServerContext*, const tetragon::EnableTracingPolicyRequest* req,
                                     tetragon::EnableTracingPolicyResponse*) override {
        if (auto gate = management_gate(opts_, "EnableTracingPolicy"); !gate.ok()) return gate;
        return policy_status(opts_.policies->configure(req->name(), req->namespace_(), true, std::nullopt));
    }
    grpc::Status DisableTracingPolicy(grpc::ServerContext*, const tetragon::DisableTracingPolicyRequest* req,
                                      tetragon::DisableTracingPolicyResponse*) override {
        if (auto gate = management_gate(opts_, "DisableTracingPolicy"); !gate.ok()) return gate;
        return policy_status(opts_.policies->configure(req->name(), req->namespace_(), false, std::nullopt));
    }
    grpc::Status ListTracingPolicies(grpc::ServerContext*,
                                     const tetragon::ListTracingPoliciesRequest*,
                                     tetragon::ListTracingPoliciesResponse* resp) override {
        if (!opts_.policies) return no_policies();
        *resp = opts_.policies->list();
        return grpc::Status::OK;
    }

    grpc::Status ListSensors(grpc::ServerContext*, const tetragon::ListSensorsRequest*, tetragon::ListSensorsResponse*) override {
        return unimplemented("ListSensors");
    }
    grpc::Status EnableSensor(grpc::ServerContext*, const tetragon::EnableSensorRequest*, tetragon::EnableSensorResponse*) override {
        return unimplemented("EnableSensor");
    }
    grpc::Status DisableSensor(grpc::ServerContext*, const tetragon::DisableSensorRequest*, tetragon::DisableSensorResponse*) override {
        return unimplemented("DisableSensor");
    }
    grpc::Status RemoveSensor(grpc::ServerContext*, const tetragon::RemoveSensorRequest*, tetragon::RemoveSensorResponse*) override {
        return unimplemented("RemoveSensor");
    }
    grpc::Status ListDomains(grpc::ServerContext*, const tetragon::ListDomainsRequest*, tetragon::ListDomainsResponse*) override {
        return unimplemented("ListDomains");
    }
    grpc::Status RuntimeHook(grpc::ServerContext*, const tetragon::RuntimeHookRequest*, tetragon::RuntimeHookResponse*) override {
        return unimplemented("RuntimeHook");
    }
    grpc::Status GetDebug(grpc::ServerContext*, const tetragon::GetDebugRequest*, tetragon::GetDebugResponse*) override {
        return unimplemented("GetDebug");
    }
    grpc::Status SetDebug(grpc::ServerContext*, const tetragon::SetDebugRequest*, tetragon::SetDebugResponse*) override {
        return unimplemented("SetDebug");
    }

private:
    const GrpcServerOptions& opts_;
    Hub& hub_;
    Counters& c_;
};

GrpcServer::GrpcServer(GrpcServerOptions opts, Hub& hub) : opts_(std::move(opts)), hub_(hub) {}

GrpcServer::~GrpcServer() { shutdown(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<GrpcServer>> GrpcServer::start(GrpcServerOptions opts, Hub& hub) {
    std::unique_ptr<GrpcServer> s(new GrpcServer(std::move(opts), hub));
    const std::string& address = s->opts_.address;
    s->socket_path_ = unix_socket_path(address);
    if (address.rfind("unix:", 0) == 0 && s->socket_path_.empty()) {
        return make_error("--server-address " + address + ": a unix address must be unix:///absolute/path");
    }
    if (auto st = check_listen_access(address, s->opts_.access); !st) return make_error(st.error());
    auto creds = server_credentials(s->opts_.access.tls);
    if (!creds) return make_error(creds.error());
    if (!s->socket_path_.empty()) {
        if (auto st = prepare_socket_path(address, s->socket_path_); !st) return make_error(st.error());
    }
    s->service_ = std::make_unique<Service>(s->opts_, hub, s->counters_);
    grpc::ServerBuilder builder;
    int bound_port = 0;
    builder.AddListeningPort(address, *creds, s->socket_path_.empty() ? &bound_port : nullptr);
    builder.RegisterService(s->service_.get());
    builder.SetMaxReceiveMessageSize(s->opts_.max_request_bytes);
    {
        // The socket file is bound with the umask's mode; keep it private
        // until secure_socket() gives it its owner, group and mode.
        PrivateUmask private_umask;
        s->server_ = builder.BuildAndStart();
    }
    if (!s->server_ || (s->socket_path_.empty() && bound_port == 0)) {
        s->server_.reset();
        return make_error("--server-address " + address + ": cannot listen there (address in use or not valid)");
    }
    if (!s->socket_path_.empty()) {
        if (auto st = secure_socket(s->socket_path_, s->opts_.access); !st) return make_error(st.error());
    }
    return s;
}

void GrpcServer::shutdown(std::chrono::milliseconds grace) {
    if (!server_) return;
    counters_.stopping.store(true);
    server_->Shutdown(std::chrono::system_clock::now() + grace);
    server_->Wait();
    server_.reset();
    if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
}

GrpcStats GrpcServer::stats() const {
    GrpcStats s;
    s.streams_started = counters_.started.load();
    s.streams_refused = counters_.refused.load();
    s.events_sent = counters_.sent.load();
    s.events_dropped = counters_.dropped.load();
    s.streams_active = counters_.active.load();
    return s;
}

}  // namespace vigil::exporter
