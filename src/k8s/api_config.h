// Where the API server is and how to authenticate: from the in-cluster
// service account or from a kubeconfig file. Loading checks everything up
// front so a bad setup fails at start with a message naming the file/field.
#pragma once

#include <string>

#include "common/result.h"

namespace vigil::k8s {

struct ApiServerConfig {
    std::string server;  // "https://10.96.0.1:443" or "http://127.0.0.1:8080", no trailing '/'
    std::string ca_pem;  // trust only this bundle; empty: the system's CAs
    bool insecure_skip_tls_verify = false;
    // Bearer token, sent over https only (as kubectl does).
    std::string token;       // static
    std::string token_file;  // re-read before each request (bound tokens rotate)
    std::string client_cert_pem;
    std::string client_key_pem;
    std::string source;  // for messages: "in-cluster service account", "kubeconfig <path> (context x)"
};

struct InClusterInputs {
    std::string service_host;  // KUBERNETES_SERVICE_HOST
    std::string service_port;  // KUBERNETES_SERVICE_PORT
    std::string account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";

    static InClusterInputs from_environment();
};

// https://<host>:<port> with <account_dir>/token and <account_dir>/ca.crt.
Result<ApiServerConfig> load_in_cluster_config(const InClusterInputs& in);

// The kubeconfig's current-context (or `context` when given): its cluster's
// server, certificate-authority[-data], insecure-skip-tls-verify; its user's
// token, tokenFile, client-certificate[-data], client-key[-data]. Relative
// file paths are relative to the kubeconfig's directory, as kubectl does.
// exec/auth-provider plugins and basic auth are refused with a message.
Result<ApiServerConfig> load_kubeconfig(const std::string& path, const std::string& context = "");

// Reads a whole (small) file; the error names the path and errno text.
Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes = 1 << 20);

// Standard base64 with padding (kubeconfig *-data fields); errors on junk.
Result<std::string> base64_decode(std::string_view in);

}  // namespace vigil::k8s
