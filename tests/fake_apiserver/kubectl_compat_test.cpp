// Cross-checks the fake API server against a real client: kubectl lists and
// watches pods through it (discovery, list, chunked watch stream, TLS with a
// client certificate). Skipped when no kubectl is found ($VIGIL_KUBECTL or
// PATH). This is what makes the fake's protocol trustworthy for the
// PodCache tests.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fake_apiserver/fake_apiserver.h"

namespace vigil::fake_k8s {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

std::string find_kubectl() {
    if (const char* env = std::getenv("VIGIL_KUBECTL"); env != nullptr && *env != '\0') return env;
    const char* path = std::getenv("PATH");
    std::string p = path != nullptr ? path : "";
    std::size_t pos = 0;
    while (pos <= p.size()) {
        auto colon = p.find(':', pos);
        std::string dir = p.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
        if (!dir.empty() && ::access((dir + "/kubectl").c_str(), X_OK) == 0) return dir + "/kubectl";
        if (colon == std::string::npos) break;
        pos = colon + 1;
    }
    return "";
}

// A child process with its stdout and stderr in pipes, read line by line
// with a deadline (poll, no sleeps).
class Child {
public:
    explicit Child(const std::vector<std::string>& argv) {
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out[1], 1);
            ::dup2(err[1], 2);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(err[1]);
        out_ = out[0];
        err_ = err[0];
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) ::close(out_);
        if (err_ >= 0) ::close(err_);
    }

    // Reads stdout until a line containing `needle` (true) or the deadline / EOF (false).
    bool wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            for (auto nl = out_buf_.find('\n'); nl != std::string::npos; nl = out_buf_.find('\n')) {
                std::string line = out_buf_.substr(0, nl);
                out_buf_.erase(0, nl + 1);
                lines_.push_back(line);
                if (line.find(needle) != std::string::npos) return true;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !pump(left)) return false;
        }
    }

    // Reads everything until both pipes close; returns the exit status.
    int finish(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out_ >= 0 || err_ >= 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !pump(left)) break;
        }
        int status = 0;
        if (out_ >= 0 || err_ >= 0) ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    const std::string& out() const { return out_buf_; }
    const std::string& err() const { return err_buf_; }
    std::string seen() const {
        std::string s;
        for (const auto& l : lines_) s += l + "\n";
        return s + out_buf_;
    }

private:
    // One poll round; false when nothing is left to read or time ran out.
    bool pump(std::chrono::milliseconds timeout) {
        pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
        if (out_ < 0 && err_ < 0) return false;
        int n = ::poll(fds, 2, static_cast<int>(timeout.count()));
        if (n <= 0) return false;
        for (int i = 0; i < 2; ++i) {
            int& fd = i == 0 ? out_ : err_;
            if (fd < 0 || fds[i].revents == 0) continue;
            char buf[4096];
            ssize_t r = ::read(fd, buf, sizeof buf);
            if (r <= 0) {
                ::close(fd);
                fd = -1;
            } else {
                (i == 0 ? out_buf_ : err_buf_).append(buf, static_cast<std::size_t>(r));
            }
        }
        return true;
    }

    pid_t pid_ = -1;
    int out_ = -1;
    int err_ = -1;
    std::string out_buf_, err_buf_;
    std::vector<std::string> lines_;
};

class KubectlCompatTest : public ::testing::Test {
protected:
    void SetUp() override {
        kubectl_ = find_kubectl();
        if (kubectl_.empty()) GTEST_SKIP() << "kubectl not found (set VIGIL_KUBECTL or PATH)";
        std::string tmpl = (fs::temp_directory_path() / "vigil-kubectl-XXXXXX").string();
        dir_ = mkdtemp(tmpl.data());
        PodSpec a;
        a.ns = "shop";
        a.name = "web-1";
        a.uid = "uid-web-1";
        a.containers = {{"nginx", "containerd://" + std::string(64, 'a')}};
        cluster_.apply("pods", make_pod(a));
        PodSpec b;
        b.name = "other";
        b.node = "node-2";
        b.containers = {{"main", "containerd://" + std::string(64, 'b')}};
        cluster_.apply("pods", make_pod(b));
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    void start(FakeServerOptions options, bool client_cert) {
        server_ = std::make_unique<FakeApiServer>(cluster_, options);
        server_->start();
        kubeconfig_ = dir_ + "/kubeconfig";
        std::ofstream(kubeconfig_) << server_->kubeconfig_yaml(client_cert);
    }

    std::vector<std::string> args(std::vector<std::string> extra) {
        // A cache dir of our own: kubectl caches discovery per server.
        std::vector<std::string> a = {kubectl_, "--kubeconfig", kubeconfig_, "--cache-dir", dir_ + "/cache",
                                      "--request-timeout", "20s"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }

    std::string kubectl_;
    std::string dir_;
    std::string kubeconfig_;
    FakeCluster cluster_;
    std::unique_ptr<FakeApiServer> server_;
};

TEST_F(KubectlCompatTest, ListsPodsAsJsonOverHttpsWithToken) {
    TestPki pki = TestPki::generate();
    FakeServerOptions options;
    options.pki = &pki;
    options.token = "kubectl-token";
    start(options, false);
    Child c(args({"get", "pods", "--all-namespaces", "--field-selector", "spec.nodeName=node-1", "-o", "json"}));
    int rc = c.finish(60s);
    ASSERT_EQ(rc, 0) << c.err();
    auto list = json::parse(c.out(), nullptr, false);
    ASSERT_FALSE(list.is_discarded()) << c.out();
    ASSERT_EQ(list["items"].size(), 1u) << c.out();
    EXPECT_EQ(list["items"][0]["metadata"]["name"], "web-1");
    EXPECT_EQ(list["items"][0]["status"]["containerStatuses"][0]["containerID"],
              "containerd://" + std::string(64, 'a'));
    for (const auto& r : server_->requests()) EXPECT_EQ(r.authorization, "Bearer kubectl-token") << r.target;
}

TEST_F(KubectlCompatTest, PlainHttpCarriesNoToken) {
    // What PodCache copies: kubectl sends no bearer token to an http:// server.
    FakeServerOptions options;
    start(options, false);
    std::ofstream(kubeconfig_) << "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
                                  "clusters:\n- name: fake\n  cluster:\n    server: " + server_->url() + "\n"
                                  "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n"
                                  "users:\n- name: fake\n  user:\n    token: not-for-http\n";
    Child c(args({"get", "pods", "--all-namespaces", "-o", "name"}));
    ASSERT_EQ(c.finish(60s), 0) << c.err();
    EXPECT_NE(c.out().find("pod/web-1"), std::string::npos) << c.out();
    ASSERT_GT(server_->requests().size(), 0u);
    for (const auto& r : server_->requests()) EXPECT_EQ(r.authorization, "") << r.target;
}

TEST_F(KubectlCompatTest, WatchesPodsOverTlsWithClientCertificate) {
    TestPki pki = TestPki::generate();
    FakeServerOptions options;
    options.pki = &pki;
    options.require_client_cert = true;
    start(options, true);
    Child c(args({"get", "pods", "--namespace", "shop", "--watch", "--output-watch-events", "-o",
                  "custom-columns=EVENT:.type,NAME:.object.metadata.name,APP:.object.metadata.labels.app"}));
    ASSERT_TRUE(c.wait_for_line("web-1", 60s)) << c.seen() << c.err();
    ASSERT_TRUE(cluster_.wait_for_open_watches(1, 30s)) << c.err();

    PodSpec n;
    n.ns = "shop";
    n.name = "web-2";
    n.labels = {{"app", "store"}};
    cluster_.apply("pods", make_pod(n));
    ASSERT_TRUE(c.wait_for_line("web-2", 30s)) << c.seen() << c.err();

    n.labels = {{"app", "relabelled"}};
    cluster_.apply("pods", make_pod(n));
    ASSERT_TRUE(c.wait_for_line("relabelled", 30s)) << c.seen() << c.err();

    cluster_.remove("pods", "shop", "web-2");
    ASSERT_TRUE(c.wait_for_line("DELETED", 30s)) << c.seen() << c.err();

    // kubectl kept one watch open and watched from the list's resourceVersion.
    bool watched_from_rv = false;
    for (const auto& r : server_->requests()) {
        if (r.kind == RequestKind::kWatch && r.target.find("resourceVersion=") != std::string::npos) {
            watched_from_rv = true;
        }
    }
    EXPECT_TRUE(watched_from_rv);
}

}  // namespace
}  // namespace vigil::fake_k8s
