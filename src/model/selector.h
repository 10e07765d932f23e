// A hook's selectors compiled for the kernel: plain data produced from a
// TracingPolicy (agent/selector_compile) and written into BPF maps by
// probe/ (see bpf/include/vigil/abi.h for the kernel layout and limits).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::model {

enum class SelOp : std::uint8_t {
    kNone = 0, kEq, kNeq, kPrefix, kNotPrefix, kPostfix, kNotPostfix, kGt, kLt, kMask,
    kAddr, kNotAddr, kPort, kNotPort, kFamily,  // sockaddr arguments
};

// kCidr values are encoded as: family (4 or 6), prefix length in bits, then
// the 4 or 16 address bytes in network order.
enum class StringSetKind : std::uint8_t { kExact, kPrefix, kPostfix, kCidr };

// Values of one string operator; `index` is its position in HookSelectors::sets.
struct StringSet {
    StringSetKind kind = StringSetKind::kExact;
    std::vector<std::string> values;
};

struct SelRange {
    std::uint64_t min = 0;
    std::uint64_t max = 0;
};

struct ArgFilter {
    SelOp op = SelOp::kNone;
    std::uint8_t pos = 0;        // position in the hook's captured args
    bool is_signed = false;
    std::vector<SelRange> ranges;  // integer operators
    int set = -1;                  // string operators: index into sets
};

struct PidFilter {
    SelOp op = SelOp::kNone;  // kEq (In) or kNeq (NotIn)
    bool ns_pid = false;
    bool follow_forks = false;
    std::vector<std::uint32_t> pids;
};

struct BinaryFilter {
    SelOp op = SelOp::kNone;  // kEq kNeq kPrefix kNotPrefix kPostfix kNotPostfix
    int set = -1;
};

enum class ActionKind : std::uint8_t { kPost = 0, kNoPost, kSigkill, kSignal, kOverride };

struct SelAction {
    ActionKind kind = ActionKind::kPost;
    std::uint32_t arg = 0;  // kSignal: the signal number; kOverride: the error (int32 bits)
};

struct CompiledSelector {
    std::vector<ArgFilter> args;
    PidFilter pids;
    BinaryFilter binaries;
    std::vector<SelAction> actions;  // empty: Post
};

struct HookSelectors {
    std::vector<CompiledSelector> selectors;  // empty: every call is posted
    std::vector<StringSet> sets;
    bool monitor = false;  // count Sigkill/Signal instead of sending them
};

}  // namespace vigil::model
