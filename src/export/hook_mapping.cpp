#include "export/hook_mapping.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace vigil::exporter {

namespace {

bool is_one_of(const std::string& t, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        if (t == n) return true;
    }
    return false;
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
    if (t == "fd") {
        a.mutable_file_arg()->set_path(to_valid_utf8(v.bytes));
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

tetragon::GetEventsResponse kprobe_event(const ProtoMapper& mapper, const ProcessRef& proc,
                                         const ProcessRef& parent, const HookInfo& info,
                                         const model::HookEvent& ev) {
    tetragon::GetEventsResponse out;
    auto* k = out.mutable_process_kprobe();
    mapper.fill_process(proc, k->mutable_process());
    if (parent.process) mapper.fill_process(parent, k->mutable_parent());
    k->set_function_name(info.function_name);
    for (std::size_t i = 0; i < ev.args.size(); ++i) {
        HookArgInfo ai = i < info.args.size() ? info.args[i] : HookArgInfo{"int", ""};
        *k->add_args() = to_kprobe_argument(ev.args[i], ai);
    }
    if (ev.has_return && !info.return_type.empty()) {
        model::HookArgValue rv;
        rv.value = static_cast<std::uint64_t>(ev.ret);
        *k->mutable_return_() = to_kprobe_argument(rv, {info.return_type, ""});
    }
    // The action the kernel took (or, in monitor mode, would have taken).
    switch (ev.action) {
        case 2: k->set_action(tetragon::KPROBE_ACTION_SIGKILL); break;
        case 3: k->set_action(tetragon::KPROBE_ACTION_SIGNAL); break;
        default: k->set_action(tetragon::KPROBE_ACTION_POST); break;
    }
    k->set_policy_name(info.policy_name);
    if (!info.message.empty()) k->set_message(info.message);
    for (const auto& tag : info.tags) k->add_tags(tag);
    mapper.fill_envelope(&out, ev.ktime);
    return out;
}

}  // namespace vigil::exporter
