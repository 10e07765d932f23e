// Test fixture for kernel tests: runs the real vigild as a child of the test,
// talks to it over its gRPC unix socket and reads its JSON export file.
//
// Every wait is on a condition with a deadline (an event arriving, a process
// ending, a line appearing in the file), never a fixed sleep. Failures carry a
// message that names what was awaited and what was seen instead; AgentTest
// prints vigild's stderr tail when a test fails.
//
// Reused by later suites (policies, enforcement): derive from AgentTest and
// override vigild_options() to pass extra flags.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "common/result.h"
#include "tetragon/events.pb.h"
#include "tetragon/sensors.grpc.pb.h"

namespace vigil::kt {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

// Generous defaults: the machine is shared, and a failing wait costs only time.
// Under qemu TCG (tests/vm) everything is several times slower: the guest
// sets VIGIL_KT_TIME_SCALE (a whole number) and every deadline stretches.
Millis scaled(Millis base);
inline const Millis kReadyTimeout = scaled(20s);
inline const Millis kEventTimeout = scaled(10s);
inline const Millis kStopTimeout = scaled(15s);

std::string build_dir();
std::string vigild_path();
std::string trigger_path();  // tests/progs/vigil_trigger in the build tree

// 12 hex digits from std::random_device: markers that no other process uses.
std::string random_token();

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
public:
    explicit TempDir(std::string_view prefix = "vigil-kt");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    std::string path_;
};

struct SpawnOptions {
    std::string cwd;          // empty: inherit
    std::optional<uid_t> uid;  // drop to this uid (and gid, no supplementary groups) before exec
    std::string stdout_path;  // empty: /dev/null
    std::string stderr_path;  // empty: /dev/null
};

// A child process of the test (fork + execv). The destructor SIGKILLs and
// reaps it if it is still running, so no test leaves processes behind.
// The child also gets SIGKILL if the test process dies (PR_SET_PDEATHSIG).
class Child {
public:
    // Fails if fork fails or execv fails in the child (the error says which).
    static Result<Child> spawn(const std::vector<std::string>& argv, const SpawnOptions& opts = {});

    Child() = default;  // no process

    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    ~Child();

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0 && !status_; }
    // Waits for the child to end; its wait status, or nullopt if `timeout` passed first.
    std::optional<int> wait(Millis timeout);
    void kill(int sig);

private:
    Child(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
    void release();

    pid_t pid_ = -1;
    int pidfd_ = -1;
    std::optional<int> status_;
};

// "exited 7", "killed by signal 9": for messages.
std::string describe_wait_status(int status);

// Runs argv to completion; its wait status, or an error naming the program.
Result<int> run_to_exit(const std::vector<std::string>& argv, const SpawnOptions& opts = {},
                        Millis timeout = kEventTimeout);

// A TCP listener on 127.0.0.1 with a port the kernel picks; closed on
// destruction (or by close()), so connect tests never reach beyond loopback.
class LoopbackListener {
public:
    static Result<std::unique_ptr<LoopbackListener>> open();
    ~LoopbackListener() { close(); }
    LoopbackListener(const LoopbackListener&) = delete;
    LoopbackListener& operator=(const LoopbackListener&) = delete;
    std::uint16_t port() const { return port_; }
    void close();

private:
    LoopbackListener(int fd, std::uint16_t port) : fd_(fd), port_(port) {}
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------
// Events

using EventPredicate = std::function<bool(const tetragon::GetEventsResponse&)>;

// One line per event: type, pid, binary, arguments, exec_id. For messages.
std::string describe(const tetragon::GetEventsResponse& ev);
std::string describe_last(const std::vector<tetragon::GetEventsResponse>& events, std::size_t n = 10);

// Predicates over exec/exit events.
EventPredicate exec_with_argument(std::string marker);  // process.arguments contains marker
EventPredicate exit_of(std::string exec_id);             // process_exit with this process.exec_id

// A GetEvents subscription; a thread reads the stream into a buffer.
class EventStream {
public:
    EventStream(const std::shared_ptr<grpc::Channel>& channel, const tetragon::GetEventsRequest& request);
    ~EventStream();  // cancels the call and joins the reader
    EventStream(const EventStream&) = delete;
    EventStream& operator=(const EventStream&) = delete;

    // The first event (in arrival order) matching `pred`. The error names `what`,
    // says whether the stream ended (and why) and lists the last events seen.
    Result<tetragon::GetEventsResponse> wait_for(const EventPredicate& pred, std::string_view what,
                                                 Millis timeout = kEventTimeout);
    std::vector<tetragon::GetEventsResponse> events() const;

    // Barrier: runs `vigil_trigger exit 0 --vigil-sync-<token>` until the stream
    // shows its exec, proving the server has registered this subscription (it
    // does so some time after the call arrives, and nothing else shows when).
    // The request's allow list must let that exec through; Vigild::subscribe
    // arranges it. Sync events are kept out of events() and wait_for().
    Status sync(Millis timeout = kEventTimeout);

    // A stalled client: after pause() the reader stops calling Read once the
    // Read in progress returns (at most one more message is taken), so gRPC's
    // flow control and then vigild's queue for this stream fill up.
    // resume() reads on.
    void pause();
    void resume();

private:
    void read_loop();

    std::unique_ptr<tetragon::FineGuidanceSensors::Stub> stub_;
    grpc::ClientContext ctx_;
    tetragon::GetEventsRequest request_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<tetragon::GetEventsResponse> events_;
    std::vector<std::string> sync_arguments_;  // process.arguments of sync execs seen
    bool done_ = false;
    bool paused_ = false;
    bool stopping_ = false;  // the destructor wakes a paused reader
    grpc::Status status_;
    std::thread reader_;
};

inline constexpr std::string_view kSyncArgPrefix = "--vigil-sync-";

// The JSON export file, read incrementally (only complete lines).
class ExportFile {
public:
    explicit ExportFile(std::string path) : path_(std::move(path)) {}
    // Reads lines appended since the last call. Lines that do not parse are
    // recorded in errors() (path:line: message) and skipped.
    void poll();
    const std::vector<tetragon::GetEventsResponse>& events() const { return events_; }
    const std::vector<std::string>& errors() const { return errors_; }
    Result<tetragon::GetEventsResponse> wait_for(const EventPredicate& pred, std::string_view what,
                                                 Millis timeout = kEventTimeout);

private:
    std::string path_;
    std::uint64_t offset_ = 0;
    std::size_t line_no_ = 0;
    std::vector<tetragon::GetEventsResponse> events_;
    std::vector<std::string> errors_;
};

// ---------------------------------------------------------------------------
// vigild

struct VigildOptions {
    std::vector<std::string> extra_args;
    std::string run_dir;        // empty: <work dir>/run
    std::string node_name = "vigil-kernel-test";  // empty: no --node-name
    std::string log_level = "info";
    std::optional<uid_t> uid;   // run as this uid (start-up error tests)
};

// One vigild process in its own work dir: socket, run dir, export file,
// stdout and stderr files.
class Vigild {
public:
    // Spawns vigild; does not wait for readiness.
    static Result<std::unique_ptr<Vigild>> start(const VigildOptions& opts = {});
    ~Vigild();  // SIGKILLs a still running vigild; call stop() to check a clean exit

    // Polls GetHealth until it answers. Fails early if vigild exits.
    Status wait_ready(Millis timeout = kReadyTimeout);
    // SIGTERM, then waits; the wait status. Error if it did not exit in time
    // (it is then SIGKILLed).
    Result<int> stop(Millis timeout = kStopTimeout);
    // Waits for vigild to exit on its own (start-up errors).
    std::optional<int> wait_exit(Millis timeout) { return child_.wait(timeout); }

    pid_t pid() const { return child_.pid(); }
    bool running() const { return child_.running(); }
    const std::string& work_dir() const { return dir_->path(); }
    const std::string& socket_target() const { return target_; }
    const std::string& export_path() const { return export_path_; }
    const std::string& run_dir() const { return run_dir_; }
    const std::string& node_name() const { return node_name_; }
    std::string stderr_text() const;
    std::string stderr_tail(std::size_t max_bytes = 8192) const;

    std::shared_ptr<grpc::Channel> channel() const { return channel_; }
    std::unique_ptr<tetragon::FineGuidanceSensors::Stub> stub() const;

    // Opens a GetEvents stream and, if `sync`, waits until it is live (see
    // EventStream::sync). With a non-empty allow list, a filter admitting the
    // sync execs is appended to it (allow filters are ORed).
    Result<std::unique_ptr<EventStream>> subscribe(tetragon::GetEventsRequest request, bool sync = true);
    // Convenience: allow_list = [{binary_regex: regexes}].
    Result<std::unique_ptr<EventStream>> subscribe_binaries(const std::vector<std::string>& regexes);

    ExportFile& export_file() { return export_; }

private:
    Vigild(std::unique_ptr<TempDir> dir, const VigildOptions& opts);

    std::unique_ptr<TempDir> dir_;
    std::string target_;
    std::string run_dir_;
    std::string export_path_;
    std::string stderr_path_;
    std::string node_name_;
    Child child_;
    std::shared_ptr<grpc::Channel> channel_;
    ExportFile export_;
};

// Base for kernel test suites: a running, ready vigild per test; TearDown
// stops it and expects a clean exit (status 0). On failure it prints the tail
// of vigild's stderr.
class AgentTest : public ::testing::Test {
protected:
    virtual VigildOptions vigild_options() { return {}; }
    void SetUp() override;
    void TearDown() override;

    // Stops vigild now (tests of shutdown), expecting exit status 0.
    void stop_agent();

    Vigild& agent() { return *agent_; }

    std::unique_ptr<Vigild> agent_;
};

// gtest helpers: ASSERT on a Result and take its value.
#define VIGIL_ASSERT_OK_AND_ASSIGN(lhs, expr)                  \
    auto lhs##_result = (expr);                                \
    ASSERT_TRUE(lhs##_result.ok()) << lhs##_result.error();    \
    auto lhs = std::move(lhs##_result).value()

#define VIGIL_ASSERT_OK(expr)                           \
    do {                                                \
        auto vigil_status_ = (expr);                    \
        ASSERT_TRUE(vigil_status_.ok()) << vigil_status_.error(); \
    } while (0)

}  // namespace vigil::kt
