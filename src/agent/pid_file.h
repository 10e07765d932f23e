// <run-dir>/vigild.pid, held with flock() for the agent's lifetime, so a
// second vigild on the node refuses to start instead of attaching a second
// set of hooks. The lock dies with the process, even on SIGKILL.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"

namespace vigil::agent {

class PidFile {
public:
    static Result<std::unique_ptr<PidFile>> acquire(const std::string& run_dir);
    ~PidFile();
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;

private:
    PidFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
};

}  // namespace vigil::agent
