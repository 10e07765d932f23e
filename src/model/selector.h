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
    kInMap, kNotInMap,  // integers: in the set `ArgFilter::set` (8-byte little-endian values)
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

// ArgFilter::pos of a matchReturnArgs entry: the hook's return value.
inline constexpr std::uint8_t kReturnValuePos = 0xff;

struct ArgFilter {
    SelOp op = SelOp::kNone;
    std::uint8_t pos = 0;        // position in the hook's captured args, or kReturnValuePos
    bool is_signed = false;
    std::vector<SelRange> ranges;  // integer operators
    int set = -1;                  // string operators and InMap: index into sets
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
    // followChildren (kEq/kNeq only): descendants of a process that ran a
    // binary of the set count as members.
    bool follow_children = false;
};

// Namespace kinds, in the kernel's slot order (abi.h enum vigil_ns_slot).
enum class NsKind : std::uint8_t {
    kUts = 0, kIpc, kMnt, kPid, kPidForChildren, kNet, kTime, kTimeForChildren, kCgroup, kUser,
};

struct NsValue {
    bool host_ns = false;     // vigild's own namespace of this kind, resolved when written
    std::uint32_t inode = 0;  // otherwise the namespace's inode number
};

// One matchNamespaces entry: the caller's namespace In (kEq) / NotIn (kNeq) the values.
struct NsFilter {
    NsKind kind = NsKind::kPid;
    SelOp op = SelOp::kEq;
    std::vector<NsValue> values;
};

// One matchCapabilities or matchCapabilityChanges (changes = true) entry.
enum class CapSet : std::uint8_t { kEffective = 0, kInheritable, kPermitted };  // abi.h enum vigil_cap_set

struct CapFilter {
    SelOp op = SelOp::kEq;  // kEq (In) or kNeq (NotIn)
    CapSet set = CapSet::kEffective;
    bool changes = false;        // compare with the process's baseline, not the set itself
    bool namespace_only = false;  // isNamespaceCapability: never in the host user namespace
    std::uint64_t mask = 0;      // bit (1 << capability number)
};

// matchNamespaceChanges: op kNone when absent; mask has bit (1 << NsKind).
struct NsChangesFilter {
    SelOp op = SelOp::kNone;
    std::uint16_t mask = 0;
};

enum class RateScope : std::uint8_t { kThread = 0, kProcess, kGlobal };

enum class ActionKind : std::uint8_t { kPost = 0, kNoPost, kSigkill, kSignal, kOverride };

struct SelAction {
    ActionKind kind = ActionKind::kPost;
    std::uint32_t arg = 0;  // kSignal: the signal number; kOverride: the error (int32 bits)
};

// GetUrl and DnsLookup: done by vigild when an event of the selector arrives.
enum class RemoteActionKind : std::uint8_t { kGetUrl = 0, kDnsLookup };
struct RemoteAction {
    RemoteActionKind kind = RemoteActionKind::kGetUrl;
    std::string arg;  // the URL, or the name to look up
};

struct CompiledSelector {
    std::vector<ArgFilter> args;  // matchArgs, matchData and matchReturnArgs entries
    std::vector<PidFilter> pids;  // matchPIDs entries, ANDed
    BinaryFilter binaries;
    BinaryFilter parent_binaries;
    std::vector<NsFilter> namespaces;
    std::vector<CapFilter> caps;  // matchCapabilities, then matchCapabilityChanges
    NsChangesFilter ns_changes;
    std::vector<SelAction> actions;  // empty: Post
    std::vector<RemoteAction> remote;  // not in the kernel: the event crosses as a Post
    // Post rateLimit: at most one identical event per rate_limit_ms; 0: none.
    std::uint32_t rate_limit_ms = 0;
    RateScope rate_scope = RateScope::kThread;
};

struct HookSelectors {
    std::vector<CompiledSelector> selectors;  // empty: every call is posted
    std::vector<StringSet> sets;
    bool monitor = false;  // count Sigkill/Signal instead of sending them
};

}  // namespace vigil::model
