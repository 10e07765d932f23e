// The start-up walk of /proc: one model::Process per existing thread-group
// leader, so processes older than vigild have cache entries whose keys match
// what BPF computes for them (see process_key.h).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "model/process.h"

namespace vigil::process {

// Reads <procfs_root>/<pid>/{stat,status,loginuid,cmdline,exe,cwd,ns/*,cgroup}
// for every numeric directory. A process that vanishes mid-scan is skipped.
// Fails only when procfs_root cannot be listed. The result is ordered so
// every parent comes before its children. cgroup_id is left 0.
Result<std::vector<model::Process>> scan_procfs(const std::string& procfs_root);

}  // namespace vigil::process
