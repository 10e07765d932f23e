#include "agent_fixture.h"

#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <re2/re2.h>

#include "export/event_access.h"
#include "export/json_codec.h"

namespace vigil::kt {

Millis scaled(Millis base) {
    const char* v = std::getenv("VIGIL_KT_TIME_SCALE");
    long k = v ? std::strtol(v, nullptr, 10) : 1;
    if (k < 1 || k > 20) k = 1;
    return base * k;
}
namespace {

using Clock = std::chrono::steady_clock;

long long remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    return std::max<long long>(left, 0);
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int open_output(const std::string& path) {
    if (path.empty()) return ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

// What the child reports through the CLOEXEC pipe when it cannot exec.
struct SpawnFailure {
    int stage;
    int err;
};
enum SpawnStage { kStageDup = 1, kStageChdir, kStageSetgroups, kStageSetgid, kStageSetuid, kStagePdeath, kStageExec };

const char* stage_name(int stage) {
    switch (stage) {
        case kStageDup: return "dup2";
        case kStageChdir: return "chdir";
        case kStageSetgroups: return "setgroups";
        case kStageSetgid: return "setgid";
        case kStageSetuid: return "setuid";
        case kStagePdeath: return "prctl(PR_SET_PDEATHSIG)";
        case kStageExec: return "execv";
        default: return "?";
    }
}

// Each channel gets its own connections (no global subchannel pool), so a
// new channel never inherits another one's reconnect backoff or connection.
std::shared_ptr<grpc::Channel> make_channel(const std::string& target) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

std::string build_dir() { return VIGIL_BUILD_DIR; }
std::string vigild_path() { return build_dir() + "/vigild"; }
std::string trigger_path() { return build_dir() + "/tests/progs/vigil_trigger"; }

std::string random_token() {
    std::random_device rd;
    std::uniform_int_distribution<unsigned long long> dist;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%012llx", dist(rd) & 0xffffffffffffull);
    return buf;
}

// ---------------------------------------------------------------------------
// TempDir

TempDir::TempDir(std::string_view prefix) {
    std::string tmpl = "/tmp/" + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error(errno_text(("mkdtemp " + tmpl).c_str()));
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

// ---------------------------------------------------------------------------
// Child

Result<Child> Child::spawn(const std::vector<std::string>& argv, const SpawnOptions& opts) {
    if (argv.empty()) return make_error("spawn: empty argv");
    // Everything the child needs is prepared before fork: the test process has
    // gRPC threads, so the child may only make async-signal-safe calls.
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const char* cwd = opts.cwd.empty() ? nullptr : opts.cwd.c_str();

    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = open_output(opts.stdout_path);
    int err = open_output(opts.stderr_path);
    int report[2] = {-1, -1};
    if (in < 0 || out < 0 || err < 0 || ::pipe2(report, O_CLOEXEC) != 0) {
        std::string msg = errno_text(("spawn " + argv[0] + ": opening stdio").c_str());
        for (int fd : {in, out, err, report[0], report[1]})
            if (fd >= 0) ::close(fd);
        return make_error(msg);
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        auto fail = [&](int stage) {
            SpawnFailure f{stage, errno};
            (void)!::write(report[1], &f, sizeof f);
            ::_exit(127);
        };
        if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) fail(kStageDup);
        if (cwd && ::chdir(cwd) != 0) fail(kStageChdir);
        if (opts.uid) {
            if (::setgroups(0, nullptr) != 0) fail(kStageSetgroups);
            if (::setgid(*opts.uid) != 0) fail(kStageSetgid);
            if (::setuid(*opts.uid) != 0) fail(kStageSetuid);
        }
        // After setuid: a credential change clears the parent-death signal.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(kStagePdeath);
        if (::getppid() != parent) ::_exit(127);  // the test died before prctl
        ::execv(args[0], args.data());
        fail(kStageExec);
    }
    const int fork_errno = errno;
    for (int fd : {in, out, err, report[1]}) ::close(fd);
    if (pid < 0) {
        ::close(report[0]);
        return make_error("spawn " + argv[0] + ": fork: " + std::strerror(fork_errno));
    }
    SpawnFailure failure{};
    ssize_t n;
    do {
        n = ::read(report[0], &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    ::close(report[0]);
    if (n > 0) {
        ::waitpid(pid, nullptr, 0);
        return make_error("spawn " + argv[0] + ": " + stage_name(failure.stage) + " failed in the child: " +
                          std::strerror(failure.err));
    }
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        std::string msg = errno_text("pidfd_open");
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return make_error("spawn " + argv[0] + ": " + msg);
    }
    return Child(pid, pidfd);
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::exchange(other.pidfd_, -1)), status_(other.status_) {}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        release();
        pid_ = std::exchange(other.pid_, -1);
        pidfd_ = std::exchange(other.pidfd_, -1);
        status_ = other.status_;
    }
    return *this;
}

Child::~Child() { release(); }

void Child::release() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    if (pidfd_ >= 0) ::close(pidfd_);
    pid_ = -1;
    pidfd_ = -1;
}

std::optional<int> Child::wait(Millis timeout) {
    if (status_ || pid_ <= 0) return status_;
    const auto deadline = Clock::now() + timeout;
    // The pidfd becomes readable when the child exits: no polling of waitpid.
    for (;;) {
        pollfd p{pidfd_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(remaining_ms(deadline)));
        if (r >= 0 || errno != EINTR) break;
    }
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
    return status_;
}

void Child::kill(int sig) {
    if (running()) ::kill(pid_, sig);
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "wait status " + std::to_string(status);
}

Result<int> run_to_exit(const std::vector<std::string>& argv, const SpawnOptions& opts, Millis timeout) {
    auto child = Child::spawn(argv, opts);
    if (!child) return make_error(child.error());
    auto st = child->wait(timeout);
    if (!st) return make_error(argv[0] + " did not exit within " + std::to_string(timeout.count()) + " ms");
    return *st;
}

// ---------------------------------------------------------------------------
// Events

std::string describe(const tetragon::GetEventsResponse& ev) {
    const auto v = exporter::view_of(ev);
    std::ostringstream s;
    s << tetragon::EventType_Name(v.type);
    if (v.process) {
        const auto& p = *v.process;
        s << " pid=" << p.pid().value() << " " << p.binary() << " [" << p.arguments() << "] exec_id=" << p.exec_id()
          << " flags=\"" << p.flags() << "\"";
    }
    if (ev.has_process_exit()) s << " status=" << ev.process_exit().status() << " signal=" << ev.process_exit().signal();
    return s.str();
}

std::string describe_last(const std::vector<tetragon::GetEventsResponse>& events, std::size_t n) {
    std::ostringstream s;
    s << events.size() << " event(s) seen";
    if (events.empty()) return s.str();
    s << ", last " << std::min(n, events.size()) << ":";
    for (std::size_t i = events.size() > n ? events.size() - n : 0; i < events.size(); ++i)
        s << "\n    " << describe(events[i]);
    return s.str();
}

EventPredicate exec_with_argument(std::string marker) {
    return [marker = std::move(marker)](const tetragon::GetEventsResponse& ev) {
        return ev.has_process_exec() && ev.process_exec().process().arguments().find(marker) != std::string::npos;
    };
}

EventPredicate exit_of(std::string exec_id) {
    return [exec_id = std::move(exec_id)](const tetragon::GetEventsResponse& ev) {
        return ev.has_process_exit() && ev.process_exit().process().exec_id() == exec_id;
    };
}

// ---------------------------------------------------------------------------
// EventStream

EventStream::EventStream(const std::shared_ptr<grpc::Channel>& channel, const tetragon::GetEventsRequest& request)
    : stub_(tetragon::FineGuidanceSensors::NewStub(channel)), request_(request) {
    reader_ = std::thread([this] { read_loop(); });
}

EventStream::~EventStream() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    ctx_.TryCancel();
    reader_.join();
}

void EventStream::pause() {
    std::lock_guard lock(mu_);
    paused_ = true;
}

void EventStream::resume() {
    {
        std::lock_guard lock(mu_);
        paused_ = false;
    }
    cv_.notify_all();
}

void EventStream::read_loop() {
    auto reader = stub_->GetEvents(&ctx_, request_);
    tetragon::GetEventsResponse ev;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return !paused_ || stopping_; });
        }
        if (!reader->Read(&ev)) break;
        const auto v = exporter::view_of(ev);
        const bool is_sync = v.process && v.process->arguments().find(kSyncArgPrefix) != std::string::npos;
        std::lock_guard lock(mu_);
        if (is_sync) {
            if (ev.has_process_exec()) sync_arguments_.push_back(v.process->arguments());
        } else {
            events_.push_back(ev);
        }
        cv_.notify_all();
    }
    grpc::Status status = reader->Finish();
    std::lock_guard lock(mu_);
    done_ = true;
    status_ = status;
    cv_.notify_all();
}

std::vector<tetragon::GetEventsResponse> EventStream::events() const {
    std::lock_guard lock(mu_);
    return events_;
}

Result<tetragon::GetEventsResponse> EventStream::wait_for(const EventPredicate& pred, std::string_view what,
                                                           Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock lock(mu_);
    std::size_t checked = 0;
    for (;;) {
        for (; checked < events_.size(); ++checked)
            if (pred(events_[checked])) return events_[checked];
        if (done_) {
            return make_error("GetEvents stream ended (" + std::to_string(status_.error_code()) + ": " +
                              status_.error_message() + ") before " + std::string(what) + "; " +
                              describe_last(events_));
        }
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && checked == events_.size() && !done_) {
            return make_error("timed out after " + std::to_string(timeout.count()) + " ms waiting for " +
                              std::string(what) + " on GetEvents; " + describe_last(events_));
        }
    }
}

Status EventStream::sync(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    int runs = 0;
    while (Clock::now() < deadline) {
        const std::string token = std::string(kSyncArgPrefix) + random_token();
        auto st = run_to_exit({trigger_path(), "exit", "0", token});
        if (!st) return make_error("GetEvents sync: " + st.error());
        ++runs;
        // Give each run 250 ms to show up, then try again: a run made
        // before the server registered the subscription is never delivered.
        const auto run_deadline = std::min(deadline, Clock::now() + 250ms);
        std::unique_lock lock(mu_);
        const bool seen = cv_.wait_until(lock, run_deadline, [&] {
            return done_ || std::any_of(sync_arguments_.begin(), sync_arguments_.end(),
                                        [&](const std::string& a) { return a.find(token) != std::string::npos; });
        });
        if (done_) {
            return make_error("GetEvents stream ended (" + std::to_string(status_.error_code()) + ": " +
                              status_.error_message() + ") while waiting for it to become live");
        }
        if (seen) return {};
    }
    return make_error("GetEvents subscription not live after " + std::to_string(timeout.count()) + " ms: none of " +
                      std::to_string(runs) + " sync runs of vigil_trigger (argument " + std::string(kSyncArgPrefix) +
                      "...) was streamed");
}

// ---------------------------------------------------------------------------
// ExportFile

void ExportFile::poll() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;  // not created yet
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::uint64_t>(in.tellg());
    if (size < offset_) {  // rotated or truncated: start over on the new file
        offset_ = 0;
        line_no_ = 0;
    }
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk(size - offset_, '\0');
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<std::size_t>(in.gcount()));
    // Only complete lines: the exporter may be half way through writing one.
    const auto last_nl = chunk.rfind('\n');
    if (last_nl == std::string::npos) return;
    std::string_view rest(chunk.data(), last_nl + 1);
    offset_ += rest.size();
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl + 1);
        ++line_no_;
        if (line.empty()) continue;
        auto ev = exporter::parse_json_line(line);
        if (ev) {
            events_.push_back(std::move(ev).value());
        } else {
            errors_.push_back(path_ + ":" + std::to_string(line_no_) + ": " + ev.error() + " in: " +
                              std::string(line.substr(0, 200)));
        }
    }
}

Result<tetragon::GetEventsResponse> ExportFile::wait_for(const EventPredicate& pred, std::string_view what,
                                                          Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t checked = 0;
    for (;;) {
        poll();
        for (; checked < events_.size(); ++checked)
            if (pred(events_[checked])) return events_[checked];
        if (Clock::now() >= deadline) break;
        // The exporter flushes per batch; re-reading every 20 ms is the wait.
        std::this_thread::sleep_for(20ms);
    }
    std::string msg = "timed out after " + std::to_string(timeout.count()) + " ms waiting for " + std::string(what) +
                      " in " + path_ + "; " + describe_last(events_);
    if (!errors_.empty()) msg += "\n  unparsable lines: " + std::to_string(errors_.size()) + ", first: " + errors_[0];
    return make_error(msg);
}

// ---------------------------------------------------------------------------
// Vigild

Result<std::unique_ptr<Vigild>> Vigild::start(const VigildOptions& opts) {
    auto dir = std::make_unique<TempDir>("vigil-kt");
    // An unprivileged vigild must be able to reach its files, so that lack of
    // privilege is the only thing it can complain about.
    if (opts.uid && ::chmod(dir->path().c_str(), 0777) != 0) return make_error(errno_text("chmod work dir"));
    std::unique_ptr<Vigild> v(new Vigild(std::move(dir), opts));
    if (opts.run_dir.empty() && ::mkdir(v->run_dir_.c_str(), opts.uid ? 0777 : 0755) != 0)
        return make_error(errno_text(("mkdir " + v->run_dir_).c_str()));
    if (opts.run_dir.empty() && opts.uid && ::chmod(v->run_dir_.c_str(), 0777) != 0)  // umask-proof
        return make_error(errno_text(("chmod " + v->run_dir_).c_str()));

    std::vector<std::string> argv = {vigild_path(),
                                     "--server-address", v->target_,
                                     "--run-dir", v->run_dir_,
                                     "--export-filename", v->export_path_,
                                     "--log-level", opts.log_level,
                                     "--print-events", "none"};
    if (!v->node_name_.empty()) {
        argv.push_back("--node-name");
        argv.push_back(v->node_name_);
    }
    // Policies added over gRPC persist under --state-dir: each agent gets its
    // own, so no test leaves policies for the next (or for the machine's /var/lib/vigil).
    bool has_state_dir = false;
    for (const auto& a : opts.extra_args) has_state_dir |= a.rfind("--state-dir", 0) == 0;
    if (!has_state_dir) argv.push_back("--state-dir=" + v->work_dir() + "/state");
    argv.insert(argv.end(), opts.extra_args.begin(), opts.extra_args.end());

    SpawnOptions so;
    so.stdout_path = v->work_dir() + "/vigild.stdout";
    so.stderr_path = v->stderr_path_;
    so.uid = opts.uid;
    auto child = Child::spawn(argv, so);
    if (!child) return make_error(child.error());
    v->child_ = std::move(child).value();
    return v;
}

Vigild::Vigild(std::unique_ptr<TempDir> dir, const VigildOptions& opts)
    : dir_(std::move(dir)),
      target_("unix://" + dir_->path() + "/vigil.sock"),
      run_dir_(opts.run_dir.empty() ? dir_->path() + "/run" : opts.run_dir),
      export_path_(dir_->path() + "/events.json"),
      stderr_path_(dir_->path() + "/vigild.stderr"),
      node_name_(opts.node_name),
      export_(export_path_) {
    channel_ = make_channel(target_);
}

Vigild::~Vigild() = default;  // child_ SIGKILLs and reaps a running vigild

std::unique_ptr<tetragon::FineGuidanceSensors::Stub> Vigild::stub() const {
    return tetragon::FineGuidanceSensors::NewStub(channel_);
}

Status Vigild::wait_ready(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    std::string last = "no attempt";
    for (;;) {
        if (auto st = child_.wait(0ms)) {
            return make_error("vigild " + describe_wait_status(*st) + " before GetHealth answered (last: " + last +
                              ")");
        }
        // A fresh channel per attempt: a channel that failed to connect (the
        // socket did not exist yet) backs off for seconds before retrying.
        auto s = tetragon::FineGuidanceSensors::NewStub(make_channel(target_));
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + 1s);
        tetragon::GetHealthStatusRequest req;
        tetragon::GetHealthStatusResponse resp;
        grpc::Status status = s->GetHealth(&ctx, req, &resp);
        if (status.ok()) return {};
        last = "GetHealth: " + std::to_string(status.error_code()) + " " + status.error_message();
        if (Clock::now() >= deadline) {
            return make_error("vigild not ready: GetHealth on " + target_ + " did not answer within " +
                              std::to_string(timeout.count()) + " ms (last: " + last + ")");
        }
        child_.wait(50ms);  // wakes early if vigild exits
    }
}

Result<int> Vigild::stop(Millis timeout) {
    if (auto st = child_.wait(0ms)) return *st;
    // Close our idle connection first: with a client connected, vigild's
    // shutdown takes its whole gRPC grace period (2 s) instead of ~0.1 s.
    channel_ = make_channel(target_);
    child_.kill(SIGTERM);
    if (auto st = child_.wait(timeout)) return *st;
    child_.kill(SIGKILL);
    child_.wait(5s);
    return make_error("vigild did not exit within " + std::to_string(timeout.count()) +
                      " ms of SIGTERM (SIGKILLed)");
}

std::string Vigild::stderr_text() const { return read_file(stderr_path_); }

std::string Vigild::stderr_tail(std::size_t max_bytes) const {
    std::string text = stderr_text();
    if (text.size() > max_bytes) text = "...\n" + text.substr(text.size() - max_bytes);
    return text.empty() ? "(empty)" : text;
}

Result<std::unique_ptr<EventStream>> Vigild::subscribe(tetragon::GetEventsRequest request, bool sync) {
    if (sync && request.allow_list_size() > 0) {
        auto* f = request.add_allow_list();
        f->add_binary_regex("^" + re2::RE2::QuoteMeta(trigger_path()) + "$");
        f->add_arguments_regex(re2::RE2::QuoteMeta(std::string(kSyncArgPrefix)));
    }
    auto stream = std::make_unique<EventStream>(channel_, request);
    if (sync) {
        if (auto st = stream->sync(); !st) return make_error(st.error());
    }
    return stream;
}

Result<std::unique_ptr<EventStream>> Vigild::subscribe_binaries(const std::vector<std::string>& regexes) {
    tetragon::GetEventsRequest req;
    auto* f = req.add_allow_list();
    for (const auto& r : regexes) f->add_binary_regex(r);
    return subscribe(req);
}

// ---------------------------------------------------------------------------
// AgentTest

void AgentTest::SetUp() {
    auto started = Vigild::start(vigild_options());
    ASSERT_TRUE(started.ok()) << started.error();
    agent_ = std::move(started).value();
    auto ready = agent_->wait_ready();
    ASSERT_TRUE(ready.ok()) << ready.error();
}

void AgentTest::TearDown() {
    if (agent_ && agent_->running()) stop_agent();
    if (agent_ && HasFailure()) {
        std::cerr << "--- vigild (work dir " << agent_->work_dir() << ") stderr tail:\n"
                  << agent_->stderr_tail() << "\n--- end of vigild stderr\n";
    }
}

void AgentTest::stop_agent() {
    auto st = agent_->stop();
    ASSERT_TRUE(st.ok()) << st.error();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
        << "vigild " << describe_wait_status(*st) << " after SIGTERM, expected exit status 0";
}

Result<std::unique_ptr<LoopbackListener>> LoopbackListener::open() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(errno_text("socket"));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sin);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0 || ::listen(fd, 4) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) != 0) {
        auto err = make_error(errno_text("listen on 127.0.0.1"));
        ::close(fd);
        return err;
    }
    return std::unique_ptr<LoopbackListener>(new LoopbackListener(fd, ntohs(sin.sin_port)));
}

void LoopbackListener::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace vigil::kt
