// Watches the tracing policy directory with inotify and hands every change
// of a *.yaml / *.yml file (written, moved in or out, deleted) to
// PolicyManager::reload_file, so policies follow the directory without a
// restart. Runs its own thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "agent/policy_manager.h"
#include "common/result.h"

namespace vigil::agent {

class PolicyWatcher {
public:
    static Result<std::unique_ptr<PolicyWatcher>> start(const std::string& dir, PolicyManager& policies);
    ~PolicyWatcher();
    PolicyWatcher(const PolicyWatcher&) = delete;
    PolicyWatcher& operator=(const PolicyWatcher&) = delete;

private:
    PolicyWatcher(std::string dir, PolicyManager& policies, int inotify_fd, int stop_fd);
    void run();

    std::string dir_;
    PolicyManager& policies_;
    int inotify_fd_ = -1;
    int stop_fd_ = -1;  // eventfd that wakes run() for shutdown
    std::thread thread_;
};

}  // namespace vigil::agent
