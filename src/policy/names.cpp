#include "policy/names.h"

#include <array>
#include <utility>

#include "policy/suggest.h"

namespace vigil::policy {
namespace {

template <typename T>
struct Entry {
    std::string_view name;
    T value;
};

template <typename T, size_t N>
std::optional<T> find(const std::array<Entry<T>, N>& table, std::string_view name) {
    for (const auto& e : table) {
        if (e.name == name) return e.value;
    }
    return std::nullopt;
}

// First spelling of a value is its canonical name.
template <typename T, size_t N>
std::string_view canonical(const std::array<Entry<T>, N>& table, T value) {
    for (const auto& e : table) {
        if (e.value == value) return e.name;
    }
    return "?";
}

template <typename T, size_t N>
std::vector<std::string_view> all_names(const std::array<Entry<T>, N>& table) {
    std::vector<std::string_view> out;
    out.reserve(N);
    for (const auto& e : table) out.push_back(e.name);
    return out;
}

// The CRD enum of KProbeArg.type (Tetragon 1.x HEAD).
constexpr std::array<Entry<ArgType>, 52> kArgTypes{{
    {"auto", ArgType::Auto},
    {"int", ArgType::Int},
    {"int8", ArgType::Int8},
    {"sint8", ArgType::Int8},
    {"uint8", ArgType::Uint8},
    {"int16", ArgType::Int16},
    {"sint16", ArgType::Int16},
    {"uint16", ArgType::Uint16},
    {"int32", ArgType::Int32},
    {"sint32", ArgType::Int32},
    {"uint32", ArgType::Uint32},
    {"int64", ArgType::Int64},
    {"sint64", ArgType::Int64},
    {"long", ArgType::Int64},
    {"uint64", ArgType::Uint64},
    {"ulong", ArgType::Uint64},
    {"size_t", ArgType::SizeT},
    {"char_buf", ArgType::CharBuf},
    {"char_iovec", ArgType::CharIovec},
    {"const_buf", ArgType::ConstBuf},
    {"string", ArgType::String},
    {"data_loc", ArgType::DataLoc},
    {"filename", ArgType::Filename},
    {"path", ArgType::Path},
    {"file", ArgType::File},
    {"fd", ArgType::Fd},
    {"dentry", ArgType::Dentry},
    {"linux_binprm", ArgType::LinuxBinprm},
    {"kiocb", ArgType::Kiocb},
    {"iov_iter", ArgType::IovIter},
    {"skb", ArgType::Skb},
    {"sock", ArgType::Sock},
    {"socket", ArgType::Socket},
    {"sockaddr", ArgType::Sockaddr},
    {"sockaddr_un", ArgType::SockaddrUn},
    {"net_device", ArgType::NetDevice},
    {"cred", ArgType::Cred},
    {"kernel_cap_t", ArgType::KernelCap},
    {"cap_inheritable", ArgType::CapInheritable},
    {"cap_permitted", ArgType::CapPermitted},
    {"cap_effective", ArgType::CapEffective},
    {"capability", ArgType::Capability},
    {"user_namespace", ArgType::UserNamespace},
    {"bpf_attr", ArgType::BpfAttr},
    {"bpf_prog", ArgType::BpfProg},
    {"bpf_map", ArgType::BpfMap},
    {"perf_event", ArgType::PerfEvent},
    {"load_info", ArgType::LoadInfo},
    {"module", ArgType::Module},
    {"syscall64", ArgType::Syscall64},
    {"nop", ArgType::Nop},
    {"bpf_cmd", ArgType::BpfCmd},
}};

// The CRD enum of ArgSelector.operator. The CRD spells one operator
// "NotSportPriv"; Tetragon's code and docs also use "NotSPortPriv".
constexpr std::array<Entry<Operator>, 38> kArgOperators{{
    {"Equal", Operator::Equal},
    {"NotEqual", Operator::NotEqual},
    {"Prefix", Operator::Prefix},
    {"NotPrefix", Operator::NotPrefix},
    {"Postfix", Operator::Postfix},
    {"NotPostfix", Operator::NotPostfix},
    {"GT", Operator::GT},
    {"GreaterThan", Operator::GT},
    {"LT", Operator::LT},
    {"LessThan", Operator::LT},
    {"Mask", Operator::Mask},
    {"SPort", Operator::SPort},
    {"NotSPort", Operator::NotSPort},
    {"SPortPriv", Operator::SPortPriv},
    {"NotSPortPriv", Operator::NotSPortPriv},
    {"NotSportPriv", Operator::NotSPortPriv},
    {"DPort", Operator::DPort},
    {"NotDPort", Operator::NotDPort},
    {"DPortPriv", Operator::DPortPriv},
    {"NotDPortPriv", Operator::NotDPortPriv},
    {"SAddr", Operator::SAddr},
    {"NotSAddr", Operator::NotSAddr},
    {"DAddr", Operator::DAddr},
    {"NotDAddr", Operator::NotDAddr},
    {"Protocol", Operator::Protocol},
    {"Family", Operator::Family},
    {"State", Operator::State},
    {"InMap", Operator::InMap},
    {"NotInMap", Operator::NotInMap},
    {"CapabilitiesGained", Operator::CapabilitiesGained},
    {"InRange", Operator::InRange},
    {"NotInRange", Operator::NotInRange},
    {"SubString", Operator::SubString},
    {"SubStringIgnCase", Operator::SubStringIgnCase},
    {"CelExpr", Operator::CelExpr},
    {"FileType", Operator::FileType},
    {"NotFileType", Operator::NotFileType},
    // In/NotIn never parse as matchArgs operators; they are listed so
    // operator_name() can print them for the other selector blocks.
    {"In", Operator::In},
}};

constexpr std::array<Entry<ActionKind>, 12> kActions{{
    {"Post", ActionKind::Post},
    {"NoPost", ActionKind::NoPost},
    {"Sigkill", ActionKind::Sigkill},
    {"Signal", ActionKind::Signal},
    {"Override", ActionKind::Override},
    {"NotifyEnforcer", ActionKind::NotifyEnforcer},
    {"CleanupEnforcerNotification", ActionKind::CleanupEnforcerNotification},
    {"TrackSock", ActionKind::TrackSock},
    {"UntrackSock", ActionKind::UntrackSock},
    {"GetUrl", ActionKind::GetUrl},
    {"DnsLookup", ActionKind::DnsLookup},
    {"Set", ActionKind::Set},
}};

constexpr std::array<Entry<NamespaceKind>, 10> kNamespaces{{
    {"Uts", NamespaceKind::Uts},
    {"Ipc", NamespaceKind::Ipc},
    {"Mnt", NamespaceKind::Mnt},
    {"Pid", NamespaceKind::Pid},
    {"PidForChildren", NamespaceKind::PidForChildren},
    {"Net", NamespaceKind::Net},
    {"Time", NamespaceKind::Time},
    {"TimeForChildren", NamespaceKind::TimeForChildren},
    {"Cgroup", NamespaceKind::Cgroup},
    {"User", NamespaceKind::User},
}};

}  // namespace

std::string_view hook_kind_name(HookKind kind) {
    switch (kind) {
        case HookKind::Kprobe: return "kprobes";
        case HookKind::Fentry: return "fentries";
        case HookKind::Tracepoint: return "tracepoints";
        case HookKind::Uprobe: return "uprobes";
        case HookKind::Usdt: return "usdts";
        case HookKind::LsmHook: return "lsmhooks";
    }
    return "?";
}

// "unsigned long" is known to Tetragon's code but not to its CRD enum, so a
// policy using it never gets past validation there; it is absent here too.
std::optional<ArgType> arg_type_from_name(std::string_view name) { return find(kArgTypes, name); }
std::string_view arg_type_name(ArgType type) { return canonical(kArgTypes, type); }
std::vector<std::string_view> arg_type_names() { return all_names(kArgTypes); }

std::optional<Operator> arg_operator_from_name(std::string_view name) {
    if (name == "In") return std::nullopt;
    return find(kArgOperators, name);
}
std::vector<std::string_view> arg_operator_names() {
    auto names = all_names(kArgOperators);
    names.pop_back();  // "In"
    return names;
}
std::string_view operator_name(Operator op) {
    if (op == Operator::NotIn) return "NotIn";
    return canonical(kArgOperators, op);
}

std::optional<ActionKind> action_from_name(std::string_view name) { return find(kActions, name); }
std::vector<std::string_view> action_names() { return all_names(kActions); }
std::string_view action_name(ActionKind kind) { return canonical(kActions, kind); }
bool is_removed_action(std::string_view name) {
    return iequals(name, "FollowFD") || iequals(name, "UnfollowFD") || iequals(name, "CopyFD");
}

std::optional<NamespaceKind> namespace_from_name(std::string_view name) { return find(kNamespaces, name); }
std::optional<NamespaceKind> namespace_from_name_nocase(std::string_view name) {
    for (const auto& e : kNamespaces) {
        if (iequals(e.name, name)) return e.value;
    }
    return std::nullopt;
}
std::vector<std::string_view> namespace_names() { return all_names(kNamespaces); }
std::string_view namespace_name(NamespaceKind kind) { return canonical(kNamespaces, kind); }

bool is_integer_type(ArgType t) {
    switch (t) {
        case ArgType::Int:
        case ArgType::Int8:
        case ArgType::Uint8:
        case ArgType::Int16:
        case ArgType::Uint16:
        case ArgType::Int32:
        case ArgType::Uint32:
        case ArgType::Int64:
        case ArgType::Uint64:
        case ArgType::SizeT:
        case ArgType::Capability:
        case ArgType::BpfCmd:
        case ArgType::Syscall64: return true;
        default: return false;
    }
}

bool is_signed_integer_type(ArgType t) {
    switch (t) {
        case ArgType::Int:
        case ArgType::Int8:
        case ArgType::Int16:
        case ArgType::Int32:
        case ArgType::Int64:
        case ArgType::SizeT:
        case ArgType::Capability:
        case ArgType::BpfCmd:
        case ArgType::Syscall64: return true;
        default: return false;
    }
}

bool is_32bit_integer_type(ArgType t) {
    switch (t) {
        case ArgType::Int:
        case ArgType::Int8:
        case ArgType::Uint8:
        case ArgType::Int16:
        case ArgType::Uint16:
        case ArgType::Int32:
        case ArgType::Uint32:
        case ArgType::SizeT:
        case ArgType::Capability:
        case ArgType::BpfCmd: return true;
        default: return false;
    }
}

bool is_cap_mask_type(ArgType t) {
    return t == ArgType::KernelCap || t == ArgType::CapInheritable || t == ArgType::CapPermitted ||
           t == ArgType::CapEffective;
}

bool is_network_type(ArgType t) {
    return t == ArgType::Sock || t == ArgType::Skb || t == ArgType::Socket || t == ArgType::Sockaddr;
}

bool is_path_type(ArgType t) {
    return t == ArgType::File || t == ArgType::Path || t == ArgType::Fd || t == ArgType::Dentry ||
           t == ArgType::LinuxBinprm;
}

bool supports_string_equal(ArgType t) {
    return is_path_type(t) || t == ArgType::String || t == ArgType::CharBuf || t == ArgType::DataLoc ||
           t == ArgType::NetDevice || t == ArgType::SockaddrUn;
}

bool supports_string_affix(ArgType t) { return supports_string_equal(t); }

}  // namespace vigil::policy
