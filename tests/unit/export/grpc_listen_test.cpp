// Listener access rules: user/group lookup, which settings fit which address,
// TLS file errors, and the owner/mode a bound unix socket ends up with.
#include "export/grpc_listen.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace vigil::exporter {
namespace {

class GrpcListenTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("vigil-listen-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& name, const std::string& text) {
        auto p = (dir_ / name).string();
        std::ofstream(p) << text;
        return p;
    }
    std::filesystem::path dir_;
};

TEST_F(GrpcListenTest, ResolvesUsersAndGroupsByNameOrNumber) {
    auto root = resolve_user("--server-socket-owner", "root");
    ASSERT_TRUE(root.ok()) << root.error();
    EXPECT_EQ(*root, 0u);
    EXPECT_EQ(resolve_user("--server-socket-owner", "4242").value(), 4242u);
    EXPECT_EQ(resolve_group("--server-socket-group", "0").value(), 0u);
    auto bad = resolve_group("--server-socket-group", "no-such-group-vigil");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "--server-socket-group no-such-group-vigil: no such group (give a name from "
                           "/etc/group or a number)");
    EXPECT_FALSE(resolve_user("--server-socket-owner", "no-such-user-vigil").ok());
}

TEST_F(GrpcListenTest, SettingsMustFitTheAddress) {
    ListenAccess a;
    EXPECT_TRUE(check_listen_access("unix:///x.sock", a).ok());
    a.tls = {"/c", "/k", ""};
    EXPECT_FALSE(check_listen_access("unix:///x.sock", a).ok());
    EXPECT_TRUE(check_listen_access("127.0.0.1:1", a).ok());
    a.tls = {"/c", "", ""};
    EXPECT_FALSE(check_listen_access("127.0.0.1:1", a).ok());
    a.tls = {"", "", "/ca"};
    EXPECT_FALSE(check_listen_access("127.0.0.1:1", a).ok());
    a = {};
    a.socket_group = "0";
    EXPECT_FALSE(check_listen_access("127.0.0.1:1", a).ok());
}

TEST_F(GrpcListenTest, TlsFileErrorsNameTheFile) {
    auto missing = server_credentials({(dir_ / "none.pem").string(), (dir_ / "k.pem").string(), ""});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().find("--server-tls-cert-file " + (dir_ / "none.pem").string() + ": cannot read"),
              std::string::npos)
        << missing.error();
    auto garbage = write("garbage.pem", "not a certificate");
    auto not_pem = server_credentials({garbage, garbage, ""});
    ASSERT_FALSE(not_pem.ok());
    EXPECT_NE(not_pem.error().find("not a PEM file"), std::string::npos) << not_pem.error();
    auto insecure = server_credentials({});
    ASSERT_TRUE(insecure.ok());
    EXPECT_NE(insecure->get(), nullptr);
}

TEST_F(GrpcListenTest, RefusesToReplaceANonSocket) {
    auto file = write("not-a-socket", "x");
    auto st = prepare_socket_path("unix://" + file, file);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().find("exists and is not a socket"), std::string::npos) << st.error();
    EXPECT_TRUE(std::filesystem::exists(file));
    EXPECT_FALSE(prepare_socket_path("unix://rel.sock", "rel.sock").ok());
}

TEST_F(GrpcListenTest, SocketGetsModeAndOwner) {
    auto path = (dir_ / "s.sock").string();
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
    {
        PrivateUmask umask_guard;
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0) << std::strerror(errno);
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0077, 0u) << "bound under the private umask";

    ListenAccess a;
    a.socket_mode = 0640;
    a.socket_group = std::to_string(::getegid());
    ASSERT_TRUE(secure_socket(path, a).ok());
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    EXPECT_EQ(st.st_gid, ::getegid());
    if (::geteuid() == 0) {
        a.socket_owner = "4242";
        a.socket_group = "4343";
        ASSERT_TRUE(secure_socket(path, a).ok());
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_uid, 4242u);
        EXPECT_EQ(st.st_gid, 4343u);
    }
    a.socket_group = "no-such-group-vigil";
    EXPECT_FALSE(secure_socket(path, a).ok());
    ::close(fd);
}

}  // namespace
}  // namespace vigil::exporter
