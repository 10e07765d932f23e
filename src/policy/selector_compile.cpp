#include "policy/selector_compile.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "common/syscall_names.h"
#include "policy/diagnostic.h"
#include "policy/hook_plan.h"
#include "policy/names.h"

namespace vigil::policy {

namespace {

using policy::Operator;

constexpr std::size_t kMaxCapEntries = 4;  // abi.h VIGIL_SEL_CAPS_MAX
constexpr std::size_t kMaxPidEntries = 4;  // abi.h VIGIL_SEL_PID_ENTRIES
// InMap/NotInMap values after expanding ranges and lists: what the kernel's
// exact-value map (vigil_str_eq, shared by all sets) holds.
constexpr std::size_t kMaxInMapValues = 16384;

// Types whose captured data is a string selectors compare: strings, buffers and paths.
bool is_string_type(policy::ArgType t) {
    switch (t) {
        case policy::ArgType::String: case policy::ArgType::CharBuf: case policy::ArgType::Fd:
        case policy::ArgType::File: case policy::ArgType::Path: case policy::ArgType::Dentry:
        case policy::ArgType::LinuxBinprm: case policy::ArgType::DataLoc:
            return true;
        default:
            return false;
    }
}

int add_set(model::HookSelectors& out, model::StringSetKind kind, const std::vector<std::string>& v) {
    out.sets.push_back({kind, v});
    return static_cast<int>(out.sets.size() - 1);
}

struct Ctx {
    const policy::Policy& policy;
    const policy::Hook& hook;
    model::HookSelectors& out;
    std::vector<std::string>& errors;
    const model::KernelFeatures& features;
    const OverrideSupport& override_support;
    bool ok = true;
    void fail(const policy::SourcePos& pos, const std::string& path, const std::string& msg) {
        errors.push_back(format_location(pos, path) + ": " + msg);
        ok = false;
    }
};

// The number of a syscall list entry ("sys_dup", "dup", "__x64_sys_dup", "x64/sys_dup"), or
// -1 with `why` set.
long syscall_list_number(const std::string& value, std::string& why) {
    std::string n = value;
    if (n.rfind("i386/", 0) == 0 || n.rfind("__ia32_", 0) == 0) {
        why = "unsupported: 32-bit (i386) syscall '" + value + "'; only x86_64 syscalls are matched";
        return -1;
    }
    if (n.rfind("x64/", 0) == 0) n = n.substr(4);
    const std::string base = syscall_base_name(n);  // "" for another architecture's name
    const long nr = base.empty() ? -1 : syscall_number_x86_64(base);
    if (nr < 0) why = "'" + value + "' is not an x86_64 syscall";
    return nr;
}

// InMap / NotInMap: every value, every member of every range and the syscall
// numbers of `list:` values become 8-byte keys (the value as a little-endian
// u64, as the kernel reads it) of one exact-match set.
bool compile_in_map(Ctx& c, const policy::MatchArg& m, const std::string& path, model::ArgFilter& f) {
    std::set<std::uint64_t> values;
    const std::string too_many = "unsupported: more than " + std::to_string(kMaxInMapValues) +
                                 " InMap/NotInMap values after expanding ranges (the kernel's value map holds " +
                                 std::to_string(kMaxInMapValues) + ")";
    for (const auto& r : m.ranges) {
        // Ranges were checked (at most 2^20 members, min <= max) when the policy was parsed.
        for (std::uint64_t v = r.min;; ++v) {
            values.insert(v);
            if (values.size() > kMaxInMapValues) {
                c.fail(m.pos, path + ".values", too_many);
                return false;
            }
            if (v == r.max) break;
        }
    }
    for (const auto& name : m.lists) {
        const policy::ListSpec* list = c.policy.find_list(name);
        if (!list) {
            c.fail(m.pos, path + ".values", "no list named '" + name + "' in spec.lists");
            return false;
        }
        if (list->type != policy::ListType::Syscalls) {
            c.fail(list->pos, "spec.lists[" + name + "].type",
                   "unsupported: InMap on a generated_syscalls list; list the syscalls explicitly");
            return false;
        }
        for (const auto& v : list->values) {
            std::string why;
            const long nr = syscall_list_number(v, why);
            if (nr < 0) {
                c.fail(list->pos, "spec.lists[" + name + "].values", why);
                return false;
            }
            values.insert(static_cast<std::uint64_t>(nr));
        }
        if (values.size() > kMaxInMapValues) {
            c.fail(m.pos, path + ".values", too_many);
            return false;
        }
    }
    std::vector<std::string> keys;
    keys.reserve(values.size());
    for (std::uint64_t v : values) {
        std::string k(8, '\0');
        std::memcpy(k.data(), &v, 8);
        keys.push_back(std::move(k));
    }
    f.op = m.op == Operator::InMap ? model::SelOp::kInMap : model::SelOp::kNotInMap;
    f.set = add_set(c.out, model::StringSetKind::kExact, keys);
    return true;
}

void compile_arg(Ctx& c, const policy::MatchArg& m, const std::string& path, model::CompiledSelector& cs) {
    model::ArgFilter f;
    if (m.position < 0) {
        c.fail(m.pos, path + ".index", "no argument at this index in the hook's args");
        return;
    }
    f.pos = static_cast<std::uint8_t>(m.position);
    const policy::ArgType t = m.arg_type;
    switch (t) {
        case policy::ArgType::Sock: case policy::ArgType::Skb: case policy::ArgType::Cred:
        case policy::ArgType::CharIovec: case policy::ArgType::Socket:
            c.fail(m.pos, path, "unsupported: matchArgs on a " + std::string(policy::arg_type_name(t)) +
                                    " argument is not evaluated in the kernel yet");
            return;
        default:
            break;
    }
    if (t == policy::ArgType::Sockaddr) {
        switch (m.op) {
            case Operator::SAddr: case Operator::NotSAddr: {
                f.op = m.op == Operator::SAddr ? model::SelOp::kAddr : model::SelOp::kNotAddr;
                std::vector<std::string> values;
                for (const auto& cidr : m.cidrs) {
                    std::string v;
                    v += static_cast<char>(cidr.family == 6 ? 6 : 4);
                    v += static_cast<char>(cidr.prefix_len);
                    v.append(reinterpret_cast<const char*>(cidr.addr.data()), cidr.family == 6 ? 16 : 4);
                    values.push_back(std::move(v));
                }
                f.set = add_set(c.out, model::StringSetKind::kCidr, values);
                break;
            }
            case Operator::SPort: case Operator::NotSPort:
                f.op = m.op == Operator::SPort ? model::SelOp::kPort : model::SelOp::kNotPort;
                for (const auto& r : m.ranges) f.ranges.push_back({r.min, r.max});
                break;
            case Operator::SPortPriv: case Operator::NotSPortPriv:
                f.op = m.op == Operator::SPortPriv ? model::SelOp::kPort : model::SelOp::kNotPort;
                f.ranges.push_back({0, 1023});
                break;
            case Operator::Family:
                f.op = model::SelOp::kFamily;
                for (const auto& r : m.ranges) f.ranges.push_back({r.min, r.max});
                break;
            default:
                c.fail(m.op_pos, path + ".operator",
                       "unsupported: operator " + std::string(policy::operator_name(m.op)) +
                           " on a sockaddr argument");
                return;
        }
        if (f.ranges.size() > 8) {
            c.fail(m.pos, path + ".values", "unsupported: more than 8 port or family values");
            return;
        }
        cs.args.push_back(std::move(f));
        return;
    }
    if (is_string_type(t)) {
        switch (m.op) {
            case Operator::Equal: case Operator::NotEqual:
                f.op = m.op == Operator::Equal ? model::SelOp::kEq : model::SelOp::kNeq;
                f.set = add_set(c.out, model::StringSetKind::kExact, m.strings);
                break;
            case Operator::Prefix: case Operator::NotPrefix:
                f.op = m.op == Operator::Prefix ? model::SelOp::kPrefix : model::SelOp::kNotPrefix;
                f.set = add_set(c.out, model::StringSetKind::kPrefix, m.strings);
                break;
            case Operator::Postfix: case Operator::NotPostfix:
                f.op = m.op == Operator::Postfix ? model::SelOp::kPostfix : model::SelOp::kNotPostfix;
                f.set = add_set(c.out, model::StringSetKind::kPostfix, m.strings);
                break;
            default:
                c.fail(m.op_pos, path + ".operator",
                       "unsupported: operator " + std::string(policy::operator_name(m.op)) +
                           " on a string argument (supported: Equal, NotEqual, Prefix, NotPrefix, "
                           "Postfix, NotPostfix)");
                return;
        }
        for (const auto& s : m.strings) {
            if (s.size() > 252) {
                c.fail(m.pos, path + ".values", "unsupported: string values longer than 252 bytes");
                return;
            }
        }
    } else if (m.op == Operator::InMap || m.op == Operator::NotInMap) {
        f.is_signed = m.is_signed;
        if (!compile_in_map(c, m, path, f)) return;
    } else {
        f.is_signed = m.is_signed;
        f.ranges.reserve(m.ranges.size());
        for (const auto& r : m.ranges) f.ranges.push_back({r.min, r.max});
        switch (m.op) {
            case Operator::Equal: case Operator::InRange: f.op = model::SelOp::kEq; break;
            case Operator::NotEqual: case Operator::NotInRange: f.op = model::SelOp::kNeq; break;
            case Operator::GT: f.op = model::SelOp::kGt; break;
            case Operator::LT: f.op = model::SelOp::kLt; break;
            case Operator::Mask: f.op = model::SelOp::kMask; break;
            default:
                c.fail(m.op_pos, path + ".operator",
                       "unsupported: operator " + std::string(policy::operator_name(m.op)) +
                           " on an integer argument (supported: Equal, NotEqual, GT, LT, Mask, "
                           "InRange, NotInRange, InMap, NotInMap)");
                return;
        }
        if (f.ranges.size() > 8) {
            c.fail(m.pos, path + ".values", "unsupported: more than 8 integer values (use InMap)");
            return;
        }
    }
    cs.args.push_back(std::move(f));
}

// One matchReturnArgs entry: integer operators on the return value, read
// by the kernel when the return probe fires.
void compile_return_arg(Ctx& c, const policy::MatchArg& m, const std::string& path,
                        model::CompiledSelector& cs) {
    if (is_string_type(m.arg_type) || m.arg_type == policy::ArgType::Sockaddr ||
        m.arg_type == policy::ArgType::Sock || m.arg_type == policy::ArgType::Skb) {
        c.fail(m.pos, path, "unsupported: matchReturnArgs on a " +
                                std::string(policy::arg_type_name(m.arg_type)) +
                                " return value (only integer operators are evaluated in the kernel)");
        return;
    }
    model::ArgFilter f;
    f.pos = model::kReturnValuePos;
    f.is_signed = m.is_signed;
    if (m.op == Operator::InMap || m.op == Operator::NotInMap) {
        if (compile_in_map(c, m, path, f)) cs.args.push_back(std::move(f));
        return;
    }
    for (const auto& r : m.ranges) f.ranges.push_back({r.min, r.max});
    switch (m.op) {
        case Operator::Equal: case Operator::InRange: f.op = model::SelOp::kEq; break;
        case Operator::NotEqual: case Operator::NotInRange: f.op = model::SelOp::kNeq; break;
        case Operator::GT: f.op = model::SelOp::kGt; break;
        case Operator::LT: f.op = model::SelOp::kLt; break;
        case Operator::Mask: f.op = model::SelOp::kMask; break;
        default:
            c.fail(m.op_pos, path + ".operator",
                   "unsupported: operator " + std::string(policy::operator_name(m.op)) +
                       " in matchReturnArgs (supported: Equal, NotEqual, GT, LT, Mask, InRange, NotInRange, InMap, "
                       "NotInMap)");
            return;
    }
    if (f.ranges.size() > 8) {
        c.fail(m.pos, path + ".values", "unsupported: more than 8 integer values");
        return;
    }
    cs.args.push_back(std::move(f));
}

// matchBinaries / matchParentBinaries (one entry each, the parser's rule).
void compile_binaries(Ctx& c, const policy::BinarySelector& mb, const std::string& bp,
                      model::BinaryFilter& out) {
    model::StringSetKind kind = model::StringSetKind::kExact;
    switch (mb.op) {
        case Operator::In: out.op = model::SelOp::kEq; break;
        case Operator::NotIn: out.op = model::SelOp::kNeq; break;
        case Operator::Prefix: out.op = model::SelOp::kPrefix; kind = model::StringSetKind::kPrefix; break;
        case Operator::NotPrefix: out.op = model::SelOp::kNotPrefix; kind = model::StringSetKind::kPrefix; break;
        case Operator::Postfix: out.op = model::SelOp::kPostfix; kind = model::StringSetKind::kPostfix; break;
        case Operator::NotPostfix: out.op = model::SelOp::kNotPostfix; kind = model::StringSetKind::kPostfix; break;
        default:
            c.fail(mb.pos, bp + ".operator", "unsupported: operator " + std::string(policy::operator_name(mb.op)));
            return;
    }
    for (const auto& v : mb.values) {
        if (v.size() > 252) {
            c.fail(mb.pos, bp + ".values", "unsupported: binary paths longer than 252 bytes");
            return;
        }
    }
    out.follow_children = mb.follow_children;
    out.set = add_set(c.out, kind, mb.values);
}

void compile_namespaces(Ctx& c, const std::vector<policy::NamespaceSelector>& ns, const std::string& sp,
                        model::CompiledSelector& cs) {
    if (ns.size() > 10) {
        c.fail(ns[10].pos, sp + ".matchNamespaces", "unsupported: more than 10 matchNamespaces entries");
        return;
    }
    for (std::size_t i = 0; i < ns.size(); ++i) {
        const auto& n = ns[i];
        const std::string np = sp + ".matchNamespaces[" + std::to_string(i) + "]";
        if (n.op != Operator::In && n.op != Operator::NotIn) {
            c.fail(n.pos, np + ".operator", "matchNamespaces takes In or NotIn");
            continue;
        }
        if (n.values.size() > 4) {
            c.fail(n.pos, np + ".values", "unsupported: more than 4 namespace values in one entry");
            continue;
        }
        model::NsFilter f;
        // policy::NamespaceKind and model::NsKind share Tetragon's order.
        f.kind = static_cast<model::NsKind>(n.ns);
        f.op = n.op == Operator::NotIn ? model::SelOp::kNeq : model::SelOp::kEq;
        for (const auto& v : n.values) f.values.push_back({v.host_ns, v.inode});
        cs.namespaces.push_back(std::move(f));
    }
}

// matchCapabilities, matchCapabilityChanges and matchNamespaceChanges.
void compile_creds(Ctx& c, const policy::Selector& s, const std::string& sp, model::CompiledSelector& cs) {
    auto add = [&](const std::vector<policy::CapabilitiesSelector>& list, const char* block, bool changes) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& e = list[i];
            const std::string ep = sp + "." + block + "[" + std::to_string(i) + "]";
            if (cs.caps.size() == kMaxCapEntries) {
                c.fail(e.pos, ep, "unsupported: more than " + std::to_string(kMaxCapEntries) +
                                      " matchCapabilities and matchCapabilityChanges entries together");
                return;
            }
            model::CapFilter f;
            f.op = e.op == Operator::NotIn ? model::SelOp::kNeq : model::SelOp::kEq;
            // policy::CapSet and model::CapSet differ in order: map by name.
            f.set = e.type == policy::CapSet::Inheritable ? model::CapSet::kInheritable
                    : e.type == policy::CapSet::Permitted ? model::CapSet::kPermitted
                                                          : model::CapSet::kEffective;
            f.changes = changes;
            f.namespace_only = e.is_namespace_capability;
            f.mask = e.mask;
            cs.caps.push_back(f);
        }
    };
    add(s.match_capabilities, "matchCapabilities", false);
    add(s.match_capability_changes, "matchCapabilityChanges", true);
    if (!s.match_namespace_changes.empty()) {
        // The parser allows one entry, as Tetragon's kernel side evaluates one.
        const auto& n = s.match_namespace_changes[0];
        cs.ns_changes.op = n.op == Operator::NotIn ? model::SelOp::kNeq : model::SelOp::kEq;
        cs.ns_changes.mask = static_cast<std::uint16_t>(n.mask);
    }
}

// Why vigild would not fetch `url`; empty if it would.
std::string check_url(const std::string& url) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return "'" + url + "' is not an http:// or https:// URL";
    }
    if (url.size() > 2048) return "the URL is longer than 2048 characters";
    for (unsigned char ch : url) {
        if (ch <= 0x20 || ch >= 0x7f) return "the URL has a space or a non-ASCII character; percent-encode it";
    }
    return "";
}

// Why `name` is not a DNS name vigild can look up; empty if it is.
std::string check_fqdn(const std::string& name) {
    std::string n = name;
    if (!n.empty() && n.back() == '.') n.pop_back();
    if (n.empty() || n.size() > 253) return "'" + name + "' is not a DNS name (1 to 253 characters)";
    std::size_t label = 0;
    for (char ch : n) {
        if (ch == '.') {
            if (label == 0) return "'" + name + "' has an empty label";
            label = 0;
            continue;
        }
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                        ch == '-' || ch == '_';
        if (!ok) return "'" + name + "' has a character DNS names do not use: '" + std::string(1, ch) + "'";
        if (++label > 63) return "'" + name + "' has a label longer than 63 characters";
    }
    if (label == 0) return "'" + name + "' has an empty label";
    return "";
}

void compile_actions(Ctx& c, const std::vector<policy::Action>& actions, const std::string& path,
                     model::CompiledSelector& cs) {
    const bool has_nopost = std::any_of(actions.begin(), actions.end(), [](const policy::Action& a) {
        return a.kind == policy::ActionKind::NoPost;
    });
    for (std::size_t i = 0; i < actions.size(); ++i) {
        const auto& a = actions[i];
        const std::string ap = path + ".matchActions[" + std::to_string(i) + "]";
        model::SelAction out;
        switch (a.kind) {
            case policy::ActionKind::Post:
                if (a.kernel_stack_trace || a.user_stack_trace || a.ima_hash) {
                    c.fail(a.pos, ap, "unsupported: stack traces and imaHash on Post");
                    continue;
                }
                if (!a.rate_limit.empty()) {
                    cs.rate_limit_ms = a.rate_limit_ms;
                    cs.rate_scope = a.rate_limit_scope == policy::RateLimitScope::Process
                                        ? model::RateScope::kProcess
                                    : a.rate_limit_scope == policy::RateLimitScope::Global
                                        ? model::RateScope::kGlobal
                                        : model::RateScope::kThread;
                }
                out.kind = model::ActionKind::kPost;
                break;
            case policy::ActionKind::NoPost: out.kind = model::ActionKind::kNoPost; break;
            case policy::ActionKind::Sigkill:
                if (!c.features.send_signal) {
                    c.fail(a.pos, ap, "Sigkill needs bpf_send_signal, which this kernel lacks");
                    continue;
                }
                out.kind = model::ActionKind::kSigkill;
                break;
            case policy::ActionKind::Signal:
                if (!c.features.send_signal) {
                    c.fail(a.pos, ap, "Signal needs bpf_send_signal, which this kernel lacks");
                    continue;
                }
                out.kind = model::ActionKind::kSignal;
                out.arg = a.arg_sig;
                break;
            case policy::ActionKind::Override:
                if (!c.override_support.ok) {
                    c.fail(a.pos, ap, c.override_support.why_not);
                    continue;
                }
                if (!a.has_arg_error || a.arg_error >= 0 || a.arg_error < -4095) {
                    c.fail(a.pos, ap + ".argError", "Override needs argError, a negative errno "
                                                    "(-4095..-1), e.g. -1 for EPERM");
                    continue;
                }
                out.kind = model::ActionKind::kOverride;
                out.arg = static_cast<std::uint32_t>(a.arg_error);
                break;
            case policy::ActionKind::GetUrl:
            case policy::ActionKind::DnsLookup: {
                const bool url = a.kind == policy::ActionKind::GetUrl;
                if (has_nopost) {
                    c.fail(a.pos, ap, std::string(url ? "GetUrl" : "DnsLookup") +
                                          " with NoPost: vigild acts on the posted event, and NoPost "
                                          "keeps it in the kernel; remove NoPost");
                    continue;
                }
                const std::string why = url ? check_url(a.arg_url) : check_fqdn(a.arg_fqdn);
                if (!why.empty()) {
                    c.fail(a.pos, ap + (url ? ".argUrl" : ".argFqdn"), why);
                    continue;
                }
                cs.remote.push_back({url ? model::RemoteActionKind::kGetUrl : model::RemoteActionKind::kDnsLookup,
                                     url ? a.arg_url : a.arg_fqdn});
                continue;  // nothing for the kernel to do: the event crosses as a Post
            }
            default:
                c.fail(a.pos, ap, "unsupported: action " + std::string(policy::action_name(a.kind)));
                continue;
        }
        cs.actions.push_back(out);
    }
}

}  // namespace

model::HookSelectors compile_selectors(const policy::Policy& p, const policy::Hook& h,
                                       const std::string& path,
                                       const model::KernelFeatures& features,
                                       const OverrideSupport& override_support,
                                       std::vector<std::string>& errors) {
    model::HookSelectors out;
    out.monitor = p.parsed_options.policy_mode && *p.parsed_options.policy_mode == policy::PolicyMode::Monitor;
    Ctx c{p, h, out, errors, features, override_support};
    for (std::size_t i = 0; i < h.selectors.size(); ++i) {
        const policy::Selector& s = h.selectors[i];
        const std::string sp = path + ".selectors[" + std::to_string(i) + "]";
        model::CompiledSelector cs;
        auto unsupported = [&](bool present, const char* block) {
            if (present) c.fail(s.pos, sp + "." + block, std::string("unsupported: ") + block +
                                                            " is not evaluated in the kernel yet");
        };
        unsupported(!s.match_data.empty(), "matchData");
        unsupported(!s.match_return_actions.empty(), "matchReturnActions");
        unsupported(!s.match_workloads.empty(), "matchWorkloads");
        for (std::size_t a = 0; a < s.match_args.size(); ++a) {
            compile_arg(c, s.match_args[a], sp + ".matchArgs[" + std::to_string(a) + "]", cs);
        }
        // Without `return: true` the parser warned that these are ignored.
        if (h.return_probe) {
            for (std::size_t a = 0; a < s.match_return_args.size(); ++a) {
                compile_return_arg(c, s.match_return_args[a], sp + ".matchReturnArgs[" + std::to_string(a) + "]",
                                   cs);
            }
        }
        if (cs.args.size() > 5) {
            c.fail(s.pos, sp, "unsupported: more than 5 matchArgs and matchReturnArgs entries together "
                              "(the kernel evaluates 5 per selector)");
        }
        compile_namespaces(c, s.match_namespaces, sp, cs);
        compile_creds(c, s, sp, cs);
        for (std::size_t i = 0; i < s.match_pids.size(); ++i) {
            const auto& mp = s.match_pids[i];
            const std::string pp = sp + ".matchPIDs[" + std::to_string(i) + "]";
            if (i == kMaxPidEntries) {
                c.fail(mp.pos, pp, "unsupported: more than " + std::to_string(kMaxPidEntries) +
                                       " matchPIDs entries (the kernel evaluates " +
                                       std::to_string(kMaxPidEntries) + " per selector)");
                break;
            }
            model::PidFilter f;
            f.op = mp.op == Operator::NotIn ? model::SelOp::kNeq : model::SelOp::kEq;
            f.ns_pid = mp.is_namespace_pid;
            f.follow_forks = mp.follow_forks;
            f.pids = mp.values;
            if (mp.values.size() > 8) {
                c.fail(mp.pos, pp + ".values", "unsupported: more than 8 pids");
            }
            cs.pids.push_back(std::move(f));
        }
        if (s.match_binaries.size() == 1) {
            compile_binaries(c, s.match_binaries[0], sp + ".matchBinaries[0]", cs.binaries);
        }
        if (s.match_parent_binaries.size() == 1) {
            compile_binaries(c, s.match_parent_binaries[0], sp + ".matchParentBinaries[0]", cs.parent_binaries);
        }
        compile_actions(c, s.match_actions, sp, cs);
        out.selectors.push_back(std::move(cs));
    }
    return out;
}

}  // namespace vigil::policy
