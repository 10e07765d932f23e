#include "ingest/hook_args.h"

#include <cstring>

#include "vigil/abi.h"

namespace vigil::ingest {

namespace {

template <typename T>
bool read(const std::string& bytes, T& out) {
    if (bytes.size() < sizeof(T)) return false;
    std::memcpy(&out, bytes.data(), sizeof(T));
    return true;
}

}  // namespace

void decode_struct_arg(model::HookArgValue& v) {
    switch (v.kind) {
        case model::ArgKind::kSock: {
            vigil_sock_info k{};
            if (!read(v.bytes, k)) break;
            auto& s = v.sock;
            s.family = k.family;
            s.type = k.type;
            s.protocol = k.protocol;
            s.state = k.state;
            s.mark = k.mark;
            s.priority = k.priority;
            s.sport = k.sport;
            s.dport = k.dport;
            s.cookie = k.cookie;
            std::memcpy(s.saddr, k.saddr, sizeof(s.saddr));
            std::memcpy(s.daddr, k.daddr, sizeof(s.daddr));
            return;
        }
        case model::ArgKind::kSkb: {
            vigil_skb_info k{};
            if (!read(v.bytes, k)) break;
            auto& s = v.skb;
            s.hash = k.hash;
            s.len = k.len;
            s.priority = k.priority;
            s.mark = k.mark;
            s.family = k.family;
            s.proto = k.proto;
            s.sport = k.sport;
            s.dport = k.dport;
            std::memcpy(s.saddr, k.saddr, sizeof(s.saddr));
            std::memcpy(s.daddr, k.daddr, sizeof(s.daddr));
            return;
        }
        case model::ArgKind::kCred: {
            vigil_cred_info k{};
            if (!read(v.bytes, k)) break;
            auto& c = v.cred;
            c.uid = k.uid;
            c.gid = k.gid;
            c.suid = k.suid;
            c.sgid = k.sgid;
            c.euid = k.euid;
            c.egid = k.egid;
            c.fsuid = k.fsuid;
            c.fsgid = k.fsgid;
            c.cap_permitted = k.cap_permitted;
            c.cap_effective = k.cap_effective;
            c.cap_inheritable = k.cap_inheritable;
            return;
        }
        default:
            return;
    }
    // The kernel wrote less than the struct (record cut short): say so.
    v.error = true;
}

}  // namespace vigil::ingest
