#include "records.h"

#include <cstring>
#include <string>

#include "vigil/abi.h"

namespace vigil::bench {
namespace {

// The parent every benchmark process forks from (cached once by the caller).
constexpr std::uint32_t kParentPid = 4242;
constexpr std::uint64_t kParentKtime = 500'000'000;

void fill_header(vigil_event_header& h, std::uint16_t type, std::uint64_t ktime,
                 std::uint32_t pid) {
    h.type = type;
    h.version = VIGIL_ABI_VERSION;
    h.ktime = ktime;
    h.pid = pid;
    h.tid = pid;
    h.cgroup_id = 4321;
}

template <typename Rec>
Bytes finish(Rec& r, Bytes buf) {
    r.hdr.size = static_cast<__u32>(buf.size());
    std::memcpy(buf.data(), &r, sizeof(r));
    return buf;
}

void append(Bytes& buf, const std::string& s, vigil_slice& slice) {
    slice.off = static_cast<__u16>(buf.size());
    slice.len = static_cast<__u16>(s.size());
    buf.insert(buf.end(), s.begin(), s.end());
}

}  // namespace

Bytes RecordFactory::parent_exec_record() {
    return exec_record(kParentPid, kParentKtime - 1000, 1, 1000);
}

Bytes RecordFactory::fork_record(std::uint32_t pid, std::uint64_t ktime, std::uint32_t ppid,
                                 std::uint64_t pktime) {
    vigil_fork_record r{};
    fill_header(r.hdr, VIGIL_EVENT_FORK, ktime, pid);
    r.key = {pid, 0, ktime};
    r.parent = {ppid, 0, pktime};
    r.ppid = ppid;
    return finish(r, Bytes(sizeof(r)));
}

Bytes RecordFactory::exec_record(std::uint32_t pid, std::uint64_t ktime, std::uint32_t ppid,
                                 std::uint64_t pktime) {
    vigil_exec_record r{};
    fill_header(r.hdr, VIGIL_EVENT_EXEC, ktime + 1000, pid);
    r.key = {pid, 0, ktime + 1000};
    r.parent = {ppid, 0, pktime};
    r.cleanup = {pid, 0, ktime};  // the forked image this exec replaces
    r.ppid = ppid;
    r.flags = VIGIL_EXEC_F_CLONE;
    r.cap_permitted = r.cap_effective = 0x1ffffffffffULL;
    for (int i = 0; i < VIGIL_NS_COUNT; ++i) r.ns[i] = 4026531835u + static_cast<__u32>(i);
    r.nspid = pid;
    Bytes buf(sizeof(r));
    const std::string args("/bin/true\0vigil-bench-0123456789ab", 34);
    append(buf, "/usr/bin/true", r.path);
    append(buf, args, r.args);
    append(buf, "/work/main/build/bench", r.cwd);
    append(buf, "session-1.scope", r.cgroup);
    r.args_size = static_cast<__u32>(args.size() + 1);
    return finish(r, std::move(buf));
}

Bytes RecordFactory::exit_record(std::uint32_t pid, std::uint64_t ktime) {
    vigil_exit_record r{};
    fill_header(r.hdr, VIGIL_EVENT_EXIT, ktime, pid);
    r.key = {pid, 0, ktime};
    return finish(r, Bytes(sizeof(r)));
}

Bytes RecordFactory::hook_record(std::uint32_t hook_id, std::uint32_t pid, std::uint64_t ktime,
                                 std::uint64_t now) {
    vigil_hook_record r{};
    fill_header(r.hdr, VIGIL_EVENT_HOOK, now, pid);
    r.key = {pid, 0, ktime};
    r.hook_id = hook_id;
    r.nargs = 3;
    Bytes buf(sizeof(r));
    const std::string path = "/etc/vigil-bench/config.yaml";
    const std::string payload(64, 'x');
    r.args[0] = {VIGIL_ARG_FD, 0, 0, 0, 3, {}, 0};
    append(buf, path, r.args[0].data);
    r.args[1] = {VIGIL_ARG_UBUF, 0, 0, 64, 0x7ffd0000, {}, 0};
    append(buf, payload, r.args[1].data);
    r.args[2] = {VIGIL_ARG_U64, 0, 0, 0, 64, {}, 0};
    return finish(r, std::move(buf));
}

std::vector<Bytes> RecordFactory::lifecycle(unsigned hooks) {
    std::uint32_t pid = next_pid_++;
    if (next_pid_ > 4'000'000) next_pid_ = 100000;
    std::uint64_t t = next_ktime_;
    next_ktime_ += 1'000'000;
    std::vector<Bytes> out;
    out.push_back(fork_record(pid, t, kParentPid, kParentKtime));
    out.push_back(exec_record(pid, t, kParentPid, kParentKtime));
    for (unsigned i = 0; i < hooks; ++i) out.push_back(hook_record(hook_id_, pid, t + 1000, t + 2000 + i));
    out.push_back(exit_record(pid, t + 1000));
    return out;
}

}  // namespace vigil::bench
