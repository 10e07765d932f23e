// matchArgs / matchData / matchReturnArgs: find the argument an entry filters
// on, check the operator fits the argument's type, and parse the values into
// the form the kernel compiler stores (ranges, CIDRs, strings, list names).
#include <string>

#include "policy/parse_internal.h"
#include "policy/suggest.h"
#include "policy/values.h"

namespace vigil::policy::detail {
namespace {

constexpr size_t kMaxInlineValues = 4;          // MAX_MATCH_VALUES in Tetragon's BPF
constexpr size_t kMaxStringLen = 4096;          // largest string_maps bucket
constexpr size_t kMaxPrefixLen = 256;           // StringPrefixMaxLength
constexpr size_t kMaxPostfixLen = 127;          // StringPostfixMaxLength - 1
constexpr size_t kMaxSubstringLen = 99;         // substring entries hold < 100 chars
constexpr uint64_t kMaxMapExpansion = 1 << 20;  // InMap ranges become one entry per value

std::string type_str(ArgType t) { return "'" + std::string(arg_type_name(t)) + "'"; }
std::string op_str(Operator op) { return std::string(operator_name(op)); }

struct Ctx {
    Reader& r;
    const Policy& p;
    MatchArg& m;

    const SourcePos& vpos(size_t i) const { return i < m.value_pos.size() ? m.value_pos[i] : m.pos; }
    void error_op(const std::string& msg) { r.error(m.op_pos, msg); }
    void error_value(size_t i, const std::string& msg) { r.error(vpos(i), msg); }
};

bool check_inline_count(Ctx& c) {
    if (c.m.values.size() <= kMaxInlineValues) return true;
    c.error_op(op_str(c.m.op) + " accepts at most 4 values on " + type_str(c.m.arg_type) +
               " arguments, got " + std::to_string(c.m.values.size()) +
               "; use InMap/NotInMap for longer value sets");
    return false;
}

// One literal for Equal/NotEqual/GT/LT/Mask, parsed the way Tetragon's
// writeMatchValues does for the argument type.
void parse_inline_int(Ctx& c, size_t i) {
    const std::string& v = c.m.values[i];
    const ArgType t = c.m.arg_type;
    if (is_cap_mask_type(t)) {
        if (auto n = parse_uint(v, 0, 64)) {
            c.m.ranges.push_back({*n, *n});
            return;
        }
        uint64_t mask = 0;
        size_t start = 0;
        while (start <= v.size()) {
            size_t comma = v.find(',', start);
            std::string name =
                v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            name.erase(0, name.find_first_not_of(" \t"));
            name.erase(name.find_last_not_of(" \t") + 1);
            for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            auto cap = capability_from_name(name);
            if (!cap) {
                c.error_value(i, "'" + v +
                                     "' is neither a number nor a comma-separated list of capability "
                                     "names;" +
                                     did_you_mean(name, capability_names()));
                return;
            }
            mask |= uint64_t{1} << *cap;
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        c.m.ranges.push_back({mask, mask});
        return;
    }
    const bool is64 = !is_32bit_integer_type(t);
    if (c.m.is_signed) {
        auto n = parse_int(v, 0, is64 ? 64 : 32);
        if (!n) {
            c.error_value(i, "'" + v + "' is not a " + (is64 ? "64" : "32") + "-bit signed integer (" +
                                 type_str(t) + " argument; decimal, 0x hex, 0o or 0 octal, 0b binary)");
            return;
        }
        c.m.ranges.push_back({static_cast<uint64_t>(*n), static_cast<uint64_t>(*n)});
    } else {
        auto n = parse_uint(v, 0, is64 ? 64 : 32);
        if (!n) {
            c.error_value(i, "'" + v + "' is not a " + (is64 ? "64" : "32") + "-bit unsigned integer (" +
                                 type_str(t) + " argument; decimal, 0x hex, 0o or 0 octal, 0b binary)");
            return;
        }
        c.m.ranges.push_back({*n, *n});
    }
}

void parse_in_range(Ctx& c) {
    if (!is_integer_type(c.m.arg_type)) {
        c.error_op(op_str(c.m.op) + " works only on integer arguments; this one is " +
                   type_str(c.m.arg_type));
        return;
    }
    if (!check_inline_count(c)) return;
    for (size_t i = 0; i < c.m.values.size(); ++i) {
        const std::string& v = c.m.values[i];
        const auto colon = v.find(':');
        if (colon == std::string::npos || v.find(':', colon + 1) != std::string::npos) {
            c.error_value(i, "'" + v + "' is not a range; write min:max, e.g. \"100:200\"");
            continue;
        }
        auto lo = parse_int(v.substr(0, colon), 0, 64);
        auto hi = parse_int(v.substr(colon + 1), 0, 64);
        if (!lo || !hi) {
            c.error_value(i, "'" + v + "': both ends of a range must be integers");
            continue;
        }
        if (is_32bit_integer_type(c.m.arg_type) && (*lo > UINT32_MAX || *hi > UINT32_MAX)) {
            c.error_value(i, "range '" + v + "' exceeds " + std::to_string(UINT32_MAX) + ", the largest " +
                                 type_str(c.m.arg_type) + " value compared");
            continue;
        }
        if (*lo > *hi) {
            c.error_value(i, "range '" + v + "' is empty: its minimum is greater than its maximum");
            continue;
        }
        c.m.ranges.push_back({static_cast<uint64_t>(*lo), static_cast<uint64_t>(*hi)});
    }
}

// A decimal value or min:max range stored in a hash map (InMap, ports, ...).
// Tetragon parses these in base 10 and swaps reversed ranges.
std::optional<Range> parse_map_value(Ctx& c, size_t i, bool is_signed) {
    const std::string& v = c.m.values[i];
    auto one = [&](const std::string& s) -> std::optional<uint64_t> {
        if (is_signed) {
            auto n = parse_int(s, 10, 64);
            return n ? std::optional<uint64_t>(static_cast<uint64_t>(*n)) : std::nullopt;
        }
        return parse_uint(s, 10, 64);
    };
    const auto colon = v.find(':');
    std::optional<uint64_t> lo, hi;
    if (colon == std::string::npos) {
        lo = hi = one(v);
    } else if (v.find(':', colon + 1) == std::string::npos) {
        lo = one(v.substr(0, colon));
        hi = one(v.substr(colon + 1));
    }
    if (!lo || !hi) {
        c.error_value(i, "'" + v + "' is not a decimal " + (is_signed ? "" : "unsigned ") +
                             "integer or a min:max range of them");
        return std::nullopt;
    }
    Range r{*lo, *hi};
    const bool reversed =
        is_signed ? static_cast<int64_t>(r.min) > static_cast<int64_t>(r.max) : r.min > r.max;
    if (reversed) std::swap(r.min, r.max);
    const uint64_t count = r.max - r.min;
    if (count >= kMaxMapExpansion) {
        c.error_value(i, "range '" + v + "' covers more than " + std::to_string(kMaxMapExpansion) +
                             " values; each value becomes one map entry");
        return std::nullopt;
    }
    return r;
}

void parse_in_map(Ctx& c) {
    const ArgType t = c.m.arg_type;
    if (!is_integer_type(t)) {
        c.error_op(op_str(c.m.op) + " works only on integer arguments; this one is " + type_str(t));
        return;
    }
    for (size_t i = 0; i < c.m.values.size(); ++i) {
        const std::string& v = c.m.values[i];
        if (v.rfind("list:", 0) == 0) {
            const std::string name = v.substr(5);
            const ListSpec* l = c.p.find_list(name);
            if (!l) {
                std::vector<std::string_view> names;
                for (const auto& x : c.p.lists) names.push_back(x.name);
                c.error_value(i, "list '" + name + "' is not defined in spec.lists;" +
                                     (names.empty() ? std::string(" the policy defines no lists")
                                                    : did_you_mean(name, names)));
                continue;
            }
            if (l->type != ListType::Syscalls && l->type != ListType::GeneratedSyscalls) {
                c.error_value(i, "list '" + name +
                                     "' must be of type syscalls or generated_syscalls to be "
                                     "matched as syscall numbers");
                continue;
            }
            c.m.lists.push_back(name);
            continue;
        }
        if (auto r = parse_map_value(c, i, c.m.is_signed)) c.m.ranges.push_back(*r);
    }
}

void parse_strings(Ctx& c, size_t max_len, std::string_view what) {
    for (size_t i = 0; i < c.m.values.size(); ++i) {
        if (c.m.values[i].size() > max_len) {
            c.error_value(i, "value is " + std::to_string(c.m.values[i].size()) + " bytes long; " +
                                 std::string(what) + " accepts at most " + std::to_string(max_len));
            continue;
        }
        c.m.strings.push_back(c.m.values[i]);
    }
}

// Types Tetragon accepts for string operators in userspace but never checks in BPF.
std::optional<Feature> ineffective_string_type(ArgType t) {
    if (t == ArgType::Filename) return Feature::StringFilterOnFilename;
    if (t == ArgType::Kiocb) return Feature::StringFilterOnKiocb;
    if (t == ArgType::CharIovec) return Feature::StringFilterOnIovec;
    return std::nullopt;
}

std::string string_types_list() {
    return "string, char_buf, data_loc, file, path, fd, dentry, linux_binprm, net_device and sockaddr_un";
}

void check_string_op(Ctx& c) {
    const ArgType t = c.m.arg_type;
    const Operator op = c.m.op;
    const bool equal = op == Operator::Equal || op == Operator::NotEqual;
    if (auto f = ineffective_string_type(t); f && !equal) {
        c.r.require_supported(*f, c.m.op_pos);
        return;
    }
    const bool substring = op == Operator::SubString || op == Operator::SubStringIgnCase;
    if (is_network_type(t)) {
        c.error_op("operator " + op_str(op) + " does not work on " + type_str(t) +
                   " arguments; use SAddr, DAddr, SPort, DPort, Protocol, Family or State");
        return;
    }
    if (!supports_string_equal(t)) {
        c.error_op("operator " + op_str(op) + " needs a string-like argument (" + string_types_list() +
                   "), but this argument is " + type_str(t));
        return;
    }
    if (equal)
        parse_strings(c, kMaxStringLen, op_str(op));
    else if (substring)
        parse_strings(c, kMaxSubstringLen, op_str(op));
    else if (op == Operator::Prefix || op == Operator::NotPrefix)
        parse_strings(c, kMaxPrefixLen, op_str(op));
    else
        parse_strings(c, kMaxPostfixLen, op_str(op));
}

void check_network_op(Ctx& c) {
    const ArgType t = c.m.arg_type;
    const Operator op = c.m.op;
    const bool family = op == Operator::Family;
    if (!is_network_type(t) && !(family && t == ArgType::SockaddrUn)) {
        c.error_op("operator " + op_str(op) + " works on sock, skb, socket and sockaddr arguments" +
                   std::string(family ? " (and sockaddr_un)" : "") + ", but this argument is " + type_str(t));
        return;
    }
    if (t == ArgType::Sockaddr) {
        const bool allowed = op == Operator::SAddr || op == Operator::NotSAddr || op == Operator::SPort ||
                             op == Operator::NotSPort || op == Operator::SPortPriv ||
                             op == Operator::NotSPortPriv || op == Operator::Family;
        if (!allowed) {
            c.error_op(
                "a sockaddr argument supports only SAddr, NotSAddr, SPort, NotSPort, SPortPriv, "
                "NotSPortPriv and Family (for connect() the sockaddr is the destination, so use "
                "SAddr/SPort), not " +
                op_str(op));
            return;
        }
    }
    switch (op) {
        case Operator::SAddr:
        case Operator::DAddr:
        case Operator::NotSAddr:
        case Operator::NotDAddr:
            for (size_t i = 0; i < c.m.values.size(); ++i) {
                if (auto cidr = parse_cidr(c.m.values[i]))
                    c.m.cidrs.push_back(*cidr);
                else
                    c.error_value(i, "'" + c.m.values[i] + "' is not an IPv4/IPv6 address or CIDR");
            }
            return;
        case Operator::SPortPriv:
        case Operator::DPortPriv:
        case Operator::NotSPortPriv:
        case Operator::NotDPortPriv:
            if (!c.m.values.empty())
                c.r.warning(c.m.op_pos, op_str(op) + " takes no values; they are ignored");
            return;
        default: break;
    }
    // Ports, protocols, families and states: names, numbers or min:max.
    for (size_t i = 0; i < c.m.values.size(); ++i) {
        const std::string& v = c.m.values[i];
        std::optional<uint32_t> named;
        std::vector<std::string_view> names;
        if (op == Operator::Protocol) named = protocol_from_name(v), names = protocol_names();
        if (op == Operator::Family) named = family_from_name(v), names = family_names();
        if (op == Operator::State) named = tcp_state_from_name(v), names = tcp_state_names();
        if (named) {
            c.m.ranges.push_back({*named, *named});
            continue;
        }
        const bool numeric = !v.empty() && v.find_first_not_of("0123456789:") == std::string::npos;
        if (!numeric && !names.empty()) {
            std::string hint = did_you_mean(v, names);
            c.error_value(
                i, "unknown " + op_str(op) + " value '" + v + "';" +
                       (hint.empty() ? " use a number or a name such as " + std::string(names[0]) : hint));
            continue;
        }
        auto r = parse_map_value(c, i, false);
        if (!r) continue;
        const bool port = op == Operator::SPort || op == Operator::DPort || op == Operator::NotSPort ||
                          op == Operator::NotDPort;
        if (port && r->max > 65535) {
            c.error_value(i, "port '" + v + "' is out of range 0..65535");
            continue;
        }
        c.m.ranges.push_back(*r);
    }
}

void check_file_type(Ctx& c) {
    const ArgType t = c.m.arg_type;
    if (t != ArgType::File && t != ArgType::Path) {
        c.error_op(op_str(c.m.op) + " works only on file and path arguments, not " + type_str(t));
        return;
    }
    if (!check_inline_count(c)) return;
    for (size_t i = 0; i < c.m.values.size(); ++i) {
        if (auto mode = file_type_from_name(c.m.values[i])) {
            c.m.ranges.push_back({*mode, *mode});
        } else {
            std::string hint = did_you_mean(c.m.values[i], file_type_names());
            c.error_value(i, "unknown file type '" + c.m.values[i] + "';" +
                                 (hint.empty() ? " accepted: reg, dir, lnk, chr, blk, fifo, sock" : hint));
        }
    }
}

bool resolve_position(Ctx& c, const Hook& h, const std::vector<Arg>& args, bool is_data, bool is_return) {
    MatchArg& m = c.m;
    const char* what = is_data ? "data entries" : "arguments";
    if (args.empty()) {
        c.r.error(m.pos, is_return ? "matchReturnArgs needs a returnArg on the hook"
                                   : std::string("the hook declares no ") + what + " to filter on");
        return false;
    }
    if (!m.args.empty()) {
        for (size_t k = 0; k < m.args.size(); ++k) {
            if (m.args[k] >= args.size()) {
                SourcePos p = m.pos;
                p.path = index_path(child_path(m.pos.path, "args"), k);
                c.r.error(p, "args[" + std::to_string(k) + "] = " + std::to_string(m.args[k]) +
                                 " is out of range: the hook has " + std::to_string(args.size()) + " " +
                                 what + " (positions 0.." + std::to_string(args.size() - 1) + ")");
                return false;
            }
        }
        m.position = static_cast<int>(m.args[0]);
        if (m.args.size() > 1) m.position2 = static_cast<int>(m.args[1]);
        return true;
    }
    if (is_data) {
        if (m.index < args.size()) {
            m.position = static_cast<int>(m.index);
            return true;
        }
        c.r.error(m.pos, "matchData index " + std::to_string(m.index) + " is out of range: the hook has " +
                             std::to_string(args.size()) + " data entries");
        return false;
    }
    for (size_t k = 0; k < args.size(); ++k) {
        if (args[k].index == m.index) {
            m.position = static_cast<int>(k);
            return true;
        }
    }
    // Tracepoints also accept the position in args[] (Tetragon rewrites the
    // index of tracepoint filters to the position of the argument).
    if (h.kind == HookKind::Tracepoint && !is_return && m.index < args.size()) {
        m.position = static_cast<int>(m.index);
        return true;
    }
    std::string indexes;
    for (size_t k = 0; k < args.size(); ++k) indexes += (k ? ", " : "") + std::to_string(args[k].index);
    c.r.error(m.pos, std::string("index ") + std::to_string(m.index) + " does not refer to any " +
                         (is_return ? "return argument (returnArg has index "
                                    : "declared argument (declared indexes: ") +
                         indexes + ")");
    return false;
}

}  // namespace

void validate_match_arg(Reader& r, const Policy& p, const Hook& h, MatchArg& m, const std::vector<Arg>& args,
                        bool is_data, bool is_return) {
    Ctx c{r, p, m};
    if (!resolve_position(c, h, args, is_data, is_return)) return;
    m.arg_type = args[static_cast<size_t>(m.position)].type;
    m.is_signed = is_signed_integer_type(m.arg_type);
    const ArgType t = m.arg_type;
    const Operator op = m.op;

    if (op == Operator::CelExpr) return;  // reported as unsupported when read
    if (op == Operator::CapabilitiesGained) {
        if (m.args.size() != 2) {
            c.error_op("CapabilitiesGained compares two capability arguments: give them as args: [old, new]");
            return;
        }
        const ArgType t2 = args[static_cast<size_t>(m.position2)].type;
        if (!is_cap_mask_type(t) || !is_cap_mask_type(t2)) {
            c.error_op("CapabilitiesGained needs two kernel_cap_t/cap_* arguments, got " + type_str(t) +
                       " and " + type_str(t2));
        }
        return;
    }
    if (t == ArgType::Auto) {
        // Tracepoint field types are only known from the tracefs format at
        // load time; values are kept as written.
        m.strings = m.values;
        return;
    }

    switch (op) {
        case Operator::Equal:
        case Operator::NotEqual:
            if (is_integer_type(t) || is_cap_mask_type(t)) {
                if (!check_inline_count(c)) return;
                for (size_t i = 0; i < m.values.size(); ++i) parse_inline_int(c, i);
            } else {
                check_string_op(c);
            }
            return;
        case Operator::GT:
        case Operator::LT:
        case Operator::Mask:
            if (!is_integer_type(t) && !is_cap_mask_type(t)) {
                c.error_op("operator " + op_str(op) + " works only on integer arguments; this one is " +
                           type_str(t));
                return;
            }
            if (!check_inline_count(c)) return;
            for (size_t i = 0; i < m.values.size(); ++i) parse_inline_int(c, i);
            return;
        case Operator::InRange:
        case Operator::NotInRange: parse_in_range(c); return;
        case Operator::InMap:
        case Operator::NotInMap: parse_in_map(c); return;
        case Operator::Prefix:
        case Operator::NotPrefix:
        case Operator::Postfix:
        case Operator::NotPostfix:
        case Operator::SubString:
        case Operator::SubStringIgnCase: check_string_op(c); return;
        case Operator::FileType:
        case Operator::NotFileType: check_file_type(c); return;
        default: check_network_op(c); return;
    }
}

}  // namespace vigil::policy::detail
