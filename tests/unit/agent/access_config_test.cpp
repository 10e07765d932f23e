// The access settings (docs/security.md): unix socket mode/owner/group, TLS
// files, policy management switch, capability drop; from flags, the YAML
// file and VIGIL_* variables, and the errors for combinations that make no sense.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/config.h"

namespace vigil::agent {
namespace {

ParseOutcome parse(std::vector<std::string> args) {
    args.insert(args.begin(), "vigild");
    std::vector<const char*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    return parse_config(static_cast<int>(argv.size()), argv.data(), nullptr);
}

void expect_error(const ParseOutcome& r, const std::string& needle) {
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.exit_code, 2);
    EXPECT_NE(r.error.message.find(needle), std::string::npos) << r.error.message;
}

TEST(AccessConfig, DefaultsAreLeastPrivilege) {
    auto r = parse({});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.server_socket_mode, 0660u);
    EXPECT_EQ(r.config.server_socket_owner, "");
    EXPECT_EQ(r.config.server_socket_group, "");
    EXPECT_EQ(r.config.server_tls_cert_file, "");
    EXPECT_TRUE(r.config.enable_policy_management);
    EXPECT_TRUE(r.config.drop_capabilities);
    EXPECT_EQ(r.config.export_file_perm, 0600u);
    EXPECT_EQ(r.config.server_address.rfind("unix://", 0), 0u) << "TCP only when configured";
}

TEST(AccessConfig, SocketFlagsParse) {
    auto r = parse({"--server-socket-mode", "640", "--server-socket-owner", "root", "--server-socket-group",
                    "1234", "--enable-policy-management=false", "--drop-capabilities", "false"});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.server_socket_mode, 0640u);
    EXPECT_EQ(r.config.server_socket_owner, "root");
    EXPECT_EQ(r.config.server_socket_group, "1234");
    EXPECT_FALSE(r.config.enable_policy_management);
    EXPECT_FALSE(r.config.drop_capabilities);
}

TEST(AccessConfig, TlsFlagsParseWithTcpAddress) {
    auto r = parse({"--server-address", "127.0.0.1:54321", "--server-tls-cert-file", "/c.pem",
                    "--server-tls-key-file", "/k.pem", "--server-tls-client-ca-file", "/ca.pem"});
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.server_tls_cert_file, "/c.pem");
    EXPECT_EQ(r.config.server_tls_key_file, "/k.pem");
    EXPECT_EQ(r.config.server_tls_client_ca_file, "/ca.pem");
}

TEST(AccessConfig, FromYamlFileAndEnvironment) {
    auto dir = std::filesystem::temp_directory_path() / ("vigil-access-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto file = (dir / "c.yaml").string();
    std::ofstream(file) << "server-socket-mode: \"600\"\nserver-socket-group: vigil\n"
                           "enable-policy-management: false\n";
    ::setenv("VIGIL_SERVER_SOCKET_GROUP", "adm", 1);
    auto r = parse({"--config", file});
    ::unsetenv("VIGIL_SERVER_SOCKET_GROUP");
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(r.ok) << r.error.message;
    EXPECT_EQ(r.config.server_socket_mode, 0600u);
    EXPECT_EQ(r.config.server_socket_group, "adm");  // environment beats file
    EXPECT_FALSE(r.config.enable_policy_management);
}

TEST(AccessConfig, SocketModeMustBeOctalAndNotWorldAccessible) {
    expect_error(parse({"--server-socket-mode", "rw"}), "--server-socket-mode: 'rw' is not an octal file mode");
    expect_error(parse({"--server-socket-mode", "1777"}), "--server-socket-mode");
    expect_error(parse({"--server-socket-mode", "666"}), "every user on the node");
    expect_error(parse({"--server-socket-mode", "661"}), "every user on the node");
    EXPECT_TRUE(parse({"--server-socket-mode", "770"}).ok);
}

TEST(AccessConfig, TlsNeedsCertAndKeyTogether) {
    expect_error(parse({"--server-address", "127.0.0.1:1", "--server-tls-cert-file", "/c.pem"}),
                 "go together");
    expect_error(parse({"--server-address", "127.0.0.1:1", "--server-tls-key-file", "/k.pem"}), "go together");
    expect_error(parse({"--server-address", "127.0.0.1:1", "--server-tls-client-ca-file", "/ca.pem"}),
                 "--server-tls-client-ca-file needs");
}

TEST(AccessConfig, SettingsMustFitTheAddressKind) {
    expect_error(parse({"--server-tls-cert-file", "/c.pem", "--server-tls-key-file", "/k.pem"}),
                 "TLS needs a TCP --server-address");
    expect_error(parse({"--server-address", "127.0.0.1:1", "--server-socket-owner", "root"}),
                 "apply to a unix --server-address");
}

TEST(AccessConfig, BooleansRejectGarbage) {
    auto r = parse({"--enable-policy-management", "maybe"});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.message.find("enable-policy-management"), std::string::npos) << r.error.message;
}

}  // namespace
}  // namespace vigil::agent
