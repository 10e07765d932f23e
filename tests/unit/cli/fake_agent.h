// An in-process fake vigild: a tetragon.FineGuidanceSensors server on a unix
// socket in a temporary directory, with canned replies the test sets before
// start() and a record of every request the CLI sent. Handlers run on gRPC
// threads; records are read after the CLI process has exited.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "export/json_codec.h"
#include "tetragon/sensors.grpc.pb.h"

namespace vigil::cli::cli_test {

class FakeAgent final : public tetragon::FineGuidanceSensors::Service {
public:
    // Canned replies.
    tetragon::HealthStatusResult health = tetragon::HEALTH_STATUS_RUNNING;
    grpc::Status events_status = grpc::Status::OK;
    std::vector<tetragon::GetEventsResponse> events;
    tetragon::GetInfoResponse info;
    tetragon::ListTracingPoliciesResponse policies;
    grpc::Status policy_status = grpc::Status::OK;  // every policy RPC answers this

    // One entry per policy RPC received, in order: "Add", "Delete",
    // "Enable", "Disable", "Configure", "List".
    struct PolicyCall {
        std::string rpc;
        std::string yaml;
        std::string name;
        std::string ns;
        bool has_enable = false;
        bool has_mode = false;
        tetragon::TracingPolicyMode mode = tetragon::TP_MODE_UNKNOWN;
    };

    grpc::Status GetHealth(grpc::ServerContext*, const tetragon::GetHealthStatusRequest*,
                           tetragon::GetHealthStatusResponse* resp) override {
        auto* s = resp->add_health_status();
        s->set_event(tetragon::HEALTH_STATUS_TYPE_STATUS);
        s->set_status(health);
        s->set_details(health == tetragon::HEALTH_STATUS_RUNNING ? "running" : "stopped");
        return grpc::Status::OK;
    }

    grpc::Status GetVersion(grpc::ServerContext*, const tetragon::GetVersionRequest*,
                            tetragon::GetVersionResponse* resp) override {
        resp->set_version("9.9.9-fake");
        return grpc::Status::OK;
    }

    grpc::Status GetInfo(grpc::ServerContext*, const tetragon::GetInfoRequest*,
                         tetragon::GetInfoResponse* resp) override {
        *resp = info;
        return grpc::Status::OK;
    }

    grpc::Status GetEvents(grpc::ServerContext*, const tetragon::GetEventsRequest* req,
                           grpc::ServerWriter<tetragon::GetEventsResponse>* writer) override {
        {
            std::lock_guard lock(mu_);
            requests_.push_back(*req);
        }
        for (const auto& ev : events) writer->Write(ev);
        return events_status;  // then the stream ends, so the CLI exits
    }

    grpc::Status AddTracingPolicy(grpc::ServerContext*, const tetragon::AddTracingPolicyRequest* req,
                                  tetragon::AddTracingPolicyResponse*) override {
        return record(call("Add", req->yaml()));
    }
    grpc::Status DeleteTracingPolicy(grpc::ServerContext*,
                                     const tetragon::DeleteTracingPolicyRequest* req,
                                     tetragon::DeleteTracingPolicyResponse*) override {
        return record(call("Delete", "", req->name(), req->namespace_()));
    }
    grpc::Status EnableTracingPolicy(grpc::ServerContext*,
                                     const tetragon::EnableTracingPolicyRequest* req,
                                     tetragon::EnableTracingPolicyResponse*) override {
        return record(call("Enable", "", req->name(), req->namespace_()));
    }
    grpc::Status DisableTracingPolicy(grpc::ServerContext*,
                                      const tetragon::DisableTracingPolicyRequest* req,
                                      tetragon::DisableTracingPolicyResponse*) override {
        return record(call("Disable", "", req->name(), req->namespace_()));
    }
    grpc::Status ConfigureTracingPolicy(grpc::ServerContext*,
                                        const tetragon::ConfigureTracingPolicyRequest* req,
                                        tetragon::ConfigureTracingPolicyResponse*) override {
        PolicyCall c = call("Configure", "", req->name(), req->namespace_());
        c.has_enable = req->has_enable();
        c.has_mode = req->has_mode();
        c.mode = req->mode();
        return record(std::move(c));
    }
    grpc::Status ListTracingPolicies(grpc::ServerContext*,
                                     const tetragon::ListTracingPoliciesRequest*,
                                     tetragon::ListTracingPoliciesResponse* resp) override {
        auto st = record(call("List"));
        if (st.ok()) *resp = policies;
        return st;
    }

    std::vector<tetragon::GetEventsRequest> requests() {
        std::lock_guard lock(mu_);
        return requests_;
    }
    std::vector<PolicyCall> policy_calls() {
        std::lock_guard lock(mu_);
        return policy_calls_;
    }

private:
    static PolicyCall call(std::string rpc, std::string yaml = "", std::string name = "",
                           std::string ns = "") {
        PolicyCall c;
        c.rpc = std::move(rpc);
        c.yaml = std::move(yaml);
        c.name = std::move(name);
        c.ns = std::move(ns);
        return c;
    }

    grpc::Status record(PolicyCall call) {
        std::lock_guard lock(mu_);
        policy_calls_.push_back(std::move(call));
        return policy_status;
    }

    std::mutex mu_;
    std::vector<tetragon::GetEventsRequest> requests_;
    std::vector<PolicyCall> policy_calls_;
};

class WithFakeAgent : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "vigil-agent-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        address_ = "unix://" + (dir_ / "vigil.sock").string();
        const std::string events =
            std::string(VIGIL_SHARED_DIR) + "/corpus/tetragon-events/events.jsonl";
        std::ifstream in(events);
        ASSERT_TRUE(in.good()) << events;
        for (std::string line; std::getline(in, line);) {
            auto ev = exporter::parse_json_line(line);
            ASSERT_TRUE(ev.ok()) << ev.error();
            agent_.events.push_back(ev.value());
        }
    }

    // Separate from SetUp so a test can configure the fake first.
    void start() {
        grpc::ServerBuilder b;
        b.AddListeningPort(address_, grpc::InsecureServerCredentials());
        b.RegisterService(&agent_);
        server_ = b.BuildAndStart();
        ASSERT_NE(server_, nullptr) << "cannot listen on " << address_;
    }

    void TearDown() override {
        if (server_) server_->Shutdown();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    // A file in the test's temporary directory.
    std::string write_file(const std::string& name, const std::string& text) {
        const auto path = dir_ / name;
        std::ofstream(path, std::ios::binary) << text;
        return path.string();
    }

    std::filesystem::path dir_;
    std::string address_;
    FakeAgent agent_;
    std::unique_ptr<grpc::Server> server_;
};

}  // namespace vigil::cli::cli_test
