// The TracingPolicy model: plain data mirroring Tetragon's cilium.io/v1alpha1
// TracingPolicySpec after defaults are applied, macros spliced in, and values
// parsed into the forms the kernel compiler needs. Every node keeps its
// SourcePos. Fields marked "resolved" are filled by validation.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/diagnostic.h"
#include "policy/names.h"

namespace vigil::policy {

// An inclusive integer range. Values of signed argument types are stored as
// their two's complement bits (MatchArg::is_signed tells how to read them).
// A single value v is {v, v}.
struct Range {
    uint64_t min = 0;
    uint64_t max = 0;
    bool operator==(const Range&) const = default;
};

struct Cidr {
    int family = 4;                  // 4 or 6
    std::array<uint8_t, 16> addr{};  // network byte order; first 4 bytes for IPv4
    uint8_t prefix_len = 0;
};

struct Arg {
    SourcePos pos;
    uint32_t index = 0;
    ArgType type = ArgType::Auto;  // CRD default: auto
    std::string label;
    uint32_t size_arg_index = 0;  // 1-based position of the size argument; 0 = unset
    bool return_copy = false;
    bool max_data = false;
    std::string resolve;                    // BTF path as written, e.g. "mm.owner.comm"
    std::vector<std::string> resolve_path;  // resolved: {"mm", "owner", "comm"}, "[3]" kept
    std::string btf_type;
    std::string btf_type_module;
    ArgSource source = ArgSource::Arg;  // only data[] entries may set it
    bool preload = false;               // uprobe: copy user memory in a sleepable program
};

struct MatchArg {
    SourcePos pos;
    uint32_t index = 0;
    std::vector<uint32_t> args;  // positions in the hook's args[] (data[]); win over index
    Operator op = Operator::Equal;
    SourcePos op_pos;
    std::vector<std::string> values;
    std::vector<SourcePos> value_pos;

    // resolved
    int position = -1;   // position of the filtered argument in args[] / data[]
    int position2 = -1;  // CapabilitiesGained: the second argument
    ArgType arg_type = ArgType::Auto;
    bool is_signed = false;
    std::vector<Range> ranges;         // integer, port, protocol, family, state, file type,
                                       // capability-mask values; InMap ranges are not expanded
    std::vector<Cidr> cidrs;           // SAddr/DAddr/NotSAddr/NotDAddr
    std::vector<std::string> strings;  // string, prefix, postfix and substring values
    std::vector<std::string> lists;    // InMap/NotInMap "list:NAME" references (NAME)
};

struct PidSelector {
    SourcePos pos;
    Operator op = Operator::In;  // In | NotIn
    std::vector<uint32_t> values;
    bool is_namespace_pid = false;
    bool follow_forks = false;
};

struct BinarySelector {
    SourcePos pos;
    Operator op = Operator::In;  // In NotIn Prefix NotPrefix Postfix NotPostfix
    std::vector<std::string> values;
    bool follow_children = false;
};

struct NamespaceValue {
    bool host_ns = false;  // "host_ns": the inode of /proc/1/ns/<kind>, read at load time
    uint32_t inode = 0;
};

struct NamespaceSelector {
    SourcePos pos;
    NamespaceKind ns = NamespaceKind::Pid;
    Operator op = Operator::In;
    std::vector<NamespaceValue> values;
};

struct NamespaceChangesSelector {
    SourcePos pos;
    Operator op = Operator::In;
    std::vector<NamespaceKind> namespaces;
    uint32_t mask = 0;  // bit (1 << NamespaceKind)
};

struct CapabilitiesSelector {
    SourcePos pos;
    CapSet type = CapSet::Effective;  // CRD default
    Operator op = Operator::In;
    bool is_namespace_capability = false;
    std::vector<std::string> values;
    uint64_t mask = 0;  // bit (1 << capability number)
};

struct Action {
    SourcePos pos;
    ActionKind kind = ActionKind::Post;
    int32_t arg_error = 0;
    uint32_t arg_sig = 0;
    uint32_t arg_sock = 0;
    std::string arg_url;
    std::string arg_fqdn;
    std::string rate_limit;      // as written: "5", "10s", "1m", "2h"
    uint32_t rate_limit_ms = 0;  // resolved, capped at UINT32_MAX like Tetragon
    RateLimitScope rate_limit_scope = RateLimitScope::Thread;
    bool kernel_stack_trace = false;
    bool user_stack_trace = false;
    bool ima_hash = false;
    uint32_t arg_index = 0;             // Set
    uint32_t arg_value = 0;             // Set
    std::vector<std::string> arg_regs;  // uprobe Override register assignments
    std::string arg_new_symbol;
    std::optional<uint64_t> arg_new_addr;
    std::optional<uint64_t> arg_new_offset;
    bool has_arg_error = false;
    bool has_arg_sig = false;
    bool has_arg_sock = false;
    bool has_arg_index = false;
    bool has_arg_value = false;
};

struct LabelRequirement {
    SourcePos pos;
    std::string key;
    std::string op;  // In NotIn Exists DoesNotExist
    std::vector<std::string> values;
};

struct LabelSelector {
    SourcePos pos;
    std::map<std::string, std::string> match_labels;
    std::vector<LabelRequirement> match_expressions;
    bool empty() const { return match_labels.empty() && match_expressions.empty(); }
};

struct WorkloadSelector {
    SourcePos pos;
    std::optional<LabelSelector> pod_selector;
    std::optional<LabelSelector> container_selector;
    std::optional<LabelSelector> host_selector;
};

// One entry of `selectors`. Macros are already spliced in: `macros` only
// records which were used.
struct Selector {
    SourcePos pos;
    std::string label;
    std::vector<std::string> macros;
    std::vector<PidSelector> match_pids;
    std::vector<MatchArg> match_args;
    std::vector<MatchArg> match_data;
    std::vector<Action> match_actions;
    std::vector<MatchArg> match_return_args;
    std::vector<Action> match_return_actions;
    std::vector<BinarySelector> match_binaries;
    std::vector<BinarySelector> match_parent_binaries;
    std::vector<NamespaceSelector> match_namespaces;
    std::vector<NamespaceChangesSelector> match_namespace_changes;
    std::vector<CapabilitiesSelector> match_capabilities;
    std::vector<CapabilitiesSelector> match_capability_changes;
    std::vector<WorkloadSelector> match_workloads;
};

// One hook of any kind; fields that do not apply to `kind` stay empty.
struct Hook {
    SourcePos pos;
    HookKind kind = HookKind::Kprobe;
    std::string message;
    std::vector<std::string> tags;
    std::vector<Arg> args;
    std::vector<Selector> selectors;

    // kprobes, fentries
    std::string call;          // symbol, or "list:NAME"
    bool syscall = true;       // CRD default true; forced true by syscall lists
    bool syscall_set = false;  // written explicitly in the policy
    bool ignore_call_not_found = false;
    std::vector<Arg> data;
    // kprobes, fentries, uprobes
    bool return_probe = false;  // `return`
    std::optional<Arg> return_arg;
    std::optional<ActionKind> return_arg_action;  // Post | TrackSock | UntrackSock

    // tracepoints
    std::string subsystem;
    std::string event;
    bool raw = false;

    // uprobes, usdts
    std::string path;
    std::string btf_path;
    // uprobes
    std::vector<std::string> symbols;
    std::vector<uint64_t> offsets;
    std::vector<uint64_t> addrs;
    std::vector<uint64_t> ref_ctr_offsets;
    std::vector<std::string> binary_digests;  // "sha256:<hex>", "build-id:<hex>", ...
    bool ignore_digest_verification_failure = false;
    // usdts
    std::string provider;
    std::string name;

    // lsmhooks
    std::string hook;  // without the security_ prefix, e.g. "file_open"
};

struct ListSpec {
    SourcePos pos;
    std::string name;
    ListType type = ListType::Plain;
    std::vector<std::string> values;
    std::string pattern;  // generated_ftrace
    bool validated = false;
};

struct EnforcerSpec {
    SourcePos pos;
    std::vector<std::string> calls;
};

enum class PolicyMode : uint8_t { Enforce, Monitor };
enum class OverrideMethod : uint8_t { Default, OverrideReturn, FmodRet };

struct OptionSpec {
    SourcePos pos;
    std::string name;
    std::string value;
};

// Known spec.options, parsed.
struct PolicyOptions {
    bool disable_kprobe_multi = false;
    bool disable_uprobe_multi = false;
    OverrideMethod override_method = OverrideMethod::Default;
    std::optional<PolicyMode> policy_mode;
    std::optional<uint32_t> sleepable_preload_size;
};

enum class PolicyKind : uint8_t { TracingPolicy, TracingPolicyNamespaced };

struct Policy {
    SourcePos pos;
    PolicyKind kind = PolicyKind::TracingPolicy;
    std::string name;
    std::string namespace_;  // metadata.namespace (TracingPolicyNamespaced)
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;

    // The one hook section the policy uses (Tetragon refuses mixing them).
    std::optional<HookKind> hook_kind;
    std::vector<Hook> hooks;

    std::vector<ListSpec> lists;
    std::vector<EnforcerSpec> enforcers;
    std::vector<OptionSpec> options;
    PolicyOptions parsed_options;
    std::map<std::string, Selector> selectors_macros;  // as written, before splicing
    std::optional<LabelSelector> pod_selector;
    std::optional<LabelSelector> container_selector;
    std::optional<LabelSelector> host_selector;
    std::optional<LabelSelector> node_selector;
    bool loader = false;

    const ListSpec* find_list(std::string_view list_name) const {
        for (const auto& l : lists) {
            if (l.name == list_name) return &l;
        }
        return nullptr;
    }
};

}  // namespace vigil::policy
