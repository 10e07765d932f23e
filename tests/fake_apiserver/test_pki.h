// A throwaway PKI for TLS tests, made in memory at run time (nothing
// checked in, nothing that expires in the repository): a CA, a server
// certificate for 127.0.0.1/localhost and a client certificate, all signed
// by the CA, plus a second unrelated CA for negative tests. EC P-256.
#pragma once

#include <string>

namespace vigil::fake_k8s {

struct TestPki {
    std::string ca_cert_pem;
    std::string server_cert_pem;
    std::string server_key_pem;
    std::string client_cert_pem;
    std::string client_key_pem;
    std::string other_ca_cert_pem;  // signed nothing here

    static TestPki generate();  // throws std::runtime_error on OpenSSL failure
};

}  // namespace vigil::fake_k8s
