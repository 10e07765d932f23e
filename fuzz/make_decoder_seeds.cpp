// Writes the decoder fuzzer's seeds: one well-formed record of each type,
// laid out from bpf/include/vigil/abi.h the way the BPF programs write them,
// plus a few with lying lengths. Run after an ABI change:
//   build-fuzz/fuzz/fuzz_decoder_seeds fuzz/corpus/decoder
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "vigil/abi.h"

namespace {

using Bytes = std::vector<unsigned char>;

template <typename T>
Bytes with_tail(T rec, const std::vector<std::pair<std::string, vigil_slice*>>& parts) {
    Bytes buf(sizeof(rec));
    for (const auto& [data, slice] : parts) {
        slice->off = static_cast<__u16>(buf.size());
        slice->len = static_cast<__u16>(data.size());
        buf.insert(buf.end(), data.begin(), data.end());
    }
    rec.hdr.size = static_cast<__u32>(buf.size());
    std::memcpy(buf.data(), &rec, sizeof(rec));
    return buf;
}

vigil_event_header header(__u16 type) {
    vigil_event_header h{};
    h.type = type;
    h.version = VIGIL_ABI_VERSION;
    h.ktime = 5000;
    h.pid = 42;
    h.tid = 43;
    h.cgroup_id = 777;
    return h;
}

Bytes exec_record() {
    vigil_exec_record r{};
    r.hdr = header(VIGIL_EVENT_EXEC);
    r.key = {42, 0, 5000};
    r.parent = {1, 0, 100};
    r.cleanup = {42, 0, 4000};
    r.ppid = 1;
    r.flags = VIGIL_EXEC_F_CLONE;
    r.uid = r.euid = 1000;
    r.cap_effective = 1ull << 21;
    r.ns[VIGIL_NS_MNT] = 4026531841u;
    const std::string args("/bin/echo\0hello\0two words", 25);
    return with_tail(r, {{"/usr/bin/echo", &r.path},
                         {args, &r.args},
                         {"/tmp", &r.cwd},
                         {"session-1.scope", &r.cgroup}});
}

Bytes fork_record() {
    vigil_fork_record r{};
    r.hdr = header(VIGIL_EVENT_FORK);
    r.hdr.size = sizeof(r);
    r.key = {44, 0, 6000};
    r.parent = {42, 0, 5000};
    r.ppid = 42;
    Bytes b(sizeof(r));
    std::memcpy(b.data(), &r, sizeof(r));
    return b;
}

Bytes exit_record() {
    vigil_exit_record r{};
    r.hdr = header(VIGIL_EVENT_EXIT);
    r.hdr.size = sizeof(r);
    r.key = {42, 0, 5000};
    r.exit_code = 9;  // killed by SIGKILL
    Bytes b(sizeof(r));
    std::memcpy(b.data(), &r, sizeof(r));
    return b;
}

Bytes hook_record(bool with_return) {
    vigil_hook_record r{};
    r.hdr = header(VIGIL_EVENT_HOOK);
    r.key = {42, 0, 5000};
    r.hook_id = 7;
    r.flags = with_return ? VIGIL_HOOK_R_RETURN : 0;
    r.ret = -13;
    r.action = 2;
    r.selector = 1;
    r.nargs = 4;
    r.args[0] = {VIGIL_ARG_FD, 0, 0, 0, 3, {}, 0};
    r.args[1] = {VIGIL_ARG_UBUF, VIGIL_ARG_F_TRUNCATED, 0, 100, 0x7fff0000, {}, 0};
    r.args[2] = {VIGIL_ARG_U64, 0, 0, 0, 100, {}, 0};
    r.args[3] = {VIGIL_ARG_SOCKADDR, 0, 0, 16, 0x7fff1000, {}, 0};
    // AF_INET, port 443, 10.0.0.1
    const std::string sin("\x02\x00\x01\xbb\x0a\x00\x00\x01\0\0\0\0\0\0\0\0", 16);
    return with_tail(r, {{"/etc/passwd", &r.args[0].data},
                         {"abcd", &r.args[1].data},
                         {sin, &r.args[3].data}});
}

bool write(const std::string& dir, const std::string& name, const Bytes& b) {
    std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    Bytes lying_slice = exec_record();
    // args slice reaching past the end of the record
    auto* rec = reinterpret_cast<vigil_exec_record*>(lying_slice.data());
    rec->args.len = 0xffff;
    Bytes lying_size = hook_record(false);
    reinterpret_cast<vigil_hook_record*>(lying_size.data())->hdr.size += 64;
    Bytes too_many_args = hook_record(true);
    reinterpret_cast<vigil_hook_record*>(too_many_args.data())->nargs = 9;
    bool ok = write(dir, "exec", exec_record()) && write(dir, "fork", fork_record()) &&
              write(dir, "exit", exit_record()) && write(dir, "hook", hook_record(false)) &&
              write(dir, "hook_return", hook_record(true)) &&
              write(dir, "exec_lying_slice", lying_slice) &&
              write(dir, "hook_lying_size", lying_size) &&
              write(dir, "hook_too_many_args", too_many_args);
    if (!ok) {
        std::fprintf(stderr, "%s: cannot write seeds into %s\n", argv[0], dir.c_str());
        return 1;
    }
    return 0;
}
