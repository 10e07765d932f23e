// Who may reach vigild's gRPC listener: the unix socket's owner, group and
// mode, and TLS credentials (with optional client certificates) for TCP.
// Kept apart from the service code so the access rules read in one place.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace grpc {
class ServerCredentials;
}

namespace vigil::exporter {

struct TlsFiles {
    std::string cert_file;       // PEM server certificate (chain)
    std::string key_file;        // PEM private key
    std::string client_ca_file;  // PEM CA bundle; set: clients must present a certificate it signed
    bool enabled() const { return !cert_file.empty(); }
};

struct ListenAccess {
    unsigned socket_mode = 0660;
    std::string socket_owner;  // user name or number; empty: vigild's own
    std::string socket_group;  // group name or number; empty: vigild's own
    TlsFiles tls;
};

// "root" or "0" -> 0. Errors name the option and the value.
Result<uid_t> resolve_user(const std::string& option, const std::string& name);
Result<gid_t> resolve_group(const std::string& option, const std::string& name);

// Checks that the settings fit the address: TLS only on TCP, a key with each
// certificate, a client CA only with a server certificate.
Status check_listen_access(const std::string& address, const ListenAccess& access);

// TLS credentials from the PEM files, or insecure ones when TLS is off.
// Errors name the file that could not be read.
Result<std::shared_ptr<grpc::ServerCredentials>> server_credentials(const TlsFiles& tls);

// Makes room for a unix socket at `path`: creates its directory, removes a
// stale socket file, refuses to replace anything that is not a socket.
Status prepare_socket_path(const std::string& address, const std::string& path);

// Applies owner, group and mode to a freshly bound socket. Ownership first,
// so the wider mode never applies to the wrong group.
Status secure_socket(const std::string& path, const ListenAccess& access);

// Sets a umask that keeps everything created while it lives private to
// vigild's user (the socket file is bound before its mode can be set).
class PrivateUmask {
public:
    PrivateUmask();
    ~PrivateUmask();
    PrivateUmask(const PrivateUmask&) = delete;
    PrivateUmask& operator=(const PrivateUmask&) = delete;

private:
    mode_t saved_;
};

}  // namespace vigil::exporter
