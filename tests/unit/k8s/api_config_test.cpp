// In-cluster and kubeconfig loading, against files in a temporary directory.
#include "k8s/api_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace vigil::k8s {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "vigil-k8s-XXXXXX").string();
        path_ = mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string write(const std::string& name, const std::string& content) const {
        fs::path p = fs::path(path_) / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << content;
        return p.string();
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// base64("CA PEM") etc., as kubeconfigs embed them.
const std::string kCaB64 = "Q0EgUEVN";          // "CA PEM"
const std::string kCertB64 = "Q0VSVCBQRU0=";    // "CERT PEM"
const std::string kKeyB64 = "S0VZIFBFTQ==";     // "KEY PEM"

TEST(Base64Decode, Forms) {
    EXPECT_EQ(base64_decode("Q0EgUEVN").value(), "CA PEM");
    EXPECT_EQ(base64_decode("Q0VSVCBQRU0=").value(), "CERT PEM");
    EXPECT_EQ(base64_decode("S0VZ\nIFBFTQ==").value(), "KEY PEM");
    EXPECT_EQ(base64_decode("").value(), "");
    EXPECT_FALSE(base64_decode("Q0E*").ok());
    EXPECT_FALSE(base64_decode("Q0=E").ok());
    EXPECT_FALSE(base64_decode("Q").ok());
}

TEST(InCluster, ReadsServiceAccount) {
    TempDir d;
    d.write("sa/token", "tok123\n");
    d.write("sa/ca.crt", "CA");
    auto c = load_in_cluster_config({"10.96.0.1", "443", d.path() + "/sa"});
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->server, "https://10.96.0.1:443");
    EXPECT_EQ(c->token_file, d.path() + "/sa/token");
    EXPECT_EQ(c->token, "");  // re-read per request: bound tokens rotate
    EXPECT_EQ(c->ca_pem, "CA");
}

TEST(InCluster, Ipv6Host) {
    TempDir d;
    d.write("sa/token", "t");
    d.write("sa/ca.crt", "CA");
    auto c = load_in_cluster_config({"fd00::1", "443", d.path() + "/sa"});
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->server, "https://[fd00::1]:443");
}

TEST(InCluster, Errors) {
    TempDir d;
    auto no_env = load_in_cluster_config({"", "", d.path()});
    ASSERT_FALSE(no_env.ok());
    EXPECT_NE(no_env.error().find("KUBERNETES_SERVICE_HOST"), std::string::npos);

    auto no_token = load_in_cluster_config({"h", "1", d.path() + "/none"});
    ASSERT_FALSE(no_token.ok());
    EXPECT_NE(no_token.error().find("/none/token"), std::string::npos) << no_token.error();

    d.write("sa/token", "t");
    auto no_ca = load_in_cluster_config({"h", "1", d.path() + "/sa"});
    ASSERT_FALSE(no_ca.ok());
    EXPECT_NE(no_ca.error().find("ca.crt"), std::string::npos) << no_ca.error();

    d.write("empty/token", "\n");
    d.write("empty/ca.crt", "CA");
    EXPECT_FALSE(load_in_cluster_config({"h", "1", d.path() + "/empty"}).ok());
}

std::string kubeconfig(const std::string& cluster_extra, const std::string& user_extra,
                       const std::string& server = "https://k8s.example:6443") {
    return "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
           "clusters:\n- name: other\n  cluster:\n    server: https://wrong:1\n"
           "- name: c1\n  cluster:\n    server: " + server + "\n" + cluster_extra +
           "contexts:\n- name: spare\n  context:\n    cluster: other\n    user: u1\n"
           "- name: main\n  context:\n    cluster: c1\n    user: u1\n    namespace: ns\n"
           "users:\n- name: u1\n  user:\n" + user_extra;
}

TEST(Kubeconfig, EmbeddedDataAndToken) {
    TempDir d;
    auto path = d.write("config", kubeconfig("    certificate-authority-data: " + kCaB64 + "\n",
                                             "    token: abc\n    client-certificate-data: " + kCertB64 +
                                                 "\n    client-key-data: " + kKeyB64 + "\n"));
    auto c = load_kubeconfig(path);
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->server, "https://k8s.example:6443");
    EXPECT_EQ(c->ca_pem, "CA PEM");
    EXPECT_EQ(c->token, "abc");
    EXPECT_EQ(c->client_cert_pem, "CERT PEM");
    EXPECT_EQ(c->client_key_pem, "KEY PEM");
    EXPECT_FALSE(c->insecure_skip_tls_verify);
    EXPECT_NE(c->source.find("main"), std::string::npos);
}

TEST(Kubeconfig, FilesRelativeToTheKubeconfig) {
    TempDir d;
    d.write("kube/pki/ca.crt", "CA FILE");
    d.write("kube/pki/client.crt", "CERT FILE");
    d.write("kube/pki/client.key", "KEY FILE");
    d.write("kube/token", "tok\n");
    auto path = d.write("kube/config", kubeconfig("    certificate-authority: pki/ca.crt\n",
                                                  "    client-certificate: pki/client.crt\n"
                                                  "    client-key: " + d.path() + "/kube/pki/client.key\n"
                                                  "    tokenFile: token\n"));
    auto c = load_kubeconfig(path);
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->ca_pem, "CA FILE");
    EXPECT_EQ(c->client_cert_pem, "CERT FILE");
    EXPECT_EQ(c->client_key_pem, "KEY FILE");
    EXPECT_EQ(c->token_file, d.path() + "/kube/token");
}

TEST(Kubeconfig, PlainHttpAndInsecure) {
    TempDir d;
    auto path = d.write("config", kubeconfig("    insecure-skip-tls-verify: true\n", "    token: x\n",
                                             "http://127.0.0.1:8080/"));
    auto c = load_kubeconfig(path);
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->server, "http://127.0.0.1:8080");
    EXPECT_TRUE(c->insecure_skip_tls_verify);
}

TEST(Kubeconfig, ExplicitContext) {
    TempDir d;
    auto path = d.write("config", kubeconfig("", "    token: x\n"));
    auto c = load_kubeconfig(path, "spare");
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->server, "https://wrong:1");
    auto missing = load_kubeconfig(path, "nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().find("'nope'"), std::string::npos) << missing.error();
}

TEST(Kubeconfig, NoUserIsAnonymous) {
    TempDir d;
    auto path = d.write("config", "current-context: x\nclusters:\n- name: c\n  cluster:\n    server: http://h:1\n"
                                  "contexts:\n- name: x\n  context:\n    cluster: c\n");
    auto c = load_kubeconfig(path);
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->token, "");
}

void expect_error(const std::string& path, const std::string& needle) {
    auto c = load_kubeconfig(path);
    ASSERT_FALSE(c.ok()) << "expected an error mentioning " << needle;
    EXPECT_NE(c.error().find(needle), std::string::npos) << c.error();
    EXPECT_NE(c.error().find(path), std::string::npos) << c.error();
}

TEST(Kubeconfig, Errors) {
    TempDir d;
    expect_error(d.path() + "/absent", "absent");
    expect_error(d.write("a", "{not yaml: ["), "YAML");
    expect_error(d.write("b", "- a list\n"), "map");
    expect_error(d.write("c", "clusters: []\n"), "current-context");
    expect_error(d.write("d", kubeconfig("", "    exec:\n      command: aws\n")), "exec");
    expect_error(d.write("e", kubeconfig("", "    username: a\n    password: b\n")), "basic auth");
    expect_error(d.write("f", kubeconfig("", "    client-certificate-data: " + kCertB64 + "\n")), "without a key");
    expect_error(d.write("g", kubeconfig("    certificate-authority-data: '!!!'\n", "    token: x\n")),
                 "certificate-authority-data");
    expect_error(d.write("h", kubeconfig("    certificate-authority: /nonexistent/ca\n", "    token: x\n")),
                 "/nonexistent/ca");
    expect_error(d.write("i", kubeconfig("", "    token: x\n", "ftp://h")), "not an http");
    expect_error(d.write("j", kubeconfig("    tls-server-name: foo\n", "    token: x\n")), "tls-server-name");
    expect_error(d.write("k", kubeconfig("", "    tokenFile: missing-token\n")), "missing-token");
}

}  // namespace
}  // namespace vigil::k8s
