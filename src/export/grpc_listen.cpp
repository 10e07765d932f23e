#include "export/grpc_listen.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <grpcpp/security/server_credentials.h>

namespace vigil::exporter {

namespace {

std::optional<unsigned long> as_number(const std::string& s) {
    unsigned long n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return n;
}

Result<std::string> read_pem(const std::string& option, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(option + " " + path + ": cannot read the file: " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    std::string pem = text.str();
    if (pem.find("-----BEGIN ") == std::string::npos) {
        return make_error(option + " " + path + ": not a PEM file (no -----BEGIN line)");
    }
    return pem;
}

bool is_unix(const std::string& address) { return address.rfind("unix:", 0) == 0; }

}  // namespace

Result<uid_t> resolve_user(const std::string& option, const std::string& name) {
    if (auto n = as_number(name)) return static_cast<uid_t>(*n);
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc != 0) return make_error(option + " " + name + ": user lookup failed: " + std::strerror(rc));
    if (!found) return make_error(option + " " + name + ": no such user (give a name from /etc/passwd or a number)");
    return found->pw_uid;
}

Result<gid_t> resolve_group(const std::string& option, const std::string& name) {
    if (auto n = as_number(name)) return static_cast<gid_t>(*n);
    std::vector<char> buf(16384);
    group gr{};
    group* found = nullptr;
    int rc = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc != 0) return make_error(option + " " + name + ": group lookup failed: " + std::strerror(rc));
    if (!found) return make_error(option + " " + name + ": no such group (give a name from /etc/group or a number)");
    return found->gr_gid;
}

Status check_listen_access(const std::string& address, const ListenAccess& a) {
    const auto& t = a.tls;
    if (t.cert_file.empty() != t.key_file.empty()) {
        return make_error("--server-tls-cert-file and --server-tls-key-file go together; only " +
                          std::string(t.cert_file.empty() ? "the key" : "the certificate") + " is set");
    }
    if (!t.client_ca_file.empty() && !t.enabled()) {
        return make_error("--server-tls-client-ca-file needs --server-tls-cert-file and --server-tls-key-file");
    }
    if (t.enabled() && is_unix(address)) {
        return make_error("--server-tls-cert-file: TLS applies to a TCP --server-address (host:port), not " +
                          address + "; the unix socket is protected by its owner, group and mode");
    }
    if (!is_unix(address) && (!a.socket_owner.empty() || !a.socket_group.empty())) {
        return make_error("--server-socket-owner/--server-socket-group apply to a unix --server-address, not " +
                          address);
    }
    return {};
}

Result<std::shared_ptr<grpc::ServerCredentials>> server_credentials(const TlsFiles& tls) {
    if (!tls.enabled()) return grpc::InsecureServerCredentials();
    auto cert = read_pem("--server-tls-cert-file", tls.cert_file);
    if (!cert) return make_error(cert.error());
    auto key = read_pem("--server-tls-key-file", tls.key_file);
    if (!key) return make_error(key.error());
    grpc::SslServerCredentialsOptions opts(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    opts.pem_key_cert_pairs.push_back({*key, *cert});
    if (!tls.client_ca_file.empty()) {
        auto ca = read_pem("--server-tls-client-ca-file", tls.client_ca_file);
        if (!ca) return make_error(ca.error());
        opts.pem_root_certs = *ca;
        // A client without a certificate signed by this CA never gets past
        // the handshake.
        opts.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    return grpc::SslServerCredentials(opts);
}

Status prepare_socket_path(const std::string& address, const std::string& path) {
    std::filesystem::path p(path);
    if (!p.is_absolute()) {
        return make_error("--server-address " + address + ": the socket path must be absolute (unix:///path)");
    }
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
        return make_error("--server-address: cannot create " + p.parent_path().string() + ": " + ec.message());
    }
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return make_error("--server-address: " + p.string() + " exists and is not a socket; refusing to replace it");
        }
        ::unlink(p.c_str());
    }
    return {};
}

Status secure_socket(const std::string& path, const ListenAccess& a) {
    uid_t uid = static_cast<uid_t>(-1);  // chown: -1 leaves it as it is
    gid_t gid = static_cast<gid_t>(-1);
    if (!a.socket_owner.empty()) {
        auto u = resolve_user("--server-socket-owner", a.socket_owner);
        if (!u) return make_error(u.error());
        uid = *u;
    }
    if (!a.socket_group.empty()) {
        auto g = resolve_group("--server-socket-group", a.socket_group);
        if (!g) return make_error(g.error());
        gid = *g;
    }
    if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::chown(path.c_str(), uid, gid) != 0) {
        return make_error("--server-socket-owner/--server-socket-group: cannot chown " + path + ": " +
                          std::strerror(errno));
    }
    if (::chmod(path.c_str(), static_cast<mode_t>(a.socket_mode)) != 0) {
        return make_error("--server-socket-mode: cannot set mode of " + path + ": " + std::strerror(errno));
    }
    return {};
}

PrivateUmask::PrivateUmask() : saved_(::umask(0077)) {}
PrivateUmask::~PrivateUmask() { ::umask(saved_); }

}  // namespace vigil::exporter
