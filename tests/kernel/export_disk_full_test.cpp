// The export file's disk fills up: vigild exports to a 256 KiB tmpfs the test
// mounts, the test fills it, and events keep coming. Every line that cannot
// be written is counted (vigil_export_file_errors_total), the warning is
// logged once per interval rather than per event, gRPC delivery goes on, and
// once space is freed the export writes again.
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "agent_fixture.h"
#include "metrics_scrape.h"
#include "tmpfs_mount.h"

namespace vigil::kt {
namespace {

constexpr std::size_t kTmpfsBytes = 256 * 1024;
constexpr int kExecsWhileFull = 30;
// vigild's FileExporterOptions::error_log_interval.
constexpr auto kWarningInterval = 10s;

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
    return n;
}

bool exec_or_exit_with_argument(const tetragon::GetEventsResponse& ev, const std::string& marker) {
    const auto& p = ev.has_process_exec() ? ev.process_exec().process() : ev.process_exit().process();
    return (ev.has_process_exec() || ev.has_process_exit()) && p.arguments().find(marker) != std::string::npos;
}

class ExportDiskFullTest : public AgentTest {
protected:
    void SetUp() override {
        auto m = TmpfsMount::mount(mnt_dir_.path(), kTmpfsBytes);
        ASSERT_TRUE(m.ok()) << m.error();
        mount_ = std::move(m).value();
        AgentTest::SetUp();
        if (HasFatalFailure()) return;
        port_ = metrics_port_from_log(agent().stderr_text());
        ASSERT_NE(port_, 0) << "no metrics line in vigild's log";
    }
    void TearDown() override {
        AgentTest::TearDown();
        if (mount_) mount_->unmount();  // also on failure; the destructor is the backstop
    }
    VigildOptions vigild_options() override {
        VigildOptions o;
        // Only this build's trigger goes to the file: the start-up /proc scan
        // alone would fill 256 KiB. (The path has no regex or JSON
        // metacharacters that matter: '.' and '-' at most.)
        o.extra_args = {"--export-filename=" + export_path_,
                        "--export-allowlist={\"binary_regex\":[\"^" + trigger_path() + "$\"]}",
                        "--metrics-server=127.0.0.1:0"};
        return o;
    }
    double metric(const std::string& name) {
        auto m = parse_metrics(http_get(port_, "/metrics"));
        auto it = m.find(name);
        return it == m.end() ? -1 : it->second;
    }
    // Runs the trigger with `marker` and waits for its exec and exit on `stream`.
    void exec_and_wait(EventStream& stream, const std::string& marker) {
        VIGIL_ASSERT_OK_AND_ASSIGN(st, run_to_exit({trigger_path(), "exit", "0", marker}));
        ASSERT_EQ(describe_wait_status(st), "exited 0");
        VIGIL_ASSERT_OK_AND_ASSIGN(exec, stream.wait_for(exec_with_argument(marker), "exec " + marker));
        VIGIL_ASSERT_OK(stream.wait_for(exit_of(exec.process_exec().process().exec_id()), "exit " + marker));
    }

    TempDir mnt_dir_{"vigil-kt-tmpfs"};
    std::unique_ptr<TmpfsMount> mount_;
    const std::string export_path_ = mnt_dir_ / "events.json";
    int port_ = 0;
};

TEST_F(ExportDiskFullTest, ErrorsAreCountedWarnedOncePerIntervalAndExportResumes) {
    ExportFile exported(export_path_);
    VIGIL_ASSERT_OK_AND_ASSIGN(stream, agent().subscribe_binaries({"vigil_trigger$"}));
    const std::string before = "before-full-" + random_token();
    exec_and_wait(*stream, before);
    ASSERT_FALSE(HasFatalFailure());
    VIGIL_ASSERT_OK(exported.wait_for(exec_with_argument(before), "an exec before the disk is full"));
    ASSERT_EQ(metric("vigil_export_file_errors_total"), 0);

    VIGIL_ASSERT_OK_AND_ASSIGN(filled, fill_until_full(mnt_dir_ / "filler"));
    const auto full_since = std::chrono::steady_clock::now();
    // Every exec and exit reaches gRPC while the export cannot write them.
    for (int i = 0; i < kExecsWhileFull; ++i) {
        exec_and_wait(*stream, "while-full-" + std::to_string(i) + "-" + random_token());
        ASSERT_FALSE(HasFatalFailure());
    }
    // Each exec/exit pair is its own flush: errors pile up one batch at a
    // time. Every line is either in the file or counted (the tail of the
    // file's last page may take a few).
    // The export worker may still be on the last batch gRPC already sent.
    // gRPC saw what the export had to write: at least an exec and an exit per
    // run, more where the trigger forks on its way out (LeakSanitizer's
    // tracer task in a sanitizer build is a process of its own that exits).
    double errors = 0;
    int written = 0;
    int delivered = 0;
    const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
    do {
        errors = metric("vigil_export_file_errors_total");
        exported.poll();
        written = 0;
        for (const auto& ev : exported.events()) written += exec_or_exit_with_argument(ev, "while-full-") ? 1 : 0;
        delivered = 0;
        for (const auto& ev : stream->events()) delivered += exec_or_exit_with_argument(ev, "while-full-") ? 1 : 0;
        if (written + errors >= delivered) break;
        std::this_thread::sleep_for(20ms);  // re-reading a counter and a file: nothing to block on
    } while (std::chrono::steady_clock::now() < deadline);
    const auto full_for = std::chrono::steady_clock::now() - full_since;
    std::cout << "filled " << filled << " bytes; " << written << " export lines written and " << errors
              << " counted as lost over "
              << kExecsWhileFull << " execs in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(full_for).count() << " ms\n";
    RecordProperty("export_errors", static_cast<int>(errors));
    EXPECT_GE(errors, kExecsWhileFull) << "lines the full disk refused were not counted";
    EXPECT_GE(delivered, 2 * kExecsWhileFull) << "gRPC missed execs or exits";
    EXPECT_EQ(written + errors, delivered) << written << " lines written, " << errors << " counted lost, "
                                           << delivered << " delivered over gRPC";

    const std::string log = agent().stderr_text();
    const std::size_t warnings = count_of(log, "export file " + export_path_ + ": write failed");
    const auto intervals = static_cast<std::size_t>(full_for / kWarningInterval);
    EXPECT_GE(warnings, 1u) << "no warning about the failed writes; vigild's log:\n" << agent().stderr_tail();
    EXPECT_LE(warnings, 1 + intervals) << "warned per failure, not once per interval; vigild's log:\n"
                                       << agent().stderr_tail();
    EXPECT_NE(log.find("No space left on device"), std::string::npos) << "the warning does not say why";

    // Space again: the next events are written.
    std::filesystem::remove(mnt_dir_ / "filler");
    const std::string after = "after-free-" + random_token();
    exec_and_wait(*stream, after);
    ASSERT_FALSE(HasFatalFailure());
    VIGIL_ASSERT_OK(exported.wait_for(exec_with_argument(after), "an exec after space was freed"));
    const double errors_after = metric("vigil_export_file_errors_total");
    EXPECT_EQ(errors_after, errors) << "lines lost after space was freed";
    // At most the one line a short write cut off is not valid JSON.
    EXPECT_LE(exported.errors().size(), 1u) << exported.errors().front();
    VIGIL_ASSERT_OK(agent().wait_ready(5s));
}

}  // namespace
}  // namespace vigil::kt
