// Decodes ring-buffer records (bpf/include/vigil/abi.h) into model structs.
// Everything the kernel hands us is bounds-checked; a bad record is counted
// by reason and skipped. Never throws, never logs per record.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "model/hook.h"
#include "model/process.h"

namespace vigil::ingest {

struct ExecRecord {
    model::Process process;   // key, parent_key, creds, paths, argv...
    model::ProcessKey cleanup;  // previous image of this pid; ktime 0 if none
    std::uint64_t ktime = 0;
};

struct ForkRecord {
    model::ProcessKey child;
    model::ProcessKey parent;
    std::uint32_t tid = 0;
    std::uint64_t ktime = 0;
};

using Record = std::variant<ExecRecord, ForkRecord, model::ExitEvent, model::HookEvent>;

enum class DecodeError : std::size_t {
    kTruncated = 0,    // shorter than its header or its fixed part
    kSizeMismatch,     // header size disagrees with the bytes received
    kBadVersion,       // ABI version differs from this build
    kUnknownType,      // a record type this build does not know
    kBadSlice,         // a variable-area slice points outside the record
    kBadField,         // a field holds a value outside its range (arg count, type)
    kCount,
};

std::string_view decode_error_name(DecodeError e);

class Decoder {
public:
    // Returns the record, or nullopt after counting the reason.
    std::optional<Record> decode(const std::uint8_t* data, std::size_t size);

    // Counters may be read from any thread (metrics); one thread decodes.
    std::uint64_t decoded() const { return decoded_.load(std::memory_order_relaxed); }
    std::uint64_t errors(DecodeError e) const {
        return errors_[static_cast<std::size_t>(e)].load(std::memory_order_relaxed);
    }
    std::uint64_t total_errors() const;

private:
    std::optional<Record> fail(DecodeError e);

    std::atomic<std::uint64_t> decoded_{0};
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(DecodeError::kCount)> errors_{};
};

}  // namespace vigil::ingest
