#include "agent/config.h"

#include "agent/remote_actions.h"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

#include "common/version.h"

namespace vigil::agent {

namespace {

// Every option that may come from the file or the environment: flag name
// (also the YAML key), and VIGIL_<NAME> with '-' -> '_' as its variable.
std::string env_name(const std::string& flag) {
    std::string out = "VIGIL_";
    for (char c : flag) out += (c == '-') ? '_' : static_cast<char>(std::toupper(c));
    return out;
}

// Finds --config/--config=FILE on the command line, else VIGIL_CONFIG.
std::string find_config_file(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--config" && i + 1 < argc) return argv[i + 1];
        if (a.rfind("--config=", 0) == 0) return a.substr(9);
    }
    if (const char* e = std::getenv("VIGIL_CONFIG")) return e;
    return "";
}

std::string scalar_text(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    return "";
}

}  // namespace

ParseOutcome parse_config(int argc, const char* const* argv, const char* const* envp) {
    (void)envp;
    ParseOutcome out;
    Config& c = out.config;
    CLI::App app{"vigild: eBPF runtime-security agent (Tetragon-compatible)", "vigild"};
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.set_version_flag("--version", std::string("vigild ") + kVersion);

    std::string print_events = "none";
    std::string perm_text = "600";
    std::string socket_mode_text = "660";
    app.add_option("--config", c.config_file, "YAML configuration file (keys are flag names)");
    app.add_option("--server-address", c.server_address,
                   "gRPC listen address: unix:///path or host:port")->capture_default_str();
    app.add_option("--run-dir", c.run_dir, "Directory for the pid file lock")->capture_default_str();
    app.add_option("--export-filename", c.export_filename, "JSON-lines export file (empty: off)");
    app.add_option("--export-file-max-size-mb", c.export_file_max_size_mb,
                   "Rotate the export file at this size")->check(CLI::Range(1, 1 << 20))->capture_default_str();
    app.add_option("--export-file-max-backups", c.export_file_max_backups,
                   "Rotated export files kept")->check(CLI::Range(0, 1000))->capture_default_str();
    app.add_option("--export-file-perm", perm_text, "Export file mode, octal")->capture_default_str();
    app.add_option("--export-allowlist", c.export_allowlist,
                   "Events written to the export file: JSON tetragon.Filter objects, one per line");
    app.add_option("--export-denylist", c.export_denylist,
                   "Events kept out of the export file: JSON tetragon.Filter objects, one per line");
    app.add_option("--log-level", c.log_level, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))->capture_default_str();
    app.add_option("--procfs", c.procfs, "Host /proc location (in a container: the host's /proc mount)")
        ->capture_default_str();
    app.add_option("--rb-size", c.rb_size,
                   "BPF ring buffer bytes: a power of two multiple of the page size (0: 4 MiB)");
    app.add_option("--node-name", c.node_name, "Node name on events (default: $NODE_NAME or hostname)");
    app.add_option("--print-events", print_events, "Print events on stdout: none, compact or json")
        ->check(CLI::IsMember({"none", "compact", "json"}))->capture_default_str();
    app.add_option("--process-cache-size", c.process_cache_size, "Process cache bound (entries)")
        ->check(CLI::Range(std::size_t{16}, std::size_t{1} << 24))->capture_default_str();
    app.add_option("--event-queue-size", c.event_queue_size,
                   "Per-subscriber event queue (gRPC streams, export file)")
        ->check(CLI::Range(std::size_t{16}, std::size_t{1} << 24))->capture_default_str();
    app.add_option("--enable-process-cred", c.enable_process_cred,
                   "Include process_credentials and cap on processes")->capture_default_str();
    app.add_option("--enable-process-ns", c.enable_process_ns, "Include ns on processes")
        ->capture_default_str();
    app.add_option("--gc-interval", c.gc_interval_s, "Process cache GC period, seconds")
        ->check(CLI::Range(1, 3600))->capture_default_str();

    app.add_option("--tracing-policy", c.tracing_policies,
                   "TracingPolicy file to load at start (repeatable)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--tracing-policy-dir", c.tracing_policy_dir,
                   "Directory of TracingPolicy files (*.yaml) loaded at start; absent is fine")
        ->capture_default_str();

    app.add_option("--state-dir", c.state_dir,
                   "Where policies added over gRPC are kept across restarts (empty: not kept)")
        ->capture_default_str();

    app.add_option("--enable-k8s-api", c.enable_k8s_api,
                   "Attach pod metadata from the Kubernetes API server (this node's pods)")
        ->capture_default_str();
    app.add_option("--k8s-kubeconfig-path", c.k8s_kubeconfig_path,
                   "kubeconfig for the API server; empty: the in-cluster service account");
    app.add_option("--metrics-server", c.metrics_server,
                   "Prometheus /metrics and /healthz, /readyz on this address (\":2112\"); empty: off");
    app.add_option("--action-dns-server", c.action_dns_server,
                   "DNS server of DnsLookup actions, IPv4 \"ip[:port]\"; empty: the system resolver")
        ->check(CLI::Validator(
            [](std::string& v) {
                auto st = check_dns_server(v);
                return st ? std::string() : st.error();
            },
            "IP[:PORT]"));

    app.add_option("--server-socket-mode", socket_mode_text,
                   "Unix socket mode, octal: who may use the gRPC API")->capture_default_str();
    app.add_option("--server-socket-owner", c.server_socket_owner,
                   "Unix socket owner: user name or number (empty: vigild's user)");
    app.add_option("--server-socket-group", c.server_socket_group,
                   "Unix socket group: group name or number (empty: vigild's group)");
    app.add_option("--server-tls-cert-file", c.server_tls_cert_file,
                   "PEM certificate: a TCP --server-address then speaks TLS");
    app.add_option("--server-tls-key-file", c.server_tls_key_file, "PEM private key of --server-tls-cert-file");
    app.add_option("--server-tls-client-ca-file", c.server_tls_client_ca_file,
                   "PEM CA bundle: clients must present a certificate it signed");
    app.add_option("--enable-policy-management", c.enable_policy_management,
                   "Allow AddTracingPolicy, DeleteTracingPolicy, Enable/Disable/ConfigureTracingPolicy "
                   "over gRPC")->capture_default_str();
    app.add_option("--drop-capabilities", c.drop_capabilities,
                   "After start-up keep only CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN")->capture_default_str();

    // Flags accepted from the file and the environment: every long option.
    std::vector<std::string> names;
    for (const CLI::Option* o : app.get_options()) {
        if (o->get_lnames().empty()) continue;
        const std::string& n = o->get_lnames().front();
        if (n == "help" || n == "version" || n == "config") continue;
        names.push_back(n);
    }

    // Layered argv: file values, then environment values, then the real
    // flags; TakeLast makes the later layer win.
    std::vector<std::string> args{argv[0]};
    std::string file = find_config_file(argc, argv);
    if (!file.empty()) {
        YAML::Node root;
        try {
            root = YAML::LoadFile(file);
        } catch (const YAML::BadFile&) {
            out.error = {"--config " + file + ": cannot read the file", 2};
            return out;
        } catch (const YAML::Exception& e) {
            out.error = {"--config " + file + ":" + std::to_string(e.mark.line + 1) + ":" +
                             std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg,
                         2};
            return out;
        }
        if (root && !root.IsNull() && !root.IsMap()) {
            out.error = {"--config " + file + ": expected a mapping of option names to values", 2};
            return out;
        }
        for (const auto& kv : root) {
            std::string key = kv.first.as<std::string>();
            auto where = file + ":" + std::to_string(kv.first.Mark().line + 1);
            if (std::find(names.begin(), names.end(), key) == names.end()) {
                out.error = {where + ": unknown option '" + key + "' (see vigild --help)", 2};
                return out;
            }
            // Repeatable options take a list: one flag per item.
            if (kv.second.IsSequence() && key == "tracing-policy") {
                for (const auto& item : kv.second) {
                    if (!item.IsScalar()) {
                        out.error = {where + ": option '" + key + "' takes a list of file names", 2};
                        return out;
                    }
                    args.push_back("--" + key + "=" + item.Scalar());
                }
                continue;
            }
            std::string value = scalar_text(kv.second);
            if (!kv.second.IsScalar()) {
                out.error = {where + ": option '" + key + "' needs a single value", 2};
                return out;
            }
            args.push_back("--" + key + "=" + value);
        }
    }
    for (const auto& n : names) {
        if (const char* v = std::getenv(env_name(n).c_str())) args.push_back("--" + n + "=" + v);
    }
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);

    // CLI11 reads "--name=" as a flag missing its value and takes the next
    // argument instead; an empty value must be its own argument.
    std::vector<std::string> split;
    for (const auto& a : args) {
        if (a.size() > 3 && a.rfind("--", 0) == 0 && a.back() == '=' &&
            a.find('=') == a.size() - 1) {
            split.push_back(a.substr(0, a.size() - 1));
            split.emplace_back();
        } else {
            split.push_back(a);
        }
    }
    std::vector<const char*> cargv;
    for (const auto& a : split) cargv.push_back(a.c_str());
    try {
        app.parse(static_cast<int>(cargv.size()), cargv.data());
    } catch (const CLI::ParseError& e) {
        std::ostringstream msg;
        int code = app.exit(e, msg, msg);
        out.error = {msg.str(), code};
        if (code != 0 && out.error.message.empty()) out.error.message = e.what();
        return out;
    }
    auto octal_mode = [&out](const std::string& flag, const std::string& text, const char* example,
                             unsigned& dest) {
        try {
            std::size_t pos = 0;
            unsigned long perm = std::stoul(text, &pos, 8);
            if (pos != text.size() || perm > 0777) throw std::invalid_argument("range");
            dest = static_cast<unsigned>(perm);
            return true;
        } catch (const std::exception&) {
            out.error = {flag + ": '" + text + "' is not an octal file mode like " + example, 2};
            return false;
        }
    };
    if (!octal_mode("--export-file-perm", perm_text, "600", c.export_file_perm)) return out;
    if (!octal_mode("--server-socket-mode", socket_mode_text, "660", c.server_socket_mode)) return out;
    if (c.server_socket_mode & 0007) {
        // Anyone on the node could then add policies or read every event.
        out.error = {"--server-socket-mode: " + socket_mode_text +
                         " gives access to every user on the node; use at most 770 (owner and group)",
                     2};
        return out;
    }
    if (c.server_tls_cert_file.empty() != c.server_tls_key_file.empty()) {
        out.error = {"--server-tls-cert-file and --server-tls-key-file go together; only one is set", 2};
        return out;
    }
    if (!c.server_tls_client_ca_file.empty() && c.server_tls_cert_file.empty()) {
        out.error = {"--server-tls-client-ca-file needs --server-tls-cert-file and --server-tls-key-file", 2};
        return out;
    }
    const bool unix_address = c.server_address.rfind("unix:", 0) == 0;
    if (!c.server_tls_cert_file.empty() && unix_address) {
        out.error = {"--server-tls-cert-file: TLS needs a TCP --server-address (host:port), not " +
                         c.server_address,
                     2};
        return out;
    }
    if (!unix_address && (!c.server_socket_owner.empty() || !c.server_socket_group.empty())) {
        out.error = {"--server-socket-owner/--server-socket-group apply to a unix --server-address, not " +
                         c.server_address,
                     2};
        return out;
    }
    if (c.rb_size != 0) {
        long page = sysconf(_SC_PAGESIZE);
        bool pow2 = (c.rb_size & (c.rb_size - 1)) == 0;
        if (!pow2 || c.rb_size < static_cast<std::size_t>(page)) {
            out.error = {"--rb-size: " + std::to_string(c.rb_size) +
                             " must be a power of two and at least the page size (" +
                             std::to_string(page) + ")",
                         2};
            return out;
        }
    }
    c.print_events = print_events == "compact" ? PrintMode::kCompact
                     : print_events == "json"  ? PrintMode::kJson
                                               : PrintMode::kNone;
    out.ok = true;
    return out;
}

std::string resolve_node_name(const Config& cfg) {
    if (!cfg.node_name.empty()) return cfg.node_name;
    for (const char* var : {"NODE_NAME", "HUBBLE_NODE_NAME"}) {
        if (const char* v = std::getenv(var); v && *v) return v;
    }
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0 && host[0]) return host;
    return "localhost";
}

}  // namespace vigil::agent
