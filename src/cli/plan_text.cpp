#include "cli/plan_text.h"

#include <cstdint>
#include <cstdio>
#include <sstream>

#include "policy/names.h"

namespace vigil::cli {
namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

std::string range_text(const model::SelRange& r, bool is_signed) {
    auto one = [&](std::uint64_t v) {
        return is_signed ? std::to_string(static_cast<std::int64_t>(v)) : std::to_string(v);
    };
    return r.min == r.max ? one(r.min) : one(r.min) + ".." + one(r.max);
}

const char* set_kind_name(model::StringSetKind k) {
    switch (k) {
        case model::StringSetKind::kExact: return "exact";
        case model::StringSetKind::kPrefix: return "prefix";
        case model::StringSetKind::kPostfix: return "postfix";
        case model::StringSetKind::kCidr: return "cidr";
    }
    return "?";
}

// kCidr values: family (4|6), prefix length, then the address bytes (see
// model/selector.h). Anything else is shown raw rather than guessed at.
std::string cidr_text(const std::string& v) {
    if (v.size() < 2) return quote_bytes(v);
    const int family = static_cast<unsigned char>(v[0]);
    const unsigned prefix = static_cast<unsigned char>(v[1]);
    const std::size_t n = family == 6 ? 16 : 4;
    if ((family != 4 && family != 6) || v.size() != 2 + n) return quote_bytes(v);
    std::string out;
    char buf[8];
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned b = static_cast<unsigned char>(v[2 + i]);
        if (family == 4) {
            if (i) out += '.';
            out += std::to_string(b);
        } else {
            if (i && i % 2 == 0) out += ':';
            std::snprintf(buf, sizeof buf, "%02x", b);
            out += buf;
        }
    }
    return out + "/" + std::to_string(prefix);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
    return out;
}

}  // namespace

std::string quote_bytes(const std::string& bytes) {
    std::string out = "\"";
    char buf[8];
    for (unsigned char c : bytes) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out + "\"";
}

std::string arg_kind_name(model::ArgKind kind) {
    switch (kind) {
        case model::ArgKind::kNone: return "none";
        case model::ArgKind::kS32: return "s32";
        case model::ArgKind::kU32: return "u32";
        case model::ArgKind::kS64: return "s64";
        case model::ArgKind::kU64: return "u64";
        case model::ArgKind::kUserString: return "user_string";
        case model::ArgKind::kUserBuffer: return "user_buffer";
        case model::ArgKind::kFd: return "fd";
        case model::ArgKind::kSockaddr: return "sockaddr";
        case model::ArgKind::kKernelString: return "kernel_string";
        case model::ArgKind::kKernelBuffer: return "kernel_buffer";
        case model::ArgKind::kFile: return "file";
        case model::ArgKind::kPath: return "path";
        case model::ArgKind::kDentry: return "dentry";
        case model::ArgKind::kBinprm: return "linux_binprm";
        case model::ArgKind::kSock: return "sock";
        case model::ArgKind::kSkb: return "skb";
        case model::ArgKind::kCred: return "cred";
        case model::ArgKind::kCaps: return "caps";
        case model::ArgKind::kIovec: return "iovec";
    }
    return "kind(" + std::to_string(static_cast<int>(kind)) + ")";
}

std::string sel_op_name(model::SelOp op) {
    switch (op) {
        case model::SelOp::kNone: return "none";
        case model::SelOp::kEq: return "eq";
        case model::SelOp::kNeq: return "neq";
        case model::SelOp::kPrefix: return "prefix";
        case model::SelOp::kNotPrefix: return "not_prefix";
        case model::SelOp::kPostfix: return "postfix";
        case model::SelOp::kNotPostfix: return "not_postfix";
        case model::SelOp::kGt: return "gt";
        case model::SelOp::kLt: return "lt";
        case model::SelOp::kMask: return "mask";
        case model::SelOp::kAddr: return "addr";
        case model::SelOp::kNotAddr: return "not_addr";
        case model::SelOp::kPort: return "port";
        case model::SelOp::kNotPort: return "not_port";
        case model::SelOp::kFamily: return "family";
        case model::SelOp::kInMap: return "in_map";
        case model::SelOp::kNotInMap: return "not_in_map";
    }
    return "op(" + std::to_string(static_cast<int>(op)) + ")";
}

std::string action_kind_name(model::ActionKind kind) {
    switch (kind) {
        case model::ActionKind::kPost: return "Post";
        case model::ActionKind::kNoPost: return "NoPost";
        case model::ActionKind::kSigkill: return "Sigkill";
        case model::ActionKind::kSignal: return "Signal";
        case model::ActionKind::kOverride: return "Override";
    }
    return "action(" + std::to_string(static_cast<int>(kind)) + ")";
}

std::string explain_hook(const policy::PlannedHook& hook, int indent) {
    const model::HookSpec& s = hook.spec;
    const model::HookInfo& info = hook.info;
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    std::ostringstream o;
    o << pad << "attach: " << model::attach_method_name(s.method) << '\n';
    if (!s.syscall.empty()) o << pad << "syscall: " << s.syscall << '\n';
    if (s.method == model::AttachMethod::kUprobe) {
        o << pad << "binary: " << s.binary << '\n';
        o << pad << "symbol: " << (s.target.empty() ? "offset " + std::to_string(s.offset) : s.target) << '\n';
    } else if (s.target != info.function_name) {
        o << pad << "target: " << s.target << '\n';
    }
    if (!info.function_name.empty()) o << pad << "function: " << info.function_name << '\n';
    o << pad << "return: " << yes_no(s.at_return);
    if (s.at_return) o << " (type " << info.return_type << ')';
    o << '\n';
    if (!info.message.empty()) o << pad << "message: " << quote_bytes(info.message) << '\n';
    if (!info.tags.empty()) {
        std::vector<std::string> tags;
        for (const auto& t : info.tags) tags.push_back(quote_bytes(t));
        o << pad << "tags: " << join(tags, ", ") << '\n';
    }
    o << pad << "args: " << s.args.size() << '\n';
    for (std::size_t i = 0; i < s.args.size(); ++i) {
        const model::HookArgSpec& a = s.args[i];
        o << pad << "  arg " << i << ": kind " << arg_kind_name(a.kind) << ", index "
          << static_cast<int>(a.index) << ", size_index " << static_cast<int>(a.size_index)
          << ", return_copy " << yes_no(a.return_copy) << ", max_data " << a.max_data;
        if (i < info.args.size()) {
            o << ", type " << info.args[i].type;
            if (!info.args[i].label.empty()) o << ", label " << quote_bytes(info.args[i].label);
        }
        o << '\n';
    }
    const model::HookSelectors& sel = s.selectors;
    o << pad << "monitor: " << yes_no(sel.monitor) << '\n';
    o << pad << "selectors: " << sel.selectors.size()
      << (sel.selectors.empty() ? " (every call is posted)" : "") << '\n';
    for (std::size_t i = 0; i < sel.selectors.size(); ++i) {
        const model::CompiledSelector& cs = sel.selectors[i];
        o << pad << "  selector " << i << ":\n";
        for (std::size_t j = 0; j < cs.args.size(); ++j) {
            const model::ArgFilter& f = cs.args[j];
            o << pad << "    arg filter " << j << ": op " << sel_op_name(f.op) << ", pos "
              << static_cast<int>(f.pos);
            if (f.is_signed) o << ", signed";
            if (!f.ranges.empty()) {
                std::vector<std::string> rs;
                for (const auto& r : f.ranges) rs.push_back(range_text(r, f.is_signed));
                o << ", ranges [" << join(rs, ", ") << ']';
            }
            if (f.set >= 0) o << ", set " << f.set;
            o << '\n';
        }
        for (const auto& pf : cs.pids) {
            std::vector<std::string> ps;
            for (auto p : pf.pids) ps.push_back(std::to_string(p));
            o << pad << "    pids: op " << sel_op_name(pf.op) << ", ns_pid " << yes_no(pf.ns_pid)
              << ", follow_forks " << yes_no(pf.follow_forks) << ", values [" << join(ps, ", ") << "]\n";
        }
        if (cs.binaries.op != model::SelOp::kNone) {
            o << pad << "    binaries: op " << sel_op_name(cs.binaries.op) << ", set "
              << cs.binaries.set << '\n';
        }
        std::vector<std::string> acts;
        for (const auto& a : cs.actions) {
            std::string t = action_kind_name(a.kind);
            if (a.kind == model::ActionKind::kSignal) t += "(" + std::to_string(a.arg) + ")";
            if (a.kind == model::ActionKind::kOverride) {
                t += "(" + std::to_string(static_cast<std::int32_t>(a.arg)) + ")";
            }
            acts.push_back(t);
        }
        o << pad << "    actions: " << (acts.empty() ? "Post (default)" : join(acts, ", "))
          << '\n';
    }
    o << pad << "string sets: " << sel.sets.size() << '\n';
    for (std::size_t i = 0; i < sel.sets.size(); ++i) {
        const model::StringSet& set = sel.sets[i];
        std::vector<std::string> vs;
        for (const auto& v : set.values) {
            vs.push_back(set.kind == model::StringSetKind::kCidr ? cidr_text(v) : quote_bytes(v));
        }
        o << pad << "  set " << i << ": " << set_kind_name(set.kind) << " [" << join(vs, ", ")
          << "]\n";
    }
    return o.str();
}

std::string explain_policy(const policy::Policy& p, const policy::HookPlan& plan) {
    std::ostringstream o;
    o << "policy " << p.name;
    if (!p.namespace_.empty()) o << " (namespace " << p.namespace_ << ')';
    o << " at " << p.pos.file << ':' << p.pos.line << ':' << p.pos.column << '\n';
    o << "  kind: "
      << (p.kind == policy::PolicyKind::TracingPolicy ? "TracingPolicy" : "TracingPolicyNamespaced")
      << '\n';
    o << "  section: "
      << (p.hook_kind ? std::string(policy::hook_kind_name(*p.hook_kind)) : std::string("none"))
      << '\n';
    const bool monitor =
        p.parsed_options.policy_mode && *p.parsed_options.policy_mode == policy::PolicyMode::Monitor;
    o << "  mode: " << (monitor ? "monitor" : "enforce") << '\n';
    if (!plan.ok()) {
        o << "  plan: failed, " << plan.errors.size() << " problem"
          << (plan.errors.size() == 1 ? "" : "s") << '\n';
        for (const auto& e : plan.errors) o << "    " << e << '\n';
        return o.str();
    }
    o << "  hooks: " << plan.hooks.size() << '\n';
    for (std::size_t i = 0; i < plan.hooks.size(); ++i) {
        o << "  hook " << i << ":\n" << explain_hook(plan.hooks[i], 4);
    }
    return o.str();
}

}  // namespace vigil::cli
