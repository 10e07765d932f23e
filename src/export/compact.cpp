#include "export/compact.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>

#include "common/syscall_names.h"
#include "tetragon/capabilities.pb.h"

namespace vigil::exporter {
namespace {

// ---------------------------------------------------------------------------
// Quoting untrusted text

constexpr char kHex[] = "0123456789abcdef";

// Decodes one UTF-8 sequence at s[i]. Returns the code point and sets `len`,
// or -1 with len = 1 for an invalid byte (overlong forms and surrogates
// included, as Go's utf8.DecodeRuneInString does).
std::int32_t decode_utf8(std::string_view s, std::size_t i, std::size_t& len) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    len = 1;
    if (c < 0x80) return c;
    std::size_t n = 0;
    std::int32_t cp = 0;
    std::int32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (i + n > s.size()) return -1;
    for (std::size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    len = n;
    return cp;
}

// Approximates Go's unicode.IsPrint: everything but controls, separators other
// than ' ', format characters (bidi overrides, zero-width), private use and
// non-characters. Unassigned code points are let through.
bool is_printable(std::int32_t r) {
    if (r < 0x20 || (r >= 0x7F && r <= 0xA0) || r == 0xAD) return false;
    if (r < 0x300) return true;
    if ((r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F || r == 0x8E2 || r == 0x1680 ||
        r == 0x180E)
        return false;
    if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F)) return false;
    if (r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || (r & 0xFFFE) == 0xFFFE) return false;
    if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) return false;
    if ((r >= 0xE0000 && r <= 0xE007F) || r == 0x110BD || r == 0x110CD || (r >= 0x1D173 && r <= 0x1D17A))
        return false;
    return true;
}

bool needs_quoting(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 0;
        const std::int32_t r = decode_utf8(s, i, len);
        if (r < 0 || r == ' ' || !is_printable(r)) return true;
        i += len;
    }
    return false;
}

void append_hex(std::string& out, std::uint32_t v, int digits) {
    for (int d = digits - 1; d >= 0; --d) out += kHex[(v >> (4 * d)) & 0xF];
}

// Go's strconv.Quote.
std::string go_quote(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 0;
        const std::int32_t r = decode_utf8(s, i, len);
        if (r < 0) {
            out += "\\x";
            append_hex(out, static_cast<unsigned char>(s[i]), 2);
        } else if (r == '"' || r == '\\') {
            out += '\\';
            out += static_cast<char>(r);
        } else if (is_printable(r) || r == ' ') {
            out.append(s.substr(i, len));
        } else {
            switch (r) {
                case '\a': out += "\\a"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                case '\v': out += "\\v"; break;
                default:
                    if (r < ' ' || r == 0x7F) {
                        out += "\\x";
                        append_hex(out, static_cast<std::uint32_t>(r), 2);
                    } else if (r < 0x10000) {
                        out += "\\u";
                        append_hex(out, static_cast<std::uint32_t>(r), 4);
                    } else {
                        out += "\\U";
                        append_hex(out, static_cast<std::uint32_t>(r), 8);
                    }
            }
        }
        i += len;
    }
    out += '"';
    return out;
}

// ---------------------------------------------------------------------------
// Line assembly

// fatih/color SGR codes used by Tetragon.
enum class Color { kRed = 31, kGreen = 32, kYellow = 33, kBlue = 34, kMagenta = 35, kCyan = 36 };

class Renderer {
public:
    Renderer(const tetragon::GetEventsResponse& ev, const CompactOptions& opts) : ev_(ev), color_(opts.color) {}

    std::string paint(Color c, std::string_view text) const {
        if (!color_ || text.empty()) return std::string(text);
        return "\x1b[" + std::to_string(static_cast<int>(c)) + "m" + std::string(text) + "\x1b[0m";
    }

    // "<emoji> <label padded to 7>", blue unless said otherwise.
    std::string event(std::string_view emoji, std::string_view label, Color c = Color::kBlue) const {
        std::string s(emoji);
        s += ' ';
        s += label;
        for (std::size_t n = label.size(); n < 7; ++n) s += ' ';
        return paint(c, s);
    }

    std::string details(std::string_view text) const { return paint(Color::kCyan, text); }
    std::string untrusted(std::string_view text) const { return paint(Color::kCyan, quote_if_needed(text)); }

    // Source (namespace/pod or node) and binary, and the caps trailer.
    std::string process_info(const tetragon::Process& p) {
        std::string source;
        if (p.has_pod()) {
            source = p.pod().namespace_() + "/" + p.pod().name();
        } else {
            source = quote_if_needed(ev_.node_name());
        }
        caps_.clear();
        if (p.has_cap()) {
            for (int c : p.cap().effective()) {
                if (c == tetragon::CAP_SYS_ADMIN) {
                    caps_ = "🛑 " + tetragon::CapabilitiesType_Name(tetragon::CAP_SYS_ADMIN);
                    break;
                }
            }
        }
        return paint(Color::kGreen, source) + " " + paint(Color::kMagenta, quote_if_needed(p.binary()));
    }

    // Joins parts with single spaces; empty parts still leave their separator,
    // as Tetragon's Sprintf("%s %s %s") does. Appends the caps trailer.
    template <typename... Parts>
    std::string line(const Parts&... parts) const {
        std::string out;
        bool first = true;
        ((out += (first ? "" : " "), out += parts, first = false), ...);
        return with_caps(std::move(out));
    }

private:
    static constexpr std::size_t kCapsColumn = 120;

    std::string with_caps(std::string line) const {
        if (caps_.empty()) return line;
        const std::size_t visible = visible_bytes(line);
        const std::size_t width = visible < kCapsColumn ? kCapsColumn - visible : 0;
        const std::size_t caps_runes = rune_count(caps_);
        line += ' ';
        for (std::size_t n = caps_runes; n < width; ++n) line += ' ';
        line += paint(Color::kMagenta, caps_);
        return line;
    }

    static std::size_t visible_bytes(std::string_view s) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '\x1b') {
                while (i < s.size() && s[i] != 'm') ++i;
                continue;
            }
            ++n;
        }
        return n;
    }

    static std::size_t rune_count(std::string_view s) {
        std::size_t n = 0;
        for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        return n;
    }

    const tetragon::GetEventsResponse& ev_;
    const bool color_;
    std::string caps_;
};

template <typename Args>
const tetragon::KprobeArgument* arg_at(const Args& args, int i) {
    return i < args.size() ? &args.Get(i) : nullptr;
}

std::string sock_text(const tetragon::KprobeSock& s) {
    return "tcp " + s.saddr() + ":" + std::to_string(s.sport()) + " -> " + s.daddr() + ":" +
           std::to_string(s.dport());
}

// setns(2) nstype values (CLONE_NEW*) to names; 0 means any.
std::string_view ns_name(std::int32_t flag) {
    switch (flag) {
        case 0: return "any";
        case 0x2000000: return "cgroup";
        case 0x8000000: return "ipc";
        case 0x40000000: return "net";
        case 0x20000: return "mnt";
        case 0x20000000: return "pid";
        case 0x80: return "time";
        case 0x10000000: return "user";
        case 0x4000000: return "uts";
        default: return "";
    }
}

std::string_view cut_syscall_prefix(std::string_view fn) {
    for (std::string_view prefix : {"__x64_", "__arm64_"}) {
        if (fn.substr(0, prefix.size()) == prefix) return fn.substr(prefix.size());
    }
    return fn;
}

std::string kprobe_line(Renderer& r, const tetragon::ProcessKprobe& k) {
    const std::string info = r.process_info(k.process());
    const auto& args = k.args();
    const auto* a0 = arg_at(args, 0);
    const auto* a1 = arg_at(args, 1);
    const auto* a2 = arg_at(args, 2);
    const auto file_of = [&](const tetragon::KprobeArgument* a) {
        return a != nullptr && a->has_file_arg() ? r.untrusted(a->file_arg().path()) : std::string();
    };
    const auto string_of = [&](const tetragon::KprobeArgument* a) {
        return a != nullptr ? r.untrusted(a->string_arg()) : std::string();
    };
    const std::string_view fn = cut_syscall_prefix(k.function_name());

    if (fn == "sys_write" || fn == "sys_read") {
        const bool write = fn == "sys_write";
        const std::string bytes = a2 != nullptr ? r.details(std::to_string(a2->size_arg()) + " bytes") : "";
        return r.line(write ? r.event("📝", "write") : r.event("📚", "read"), info, file_of(a0), bytes);
    }
    if (fn == "fd_install") return r.line(r.event("📬", "open"), info, file_of(a1));
    if (fn == "sys_openat") return r.line(r.event("📬️", "openat"), info, string_of(a1));
    if (fn == "sys_open") return r.line(r.event("📬️", "open"), info, string_of(a1));
    if (fn == "sys_close") return r.line(r.event("📪", "close"), info, file_of(a0));
    if (fn == "sys_mount") return r.line(r.event("💾", "mount"), info, string_of(a0), string_of(a1));
    if (fn == "sys_pivot_root") return r.line(r.event("💾", "pivot_root"), info, string_of(a0), string_of(a1));
    if (fn == "sys_setuid") {
        return r.line(r.event("🔑", "setuid"), info, a0 != nullptr ? r.details(std::to_string(a0->int_arg())) : "");
    }
    if (fn == "sys_clock_settime") return r.line(r.event("⏰", "clock_settime"), info);
    if (fn == "proc_exec_connector") return r.line(r.event("🔧", "proc_exec_connector"), info);
    if (fn == "sys_setns") {
        return r.line(r.event("🔧", "setns"), info, a1 != nullptr ? std::string(ns_name(a1->int_arg())) : "");
    }
    if (fn == "tcp_connect" || fn == "tcp_close") {
        const std::string sock = a0 != nullptr ? r.details(sock_text(a0->sock_arg())) : "";
        return r.line(fn == "tcp_connect" ? r.event("🔌", "connect") : r.event("🧹", "close"), info, sock);
    }
    if (fn == "tcp_sendmsg") {
        const std::string sock = a0 != nullptr ? r.details(sock_text(a0->sock_arg())) : "";
        const std::int32_t bytes = a1 != nullptr ? a1->int_arg() : 0;
        return r.line(r.event("📤", "sendmsg"), info, sock, "bytes", std::to_string(bytes));
    }
    if (fn == "bpf_check") {
        std::string attr;
        if (a0 != nullptr) {
            const auto& b = a0->bpf_attr_arg();
            attr = r.details(b.progtype() + " " + b.progname() + " instruction count " + std::to_string(b.insncnt()));
        }
        return r.line(r.event("🐝", "bpf_load"), info, attr);
    }
    if (fn == "security_perf_event_alloc") {
        std::string attr;
        if (a0 != nullptr) attr = r.details(a0->perf_event_arg().type() + " " + a0->perf_event_arg().kprobefunc());
        return r.line(r.event("🐝", "perf_event_alloc"), info, attr);
    }
    if (fn == "security_bpf_map_alloc" || fn == "security_bpf_map_create") {
        std::string attr;
        if (a0 != nullptr) {
            const auto& m = a0->bpf_map_arg();
            attr = r.details(m.maptype() + " " + m.mapname() + " key size " + std::to_string(m.keysize()) +
                             " value size " + std::to_string(m.valuesize()) + " max entries " +
                             std::to_string(m.maxentries()));
        }
        return r.line(r.event("🗺", "bpf_map_create"), info, attr);
    }
    if (fn == "security_file_permission") {
        std::string event = r.event("❓", "security_file_permission");
        std::string attr;
        if (a0 != nullptr && a1 != nullptr) {
            if (a1->int_arg() == 0x02) event = r.event("📝", "write");
            if (a1->int_arg() == 0x04) event = r.event("📚", "read");
            attr = r.untrusted(a0->file_arg().path());
        }
        return r.line(event, info, attr);
    }
    if (fn == "security_mmap_file") {
        std::string event = r.event("❓", "security_mmap_file");
        std::string attr;
        if (a0 != nullptr && a1 != nullptr) {
            const std::uint32_t prot = a1->uint_arg();
            std::string tag = "mmap-";
            if (prot & 0x01) tag += 'r';  // PROT_READ
            if (prot & 0x02) tag += 'w';  // PROT_WRITE
            if (prot & 0x04) tag += 'x';  // PROT_EXEC
            event = r.event("📝", tag);
            attr = r.untrusted(a0->file_arg().path());
        }
        return r.line(event, info, attr);
    }
    if (fn == "security_path_truncate" || fn == "security_file_truncate") {
        std::string event = r.event("❓", fn);
        std::string attr;
        if (a0 != nullptr) {
            event = r.event("📝", "truncate");
            attr = r.untrusted(a0->has_file_arg() ? a0->file_arg().path() : a0->path_arg().path());
        }
        return r.line(event, info, attr);
    }
    // Kernel symbols are not user controlled: printed as they are.
    return r.line(r.event("❓", "syscall"), info, k.function_name());
}

// raw_syscalls/sys_enter carries the syscall id in its first argument, as a
// long (older agents) or as a SyscallId with its ABI.
std::string raw_syscall_name(const tetragon::ProcessTracepoint& tp) {
    const auto* a0 = arg_at(tp.args(), 0);
    long id = -1;
    std::string abi = "x64";
    if (a0 != nullptr && a0->has_long_arg()) id = static_cast<long>(a0->long_arg());
    if (a0 != nullptr && a0->has_syscall_id()) {
        id = static_cast<long>(a0->syscall_id().id());
        if (!a0->syscall_id().abi().empty()) abi = a0->syscall_id().abi();
    }
    // Only the x86_64 table is known; other ABIs (i386 compat) stay unnamed.
    const std::string_view name = abi == "x64" ? syscall_name_x86_64(id) : std::string_view();
    return name.empty() ? "unknown" : std::string(name);
}

std::string tracepoint_line(Renderer& r, const tetragon::ProcessTracepoint& tp) {
    const std::string info = r.process_info(tp.process());
    if (tp.subsys() == "raw_syscalls" && tp.event() == "sys_enter") {
        return r.line(r.event("☎ ", "syscall"), info, raw_syscall_name(tp));
    }
    return r.line(r.event("⁉️", "tracepoint"), info, tp.subsys(), tp.event());
}

std::string exit_status(const Renderer& r, const tetragon::ProcessExit& e) {
    return r.paint(Color::kRed, e.signal().empty() ? std::to_string(e.status()) : e.signal());
}

std::string to_hex(const std::string& bytes) {
    std::string out;
    for (char c : bytes) append_hex(out, static_cast<unsigned char>(c), 2);
    return out;
}

std::string throttle_line(const Renderer& r, const tetragon::ProcessThrottle& t) {
    std::string type;
    if (t.type() == tetragon::THROTTLE_START) type = r.paint(Color::kRed, "START");
    if (t.type() == tetragon::THROTTLE_STOP) type = r.paint(Color::kGreen, "STOP ");
    return r.event("🧬", "throttle", Color::kRed) + " " + type + " " + quote_if_needed(t.cgroup());
}

std::string render_event(const tetragon::GetEventsResponse& ev, Renderer& r) {
    using R = tetragon::GetEventsResponse;
    switch (ev.event_case()) {
        case R::kProcessExec: {
            const auto& e = ev.process_exec();
            if (!e.has_process()) return {};
            return r.line(r.event("🚀", "process"), r.process_info(e.process()), r.untrusted(e.process().arguments()));
        }
        case R::kProcessExit: {
            const auto& e = ev.process_exit();
            if (!e.has_process()) return {};
            return r.line(r.event("💥", "exit"), r.process_info(e.process()), r.untrusted(e.process().arguments()),
                          exit_status(r, e));
        }
        case R::kProcessKprobe:
            if (!ev.process_kprobe().has_process()) return {};
            return kprobe_line(r, ev.process_kprobe());
        case R::kProcessTracepoint:
            if (!ev.process_tracepoint().has_process()) return {};
            return tracepoint_line(r, ev.process_tracepoint());
        case R::kProcessUprobe: {
            const auto& u = ev.process_uprobe();
            if (!u.has_process()) return {};
            return r.line(r.event("🕵️", "uprobe"), r.process_info(u.process()), quote_if_needed(u.path()),
                          quote_if_needed(u.symbol()));
        }
        case R::kProcessUsdt: {
            const auto& u = ev.process_usdt();
            if (!u.has_process()) return {};
            return r.line(r.event("🕵️", "usdt"), r.process_info(u.process()), quote_if_needed(u.path()),
                          quote_if_needed(u.provider()), quote_if_needed(u.name()));
        }
        case R::kProcessLsm: {
            const auto& l = ev.process_lsm();
            if (!l.has_process()) return {};
            return r.line(r.event("🔒", "LSM"), r.process_info(l.process()), l.function_name());
        }
        case R::kProcessLoader: {
            const auto& l = ev.process_loader();
            if (!l.has_process()) return {};
            const std::string buildid = l.buildid().empty() ? "" : to_hex(l.buildid()) + " ";
            return r.line(r.event("🧬", "loader"), r.process_info(l.process()),
                          buildid + r.paint(Color::kYellow, quote_if_needed(l.path())));
        }
        case R::kProcessThrottle:
            return throttle_line(r, ev.process_throttle());
        case R::kTest:
            return "TEST EVENT";  // only unit tests of the agent produce these
        default:
            return {};  // rate_limit_info, or no event at all
    }
}

// Go's "2006-01-02T15:04:05.000000000Z07:00" in UTC; a missing time is the epoch.
std::string format_time(const google::protobuf::Timestamp& ts) {
    const std::time_t secs = static_cast<std::time_t>(ts.seconds());
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ts.nanos()));
    return buf;
}

}  // namespace

std::string quote_if_needed(std::string_view s) {
    return needs_quoting(s) ? go_quote(s) : std::string(s);
}

std::string render_compact(const tetragon::GetEventsResponse& ev, const CompactOptions& opts) {
    Renderer r(ev, opts);
    std::string line = render_event(ev, r);
    if (line.empty() || !opts.timestamps) return line;
    return format_time(ev.time()) + " " + line;
}

}  // namespace vigil::exporter
