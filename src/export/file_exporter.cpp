#include "export/file_exporter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

#include "export/json_codec.h"

namespace vigil::exporter {
namespace {

// Buffered bytes that trigger a write even before flush(), so a burst that
// never lets the queue run empty still reaches the disk.
constexpr std::size_t kFlushThreshold = 64 * 1024;

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// Writes as much as it can; returns the bytes written, errno set on a short write.
std::size_t write_all(int fd, const char* data, std::size_t size) {
    std::size_t off = 0;
    while (off < size) {
        const ssize_t n = ::write(fd, data + off, size - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (n == 0) {
            errno = EIO;
            break;
        }
        off += static_cast<std::size_t>(n);
    }
    return off;
}

}  // namespace

Result<std::unique_ptr<FileExporter>> FileExporter::open(FileExporterOptions opts) {
    if (opts.path.empty()) return Error{"export file: no path given"};
    std::unique_ptr<FileExporter> fe(new FileExporter(std::move(opts)));
    if (Status st = fe->open_file(); !st.ok()) return Error{st.error()};
    return fe;
}

FileExporter::FileExporter(FileExporterOptions opts) : opts_(std::move(opts)) {}

FileExporter::~FileExporter() {
    flush();
    close_file();
}

Status FileExporter::open_file() {
    const std::filesystem::path path(opts_.path);
    if (path.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec)
            return Error{"export file " + opts_.path + ": cannot create directory " + path.parent_path().string() +
                         ": " + ec.message()};
    }
    const int fd = ::open(opts_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, opts_.perm);
    if (fd < 0) return Error{"export file " + opts_.path + ": cannot open: " + errno_text(errno)};

    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return Error{"export file " + opts_.path + ": cannot stat: " + errno_text(err)};
    }
    is_regular_ = S_ISREG(st.st_mode);
    // open() applies the umask and leaves an existing file's mode alone; the
    // configured mode must hold either way. Devices are not ours to chmod.
    if (is_regular_ && (st.st_mode & 07777) != opts_.perm && ::fchmod(fd, opts_.perm) != 0) {
        const int err = errno;
        ::close(fd);
        return Error{"export file " + opts_.path + ": cannot set mode: " + errno_text(err)};
    }
    fd_ = fd;
    file_size_ = is_regular_ ? static_cast<std::uint64_t>(st.st_size) : 0;
    return {};
}

void FileExporter::close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

Status FileExporter::write(const tetragon::GetEventsResponse& ev) {
    // Encoded straight into the buffer: no string per line.
    const std::size_t mark = buffer_.size();
    append_json_line(ev, buffer_);
    const std::uint64_t len = buffer_.size() - mark + 1;
    Status result;
    if (opts_.max_size_bytes > 0 && is_regular_ && file_size_ + mark > 0 &&
        file_size_ + mark + len > opts_.max_size_bytes) {
        // Rare: take the line back out, write what came before, rotate.
        std::string line = buffer_.substr(mark);
        buffer_.resize(mark);
        result = flush_buffer();
        rotate();
        buffer_ += line;
    }
    buffer_ += '\n';
    ++buffered_lines_;
    if (buffer_.size() >= kFlushThreshold) {
        Status st = flush_buffer();
        if (result.ok() && !st.ok()) result = std::move(st);
    }
    return result;
}

Status FileExporter::write_line(std::string_view json) {
    const bool has_newline = !json.empty() && json.back() == '\n';
    const std::uint64_t len = json.size() + (has_newline ? 0 : 1);
    const std::uint64_t pending = file_size_ + buffer_.size();

    Status result;
    // Rotate before the line that would overflow; a line bigger than the limit
    // on its own goes into a fresh file rather than being dropped.
    if (opts_.max_size_bytes > 0 && is_regular_ && pending > 0 && pending + len > opts_.max_size_bytes) {
        result = flush_buffer();
        rotate();
    }
    buffer_.append(json);
    if (!has_newline) buffer_ += '\n';
    ++buffered_lines_;
    if (buffer_.size() >= kFlushThreshold) {
        Status st = flush_buffer();
        if (result.ok() && !st.ok()) result = std::move(st);
    }
    return result;
}

void FileExporter::flush() { (void)flush_buffer(); }

Status FileExporter::flush_buffer() {
    if (buffer_.empty()) return {};
    const std::uint64_t lines = buffered_lines_;
    const auto lose_all = [&](const std::string& why) -> Status {
        errors_.fetch_add(lines, std::memory_order_relaxed);
        buffer_.clear();
        buffered_lines_ = 0;
        const std::string msg = why + " (" + std::to_string(lines) + " lines lost)";
        report(msg);
        return Error{"export file " + opts_.path + ": " + msg};
    };

    if (fd_ < 0) {
        // Reopen after an earlier failure: the directory or disk may be back.
        if (Status st = open_file(); !st.ok()) return lose_all(st.error());
    }
    if (partial_line_) {
        // End the line an earlier short write cut off, so ours stays valid JSON.
        if (write_all(fd_, "\n", 1) != 1) {
            const int err = errno;
            close_file();
            return lose_all("write failed: " + errno_text(err));
        }
        ++file_size_;
        partial_line_ = false;
    }

    const std::size_t done = write_all(fd_, buffer_.data(), buffer_.size());
    file_size_ += done;
    if (done == buffer_.size()) {
        written_.fetch_add(lines, std::memory_order_relaxed);
        buffer_.clear();
        buffered_lines_ = 0;
        return {};
    }

    const int err = errno;
    // Lines that reached the disk whole count as written; the rest are lost.
    const auto whole = static_cast<std::uint64_t>(std::count(buffer_.begin(), buffer_.begin() + done, '\n'));
    partial_line_ = done > 0 && buffer_[done - 1] != '\n';
    written_.fetch_add(whole, std::memory_order_relaxed);
    buffered_lines_ = lines - whole;
    close_file();  // reopened by the next flush
    const std::string why = "write failed: " + errno_text(err);
    errors_.fetch_add(buffered_lines_, std::memory_order_relaxed);
    const std::string msg = why + " (" + std::to_string(buffered_lines_) + " lines lost)";
    buffer_.clear();
    buffered_lines_ = 0;
    report(msg);
    return Error{"export file " + opts_.path + ": " + msg};
}

void FileExporter::rotate() {
    close_file();
    const std::string& path = opts_.path;
    const auto backup = [&](int i) { return path + "." + std::to_string(i); };
    bool moved = false;
    if (opts_.max_backups <= 0) {
        moved = ::unlink(path.c_str()) == 0;
        if (!moved && errno != ENOENT) report("rotation: cannot remove " + path + ": " + errno_text(errno));
    } else {
        // Oldest first, so every rename has a free target.
        ::unlink(backup(opts_.max_backups).c_str());
        for (int i = opts_.max_backups - 1; i >= 1; --i) {
            if (::rename(backup(i).c_str(), backup(i + 1).c_str()) != 0 && errno != ENOENT)
                report("rotation: cannot rename " + backup(i) + ": " + errno_text(errno));
        }
        moved = ::rename(path.c_str(), backup(1).c_str()) == 0;
        if (!moved && errno != ENOENT) report("rotation: cannot rename " + path + ": " + errno_text(errno));
    }
    if (moved) rotations_.fetch_add(1, std::memory_order_relaxed);
    file_size_ = 0;
    partial_line_ = false;
    // On failure the next flush retries the open and counts what it loses.
    if (Status st = open_file(); !st.ok()) report(st.error());
}

void FileExporter::report(const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    if (reported_ && now - last_report_ < opts_.error_log_interval) {
        ++suppressed_reports_;
        return;
    }
    if (suppressed_reports_ > 0) {
        spdlog::warn("export file {}: {} ({} more errors since the last report)", opts_.path, what,
                     suppressed_reports_);
    } else {
        spdlog::warn("export file {}: {}", opts_.path, what);
    }
    reported_ = true;
    last_report_ = now;
    suppressed_reports_ = 0;
}

// ---------------------------------------------------------------------------

ExportWorker::ExportWorker(std::shared_ptr<Subscription> sub, std::unique_ptr<FileExporter> exporter,
                           std::optional<EventFilter> filter)
    : SinkWorker(std::move(sub), std::move(exporter), std::move(filter)) {}

const FileExporter& ExportWorker::exporter() const { return static_cast<const FileExporter&>(sink()); }

}  // namespace vigil::exporter
