// The base sensor: the one embedded BPF skeleton (exec, fork, exit), loaded,
// attached and drained here. Only probe/ includes libbpf and the skeleton.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

struct vigil_bpf;
struct ring_buffer;

namespace vigil::probe {

struct SensorOptions {
    // Ring buffer size in bytes; 0 keeps the built-in default (4 MiB).
    // Must be a power of two multiple of the page size (the kernel's rule).
    std::size_t ringbuf_bytes = 0;
};

// Called for every ring-buffer record, on the polling thread. The bytes are
// only valid during the call.
using RecordHandler = std::function<void(const std::uint8_t* data, std::size_t size)>;

struct AttachedProgram {
    std::string name;     // BPF program name, e.g. vigil_exec
    std::string hook;     // e.g. raw_tp/sched_process_exec
    std::uint32_t link_id = 0;
};

class BaseSensor {
public:
    static Result<std::unique_ptr<BaseSensor>> load(const SensorOptions& opts,
                                                    RecordHandler handler);
    ~BaseSensor();
    BaseSensor(const BaseSensor&) = delete;
    BaseSensor& operator=(const BaseSensor&) = delete;

    // Waits up to timeout_ms for records and hands each to the handler.
    // Returns the number of records consumed, or a negative errno.
    int poll(int timeout_ms);

    // Per-CPU BPF counters summed over CPUs, indexed by enum vigil_stat.
    std::vector<std::uint64_t> kernel_stats() const;

    const std::vector<AttachedProgram>& programs() const { return programs_; }

    // Detaches every link and frees every map and program. Idempotent.
    void close();

private:
    BaseSensor() = default;
    static int on_record(void* ctx, void* data, std::size_t size);

    vigil_bpf* skel_ = nullptr;
    ring_buffer* rb_ = nullptr;
    RecordHandler handler_;
    std::vector<AttachedProgram> programs_;
};

}  // namespace vigil::probe
