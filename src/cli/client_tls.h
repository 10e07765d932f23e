// TLS for the CLI's connection to a vigild TCP listener that was started
// with --server-tls-cert-file (and perhaps --server-tls-client-ca-file):
// the CA to trust, and the client certificate to present. Files are read
// once, before any call, so a bad path is a usage error naming the flag.
#pragma once

#include <string>

#include "common/result.h"

namespace vigil::cli {

struct ClientTls {
    std::string ca_file;      // --tls-ca-file: PEM CA(s) that signed vigild's certificate
    std::string cert_file;    // --tls-cert-file: PEM client certificate (with --tls-key-file)
    std::string key_file;     // --tls-key-file
    std::string server_name;  // --tls-server-name: the name to verify instead of the address's host

    // Read by load().
    std::string ca_pem, cert_pem, key_pem;

    bool enabled() const {
        return !ca_file.empty() || !cert_file.empty() || !key_file.empty() || !server_name.empty();
    }
    // Checks the flags go together and fit `address`, and reads the files.
    Status load(const std::string& address);
};

}  // namespace vigil::cli
