// The JSON export file, like Tetragon's --export-filename: one protojson
// object per line, size-based rotation (file -> file.1 -> file.2 ..., keeping
// max_backups), mode 0600 by default, parent directories created.
//
// Lines are buffered and written on flush() (or when the buffer grows large),
// so callers flush once per batch. I/O errors (disk full, file removed) never
// throw: the lost lines are counted in errors(), logged at most once per
// error_log_interval, and the file is reopened on the next flush so writing
// resumes when the problem goes away.
//
// A line longer than max_size_bytes is written alone into a fresh file rather
// than dropped. max_size_bytes 0 disables rotation. Only regular files are
// rotated or chmod-ed, so a path naming a device or FIFO is written as is.
//
// Not thread-safe: one writer thread; the counters may be read from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "export/filters.h"
#include "export/hub.h"
#include "export/sink_worker.h"
#include "tetragon/events.pb.h"

namespace vigil::exporter {

struct FileExporterOptions {
    std::string path;
    std::uint64_t max_size_bytes = 10ull << 20;  // --export-file-max-size-mb 10
    int max_backups = 5;                         // 0: rotation discards the old file
    mode_t perm = 0600;                          // --export-file-perm
    std::chrono::milliseconds error_log_interval{10000};
};

class FileExporter final : public EventSink {
public:
    // Fails when the directory cannot be created or the file cannot be opened.
    static Result<std::unique_ptr<FileExporter>> open(FileExporterOptions opts);
    ~FileExporter() override;
    FileExporter(const FileExporter&) = delete;
    FileExporter& operator=(const FileExporter&) = delete;

    // Encodes and buffers one event (rotating first if it would overflow the
    // file). An error means lines were lost; they are already counted.
    Status write(const tetragon::GetEventsResponse& ev);
    // Same for an already encoded JSON object; a missing '\n' is added.
    Status write_line(std::string_view json);
    // Writes out the buffer. Failures are counted and logged, never thrown.
    void flush() override;
    // EventSink: write(), its failures already counted.
    void write_event(const tetragon::GetEventsResponse& ev) override { (void)write(ev); }

    std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }  // lines on disk
    std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }    // lines lost
    std::uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }
    const std::string& path() const { return opts_.path; }

private:
    explicit FileExporter(FileExporterOptions opts);
    Status open_file();
    Status flush_buffer();
    void close_file();
    void rotate();
    void report(const std::string& what);

    FileExporterOptions opts_;
    int fd_ = -1;
    bool is_regular_ = true;       // devices and FIFOs are never rotated
    bool partial_line_ = false;    // a failed write left a line without '\n'
    std::uint64_t file_size_ = 0;  // bytes in the file, excluding buffer_
    std::string buffer_;
    std::uint64_t buffered_lines_ = 0;
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> errors_{0};
    std::atomic<std::uint64_t> rotations_{0};
    std::chrono::steady_clock::time_point last_report_{};
    bool reported_ = false;
    std::uint64_t suppressed_reports_ = 0;
};

// The --export-filename pipeline: a SinkWorker (export/sink_worker.h) writing
// to a FileExporter, with the --export-allowlist/--export-denylist pair as
// its filter (none passes all).
class ExportWorker final : public SinkWorker {
public:
    ExportWorker(std::shared_ptr<Subscription> sub, std::unique_ptr<FileExporter> exporter,
                 std::optional<EventFilter> filter = std::nullopt);

    const FileExporter& exporter() const;
};

}  // namespace vigil::exporter
