#include "export/hook_mapping.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>
#include <cstring>

namespace vigil::exporter {

namespace {

bool is_one_of(const std::string& t, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        if (t == n) return true;
    }
    return false;
}

std::string ip_text(std::uint16_t family, const std::uint8_t* addr) {
    char text[INET6_ADDRSTRLEN] = {};
    if (family == AF_INET6) {
        inet_ntop(AF_INET6, addr, text, sizeof(text));
    } else {
        inet_ntop(AF_INET, addr, text, sizeof(text));
    }
    return text;
}

std::string family_name(std::uint16_t f) {
    switch (f) {
        case AF_UNIX: return "AF_UNIX";
        case AF_INET: return "AF_INET";
        case AF_INET6: return "AF_INET6";
        case AF_NETLINK: return "AF_NETLINK";
        case AF_PACKET: return "AF_PACKET";
        default: return "AF_" + std::to_string(f);
    }
}

std::string sock_type_name(std::uint16_t t) {
    switch (t) {
        case SOCK_STREAM: return "SOCK_STREAM";
        case SOCK_DGRAM: return "SOCK_DGRAM";
        case SOCK_RAW: return "SOCK_RAW";
        case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
        default: return std::to_string(t);
    }
}

std::string protocol_name(std::uint16_t p) {
    switch (p) {
        case 1: return "IPPROTO_ICMP";
        case 6: return "IPPROTO_TCP";
        case 17: return "IPPROTO_UDP";
        case 58: return "IPPROTO_ICMPV6";
        case 132: return "IPPROTO_SCTP";
        case 262: return "IPPROTO_MPTCP";
        default: return std::to_string(p);
    }
}

// include/net/tcp_states.h, as Tetragon names them.
std::string tcp_state_name(std::uint8_t s) {
    static const char* names[] = {"",           "TCP_ESTABLISHED", "TCP_SYN_SENT", "TCP_SYN_RECV",
                                  "TCP_FIN_WAIT1", "TCP_FIN_WAIT2", "TCP_TIME_WAIT", "TCP_CLOSE",
                                  "TCP_CLOSE_WAIT", "TCP_LAST_ACK", "TCP_LISTEN", "TCP_CLOSING",
                                  "TCP_NEW_SYN_RECV"};
    if (s < sizeof(names) / sizeof(names[0])) return names[s];
    return std::to_string(s);
}

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
    return buf;
}

void set_sock(const model::SockValue& s, tetragon::KprobeSock* out) {
    out->set_family(family_name(s.family));
    out->set_type(sock_type_name(s.type));
    out->set_protocol(protocol_name(s.protocol));
    out->set_mark(s.mark);
    out->set_priority(s.priority);
    out->set_saddr(ip_text(s.family, s.saddr));
    out->set_daddr(ip_text(s.family, s.daddr));
    out->set_sport(s.sport);
    out->set_dport(s.dport);
    out->set_cookie(s.cookie);
    out->set_state(tcp_state_name(s.state));
}

void set_skb(const model::SkbValue& s, tetragon::KprobeSkb* out) {
    out->set_hash(s.hash);
    out->set_len(s.len);
    out->set_priority(s.priority);
    out->set_mark(s.mark);
    if (s.family) {
        out->set_saddr(ip_text(s.family, s.saddr));
        out->set_daddr(ip_text(s.family, s.daddr));
        out->set_family(family_name(s.family));
    }
    out->set_sport(s.sport);
    out->set_dport(s.dport);
    out->set_proto(s.proto);
    out->set_protocol(protocol_name(s.proto));
}

void set_cred(const model::CredValue& c, tetragon::ProcessCredentials* out) {
    out->mutable_uid()->set_value(c.uid);
    out->mutable_gid()->set_value(c.gid);
    out->mutable_euid()->set_value(c.euid);
    out->mutable_egid()->set_value(c.egid);
    out->mutable_suid()->set_value(c.suid);
    out->mutable_sgid()->set_value(c.sgid);
    out->mutable_fsuid()->set_value(c.fsuid);
    out->mutable_fsgid()->set_value(c.fsgid);
    fill_capabilities({c.cap_permitted, c.cap_effective, c.cap_inheritable}, out->mutable_caps());
}

tetragon::KprobeAction action_of(const HookInfo& info, const model::HookEvent& ev) {
    switch (ev.action) {
        case 2: return tetragon::KPROBE_ACTION_SIGKILL;
        case 3: return tetragon::KPROBE_ACTION_SIGNAL;
        case 4: return tetragon::KPROBE_ACTION_OVERRIDE;
        default: break;
    }
    // A posted event of a selector whose action vigild performs says so.
    if (const auto& remote = info.remote_actions_of(ev.selector); !remote.empty()) {
        return remote[0].kind == model::RemoteActionKind::kGetUrl ? tetragon::KPROBE_ACTION_GETURL
                                                                   : tetragon::KPROBE_ACTION_DNSLOOKUP;
    }
    return tetragon::KPROBE_ACTION_POST;
}

template <typename Msg>
void fill_args(Msg* m, const HookInfo& info, const model::HookEvent& ev) {
    for (std::size_t i = 0; i < ev.args.size(); ++i) {
        HookArgInfo ai = i < info.args.size() ? info.args[i] : HookArgInfo{"int", ""};
        *m->add_args() = to_kprobe_argument(ev.args[i], ai);
    }
}

template <typename Msg>
void fill_common(Msg* m, const ProtoMapper& mapper, const ProcessRef& proc, const ProcessRef& parent,
                 const HookInfo& info) {
    mapper.fill_process(proc, m->mutable_process());
    if (parent.process) mapper.fill_process(parent, m->mutable_parent());
    m->set_policy_name(info.policy_name);
    if (!info.message.empty()) m->set_message(info.message);
    for (const auto& tag : info.tags) m->add_tags(tag);
}

}  // namespace

tetragon::KprobeSockaddr decode_sockaddr(const std::string& bytes) {
    tetragon::KprobeSockaddr out;
    if (bytes.size() < sizeof(sa_family_t)) return out;
    sa_family_t family = 0;
    std::memcpy(&family, bytes.data(), sizeof(family));
    char text[INET6_ADDRSTRLEN] = {};
    if (family == AF_INET && bytes.size() >= sizeof(sockaddr_in)) {
        sockaddr_in sin{};
        std::memcpy(&sin, bytes.data(), sizeof(sin));
        out.set_family("AF_INET");
        inet_ntop(AF_INET, &sin.sin_addr, text, sizeof(text));
        out.set_addr(text);
        out.set_port(ntohs(sin.sin_port));
    } else if (family == AF_INET6 && bytes.size() >= sizeof(sockaddr_in6)) {
        sockaddr_in6 sin6{};
        std::memcpy(&sin6, bytes.data(), sizeof(sin6));
        out.set_family("AF_INET6");
        inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof(text));
        out.set_addr(text);
        out.set_port(ntohs(sin6.sin6_port));
    } else if (family == AF_UNIX) {
        out.set_family("AF_UNIX");
        std::string path = bytes.substr(offsetof(sockaddr_un, sun_path));
        // Abstract sockets start with a NUL; shown with '@' like ss(8).
        if (!path.empty() && path[0] == '\0') path[0] = '@';
        auto nul = path.find('\0');
        if (nul != std::string::npos) path.resize(nul);
        out.set_addr(to_valid_utf8(path));
    } else {
        out.set_family("AF_" + std::to_string(family));
    }
    return out;
}

tetragon::KprobeArgument to_kprobe_argument(const model::HookArgValue& v, const HookArgInfo& info) {
    tetragon::KprobeArgument a;
    if (!info.label.empty()) a.set_label(info.label);
    const std::string& t = info.type;
    if (t == "fd" || t == "file") {
        a.mutable_file_arg()->set_path(to_valid_utf8(v.bytes));
    } else if (t == "path" || t == "dentry") {
        a.mutable_path_arg()->set_path(to_valid_utf8(v.bytes));
    } else if (t == "linux_binprm") {
        a.mutable_linux_binprm_arg()->set_path(to_valid_utf8(v.bytes));
    } else if (t == "sock") {
        set_sock(v.sock, a.mutable_sock_arg());
    } else if (t == "skb") {
        set_skb(v.skb, a.mutable_skb_arg());
    } else if (t == "cred") {
        set_cred(v.cred, a.mutable_process_credentials_arg());
    } else if (t == "kernel_cap_t") {
        a.set_kernel_cap_t_arg(hex(v.value));
    } else if (t == "cap_inheritable") {
        a.set_cap_inheritable_arg(hex(v.value));
    } else if (t == "cap_permitted") {
        a.set_cap_permitted_arg(hex(v.value));
    } else if (t == "cap_effective") {
        a.set_cap_effective_arg(hex(v.value));
    } else if (t == "syscall64") {
        // Tetragon's encoding: bit 31 marks a 32-bit (i386) syscall number.
        a.mutable_syscall_id()->set_id(static_cast<std::uint32_t>(v.value & 0x7fffffffu));
        a.mutable_syscall_id()->set_abi((v.value & 0x80000000u) ? "i386" : "x64");
    } else if (t == "char_iovec") {
        a.set_bytes_arg(v.bytes);
    } else if (t == "char_buf") {
        if (v.truncated) {
            a.mutable_truncated_bytes_arg()->set_bytes_arg(v.bytes);
            a.mutable_truncated_bytes_arg()->set_orig_size(v.orig_size);
        } else {
            a.set_bytes_arg(v.bytes);
        }
    } else if (is_one_of(t, {"string", "filename", "data_loc"})) {
        a.set_string_arg(to_valid_utf8(v.bytes));
    } else if (t == "sockaddr") {
        *a.mutable_sockaddr_arg() = decode_sockaddr(v.bytes);
    } else if (is_one_of(t, {"uint32", "uint16", "uint8"})) {
        a.set_uint_arg(static_cast<std::uint32_t>(v.value));
    } else if (is_one_of(t, {"long", "sint64", "int64"})) {
        a.set_long_arg(static_cast<std::int64_t>(v.value));
    } else if (is_one_of(t, {"uint64", "ulong", "unsigned long", "size_t"})) {
        a.set_size_arg(v.value);
    } else {
        // int, sint32, int32, int16, int8 and anything shown as a plain int.
        a.set_int_arg(static_cast<std::int32_t>(v.value));
    }
    return a;
}

tetragon::GetEventsResponse hook_event(const ProtoMapper& mapper, const ProcessRef& proc,
                                       const ProcessRef& parent, const HookInfo& info,
                                       const model::HookEvent& ev) {
    tetragon::GetEventsResponse out;
    switch (info.kind) {
        case model::HookEventKind::kTracepoint: {
            auto* t = out.mutable_process_tracepoint();
            fill_common(t, mapper, proc, parent, info);
            t->set_subsys(info.subsys);
            t->set_event(info.event);
            fill_args(t, info, ev);
            t->set_action(action_of(info, ev));
            break;
        }
        case model::HookEventKind::kUprobe: {
            auto* u = out.mutable_process_uprobe();
            fill_common(u, mapper, proc, parent, info);
            u->set_path(info.path);
            u->set_symbol(info.symbol);
            if (info.symbol.empty()) u->set_offset(info.offset);
            fill_args(u, info, ev);
            u->set_action(action_of(info, ev));
            break;
        }
        case model::HookEventKind::kLsm: {
            auto* l = out.mutable_process_lsm();
            fill_common(l, mapper, proc, parent, info);
            l->set_function_name(info.function_name);
            fill_args(l, info, ev);
            l->set_action(action_of(info, ev));
            break;
        }
        case model::HookEventKind::kKprobe: {
            auto* k = out.mutable_process_kprobe();
            fill_common(k, mapper, proc, parent, info);
            k->set_function_name(info.function_name);
            fill_args(k, info, ev);
            if (ev.has_return && !info.return_type.empty()) {
                model::HookArgValue rv;
                rv.value = static_cast<std::uint64_t>(ev.ret);
                *k->mutable_return_() = to_kprobe_argument(rv, {info.return_type, ""});
            }
            // The action the kernel took (or, in monitor mode, would have taken).
            k->set_action(action_of(info, ev));
            break;
        }
    }
    mapper.fill_envelope(&out, ev.ktime);
    return out;
}

}  // namespace vigil::exporter
