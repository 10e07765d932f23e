// The set of loaded TracingPolicies: each is parsed, planned against the
// kernel's features, and attached as a whole, or refused with its errors
// while everything already loaded keeps running. Policies from files given
// at start (or appearing in the watched directory) that fail are kept in
// the list in an error state, so the list shows why; policies added over
// gRPC that fail are refused and not kept. Policies added over gRPC are
// saved under the state directory and loaded again at the next start.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "policy/hook_plan.h"
#include "agent/hook_registry.h"
#include "export/policy_api.h"
#include "probe/base_sensor.h"
#include "probe/features.h"

namespace vigil::agent {

class PolicyManager final : public exporter::PolicyApi {
public:
    // state_dir: where gRPC-added policies persist ("" = not persisted).
    PolicyManager(probe::BaseSensor& sensor, HookRegistry& hooks, probe::KernelFeatures features,
                  std::string state_dir = "")
        : sensor_(sensor), hooks_(hooks), features_(std::move(features)), state_dir_(std::move(state_dir)) {}
    ~PolicyManager() override;

    // Loads every policy of a file ("static" domain). Problems are logged and
    // recorded; returns the number of policies enabled.
    std::size_t load_file(const std::string& path);
    // Every *.yaml / *.yml file of a directory, in name order.
    std::size_t load_dir(const std::string& dir);
    // The file changed or disappeared: its policies are replaced by what it
    // holds now (none if it is gone).
    void reload_file(const std::string& path);
    // Policies added over gRPC by an earlier run.
    std::size_t load_persisted();

    Status add_yaml(const std::string& yaml, const std::string& domain) override;
    Status remove(const std::string& name, const std::string& ns) override;
    Status configure(const std::string& name, const std::string& ns, std::optional<bool> enable,
                     std::optional<bool> monitor) override;
    tetragon::ListTracingPoliciesResponse list() const override;

    // Detaches everything (shutdown).
    void clear();

private:
    struct Loaded {
        std::uint64_t id = 0;
        std::string name;
        std::string ns;
        std::string source;  // file path, or "<grpc>"
        std::string domain;  // "static" or "grpc"
        std::string text;    // the document set it came from, for re-enabling
        std::string error;   // non-empty: load error, nothing attached
        bool enabled = true;
        bool monitor = false;  // policy-mode monitor (from the policy, or set since)
        std::vector<std::uint32_t> hook_ids;
        std::vector<std::string> hook_descriptions;
    };
    // Parses and attaches every document of `text`; fills `errors`.
    std::vector<Loaded> load_text(const std::string& text, const std::string& source,
                                  const std::string& domain, std::vector<std::string>& errors);
    // Plans and attaches one policy into `l` (l.error set on failure).
    void enable(const policy::Policy& p, Loaded& l);
    Status attach(const std::string& policy_name, std::vector<policy::PlannedHook>& hooks, Loaded& out);
    void detach(Loaded& l);
    tetragon::TracingPolicyStatus status_of(const Loaded& l) const;
    std::string persist_path(const Loaded& l) const;
    std::size_t load_file_locked(const std::string& path, const std::string& text, const std::string& domain);

    probe::BaseSensor& sensor_;
    HookRegistry& hooks_;
    const probe::KernelFeatures features_;
    const std::string state_dir_;
    mutable std::mutex mu_;
    std::map<std::string, Loaded> policies_;  // key: namespace/name
    std::uint64_t next_id_ = 1;
};

}  // namespace vigil::agent
