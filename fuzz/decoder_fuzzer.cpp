// Fuzzes the ring-buffer record decoder (ingest::Decoder::decode) with
// arbitrary bytes as one record, the way the ring buffer hands them over.
// A record is either decoded or counted as exactly one error, and a decoded
// one never carries more than the record's bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <variant>
#include <vector>

#include "ingest/decoder.h"

namespace {

void check(bool condition) {
    if (!condition) __builtin_trap();
}

std::size_t payload_bytes(const vigil::ingest::Record& rec) {
    using namespace vigil;
    if (const auto* e = std::get_if<ingest::ExecRecord>(&rec)) {
        std::size_t n = e->process.binary.size() + e->process.cwd.size() +
                        e->process.cgroup_name.size();
        for (const auto& a : e->process.argv) n += a.size();
        return n;
    }
    if (const auto* h = std::get_if<model::HookEvent>(&rec)) {
        std::size_t n = 0;
        for (const auto& a : h->args) n += a.bytes.size();
        return n;
    }
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The ring buffer gives 8-byte aligned records; a copy keeps that true
    // whatever libFuzzer's buffer looks like, and lets ASan see its end.
    std::vector<std::uint64_t> aligned((size + 7) / 8);
    if (size) std::memcpy(aligned.data(), data, size);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(aligned.data());

    vigil::ingest::Decoder d;
    auto rec = d.decode(bytes, size);
    check(d.decoded() + d.total_errors() == 1);
    check(rec.has_value() == (d.decoded() == 1));
    if (rec) check(payload_bytes(*rec) <= size);
    return 0;
}
