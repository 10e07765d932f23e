// The set of loaded TracingPolicies: each is parsed, planned against the
// kernel's features, and attached as a whole, or refused with its errors
// while everything already loaded keeps running. Policies from files given
// at start that fail are kept in the list in an error state, so `vigil
// tracingpolicy list` shows why; policies added over gRPC that fail are
// refused and not kept.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/hook_plan.h"
#include "agent/hook_registry.h"
#include "export/policy_api.h"
#include "probe/base_sensor.h"
#include "probe/features.h"

namespace vigil::agent {

class PolicyManager final : public exporter::PolicyApi {
public:
    PolicyManager(probe::BaseSensor& sensor, HookRegistry& hooks, probe::KernelFeatures features)
        : sensor_(sensor), hooks_(hooks), features_(std::move(features)) {}
    ~PolicyManager() override;

    // Loads every policy of a file given at start ("static" domain). Problems
    // are logged and recorded; returns the number of policies enabled.
    std::size_t load_file(const std::string& path);
    // Every *.yaml / *.yml file of a directory, in name order.
    std::size_t load_dir(const std::string& dir);

    Status add_yaml(const std::string& yaml, const std::string& domain) override;
    Status remove(const std::string& name, const std::string& ns) override;
    tetragon::ListTracingPoliciesResponse list() const override;

    // Detaches everything (shutdown).
    void clear();

private:
    struct Loaded {
        std::uint64_t id = 0;
        std::string name;
        std::string ns;
        std::string source;  // file path, or "grpc"
        std::string domain;  // "static" or "grpc"
        std::string error;   // non-empty: load error, nothing attached
        bool monitor = false;  // spec.options policy-mode: monitor
        std::vector<std::uint32_t> hook_ids;
        std::vector<std::string> hook_descriptions;
    };
    // Parses and attaches every document of `text`; fills `errors`.
    std::vector<Loaded> load_text(const std::string& text, const std::string& source,
                                  const std::string& domain, std::vector<std::string>& errors);
    Status attach(const std::string& policy_name, std::vector<PlannedHook>& hooks,
                  Loaded& out);
    void detach(Loaded& l);
    tetragon::TracingPolicyStatus status_of(const Loaded& l) const;

    probe::BaseSensor& sensor_;
    HookRegistry& hooks_;
    const probe::KernelFeatures features_;
    mutable std::mutex mu_;
    std::map<std::string, Loaded> policies_;  // key: namespace/name
    std::uint64_t next_id_ = 1;
};

}  // namespace vigil::agent
