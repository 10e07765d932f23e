// `vigil tracingpolicy ...` (alias `tp`): offline checks of policy files
// (validate, explain, and the hidden corpus-table) and policy management in
// a running vigild over gRPC (add, delete, list, enable, disable, set-mode).
#pragma once

#include <string>
#include <vector>

#include "cli/global_flags.h"

namespace CLI {
class App;
}

namespace vigil::cli {

class TracingPolicyCommand {
public:
    // Registers the subcommand tree on `app`; `app` must outlive this.
    explicit TracingPolicyCommand(CLI::App& app);

    bool parsed() const;
    // Runs whichever subcommand was parsed; returns the exit status.
    int run(const GlobalFlags& global) const;

private:
    CLI::App* root_ = nullptr;
    CLI::App* validate_ = nullptr;
    CLI::App* explain_ = nullptr;
    CLI::App* corpus_table_ = nullptr;
    CLI::App* add_ = nullptr;
    CLI::App* delete_ = nullptr;
    CLI::App* list_ = nullptr;
    CLI::App* enable_ = nullptr;
    CLI::App* disable_ = nullptr;
    CLI::App* set_mode_ = nullptr;

    std::vector<std::string> files_;
    std::string file_;
    std::string dir_;
    std::string update_;
    std::string name_;
    std::string namespace_;
    std::string mode_;
    std::string output_ = "text";
    std::string features_ = "ci";
    bool plan_ = false;
};

}  // namespace vigil::cli
