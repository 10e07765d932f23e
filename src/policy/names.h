// The closed vocabularies of the TracingPolicy language (argument types,
// operators, actions, namespaces, ...) and their spellings as Tetragon's CRD
// accepts them. One table per vocabulary so the parser, the did-you-mean
// suggestions and docs/policy.md cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace vigil::policy {

enum class HookKind : uint8_t { Kprobe, Fentry, Tracepoint, Uprobe, Usdt, LsmHook };

// Argument types (pkg/generictypes in Tetragon). Aliases (int32/sint32,
// int64/long/sint64, ...) map to one value.
enum class ArgType : uint8_t {
    Auto,
    Int,
    Int8,
    Uint8,
    Int16,
    Uint16,
    Int32,
    Uint32,
    Int64,
    Uint64,
    SizeT,
    CharBuf,
    CharIovec,
    ConstBuf,
    String,
    DataLoc,
    Filename,
    Path,
    File,
    Fd,
    Dentry,
    LinuxBinprm,
    Kiocb,
    IovIter,
    Skb,
    Sock,
    Socket,
    Sockaddr,
    SockaddrUn,
    NetDevice,
    Cred,
    KernelCap,
    CapInheritable,
    CapPermitted,
    CapEffective,
    Capability,
    UserNamespace,
    BpfAttr,
    BpfProg,
    BpfMap,
    PerfEvent,
    LoadInfo,
    Module,
    Syscall64,
    Nop,
    BpfCmd,
};

enum class Operator : uint8_t {
    GT,
    LT,
    Equal,
    NotEqual,
    In,
    NotIn,
    Prefix,
    NotPrefix,
    Postfix,
    NotPostfix,
    InMap,
    NotInMap,
    Mask,
    SAddr,
    DAddr,
    NotSAddr,
    NotDAddr,
    SPort,
    DPort,
    NotSPort,
    NotDPort,
    SPortPriv,
    DPortPriv,
    NotSPortPriv,
    NotDPortPriv,
    Protocol,
    Family,
    State,
    CapabilitiesGained,
    InRange,
    NotInRange,
    SubString,
    SubStringIgnCase,
    CelExpr,
    FileType,
    NotFileType,
};

enum class ActionKind : uint8_t {
    Post,
    NoPost,
    Sigkill,
    Signal,
    Override,
    NotifyEnforcer,
    CleanupEnforcerNotification,
    TrackSock,
    UntrackSock,
    GetUrl,
    DnsLookup,
    Set,
};

enum class NamespaceKind : uint8_t {
    Uts,
    Ipc,
    Mnt,
    Pid,
    PidForChildren,
    Net,
    Time,
    TimeForChildren,
    Cgroup,
    User,
};

enum class CapSet : uint8_t { Effective, Inheritable, Permitted };
enum class ListType : uint8_t { Plain, Syscalls, GeneratedSyscalls, GeneratedFtrace };
enum class RateLimitScope : uint8_t { Thread, Process, Global };
enum class ArgSource : uint8_t { Arg, CurrentTask, PtRegs };

std::string_view hook_kind_name(HookKind kind);  // "kprobes", "tracepoints", ...

std::optional<ArgType> arg_type_from_name(std::string_view name);
std::string_view arg_type_name(ArgType type);
std::vector<std::string_view> arg_type_names();

// Spellings accepted in matchArgs / matchData / matchReturnArgs.
std::optional<Operator> arg_operator_from_name(std::string_view name);
std::vector<std::string_view> arg_operator_names();
std::string_view operator_name(Operator op);

std::optional<ActionKind> action_from_name(std::string_view name);
std::vector<std::string_view> action_names();
std::string_view action_name(ActionKind kind);
// FollowFD, UnfollowFD, CopyFD: once valid, now removed from Tetragon.
bool is_removed_action(std::string_view name);

std::optional<NamespaceKind> namespace_from_name(std::string_view name);
std::optional<NamespaceKind> namespace_from_name_nocase(std::string_view name);
std::vector<std::string_view> namespace_names();
std::string_view namespace_name(NamespaceKind kind);

// Argument type classes used by operator/type checks.
bool is_integer_type(ArgType t);  // int..uint64, size_t, capability, bpf_cmd, syscall64
bool is_signed_integer_type(ArgType t);
bool is_32bit_integer_type(ArgType t);  // compared as 32 bits in BPF (size_t included)
bool is_cap_mask_type(ArgType t);       // kernel_cap_t, cap_*
bool is_network_type(ArgType t);        // sock, skb, socket, sockaddr
bool is_path_type(ArgType t);           // file, path, fd, dentry, linux_binprm
// Types whose Equal/NotEqual values go into Tetragon's string hash maps.
bool supports_string_equal(ArgType t);
// Types Prefix/Postfix are meaningful for (the kernel side evaluates them).
bool supports_string_affix(ArgType t);

}  // namespace vigil::policy
