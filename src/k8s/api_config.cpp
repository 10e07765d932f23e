#include "k8s/api_config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace vigil::k8s {
namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}

std::string dir_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string resolve(const std::string& base_dir, const std::string& p) {
    if (p.empty() || p[0] == '/') return p;
    return base_dir + "/" + p;
}

// The entry `name` of a kubeconfig list (clusters, contexts, users).
Result<YAML::Node> named_entry(const YAML::Node& root, const char* list, const char* inner,
                               const std::string& name, const std::string& where) {
    YAML::Node entries = root[list];
    if (entries && !entries.IsSequence()) return make_error(where + ": '" + list + "' is not a list");
    if (entries) {
        for (const auto& e : entries) {
            if (e.IsMap() && e["name"] && e["name"].IsScalar() && e["name"].as<std::string>() == name) {
                YAML::Node body = e[inner];
                if (!body || !body.IsMap()) {
                    return make_error(where + ": " + list + " entry '" + name + "' has no '" + inner + "' map");
                }
                return body;
            }
        }
    }
    return make_error(where + ": no entry named '" + name + "' in '" + list + "'");
}

std::string scalar(const YAML::Node& map, const char* key) {
    YAML::Node n = map[key];
    return n && n.IsScalar() ? n.as<std::string>() : std::string();
}

// `<key>-data` (base64) wins over `<key>` (a file path), as in client-go.
Status pem_from(const YAML::Node& map, const std::string& key, const std::string& base_dir,
                const std::string& where, std::string& out) {
    std::string data = scalar(map, (key + "-data").c_str());
    if (!data.empty()) {
        auto decoded = base64_decode(data);
        if (!decoded) return make_error(where + ": " + key + "-data: " + decoded.error());
        out = std::move(*decoded);
        return {};
    }
    std::string file = scalar(map, key.c_str());
    if (file.empty()) return {};
    auto content = read_small_file(resolve(base_dir, file));
    if (!content) return make_error(where + ": " + key + ": " + content.error());
    out = std::move(*content);
    return {};
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

InClusterInputs InClusterInputs::from_environment() {
    InClusterInputs in;
    in.service_host = env_or_empty("KUBERNETES_SERVICE_HOST");
    in.service_port = env_or_empty("KUBERNETES_SERVICE_PORT");
    return in;
}

Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return make_error("cannot read " + path + ": " + std::strerror(errno));
    std::string out;
    char buf[4096];
    while (f.read(buf, sizeof buf) || f.gcount() > 0) {
        out.append(buf, static_cast<std::size_t>(f.gcount()));
        if (out.size() > max_bytes) {
            return make_error(path + " is larger than " + std::to_string(max_bytes) + " bytes");
        }
    }
    return out;
}

Result<std::string> base64_decode(std::string_view in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    std::size_t pad = 0;
    for (char c : in) {
        if (c == '\n' || c == '\r' || c == ' ') continue;
        if (c == '=') {
            ++pad;
            continue;
        }
        int v = value(c);
        if (v < 0 || pad > 0) return make_error("invalid base64");
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    if (pad > 2 || bits >= 6) return make_error("invalid base64 length");
    return out;
}

Result<ApiServerConfig> load_in_cluster_config(const InClusterInputs& in) {
    if (in.service_host.empty() || in.service_port.empty()) {
        return make_error(
            "not running in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set "
            "(use a kubeconfig instead)");
    }
    ApiServerConfig c;
    std::string host = in.service_host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6 literal
    c.server = "https://" + host + ":" + in.service_port;
    c.token_file = in.account_dir + "/token";
    auto token = read_small_file(c.token_file);
    if (!token) return make_error("in-cluster service account token: " + token.error());
    if (trim(*token).empty()) return make_error("in-cluster service account token " + c.token_file + " is empty");
    auto ca = read_small_file(in.account_dir + "/ca.crt");
    if (!ca) return make_error("in-cluster service account CA: " + ca.error());
    c.ca_pem = std::move(*ca);
    c.source = "in-cluster service account (" + in.account_dir + ")";
    return c;
}

Result<ApiServerConfig> load_kubeconfig(const std::string& path, const std::string& context) {
    auto text = read_small_file(path);
    if (!text) return make_error("kubeconfig: " + text.error());
    YAML::Node root;
    try {
        root = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
        return make_error("kubeconfig " + path + " is not valid YAML: " + e.what());
    }
    if (!root.IsMap()) return make_error("kubeconfig " + path + " is not a YAML map");

    std::string ctx_name = context.empty() ? scalar(root, "current-context") : context;
    if (ctx_name.empty()) return make_error("kubeconfig " + path + " has no current-context");
    std::string where = "kubeconfig " + path + " (context " + ctx_name + ")";

    auto ctx = named_entry(root, "contexts", "context", ctx_name, where);
    if (!ctx) return make_error(ctx.error());
    std::string cluster_name = scalar(*ctx, "cluster");
    std::string user_name = scalar(*ctx, "user");
    if (cluster_name.empty()) return make_error(where + ": the context names no cluster");
    auto cluster = named_entry(root, "clusters", "cluster", cluster_name, where);
    if (!cluster) return make_error(cluster.error());

    ApiServerConfig c;
    c.source = where;
    std::string base = dir_of(path);
    c.server = scalar(*cluster, "server");
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    if (c.server.rfind("https://", 0) != 0 && c.server.rfind("http://", 0) != 0) {
        return make_error(where + ": cluster '" + cluster_name + "' server '" + c.server +
                          "' is not an http:// or https:// URL");
    }
    if (!scalar(*cluster, "tls-server-name").empty() || !scalar(*cluster, "proxy-url").empty()) {
        return make_error(where + ": tls-server-name and proxy-url are not supported");
    }
    c.insecure_skip_tls_verify = scalar(*cluster, "insecure-skip-tls-verify") == "true";
    if (auto s = pem_from(*cluster, "certificate-authority", base, where, c.ca_pem); !s) {
        return make_error(s.error());
    }

    if (!user_name.empty()) {
        auto user = named_entry(root, "users", "user", user_name, where);
        if (!user) return make_error(user.error());
        if ((*user)["exec"] || (*user)["auth-provider"]) {
            return make_error(where + ": user '" + user_name +
                              "' uses an exec or auth-provider plugin, which Vigil does not run; "
                              "use a token, a tokenFile or a client certificate");
        }
        if (!scalar(*user, "username").empty()) {
            return make_error(where + ": user '" + user_name + "' uses basic auth, which is not supported");
        }
        c.token = scalar(*user, "token");
        std::string token_file = scalar(*user, "tokenFile");
        if (c.token.empty() && !token_file.empty()) {
            c.token_file = resolve(base, token_file);
            auto t = read_small_file(c.token_file);
            if (!t) return make_error(where + ": tokenFile: " + t.error());
        }
        if (auto s = pem_from(*user, "client-certificate", base, where, c.client_cert_pem); !s) {
            return make_error(s.error());
        }
        if (auto s = pem_from(*user, "client-key", base, where, c.client_key_pem); !s) {
            return make_error(s.error());
        }
        if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
            return make_error(where + ": user '" + user_name +
                              "' has a client certificate without a key, or a key without a certificate");
        }
    }
    return c;
}

}  // namespace vigil::k8s
