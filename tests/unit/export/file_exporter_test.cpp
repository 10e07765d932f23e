#include "export/file_exporter.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "export/json_codec.h"
#include "test_events.h"

namespace vigil::exporter {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "vigil-export-XXXXXX").string();
        const char* dir = ::mkdtemp(tmpl.data());
        EXPECT_NE(dir, nullptr) << "mkdtemp failed";
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::vector<std::string> read_lines(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
}

std::unique_ptr<FileExporter> open_exporter(FileExporterOptions opts) {
    auto fe = FileExporter::open(std::move(opts));
    EXPECT_TRUE(fe.ok()) << fe.error();
    return fe.ok() ? std::move(fe.value()) : nullptr;
}

tetragon::GetEventsResponse event(std::uint32_t pid) {
    return testing::exec_event(testing::make_process("/bin/x", "", pid));
}

// A fixed-size JSON line: {"n":"<digits>"} padded to `size` bytes plus '\n'.
std::string line_of_size(int n, std::size_t size) {
    std::string s = "{\"n\":\"" + std::to_string(n);
    while (s.size() + 2 < size) s += ' ';
    return s + "\"}";
}

// Captures what the exporter logs through spdlog's default logger.
class CountingSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> messages;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        messages.emplace_back(msg.payload.data(), msg.payload.size());
    }
    void flush_() override {}
};

class LogCapture {
public:
    LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<CountingSink>()) {
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink_));
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    const std::vector<std::string>& messages() const { return sink_->messages; }

private:
    std::shared_ptr<spdlog::logger> previous_;
    std::shared_ptr<CountingSink> sink_;
};

TEST(FileExporter, WritesOneJsonLinePerEventAndCreatesParents) {
    TempDir tmp;
    const fs::path path = tmp.path() / "a" / "b" / "events.log";
    auto fe = open_exporter({.path = path.string()});
    ASSERT_NE(fe, nullptr);
    EXPECT_TRUE(fs::is_regular_file(path));
    for (std::uint32_t pid = 1; pid <= 3; ++pid) ASSERT_TRUE(fe->write(event(pid)).ok());
    EXPECT_TRUE(fe->write_line("{\"node_name\":\"already-encoded\"}\n").ok());
    EXPECT_TRUE(fe->write_line("{\"node_name\":\"no-newline\"}").ok());
    fe->flush();
    EXPECT_EQ(fe->written(), 5u);
    EXPECT_EQ(fe->errors(), 0u);

    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 5u);
    for (std::uint32_t pid = 1; pid <= 3; ++pid) {
        auto ev = parse_json_line(lines[pid - 1]);
        ASSERT_TRUE(ev.ok()) << ev.error();
        EXPECT_EQ(ev->process_exec().process().pid().value(), pid);
    }
    EXPECT_EQ(lines[3], "{\"node_name\":\"already-encoded\"}");
    EXPECT_EQ(lines[4], "{\"node_name\":\"no-newline\"}");
}

TEST(FileExporter, LinesReachTheDiskOnFlush) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    auto fe = open_exporter({.path = path.string()});
    ASSERT_NE(fe, nullptr);
    ASSERT_TRUE(fe->write(event(1)).ok());
    EXPECT_EQ(fs::file_size(path), 0u) << "buffered until flush";
    EXPECT_EQ(fe->written(), 0u);
    fe->flush();
    EXPECT_GT(fs::file_size(path), 0u);
    EXPECT_EQ(fe->written(), 1u);
}

TEST(FileExporter, DestructorFlushes) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    {
        auto fe = open_exporter({.path = path.string()});
        ASSERT_NE(fe, nullptr);
        ASSERT_TRUE(fe->write(event(1)).ok());
    }
    EXPECT_EQ(read_lines(path).size(), 1u);
}

TEST(FileExporter, AppendsToAnExistingFile) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    std::ofstream(path) << "{\"old\":1}\n";
    auto fe = open_exporter({.path = path.string()});
    ASSERT_NE(fe, nullptr);
    ASSERT_TRUE(fe->write_line("{\"new\":2}").ok());
    fe->flush();
    EXPECT_EQ(read_lines(path), (std::vector<std::string>{"{\"old\":1}", "{\"new\":2}"}));
}

TEST(FileExporter, ModeIsTheConfiguredPermWhateverTheUmask) {
    TempDir tmp;
    const mode_t old_umask = ::umask(0077);
    {
        auto fe = open_exporter({.path = (tmp.path() / "default.log").string()});
        ASSERT_NE(fe, nullptr);
        EXPECT_EQ(mode_of(tmp.path() / "default.log"), 0600u);

        auto wide = open_exporter({.path = (tmp.path() / "wide.log").string(), .perm = 0644});
        ASSERT_NE(wide, nullptr);
        EXPECT_EQ(mode_of(tmp.path() / "wide.log"), 0644u) << "umask 077 must not narrow it";
    }
    ::umask(old_umask);

    // An existing file gets the configured mode too, as do rotated-in files.
    const fs::path existing = tmp.path() / "existing.log";
    std::ofstream(existing) << "";
    fs::permissions(existing, fs::perms(0666));
    auto fe = open_exporter({.path = existing.string(), .max_size_bytes = 10, .perm = 0640});
    ASSERT_NE(fe, nullptr);
    EXPECT_EQ(mode_of(existing), 0640u);
    ASSERT_TRUE(fe->write_line(line_of_size(1, 8)).ok());
    ASSERT_TRUE(fe->write_line(line_of_size(2, 8)).ok());  // rotates
    fe->flush();
    EXPECT_EQ(fe->rotations(), 1u);
    EXPECT_EQ(mode_of(existing), 0640u);
}

TEST(FileExporter, RotatesBySizeKeepingMaxBackups) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    // Lines of 100 bytes (with '\n'); 3 fit in 300 bytes.
    auto fe = open_exporter({.path = path.string(), .max_size_bytes = 300, .max_backups = 2});
    ASSERT_NE(fe, nullptr);
    for (int n = 1; n <= 10; ++n) ASSERT_TRUE(fe->write_line(line_of_size(n, 99)).ok()) << n;
    fe->flush();

    // 1-3 | 4-6 | 7-9 | 10 : three rotations; the oldest file (1-3) is gone.
    EXPECT_EQ(fe->rotations(), 3u);
    EXPECT_EQ(fe->written(), 10u);
    EXPECT_EQ(fe->errors(), 0u);
    EXPECT_EQ(read_lines(path), std::vector<std::string>{line_of_size(10, 99)});
    EXPECT_EQ(read_lines(path.string() + ".1"),
              (std::vector<std::string>{line_of_size(7, 99), line_of_size(8, 99), line_of_size(9, 99)}));
    EXPECT_EQ(read_lines(path.string() + ".2"),
              (std::vector<std::string>{line_of_size(4, 99), line_of_size(5, 99), line_of_size(6, 99)}));
    EXPECT_FALSE(fs::exists(path.string() + ".3"));
    for (const auto& f : {path.string(), path.string() + ".1", path.string() + ".2"}) {
        EXPECT_LE(fs::file_size(f), 300u) << f;
        EXPECT_EQ(mode_of(f), 0600u) << f;
    }
}

TEST(FileExporter, RotationWithoutBackupsDiscardsTheOldFile) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    auto fe = open_exporter({.path = path.string(), .max_size_bytes = 200, .max_backups = 0});
    ASSERT_NE(fe, nullptr);
    for (int n = 1; n <= 5; ++n) ASSERT_TRUE(fe->write_line(line_of_size(n, 99)).ok());
    fe->flush();
    EXPECT_EQ(fe->rotations(), 2u);
    EXPECT_EQ(read_lines(path), std::vector<std::string>{line_of_size(5, 99)});
    EXPECT_FALSE(fs::exists(path.string() + ".1"));
}

TEST(FileExporter, OversizedLineGetsAFileOfItsOwn) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    auto fe = open_exporter({.path = path.string(), .max_size_bytes = 50, .max_backups = 3});
    ASSERT_NE(fe, nullptr);
    ASSERT_TRUE(fe->write_line(line_of_size(1, 20)).ok());
    ASSERT_TRUE(fe->write_line(line_of_size(2, 500)).ok());
    ASSERT_TRUE(fe->write_line(line_of_size(3, 20)).ok());
    fe->flush();
    EXPECT_EQ(fe->written(), 3u);
    EXPECT_EQ(read_lines(path), std::vector<std::string>{line_of_size(3, 20)});
    EXPECT_EQ(read_lines(path.string() + ".1"), std::vector<std::string>{line_of_size(2, 500)});
    EXPECT_EQ(read_lines(path.string() + ".2"), std::vector<std::string>{line_of_size(1, 20)});
}

TEST(FileExporter, OpenFailsWhenTheDirectoryCannotBeCreated) {
    TempDir tmp;
    const fs::path blocker = tmp.path() / "not-a-dir";
    std::ofstream(blocker) << "x";
    // A path under a regular file fails for root too, unlike a chmod-ed directory.
    const std::string path = (blocker / "sub" / "events.log").string();
    auto fe = FileExporter::open({.path = path});
    ASSERT_FALSE(fe.ok());
    EXPECT_NE(fe.error().find(path), std::string::npos) << fe.error();
    EXPECT_NE(fe.error().find("cannot create directory"), std::string::npos) << fe.error();

    auto empty = FileExporter::open({});
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().find("no path"), std::string::npos) << empty.error();
}

TEST(FileExporter, WriteErrorsAreCountedAndTheDeviceIsLeftAlone) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full is missing";
    const mode_t before = mode_of("/dev/full");
    LogCapture logs;
    auto fe = open_exporter({.path = "/dev/full", .max_size_bytes = 10, .perm = 0600});
    ASSERT_NE(fe, nullptr);
    for (std::uint32_t pid = 1; pid <= 3; ++pid) EXPECT_TRUE(fe->write(event(pid)).ok());
    fe->flush();
    EXPECT_EQ(fe->errors(), 3u);
    EXPECT_EQ(fe->written(), 0u);
    ASSERT_TRUE(fe->write(event(4)).ok());
    fe->flush();  // reopens, fails again
    EXPECT_EQ(fe->errors(), 4u);
    EXPECT_EQ(fe->rotations(), 0u) << "a device is never rotated";
    EXPECT_TRUE(fs::exists("/dev/full"));
    EXPECT_EQ(mode_of("/dev/full"), before) << "a device is never chmod-ed";
    ASSERT_FALSE(logs.messages().empty());
    EXPECT_NE(logs.messages()[0].find("/dev/full"), std::string::npos) << logs.messages()[0];
    EXPECT_NE(logs.messages()[0].find("No space left on device"), std::string::npos) << logs.messages()[0];
    EXPECT_NE(logs.messages()[0].find("3 lines lost"), std::string::npos) << logs.messages()[0];
}

TEST(FileExporter, ErrorsAreLoggedAtMostOncePerInterval) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full is missing";
    {
        LogCapture logs;
        auto fe = open_exporter({.path = "/dev/full", .error_log_interval = std::chrono::hours(1)});
        ASSERT_NE(fe, nullptr);
        for (int i = 0; i < 5; ++i) {
            ASSERT_TRUE(fe->write_line("{}").ok());
            fe->flush();
        }
        EXPECT_EQ(fe->errors(), 5u);
        EXPECT_EQ(logs.messages().size(), 1u);
    }
    {
        LogCapture logs;
        auto fe = open_exporter({.path = "/dev/full", .error_log_interval = std::chrono::milliseconds(0)});
        ASSERT_NE(fe, nullptr);
        for (int i = 0; i < 5; ++i) {
            ASSERT_TRUE(fe->write_line("{}").ok());
            fe->flush();
        }
        EXPECT_EQ(logs.messages().size(), 5u);
    }
}

TEST(FileExporter, ReopensOnTheNextFlushAfterAFailure) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full is missing";
    TempDir tmp;
    LogCapture logs;
    const fs::path link = tmp.path() / "events.log";
    fs::create_symlink("/dev/full", link);
    auto fe = open_exporter({.path = link.string()});
    ASSERT_NE(fe, nullptr);
    ASSERT_TRUE(fe->write(event(1)).ok());
    fe->flush();
    EXPECT_EQ(fe->errors(), 1u);

    // The problem goes away: the path now names a real file.
    fs::remove(link);
    const fs::path real = tmp.path() / "real.log";
    std::ofstream(real) << "";
    fs::create_symlink(real, link);
    ASSERT_TRUE(fe->write(event(2)).ok());
    ASSERT_TRUE(fe->write(event(3)).ok());
    fe->flush();
    EXPECT_EQ(fe->errors(), 1u);
    EXPECT_EQ(fe->written(), 2u);
    EXPECT_EQ(read_lines(real).size(), 2u);
}

TEST(FileExporter, UnopenablePathLosesLinesUntilItIsFixed) {
    TempDir tmp;
    LogCapture logs;
    const fs::path dir = tmp.path() / "logs";
    const fs::path path = dir / "events.log";
    auto fe = open_exporter(
        {.path = path.string(), .max_size_bytes = 100, .error_log_interval = std::chrono::milliseconds(0)});
    ASSERT_NE(fe, nullptr);
    ASSERT_TRUE(fe->write_line(line_of_size(1, 60)).ok());
    fe->flush();

    // The directory is replaced by a regular file: rotation cannot reopen.
    fs::remove_all(dir);
    std::ofstream(dir) << "blocker";
    EXPECT_TRUE(fe->write_line(line_of_size(2, 60)).ok()) << "rotation, nothing lost yet";
    fe->flush();
    EXPECT_EQ(fe->errors(), 1u);
    ASSERT_FALSE(logs.messages().empty());
    EXPECT_NE(logs.messages().back().find("cannot create directory"), std::string::npos) << logs.messages().back();
    EXPECT_NE(logs.messages().back().find("1 lines lost"), std::string::npos) << logs.messages().back();

    fs::remove(dir);
    ASSERT_TRUE(fe->write_line(line_of_size(3, 60)).ok());
    fe->flush();
    EXPECT_EQ(fe->errors(), 1u);
    EXPECT_EQ(read_lines(path), std::vector<std::string>{line_of_size(3, 60)});
}

// A short write (file size limit) cuts a line; the next flush ends it so the
// following lines stay one JSON object each.
TEST(FileExporter, ShortWriteLeavesLaterLinesIntact) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    auto fe = open_exporter({.path = path.string()});
    ASSERT_NE(fe, nullptr);

    struct sigaction ignore {}, old {};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &old), 0);
    struct rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    struct rlimit small = saved;
    small.rlim_cur = 150;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);

    ASSERT_TRUE(fe->write_line(line_of_size(1, 99)).ok());
    ASSERT_TRUE(fe->write_line(line_of_size(2, 99)).ok());
    fe->flush();  // 150 of 200 bytes: line 1 whole, line 2 cut
    const auto written_short = fe->written();
    const auto errors_short = fe->errors();

    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    ASSERT_EQ(::sigaction(SIGXFSZ, &old, nullptr), 0);
    EXPECT_EQ(written_short, 1u);
    EXPECT_EQ(errors_short, 1u);

    ASSERT_TRUE(fe->write_line(line_of_size(3, 99)).ok());
    fe->flush();
    EXPECT_EQ(fe->written(), 2u);
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], line_of_size(1, 99));
    EXPECT_EQ(lines[1], line_of_size(2, 99).substr(0, 50)) << "the cut line stands alone";
    EXPECT_EQ(lines[2], line_of_size(3, 99));
}

// ---------------------------------------------------------------------------

// Waits for a condition the worker thread brings about; fails after `limit`.
template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);  // polls a counter; nothing to block on
    }
    return true;
}

TEST(ExportWorker, WritesEverythingQueuedBeforeStop) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    Hub hub(100000);
    auto sub = hub.subscribe("export-file");
    auto worker = std::make_unique<ExportWorker>(sub, open_exporter({.path = path.string()}));
    for (std::uint32_t pid = 1; pid <= 2000; ++pid) hub.publish(std::make_shared<const tetragon::GetEventsResponse>(event(pid)));
    worker->stop();
    hub.unsubscribe(sub);

    EXPECT_EQ(worker->exporter().written(), 2000u);
    EXPECT_EQ(sub->dropped(), 0u);
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 2000u);
    for (std::uint32_t pid = 1; pid <= 2000; ++pid) {
        auto ev = parse_json_line(lines[pid - 1]);
        ASSERT_TRUE(ev.ok()) << ev.error();
        ASSERT_EQ(ev->process_exec().process().pid().value(), pid);
    }
    worker->stop();  // idempotent
}

TEST(ExportWorker, FlushesWhenTheQueueRunsEmpty) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    Hub hub(16);
    auto sub = hub.subscribe("export-file");
    ExportWorker worker(sub, open_exporter({.path = path.string()}));
    hub.publish(std::make_shared<const tetragon::GetEventsResponse>(event(1)));
    // No stop(), no more events: the line must still reach the file.
    EXPECT_TRUE(eventually([&] { return worker.exporter().written() == 1; }));
    EXPECT_EQ(read_lines(path).size(), 1u);
}

TEST(ExportWorker, AppliesTheExportFilter) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    EventFilter::FilterList allow;
    allow.Add()->add_event_set(tetragon::PROCESS_EXEC);
    auto filter = EventFilter::compile(allow, {});
    ASSERT_TRUE(filter.ok()) << filter.error();

    Hub hub(16);
    auto sub = hub.subscribe("export-file");
    ExportWorker worker(sub, open_exporter({.path = path.string()}), std::move(filter.value()));
    hub.publish(std::make_shared<const tetragon::GetEventsResponse>(event(1)));
    hub.publish(std::make_shared<const tetragon::GetEventsResponse>(
        testing::exit_event(testing::make_process("/bin/x", "", 1))));
    hub.publish(std::make_shared<const tetragon::GetEventsResponse>(event(2)));
    worker.stop();
    EXPECT_EQ(worker.exporter().written(), 2u);
    EXPECT_EQ(worker.filtered(), 1u);
    EXPECT_EQ(read_lines(path).size(), 2u);
}

TEST(ExportWorker, EndsByItselfWhenTheHubCloses) {
    TempDir tmp;
    const fs::path path = tmp.path() / "events.log";
    Hub hub(16);
    auto sub = hub.subscribe("export-file");
    ExportWorker worker(sub, open_exporter({.path = path.string()}));
    hub.publish(std::make_shared<const tetragon::GetEventsResponse>(event(1)));
    hub.close_all();
    EXPECT_TRUE(eventually([&] { return worker.exporter().written() == 1; }));
    const auto start = std::chrono::steady_clock::now();
    worker.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace vigil::exporter
