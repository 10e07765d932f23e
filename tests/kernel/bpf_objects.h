// What BPF programs and links exist, and who holds them: `bpftool -j` for the
// system-wide view, /proc/<pid>/fdinfo for a process's own fds. Used to prove
// that vigild leaves nothing attached after it exits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace vigil::kt {

struct BpfProg {
    std::uint32_t id = 0;
    std::string name;
};

struct BpfLink {
    std::uint32_t id = 0;
    std::uint32_t prog_id = 0;
};

Result<std::vector<BpfProg>> list_bpf_programs();  // bpftool -j prog list
Result<std::vector<BpfLink>> list_bpf_links();     // bpftool -j link list

// Ids of the programs and links a process holds open fds for (a link fd also
// names its program). Empty sets if the process is gone.
struct HeldBpfObjects {
    std::set<std::uint32_t> prog_ids;
    std::set<std::uint32_t> link_ids;
};
HeldBpfObjects bpf_objects_held_by(pid_t pid);
// Union over every process on the machine.
HeldBpfObjects bpf_objects_held_by_anyone();

}  // namespace vigil::kt
