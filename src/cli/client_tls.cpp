#include "cli/client_tls.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace vigil::cli {
namespace {

// PEM files are small; anything much larger is not one.
constexpr std::size_t kMaxPemBytes = 1 << 20;

Result<std::string> read_pem(const char* flag, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(std::string(flag) + " " + path + ": cannot read: " + std::strerror(errno));
    std::string text;
    char buf[4096];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxPemBytes) return make_error(std::string(flag) + " " + path + ": larger than 1 MiB");
    }
    if (text.find("-----BEGIN ") == std::string::npos) {
        return make_error(std::string(flag) + " " + path + ": not a PEM file (no -----BEGIN line)");
    }
    return text;
}

}  // namespace

Status ClientTls::load(const std::string& address) {
    if (!enabled()) return {};
    if (address.rfind("unix:", 0) == 0) {
        return make_error("--tls-* flags apply to a TCP --server-address (host:port), not " + address +
                          " (the unix socket's mode protects it; vigild serves no TLS there)");
    }
    if (cert_file.empty() != key_file.empty()) {
        return make_error("--tls-cert-file and --tls-key-file go together; only " +
                          std::string(cert_file.empty() ? "--tls-key-file" : "--tls-cert-file") + " is set");
    }
    // Without --tls-ca-file, gRPC trusts its default roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH).
    if (!ca_file.empty()) {
        auto ca = read_pem("--tls-ca-file", ca_file);
        if (!ca) return make_error(ca.error());
        ca_pem = std::move(ca).value();
    }
    if (!cert_file.empty()) {
        auto cert = read_pem("--tls-cert-file", cert_file);
        if (!cert) return make_error(cert.error());
        auto key = read_pem("--tls-key-file", key_file);
        if (!key) return make_error(key.error());
        cert_pem = std::move(cert).value();
        key_pem = std::move(key).value();
    }
    return {};
}

}  // namespace vigil::cli
