#include "fake_apiserver/test_pki.h"

#include <memory>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace vigil::fake_k8s {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

Key new_key() {
    Key k(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    check(k != nullptr, "EVP_EC_gen");
    return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// Self-signed when issuer/issuer_key are null.
Cert make_cert(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long serial, bool ca,
               const char* san, const char* eku) {
    Cert c(X509_new(), &X509_free);
    check(c != nullptr, "X509_new");
    X509_set_version(c.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c.get()), 24 * 3600);
    X509_set_pubkey(c.get(), key);
    X509_NAME* name = X509_get_subject_name(c.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509* iss = issuer != nullptr ? issuer : c.get();
    X509_set_issuer_name(c.get(), X509_get_subject_name(iss));
    add_ext(c.get(), iss, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(c.get(), iss, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_ext(c.get(), iss, NID_subject_key_identifier, "hash");
    if (san != nullptr) add_ext(c.get(), iss, NID_subject_alt_name, san);
    if (eku != nullptr) add_ext(c.get(), iss, NID_ext_key_usage, eku);
    check(X509_sign(c.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
    return c;
}

std::string to_pem(X509* cert) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string to_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

TestPki TestPki::generate() {
    TestPki pki;
    Key ca_key = new_key();
    Cert ca = make_cert("vigil-test-ca", ca_key.get(), nullptr, nullptr, 1, true, nullptr, nullptr);
    Key server_key = new_key();
    Cert server = make_cert("127.0.0.1", server_key.get(), ca.get(), ca_key.get(), 2, false,
                            "IP:127.0.0.1,DNS:localhost", "serverAuth");
    Key client_key = new_key();
    Cert client = make_cert("system:node:node-1", client_key.get(), ca.get(), ca_key.get(), 3, false, nullptr,
                            "clientAuth");
    Key other_key = new_key();
    Cert other = make_cert("unrelated-ca", other_key.get(), nullptr, nullptr, 4, true, nullptr, nullptr);

    pki.ca_cert_pem = to_pem(ca.get());
    pki.server_cert_pem = to_pem(server.get());
    pki.server_key_pem = to_pem(server_key.get());
    pki.client_cert_pem = to_pem(client.get());
    pki.client_key_pem = to_pem(client_key.get());
    pki.other_ca_cert_pem = to_pem(other.get());
    return pki;
}

}  // namespace vigil::fake_k8s
