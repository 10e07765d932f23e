#include "cli/policy_commands.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/corpus_table.h"
#include "cli/policy_list.h"
#include "cli/policy_offline.h"
#include "policy/policy.h"

namespace vigil::cli {
namespace {

const char* kFeaturesHelp =
    "kernel features to plan for: ci (this project's CI kernel: tracepoints, uprobes, ring "
    "buffer, bpf_send_signal; no kprobes, fentry, LSM or override), all, or agent (ask the "
    "running vigild via GetInfo)";

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path + ": cannot open");
    std::string text;
    // One byte past the limit tells "too large" from "exactly at the limit".
    text.resize(policy::kMaxPolicyFileBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) return make_error(path + ": read failed");
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > policy::kMaxPolicyFileBytes) {
        return make_error(path + ": larger than " + std::to_string(policy::kMaxPolicyFileBytes) +
                          " bytes, the most vigild accepts");
    }
    return text;
}

int fail(const char* command, const std::string& message) {
    std::cerr << "vigil tracingpolicy " << command << ": " << message << '\n';
    return kExitFailure;
}

void add_namespace_option(CLI::App* cmd, std::string& ns) {
    cmd->add_option("-n,--namespace", ns,
                    "namespace of a TracingPolicyNamespaced (empty: a cluster-wide policy)");
}

}  // namespace

TracingPolicyCommand::TracingPolicyCommand(CLI::App& app) {
    root_ = app.add_subcommand("tracingpolicy", "check TracingPolicy files and manage the "
                                                "policies loaded in vigild");
    root_->alias("tp");
    root_->require_subcommand(1);

    validate_ = root_->add_subcommand(
        "validate", "check policy files offline (no agent): one line per problem, "
                    "exit status 1 if any file is invalid");
    validate_->add_option("FILE", files_, "policy files")->required();
    validate_->add_flag("--plan", plan_,
                        "also compile each policy for the kernel given by --features");
    validate_->add_option("--features", features_, kFeaturesHelp)->capture_default_str();

    explain_ = root_->add_subcommand(
        "explain", "print the kernel plan of a policy file: hooks, captured arguments, "
                   "compiled selectors, string sets");
    explain_->add_option("FILE", file_, "policy file")->required();
    explain_->add_option("--features", features_, kFeaturesHelp)->capture_default_str();

    // For docs/policy.md; kept out of --help (empty group).
    corpus_table_ = root_->add_subcommand(
        "corpus-table", "print (or --update into a Markdown file) the compatibility table of "
                        "every policy file under DIR");
    corpus_table_->group("");
    corpus_table_->add_option("DIR", dir_, "directory of policy files")->required();
    corpus_table_->add_option("--update", update_,
                              "rewrite the generated block of this Markdown file in place");
    corpus_table_->add_option("--features", features_, kFeaturesHelp)->capture_default_str();

    add_ = root_->add_subcommand("add", "load a policy file into vigild");
    add_->add_option("FILE", file_, "policy file")->required();

    delete_ = root_->add_subcommand("delete", "unload a policy from vigild");
    delete_->add_option("NAME", name_, "policy name")->required();
    add_namespace_option(delete_, namespace_);

    list_ = root_->add_subcommand("list", "list the policies vigild has, with state, mode, "
                                          "hooks and action counters");
    list_->add_option("-o,--output", output_, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();

    enable_ = root_->add_subcommand("enable", "enable a disabled policy (attach its hooks)");
    enable_->add_option("NAME", name_, "policy name")->required();
    add_namespace_option(enable_, namespace_);

    disable_ = root_->add_subcommand("disable", "disable a policy (detach its hooks, keep it)");
    disable_->add_option("NAME", name_, "policy name")->required();
    add_namespace_option(disable_, namespace_);

    set_mode_ = root_->add_subcommand(
        "set-mode", "switch a policy between enforce and monitor (actions counted, not taken)");
    set_mode_->add_option("NAME", name_, "policy name")->required();
    set_mode_->add_option("MODE", mode_, "enforce or monitor")
        ->required()
        ->check(CLI::IsMember({"enforce", "monitor"}));
    add_namespace_option(set_mode_, namespace_);
}

bool TracingPolicyCommand::parsed() const { return root_->parsed(); }

int TracingPolicyCommand::run(const GlobalFlags& global) const {
    if (validate_->parsed()) {
        ValidateOptions options;
        options.plan = plan_;
        if (plan_) {
            auto target = resolve_plan_target(features_, global);
            if (!target.ok()) return fail("validate", target.error());
            options.target = target.value();
        }
        bool all_ok = true;
        for (const auto& f : files_) all_ok = validate_file(f, options, std::cout) && all_ok;
        std::cout.flush();
        return all_ok ? 0 : kExitFailure;
    }
    if (explain_->parsed()) {
        auto target = resolve_plan_target(features_, global);
        if (!target.ok()) return fail("explain", target.error());
        const int rc = explain_file(file_, target.value(), std::cout, std::cerr);
        std::cout.flush();
        return rc;
    }
    if (corpus_table_->parsed()) {
        auto target = resolve_plan_target(features_, global);
        if (!target.ok()) return fail("corpus-table", target.error());
        auto rows = corpus_rows(dir_, target->features);
        if (!rows.ok()) return fail("corpus-table", rows.error());
        const std::string block =
            corpus_table_markdown(rows.value(), target->name, target->features);
        if (update_.empty()) {
            std::cout << block;
            return 0;
        }
        auto doc = read_file(update_);
        if (!doc.ok()) return fail("corpus-table", doc.error());
        auto updated = replace_generated_block(doc.value(), block);
        if (!updated.ok()) return fail("corpus-table", update_ + ": " + updated.error());
        std::ofstream out(update_, std::ios::binary | std::ios::trunc);
        out << updated.value();
        if (!out.flush()) return fail("corpus-table", update_ + ": write failed");
        std::cout << "updated " << update_ << " (" << rows->size() << " files)\n";
        return 0;
    }

    AgentClient client = global.client();
    if (add_->parsed()) {
        auto yaml = read_file(file_);
        if (!yaml.ok()) return fail("add", yaml.error());
        if (auto st = client.add_policy(yaml.value()); !st.ok()) return fail("add", st.error());
        std::cout << "added tracing policy from " << file_ << '\n';
        return 0;
    }
    if (delete_->parsed()) {
        if (auto st = client.delete_policy(name_, namespace_); !st.ok()) {
            return fail("delete", st.error());
        }
        std::cout << "deleted tracing policy " << name_ << '\n';
        return 0;
    }
    if (list_->parsed()) {
        auto list = client.list_policies();
        if (!list.ok()) return fail("list", list.error());
        if (output_ == "json") std::cout << list_json(list.value()) << '\n';
        else std::cout << list_text(list.value());
        return 0;
    }
    if (enable_->parsed()) {
        if (auto st = client.enable_policy(name_, namespace_); !st.ok()) {
            return fail("enable", st.error());
        }
        std::cout << "enabled tracing policy " << name_ << '\n';
        return 0;
    }
    if (disable_->parsed()) {
        if (auto st = client.disable_policy(name_, namespace_); !st.ok()) {
            return fail("disable", st.error());
        }
        std::cout << "disabled tracing policy " << name_ << '\n';
        return 0;
    }
    if (set_mode_->parsed()) {
        const auto mode = mode_ == "monitor" ? tetragon::TP_MODE_MONITOR : tetragon::TP_MODE_ENFORCE;
        if (auto st = client.set_policy_mode(name_, namespace_, mode); !st.ok()) {
            return fail("set-mode", st.error());
        }
        std::cout << "tracing policy " << name_ << " is now in " << mode_ << " mode\n";
        return 0;
    }
    return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace vigil::cli
