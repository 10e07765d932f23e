#include "policy/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>

namespace vigil::policy {
namespace {

using NamedValue = std::pair<std::string_view, uint32_t>;

// Tetragon's CapabilitiesType proto enum. Value 1 really is "DAC_OVERRIDE".
constexpr std::array<NamedValue, 41> kCapabilities{{
    {"CAP_CHOWN", 0},
    {"DAC_OVERRIDE", 1},
    {"CAP_DAC_READ_SEARCH", 2},
    {"CAP_FOWNER", 3},
    {"CAP_FSETID", 4},
    {"CAP_KILL", 5},
    {"CAP_SETGID", 6},
    {"CAP_SETUID", 7},
    {"CAP_SETPCAP", 8},
    {"CAP_LINUX_IMMUTABLE", 9},
    {"CAP_NET_BIND_SERVICE", 10},
    {"CAP_NET_BROADCAST", 11},
    {"CAP_NET_ADMIN", 12},
    {"CAP_NET_RAW", 13},
    {"CAP_IPC_LOCK", 14},
    {"CAP_IPC_OWNER", 15},
    {"CAP_SYS_MODULE", 16},
    {"CAP_SYS_RAWIO", 17},
    {"CAP_SYS_CHROOT", 18},
    {"CAP_SYS_PTRACE", 19},
    {"CAP_SYS_PACCT", 20},
    {"CAP_SYS_ADMIN", 21},
    {"CAP_SYS_BOOT", 22},
    {"CAP_SYS_NICE", 23},
    {"CAP_SYS_RESOURCE", 24},
    {"CAP_SYS_TIME", 25},
    {"CAP_SYS_TTY_CONFIG", 26},
    {"CAP_MKNOD", 27},
    {"CAP_LEASE", 28},
    {"CAP_AUDIT_WRITE", 29},
    {"CAP_AUDIT_CONTROL", 30},
    {"CAP_SETFCAP", 31},
    {"CAP_MAC_OVERRIDE", 32},
    {"CAP_MAC_ADMIN", 33},
    {"CAP_SYSLOG", 34},
    {"CAP_WAKE_ALARM", 35},
    {"CAP_BLOCK_SUSPEND", 36},
    {"CAP_AUDIT_READ", 37},
    {"CAP_PERFMON", 38},
    {"CAP_BPF", 39},
    {"CAP_CHECKPOINT_RESTORE", 40},
}};

// pkg/reader/network in Tetragon: IPPROTO_*, AF_*, TCP_* names.
constexpr std::array<NamedValue, 28> kProtocols{{
    {"IPPROTO_IP", 0},     {"IPPROTO_ICMP", 1},       {"IPPROTO_IGMP", 2},   {"IPPROTO_IPIP", 4},
    {"IPPROTO_TCP", 6},    {"IPPROTO_EGP", 8},        {"IPPROTO_PUP", 12},   {"IPPROTO_UDP", 17},
    {"IPPROTO_IDP", 22},   {"IPPROTO_TP", 29},        {"IPPROTO_DCCP", 33},  {"IPPROTO_IPV6", 41},
    {"IPPROTO_RSVP", 46},  {"IPPROTO_GRE", 47},       {"IPPROTO_ESP", 50},   {"IPPROTO_AH", 51},
    {"IPPROTO_MTP", 92},   {"IPPROTO_BEETPH", 94},    {"IPPROTO_ENCAP", 98}, {"IPPROTO_PIM", 103},
    {"IPPROTO_COMP", 108}, {"IPPROTO_L2TP", 115},     {"IPPROTO_SCTP", 132}, {"IPPROTO_UDPLITE", 136},
    {"IPPROTO_MPLS", 137}, {"IPPROTO_ETHERNET", 143}, {"IPPROTO_RAW", 255},  {"IPPROTO_MPTCP", 262},
}};

constexpr std::array<NamedValue, 48> kFamilies{{
    {"AF_UNSPEC", 0},    {"AF_UNIX", 1},      {"AF_LOCAL", 1},    {"AF_INET", 2},        {"AF_AX25", 3},
    {"AF_IPX", 4},       {"AF_APPLETALK", 5}, {"AF_NETROM", 6},   {"AF_BRIDGE", 7},      {"AF_ATMPVC", 8},
    {"AF_X25", 9},       {"AF_INET6", 10},    {"AF_ROSE", 11},    {"AF_DECnet", 12},     {"AF_NETBEUI", 13},
    {"AF_SECURITY", 14}, {"AF_KEY", 15},      {"AF_NETLINK", 16}, {"AF_ROUTE", 16},      {"AF_PACKET", 17},
    {"AF_ASH", 18},      {"AF_ECONET", 19},   {"AF_ATMSVC", 20},  {"AF_RDS", 21},        {"AF_SNA", 22},
    {"AF_IRDA", 23},     {"AF_PPPOX", 24},    {"AF_WANPIPE", 25}, {"AF_LLC", 26},        {"AF_IB", 27},
    {"AF_MPLS", 28},     {"AF_CAN", 29},      {"AF_TIPC", 30},    {"AF_BLUETOOTH", 31},  {"AF_IUCV", 32},
    {"AF_RXRPC", 33},    {"AF_ISDN", 34},     {"AF_PHONET", 35},  {"AF_IEEE802154", 36}, {"AF_CAIF", 37},
    {"AF_ALG", 38},      {"AF_NFC", 39},      {"AF_VSOCK", 40},   {"AF_KCM", 41},        {"AF_QIPCRTR", 42},
    {"AF_SMC", 43},      {"AF_XDP", 44},      {"AF_MCTP", 45},
}};

constexpr std::array<NamedValue, 12> kTcpStates{{
    {"TCP_ESTABLISHED", 1},
    {"TCP_SYN_SENT", 2},
    {"TCP_SYN_RECV", 3},
    {"TCP_FIN_WAIT1", 4},
    {"TCP_FIN_WAIT2", 5},
    {"TCP_TIME_WAIT", 6},
    {"TCP_CLOSE", 7},
    {"TCP_CLOSE_WAIT", 8},
    {"TCP_LAST_ACK", 9},
    {"TCP_LISTEN", 10},
    {"TCP_CLOSING", 11},
    {"TCP_NEW_SYN_RECV", 12},
}};

// S_IF* values, as Tetragon's fileTypeTable spells them.
constexpr std::array<NamedValue, 13> kFileTypes{{
    {"reg", 0100000},
    {"regular", 0100000},
    {"dir", 0040000},
    {"lnk", 0120000},
    {"link", 0120000},
    {"chr", 0020000},
    {"char", 0020000},
    {"blk", 0060000},
    {"block", 0060000},
    {"fifo", 0010000},
    {"pipe", 0010000},
    {"sock", 0140000},
    {"socket", 0140000},
}};

template <size_t N>
std::optional<uint32_t> lookup(const std::array<NamedValue, N>& t, std::string_view name) {
    for (const auto& [n, v] : t) {
        if (n == name) return v;
    }
    return std::nullopt;
}

template <size_t N>
std::vector<std::string_view> names(const std::array<NamedValue, N>& t) {
    std::vector<std::string_view> out;
    for (const auto& e : t) out.push_back(e.first);
    return out;
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

// Magnitude of an unsigned literal, Go-style, within 64 bits.
std::optional<uint64_t> parse_magnitude(std::string_view s, int base) {
    if (s.empty()) return std::nullopt;
    std::string digits;
    if (base == 0) {
        base = 10;
        if (s.size() >= 2 && s[0] == '0') {
            char p = static_cast<char>(s[1] | 0x20);
            if (p == 'x') {
                base = 16;
                s.remove_prefix(2);
            } else if (p == 'b') {
                base = 2;
                s.remove_prefix(2);
            } else if (p == 'o') {
                base = 8;
                s.remove_prefix(2);
            } else {
                base = 8;
                s.remove_prefix(1);
            }
        }
        // Go allows '_' between digits when the base is inferred.
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '_') {
                if (i + 1 == s.size() || s[i + 1] == '_') return std::nullopt;
                continue;
            }
            digits += s[i];
        }
    } else {
        digits = std::string(s);
    }
    if (digits.empty()) return std::nullopt;
    uint64_t v = 0;
    for (char c : digits) {
        int d = digit_value(c);
        if (d >= base) return std::nullopt;
        if (v >
            (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
            return std::nullopt;
        }
        v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    return v;
}

}  // namespace

std::optional<uint64_t> parse_uint(std::string_view s, int base, int bits) {
    auto v = parse_magnitude(s, base);
    if (!v) return std::nullopt;
    if (bits < 64 && *v > ((uint64_t{1} << bits) - 1)) return std::nullopt;
    return v;
}

std::optional<int64_t> parse_int(std::string_view s, int base, int bits) {
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    auto v = parse_magnitude(s, base);
    if (!v) return std::nullopt;
    const uint64_t limit = uint64_t{1} << (bits - 1);
    if (neg) {
        if (*v > limit) return std::nullopt;
        return static_cast<int64_t>(0 - *v);
    }
    if (*v >= limit) return std::nullopt;
    return static_cast<int64_t>(*v);
}

std::optional<int64_t> parse_yaml_int(std::string_view s) { return parse_int(s, 0, 64); }

std::optional<bool> parse_yaml_bool(std::string_view s) {
    static constexpr std::array<std::string_view, 11> kTrue{"true", "True", "TRUE", "yes", "Yes", "YES",
                                                            "on",   "On",   "ON",   "y",   "Y"};
    static constexpr std::array<std::string_view, 11> kFalse{"false", "False", "FALSE", "no", "No", "NO",
                                                             "off",   "Off",   "OFF",   "n",  "N"};
    if (std::find(kTrue.begin(), kTrue.end(), s) != kTrue.end()) return true;
    if (std::find(kFalse.begin(), kFalse.end(), s) != kFalse.end()) return false;
    return std::nullopt;
}

std::optional<Cidr> parse_cidr(std::string_view s) {
    std::string addr(s);
    std::optional<uint32_t> prefix;
    if (auto slash = s.find('/'); slash != std::string_view::npos) {
        addr = std::string(s.substr(0, slash));
        auto p = parse_uint(s.substr(slash + 1), 10, 8);
        if (!p) return std::nullopt;
        prefix = static_cast<uint32_t>(*p);
    }
    Cidr c;
    if (inet_pton(AF_INET, addr.c_str(), c.addr.data()) == 1) {
        c.family = 4;
        if (prefix && *prefix > 32) return std::nullopt;
        c.prefix_len = static_cast<uint8_t>(prefix.value_or(32));
        return c;
    }
    if (inet_pton(AF_INET6, addr.c_str(), c.addr.data()) == 1) {
        c.family = 6;
        if (prefix && *prefix > 128) return std::nullopt;
        c.prefix_len = static_cast<uint8_t>(prefix.value_or(128));
        return c;
    }
    return std::nullopt;
}

std::optional<uint32_t> capability_from_name(std::string_view name) { return lookup(kCapabilities, name); }
std::vector<std::string_view> capability_names() { return names(kCapabilities); }
std::optional<uint32_t> protocol_from_name(std::string_view name) { return lookup(kProtocols, name); }
std::optional<uint32_t> family_from_name(std::string_view name) { return lookup(kFamilies, name); }
std::optional<uint32_t> tcp_state_from_name(std::string_view name) { return lookup(kTcpStates, name); }
std::optional<uint32_t> file_type_from_name(std::string_view name) { return lookup(kFileTypes, name); }
std::vector<std::string_view> protocol_names() { return names(kProtocols); }
std::vector<std::string_view> family_names() { return names(kFamilies); }
std::vector<std::string_view> tcp_state_names() { return names(kTcpStates); }
std::vector<std::string_view> file_type_names() { return names(kFileTypes); }

std::optional<uint32_t> parse_rate_limit_ms(std::string_view s) {
    if (s.empty()) return std::nullopt;
    uint64_t mult = 1;
    switch (s.back()) {
        case 's':
        case 'S': s.remove_suffix(1); break;
        case 'm':
        case 'M':
            mult = 60;
            s.remove_suffix(1);
            break;
        case 'h':
        case 'H':
            mult = 3600;
            s.remove_suffix(1);
            break;
        default: break;
    }
    auto n = parse_uint(s, 10, 32);
    if (!n) return std::nullopt;
    uint64_t ms = *n * mult * 1000;
    return static_cast<uint32_t>(std::min<uint64_t>(ms, 0xffffffffu));
}

std::optional<std::vector<std::string>> split_resolve_path(std::string_view s) {
    std::vector<std::string> out;
    std::string buf;
    bool in_bracket = false;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        char prev = i ? s[i - 1] : '\0';
        if (c == '.') {
            if (in_bracket || prev == '.') return std::nullopt;
            if (!buf.empty()) out.push_back(std::move(buf));
            buf.clear();
        } else if (c == '[') {
            if (in_bracket || prev == '.') return std::nullopt;
            if (!buf.empty()) out.push_back(std::move(buf));
            buf.clear();
            buf.push_back('[');
            in_bracket = true;
        } else if (c == ']') {
            if (!in_bracket || prev == '[') return std::nullopt;
            buf += ']';
            in_bracket = false;
            out.push_back(std::move(buf));
            buf.clear();
        } else {
            if (in_bracket && (c < '0' || c > '9')) return std::nullopt;
            buf += c;
        }
    }
    if (in_bracket) return std::nullopt;
    if (!buf.empty()) out.push_back(std::move(buf));
    if (out.empty()) return std::nullopt;
    return out;
}

}  // namespace vigil::policy
