// Start-up checks of the host: privileges, BTF, bpffs and tracefs. Each
// failure names the fix. Only checks; nothing here loads BPF.
#pragma once

#include <string>

#include "common/result.h"

namespace vigil::probe {

// Root, or CAP_BPF + CAP_PERFMON (+ CAP_SYS_RESOURCE for old memlock rules).
Status check_privileges();

// The running kernel's BTF, needed for CO-RE relocation.
Status check_btf(const std::string& path = "/sys/kernel/btf/vmlinux");

// bpffs at /sys/fs/bpf and tracefs at /sys/kernel/tracing; mounted by us if
// absent, and an error naming the mount command if that fails.
Status ensure_mounts();

// Lift RLIMIT_MEMLOCK (kernels before 5.11 charge BPF memory to it).
void raise_memlock_limit();

// Route libbpf's messages into spdlog (warnings and errors; debug at trace).
void route_libbpf_logs();

}  // namespace vigil::probe
