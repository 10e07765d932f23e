// Ring-buffer records in the exact layout the BPF programs post
// (bpf/include/vigil/abi.h), sized like the ones a real exec storm and a
// write policy produce: a fork, an exec of /bin/true with one argument, an
// exit, and a sys_write hook record (fd resolved to a path, a 64-byte
// buffer, the size). Each process gets fresh keys, so the process cache
// inserts, links and releases entries as it does under load.
#pragma once

#include <cstdint>
#include <vector>

namespace vigil::bench {

using Bytes = std::vector<std::uint8_t>;

class RecordFactory {
public:
    explicit RecordFactory(std::uint32_t hook_id) : hook_id_(hook_id) {}

    // One process's life: fork, exec, `hooks` write records, exit.
    std::vector<Bytes> lifecycle(unsigned hooks);

    // The parent of every lifecycle(); decode it once before the others.
    static Bytes parent_exec_record();
    static Bytes fork_record(std::uint32_t pid, std::uint64_t ktime, std::uint32_t ppid,
                             std::uint64_t pktime);
    static Bytes exec_record(std::uint32_t pid, std::uint64_t ktime, std::uint32_t ppid,
                             std::uint64_t pktime);
    static Bytes exit_record(std::uint32_t pid, std::uint64_t ktime);
    static Bytes hook_record(std::uint32_t hook_id, std::uint32_t pid, std::uint64_t ktime,
                             std::uint64_t now);

private:
    std::uint32_t hook_id_;
    std::uint32_t next_pid_ = 100000;
    std::uint64_t next_ktime_ = 1'000'000'000;
};

}  // namespace vigil::bench
