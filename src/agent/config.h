// vigild's configuration: command-line flags, a YAML file (--config) and
// VIGIL_* environment variables. Precedence: flag > environment > file >
// built-in default. Flag names follow Tetragon's where Tetragon has one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace vigil::agent {

enum class PrintMode { kNone, kCompact, kJson };

struct Config {
    std::string config_file;
    std::string server_address = "unix:///var/run/vigil/vigil.sock";
    std::string run_dir = "/var/run/vigil";
    std::string export_filename;             // empty: no JSON export file
    std::uint64_t export_file_max_size_mb = 10;
    int export_file_max_backups = 5;
    unsigned export_file_perm = 0600;
    std::string export_allowlist;            // JSON tetragon.Filter per line
    std::string export_denylist;
    std::string log_level = "info";
    std::string procfs = "/proc";
    std::size_t rb_size = 0;                 // bytes; 0 = built-in 4 MiB
    std::string node_name;                   // empty: NODE_NAME, HUBBLE_NODE_NAME, hostname
    PrintMode print_events = PrintMode::kNone;
    std::size_t process_cache_size = 65536;
    std::size_t event_queue_size = 10000;    // per subscriber
    bool enable_process_cred = true;
    bool enable_process_ns = true;
    std::uint32_t gc_interval_s = 30;
    std::vector<std::string> tracing_policies;  // --tracing-policy FILE (repeatable)
    std::string tracing_policy_dir = "/etc/vigil/tracing-policies.d";
    std::string state_dir = "/var/lib/vigil";
    bool enable_k8s_api = false;       // pod metadata from the API server
    std::string k8s_kubeconfig_path;   // empty: in-cluster service account
    std::string metrics_server;  // "host:port" or ":port" for /metrics, /healthz, /readyz; "" off
    std::string action_dns_server;  // DnsLookup actions: "ip[:port]"; empty: the system resolver

    // Access to the gRPC API (docs/security.md).
    unsigned server_socket_mode = 0660;       // unix socket file mode
    std::string server_socket_owner;          // user name or uid; empty: vigild's
    std::string server_socket_group;          // group name or gid; empty: vigild's
    std::string server_tls_cert_file;         // PEM; set: TCP listener speaks TLS
    std::string server_tls_key_file;
    std::string server_tls_client_ca_file;    // set: client certificates required, verified
    bool enable_policy_management = true;     // false: policy-changing RPCs are PERMISSION_DENIED
    bool drop_capabilities = true;            // keep only the run-time capabilities after start-up
};

// Parses argv, the environment and the config file. Errors name the flag,
// variable or file:line and what was expected. `--help`/`--version` come
// back as an error whose message is the text to print, with exit_code 0.
struct ConfigError {
    std::string message;
    int exit_code = 2;
};

struct ParseOutcome {
    bool ok = false;
    Config config;
    ConfigError error;
};

ParseOutcome parse_config(int argc, const char* const* argv, const char* const* envp);

// The node name events carry: the configured one, else $NODE_NAME, else
// $HUBBLE_NODE_NAME (Tetragon's variables), else the host name.
std::string resolve_node_name(const Config& cfg);

}  // namespace vigil::agent
