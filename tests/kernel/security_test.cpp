// Least privilege and access (docs/security.md), on the real vigild: the unix
// socket's mode and owner, the export file's mode, TLS on TCP with and without
// client certificates, management RPCs switched off, and the capabilities left
// to every vigild thread after start-up.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "fake_apiserver/test_pki.h"

namespace vigil::kt {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

mode_t file_mode(const std::string& path, struct stat* out = nullptr) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
    if (out) *out = st;
    return st.st_mode & 07777;
}

// A TCP port that is free right now on 127.0.0.1 (the kernel picks it).
int free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        if (fd >= 0) ::close(fd);
        return -1;
    }
    ::close(fd);
    return ntohs(sa.sin_port);
}

// docs/security.md: CAP_SYS_ADMIN (21), CAP_PERFMON (38), CAP_BPF (39).
constexpr std::uint64_t kRuntimeCaps = (1ull << 2) | (1ull << 21) | (1ull << 38) | (1ull << 39);  // DAC_READ_SEARCH, SYS_ADMIN, PERFMON, BPF

std::uint64_t known_caps() {
    int last = 40;
    std::ifstream("/proc/sys/kernel/cap_last_cap") >> last;
    return last >= 63 ? ~0ull : ((1ull << (last + 1)) - 1);
}

std::string hex(std::uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string unix_path(const Vigild& v) { return v.socket_target().substr(std::string("unix://").size()); }

// --- the unix socket and the export file -----------------------------------

class DefaultAccessTest : public AgentTest {};

TEST_F(DefaultAccessTest, SocketIs0660AndExportFileIs0600) {
    EXPECT_EQ(file_mode(unix_path(agent())), 0660) << unix_path(agent());
    EXPECT_EQ(file_mode(agent().export_path()), 0600) << agent().export_path();
}

class SocketOwnerTest : public AgentTest {
protected:
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--server-socket-mode", "640", "--server-socket-owner", "4242", "--server-socket-group",
                        "4343"};
        return o;
    }
};

TEST_F(SocketOwnerTest, SocketGetsConfiguredModeOwnerAndGroup) {
    struct stat st {};
    EXPECT_EQ(file_mode(unix_path(agent()), &st), 0640);
    EXPECT_EQ(st.st_uid, 4242u);
    EXPECT_EQ(st.st_gid, 4343u);
    // Root still reaches it (CAP_DAC_OVERRIDE in the test, not in vigild).
    grpc::ClientContext ctx;
    tetragon::GetVersionResponse resp;
    EXPECT_TRUE(agent().stub()->GetVersion(&ctx, {}, &resp).ok());
}

TEST(SocketAccess, UnknownGroupStopsStartUpNamingIt) {
    VigildOptions o;
    o.extra_args = {"--server-socket-group", "no-such-group-vigil"};
    VIGIL_ASSERT_OK_AND_ASSIGN(v, Vigild::start(o));
    auto st = v->wait_exit(kReadyTimeout);
    ASSERT_TRUE(st) << "vigild kept running with an unknown socket group";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 1) << describe_wait_status(*st);
    EXPECT_NE(v->stderr_text().find("--server-socket-group no-such-group-vigil: no such group"), std::string::npos)
        << v->stderr_tail();
}

// --- management RPCs off ------------------------------------------------------

class ManagementDisabledTest : public AgentTest {
protected:
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--enable-policy-management=false"};
        return o;
    }
};

TEST_F(ManagementDisabledTest, PolicyChangesArePermissionDenied) {
    auto stub = agent().stub();
    auto expect_denied = [](const grpc::Status& st, const std::string& method) {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method << ": " << st.error_message();
        EXPECT_NE(st.error_message().find(method + ": tracing policy management over gRPC is disabled"),
                  std::string::npos)
            << st.error_message();
    };
    {
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: kt-denied\n"
                     "spec:\n  kprobes:\n  - call: sys_openat\n");
        tetragon::AddTracingPolicyResponse resp;
        expect_denied(stub->AddTracingPolicy(&ctx, req, &resp), "AddTracingPolicy");
    }
    {
        grpc::ClientContext ctx;
        tetragon::DeleteTracingPolicyRequest req;
        req.set_name("kt-denied");
        tetragon::DeleteTracingPolicyResponse resp;
        expect_denied(stub->DeleteTracingPolicy(&ctx, req, &resp), "DeleteTracingPolicy");
    }
    {
        grpc::ClientContext ctx;
        tetragon::EnableTracingPolicyRequest req;
        tetragon::EnableTracingPolicyResponse resp;
        expect_denied(stub->EnableTracingPolicy(&ctx, req, &resp), "EnableTracingPolicy");
    }
    {
        grpc::ClientContext ctx;
        tetragon::DisableTracingPolicyRequest req;
        tetragon::DisableTracingPolicyResponse resp;
        expect_denied(stub->DisableTracingPolicy(&ctx, req, &resp), "DisableTracingPolicy");
    }
    {
        grpc::ClientContext ctx;
        tetragon::ConfigureTracingPolicyRequest req;
        tetragon::ConfigureTracingPolicyResponse resp;
        expect_denied(stub->ConfigureTracingPolicy(&ctx, req, &resp), "ConfigureTracingPolicy");
    }
    // Reading stays allowed, and nothing was added.
    grpc::ClientContext ctx;
    tetragon::ListTracingPoliciesResponse list;
    ASSERT_TRUE(stub->ListTracingPolicies(&ctx, {}, &list).ok());
    for (const auto& p : list.policies()) EXPECT_NE(p.name(), "kt-denied");
    // Events still flow.
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
    const std::string marker = "mgmt-off-" + random_token();
    ASSERT_TRUE(run_to_exit({trigger_path(), "exit", "0", marker}).ok());
    EXPECT_TRUE(stream->wait_for(exec_with_argument(marker), "exec after denied RPCs").ok());
}

// --- capabilities -------------------------------------------------------------

struct TaskCaps {
    std::string tid;
    std::uint64_t eff = 0, prm = 0, inh = 0, bnd = 0, amb = 0;
};

std::vector<TaskCaps> vigild_task_caps(pid_t pid) {
    std::vector<TaskCaps> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        TaskCaps t;
        t.tid = e.path().filename().string();
        std::istringstream in(slurp(e.path().string() + "/status"));
        std::string line;
        while (std::getline(in, line)) {
            auto hex = [&](const char* key, std::uint64_t& dst) {
                if (line.rfind(key, 0) == 0) dst = std::stoull(line.substr(std::strlen(key)), nullptr, 16);
            };
            hex("CapEff:", t.eff);
            hex("CapPrm:", t.prm);
            hex("CapInh:", t.inh);
            hex("CapBnd:", t.bnd);
            hex("CapAmb:", t.amb);
        }
        out.push_back(t);
    }
    return out;
}

// Empty when every thread holds at most `keep`; else which thread holds what.
std::string excess_caps(pid_t pid, std::uint64_t keep) {
    std::string out;
    for (const auto& t : vigild_task_caps(pid)) {
        const std::uint64_t extra = (t.eff | t.prm | t.bnd) & ~keep;
        if (extra || t.inh || t.amb) {
            out += "thread " + t.tid + ": extra " + hex(extra) + " inheritable " + hex(t.inh) + " ambient " +
                   hex(t.amb) + "; ";
        }
    }
    return out;
}

// The drop follows the gRPC server's start, so GetHealth may answer a moment
// before it is done: wait for it.
std::string wait_caps_dropped(pid_t pid, std::uint64_t keep) {
    const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
        last = excess_caps(pid, keep);
        if (last.empty()) return "";
        std::this_thread::sleep_for(20ms);  // /proc can only be polled
    }
    return last;
}

class CapabilityTest : public AgentTest {
protected:
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--state-dir=", "--tracing-policy-dir="};
        return o;
    }
};

TEST_F(CapabilityTest, EveryThreadKeepsOnlyTheRuntimeSetAndPoliciesStillLoad) {
    const std::uint64_t keep = kRuntimeCaps & known_caps();
    const std::string left = wait_caps_dropped(agent().pid(), keep);
    EXPECT_EQ(left, "") << "capabilities vigild should have dropped";
    EXPECT_GE(vigild_task_caps(agent().pid()).size(), 3u) << "expected vigild's worker threads";
    EXPECT_NE(agent().stderr_text().find("capabilities dropped; kept"), std::string::npos) << agent().stderr_tail();

    // The kept set is enough to load, attach and remove a policy at run time.
    TempDir work{"vigil-kt-caps"};
    const std::string prefix = work / "c-";
    auto stub = agent().stub();
    {
        grpc::ClientContext ctx;
        tetragon::AddTracingPolicyRequest req;
        req.set_yaml("apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: kt-caps\n"
                     "spec:\n  kprobes:\n  - call: sys_openat\n    args:\n    - index: 0\n      type: int\n"
                     "    - index: 1\n      type: string\n    selectors:\n    - matchArgs:\n      - index: 1\n"
                     "        operator: Prefix\n        values: [\"" + prefix + "\"]\n");
        tetragon::AddTracingPolicyResponse resp;
        auto st = stub->AddTracingPolicy(&ctx, req, &resp);
        ASSERT_TRUE(st.ok()) << "AddTracingPolicy after the drop: " << st.error_message();
    }
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
    const std::string path = prefix + "1";
    std::ofstream(path) << "x";
    ASSERT_TRUE(run_to_exit({trigger_path(), "open", path}).ok());
    auto ev = stream->wait_for(
        [&](const tetragon::GetEventsResponse& e) {
            return e.has_process_kprobe() && e.process_kprobe().args_size() == 2 &&
                   e.process_kprobe().args(1).string_arg() == path;
        },
        "openat kprobe event from a policy added after the drop");
    EXPECT_TRUE(ev.ok()) << ev.error();
    grpc::ClientContext ctx;
    tetragon::DeleteTracingPolicyRequest del;
    del.set_name("kt-caps");
    tetragon::DeleteTracingPolicyResponse resp;
    auto st = stub->DeleteTracingPolicy(&ctx, del, &resp);
    EXPECT_TRUE(st.ok()) << "DeleteTracingPolicy after the drop: " << st.error_message();
}

class NoDropTest : public AgentTest {
protected:
    VigildOptions vigild_options() override {
        VigildOptions o;
        o.extra_args = {"--drop-capabilities=false"};
        return o;
    }
};

TEST_F(NoDropTest, DropCanBeTurnedOff) {
    // vigild inherits the test's sets (root, maybe in a container with a
    // smaller bounding set); with the drop off, every thread keeps them.
    std::uint64_t mine = 0;
    std::istringstream in(slurp("/proc/self/status"));
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("CapEff:", 0) == 0) mine = std::stoull(line.substr(7), nullptr, 16);
    }
    ASSERT_NE(mine & ~kRuntimeCaps, 0u) << "the test itself holds nothing beyond the runtime set";
    for (const auto& t : vigild_task_caps(agent().pid())) {
        EXPECT_EQ(t.eff, mine) << "thread " << t.tid << " with --drop-capabilities=false";
    }
}

// --- TLS on TCP ------------------------------------------------------------

// Throw-away PKIs made in memory (tests/fake_apiserver/test_pki.h): the
// server's, and a second one whose client certificate vigild must refuse.
// The files vigild reads are written to a private temporary directory.
class TestPki {
public:
    TestPki() {
        try {
            main_ = fake_k8s::TestPki::generate();
            rogue_ = fake_k8s::TestPki::generate();
        } catch (const std::exception& e) {
            error_ = std::string("generating the test PKI: ") + e.what();
            return;
        }
        std::ofstream(path("server.pem")) << main_.server_cert_pem;
        std::ofstream(path("server.key")) << main_.server_key_pem;
        std::ofstream(path("ca.pem")) << main_.ca_cert_pem;
        std::ofstream(path("client.pem")) << main_.client_cert_pem;
        std::ofstream(path("client.key")) << main_.client_key_pem;
        ok_ = true;
    }
    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }
    std::string path(const std::string& name) const { return dir_ / name; }
    const fake_k8s::TestPki& main() const { return main_; }
    const fake_k8s::TestPki& rogue() const { return rogue_; }

private:
    TempDir dir_{"vigil-kt-pki"};
    fake_k8s::TestPki main_, rogue_;
    bool ok_ = false;
    std::string error_;
};

class TlsTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(pki_.ok()) << pki_.error(); }
    void TearDown() override {
        if (agent_ && agent_->running()) (void)agent_->stop();
        if (agent_ && HasFailure()) std::cerr << "--- vigild stderr tail:\n" << agent_->stderr_tail() << "\n";
    }
    // Starts vigild on 127.0.0.1 with TLS; `client_ca` adds client verification.
    void start(bool client_ca) {
        port_ = free_loopback_port();
        ASSERT_GT(port_, 0);
        VigildOptions o;
        o.extra_args = {"--server-address", target(), "--server-tls-cert-file", pki_.path("server.pem"),
                        "--server-tls-key-file", pki_.path("server.key")};
        if (client_ca) o.extra_args.insert(o.extra_args.end(), {"--server-tls-client-ca-file", pki_.path("ca.pem")});
        VIGIL_ASSERT_OK_AND_ASSIGN(v, Vigild::start(o));
        agent_ = std::move(v);
    }
    std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
    std::shared_ptr<grpc::Channel> channel(std::shared_ptr<grpc::ChannelCredentials> creds) const {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        return grpc::CreateCustomChannel(target(), std::move(creds), args);
    }
    // Trusts the test CA; `client`: "" (no certificate), "client" (signed by
    // the CA vigild trusts) or "rogue-client" (signed by another CA).
    std::shared_ptr<grpc::ChannelCredentials> tls(const std::string& client = "") const {
        grpc::SslCredentialsOptions o;
        o.pem_root_certs = pki_.main().ca_cert_pem;
        if (client == "client") {
            o.pem_private_key = pki_.main().client_key_pem;
            o.pem_cert_chain = pki_.main().client_cert_pem;
        } else if (client == "rogue-client") {
            o.pem_private_key = pki_.rogue().client_key_pem;
            o.pem_cert_chain = pki_.rogue().client_cert_pem;
        }
        return grpc::SslCredentials(o);
    }
    static grpc::Status health(const std::shared_ptr<grpc::Channel>& ch, Millis timeout = 2s) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + timeout);
        tetragon::GetHealthStatusResponse resp;
        return tetragon::FineGuidanceSensors::NewStub(ch)->GetHealth(&ctx, {}, &resp);
    }
    // GetHealth with these credentials until it answers or vigild exits.
    grpc::Status wait_ready(const std::function<std::shared_ptr<grpc::ChannelCredentials>()>& creds) {
        const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
        grpc::Status last;
        while (std::chrono::steady_clock::now() < deadline && agent_->running()) {
            last = health(channel(creds()), 1s);
            if (last.ok()) return last;
            agent_->wait_exit(50ms);  // wakes early if vigild exits
        }
        return last;
    }
    TestPki pki_;
    int port_ = 0;
    std::unique_ptr<Vigild> agent_;
};

TEST_F(TlsTest, ServesTlsAndRefusesPlaintext) {
    start(false);
    auto st = wait_ready([&] { return tls(); });
    ASSERT_TRUE(st.ok()) << "TLS GetHealth: " << st.error_message();
    auto plain = health(channel(grpc::InsecureChannelCredentials()));
    EXPECT_FALSE(plain.ok()) << "a plaintext client was served on a TLS listener";
    // Events flow over TLS too.
    tetragon::GetEventsRequest req;
    req.add_allow_list()->add_binary_regex("vigil_trigger$");
    EventStream stream(channel(tls()), req);
    VIGIL_ASSERT_OK(stream.sync());
}

TEST_F(TlsTest, ClientCertificateIsRequiredAndVerified) {
    start(true);
    auto st = wait_ready([&] { return tls("client"); });
    ASSERT_TRUE(st.ok()) << "GetHealth with a CA-signed client certificate: " << st.error_message();
    auto none = health(channel(tls()));
    EXPECT_FALSE(none.ok()) << "a client without a certificate was served";
    auto rogue = health(channel(tls("rogue-client")));
    EXPECT_FALSE(rogue.ok()) << "a client certificate from another CA was accepted";
    EXPECT_TRUE(health(channel(tls("client"))).ok());
}

// The `vigil` CLI speaks the same TLS: with the CA and a client certificate
// `vigil status` reports the agent; without the certificate it cannot reach it.
TEST_F(TlsTest, CliPresentsItsClientCertificate) {
    start(true);
    ASSERT_TRUE(wait_ready([&] { return tls("client"); }).ok());
    TempDir out{"vigil-kt-cli-tls"};
    const auto cli = [&](std::vector<std::string> extra) -> Result<int> {
        std::vector<std::string> argv = {build_dir() + "/vigil", "status", "--server-address", target(),
                                         "--tls-ca-file", pki_.path("ca.pem")};
        argv.insert(argv.end(), extra.begin(), extra.end());
        SpawnOptions o;
        o.stdout_path = out / "stdout";
        o.stderr_path = out / "stderr";
        return run_to_exit(argv, o);
    };
    VIGIL_ASSERT_OK_AND_ASSIGN(
        ok, cli({"--tls-cert-file", pki_.path("client.pem"), "--tls-key-file", pki_.path("client.key")}));
    EXPECT_EQ(describe_wait_status(ok), "exited 0") << slurp(out / "stderr");
    EXPECT_NE(slurp(out / "stdout").find("Health Status: running"), std::string::npos)
        << slurp(out / "stdout");

    VIGIL_ASSERT_OK_AND_ASSIGN(refused, cli({}));
    EXPECT_EQ(describe_wait_status(refused), "exited 1");
    EXPECT_NE(slurp(out / "stderr").find("cannot reach vigild at " + target()), std::string::npos)
        << slurp(out / "stderr");
}

TEST(TlsConfig, MissingCertificateFileStopsStartUpNamingIt) {
    VigildOptions o;
    o.extra_args = {"--server-address", "127.0.0.1:" + std::to_string(free_loopback_port()),
                    "--server-tls-cert-file", "/nonexistent/vigil.pem", "--server-tls-key-file", "/nonexistent/k.pem"};
    VIGIL_ASSERT_OK_AND_ASSIGN(v, Vigild::start(o));
    auto st = v->wait_exit(kReadyTimeout);
    ASSERT_TRUE(st) << "vigild kept running without its certificate";
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 1) << describe_wait_status(*st);
    EXPECT_NE(v->stderr_text().find("--server-tls-cert-file /nonexistent/vigil.pem: cannot read"), std::string::npos)
        << v->stderr_tail();
}

}  // namespace
}  // namespace vigil::kt
