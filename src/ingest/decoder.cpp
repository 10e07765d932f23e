#include "ingest/decoder.h"

#include "ingest/hook_args.h"

#include <cstring>
#include <string>

#include "vigil/abi.h"

namespace vigil::ingest {

namespace {

// Copies a fixed-layout struct out of the byte stream: ring-buffer memory has
// no alignment guarantee for our types beyond 8 bytes, and memcpy is exact.
template <typename T>
T read_struct(const std::uint8_t* data) {
    T out;
    std::memcpy(&out, data, sizeof(T));
    return out;
}

bool slice_ok(const vigil_slice& s, std::size_t fixed, std::size_t size) {
    if (s.len == 0) {
        return true;
    }
    return s.off >= fixed && static_cast<std::size_t>(s.off) + s.len <= size;
}

std::string slice_str(const std::uint8_t* data, const vigil_slice& s) {
    if (s.len == 0) {
        return {};
    }
    std::string out(reinterpret_cast<const char*>(data + s.off), s.len);
    // The kernel copy may include a NUL when a name was shorter than read.
    auto nul = out.find('\0');
    if (nul != std::string::npos) {
        out.resize(nul);
    }
    return out;
}

model::ProcessKey key_of(const vigil_process_key& k) { return {k.pid, k.ktime}; }

std::uint32_t process_flags(std::uint32_t kflags) {
    std::uint32_t f = model::kFlagExecve;
    if (kflags & VIGIL_EXEC_F_CLONE) f |= model::kFlagClone;
    if (kflags & VIGIL_EXEC_F_TRUNC_ARGS) f |= model::kFlagTruncArgs;
    if (kflags & VIGIL_EXEC_F_ERR_ARGS) f |= model::kFlagErrorArgs;
    if (kflags & VIGIL_EXEC_F_ERR_PATH) f |= model::kFlagErrorFilename;
    if (kflags & VIGIL_EXEC_F_TRUNC_PATH) f |= model::kFlagTruncFilename;
    if (kflags & VIGIL_EXEC_F_ERR_CWD) f |= model::kFlagErrorCwd;
    if (kflags & VIGIL_EXEC_F_TRUNC_CWD) f |= model::kFlagErrorCwd;
    if (kflags & VIGIL_EXEC_F_ERR_CGROUP) f |= model::kFlagErrorCgroupName;
    return f;
}

// argv arrives NUL-separated with argv[0] first; the model keeps argv[1..].
std::vector<std::string> split_args(const std::uint8_t* data, const vigil_slice& s) {
    std::vector<std::string> out;
    if (s.len == 0) {
        return out;
    }
    const char* p = reinterpret_cast<const char*>(data + s.off);
    std::size_t n = s.len;
    while (n > 0 && p[n - 1] == '\0') {
        --n;
    }
    std::size_t start = 0;
    bool first = true;
    for (std::size_t i = 0; i <= n; ++i) {
        if (i == n || p[i] == '\0') {
            if (!first) {
                out.emplace_back(p + start, i - start);
            }
            first = false;
            start = i + 1;
        }
    }
    return out;
}

}  // namespace

std::string_view decode_error_name(DecodeError e) {
    switch (e) {
        case DecodeError::kTruncated: return "truncated";
        case DecodeError::kSizeMismatch: return "size_mismatch";
        case DecodeError::kBadVersion: return "bad_version";
        case DecodeError::kUnknownType: return "unknown_type";
        case DecodeError::kBadSlice: return "bad_slice";
        case DecodeError::kBadField: return "bad_field";
        case DecodeError::kCount: break;
    }
    return "unknown";
}

std::uint64_t Decoder::total_errors() const {
    std::uint64_t t = 0;
    for (const auto& v : errors_) {
        t += v;
    }
    return t;
}

std::optional<Record> Decoder::fail(DecodeError e) {
    errors_[static_cast<std::size_t>(e)].fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

std::optional<Record> Decoder::decode(const std::uint8_t* data, std::size_t size) {
    if (data == nullptr || size < sizeof(vigil_event_header)) {
        return fail(DecodeError::kTruncated);
    }
    auto hdr = read_struct<vigil_event_header>(data);
    if (hdr.version != VIGIL_ABI_VERSION) {
        return fail(DecodeError::kBadVersion);
    }
    // The ring buffer may pad a record; it must never be shorter than stated.
    if (hdr.size > size || hdr.size < sizeof(vigil_event_header)) {
        return fail(DecodeError::kSizeMismatch);
    }
    size = hdr.size;

    switch (hdr.type) {
        case VIGIL_EVENT_EXEC: {
            if (size < sizeof(vigil_exec_record)) {
                return fail(DecodeError::kTruncated);
            }
            auto r = read_struct<vigil_exec_record>(data);
            constexpr std::size_t fixed = sizeof(vigil_exec_record);
            if (!slice_ok(r.path, fixed, size) || !slice_ok(r.args, fixed, size) ||
                !slice_ok(r.cwd, fixed, size) || !slice_ok(r.cgroup, fixed, size)) {
                return fail(DecodeError::kBadSlice);
            }
            ExecRecord out;
            out.ktime = hdr.ktime;
            out.cleanup = key_of(r.cleanup);
            auto& p = out.process;
            p.key = key_of(r.key);
            p.parent_key = key_of(r.parent);
            p.pid = hdr.pid;
            p.tid = hdr.tid;
            p.ppid = r.ppid;
            p.nspid = r.nspid;
            p.auid = r.auid;
            p.creds = {r.uid, r.euid, r.suid, r.fsuid, r.gid, r.egid, r.sgid, r.fsgid};
            p.caps = {r.cap_permitted, r.cap_effective, r.cap_inheritable};
            for (std::size_t i = 0; i < p.ns.size() && i < VIGIL_NS_COUNT; ++i) {
                p.ns[i] = r.ns[i];
            }
            p.binary = slice_str(data, r.path);
            p.argv = split_args(data, r.args);
            p.cwd = slice_str(data, r.cwd);
            p.cgroup_id = hdr.cgroup_id;
            p.cgroup_name = slice_str(data, r.cgroup);
            p.start_ktime = r.key.ktime;
            p.flags = process_flags(r.flags);
            if (p.cwd.empty() && !(r.flags & VIGIL_EXEC_F_ERR_CWD)) {
                p.flags |= model::kFlagNoCwd;
            }
            if (p.cwd == "/") {
                p.flags |= model::kFlagRootCwd;
            }
            decoded_.fetch_add(1, std::memory_order_relaxed);
            return Record{std::move(out)};
        }
        case VIGIL_EVENT_FORK: {
            if (size < sizeof(vigil_fork_record)) {
                return fail(DecodeError::kTruncated);
            }
            auto r = read_struct<vigil_fork_record>(data);
            decoded_.fetch_add(1, std::memory_order_relaxed);
            return Record{ForkRecord{key_of(r.key), key_of(r.parent), hdr.tid, hdr.ktime}};
        }
        case VIGIL_EVENT_EXIT: {
            if (size < sizeof(vigil_exit_record)) {
                return fail(DecodeError::kTruncated);
            }
            auto r = read_struct<vigil_exit_record>(data);
            decoded_.fetch_add(1, std::memory_order_relaxed);
            return Record{model::ExitEvent{key_of(r.key), hdr.tid, r.exit_code, hdr.ktime}};
        }
        case VIGIL_EVENT_HOOK: {
            if (size < sizeof(vigil_hook_record)) {
                return fail(DecodeError::kTruncated);
            }
            auto r = read_struct<vigil_hook_record>(data);
            if (r.nargs > VIGIL_HOOK_ARGS_MAX) {
                return fail(DecodeError::kBadField);
            }
            model::HookEvent ev;
            ev.key = key_of(r.key);
            ev.hook_id = r.hook_id;
            ev.tid = hdr.tid;
            ev.ktime = hdr.ktime;
            ev.has_return = (r.flags & VIGIL_HOOK_R_RETURN) != 0;
            ev.ret = r.ret;
            ev.procfs_key = (r.flags & VIGIL_HOOK_R_PROCFS) != 0;
            ev.monitored = (r.flags & VIGIL_HOOK_R_MONITOR) != 0;
            ev.action = r.action;
            ev.selector = r.selector;
            for (std::uint32_t i = 0; i < r.nargs; ++i) {
                const vigil_hook_arg& a = r.args[i];
                if (a.type == VIGIL_ARG_NONE || a.type >= VIGIL_ARG_TYPE_COUNT) {
                    return fail(DecodeError::kBadField);
                }
                if (!slice_ok(a.data, sizeof(vigil_hook_record), size)) {
                    return fail(DecodeError::kBadSlice);
                }
                model::HookArgValue v;
                v.kind = static_cast<model::ArgKind>(a.type);
                v.truncated = (a.flags & VIGIL_ARG_F_TRUNCATED) != 0;
                v.error = (a.flags & VIGIL_ARG_F_ERROR) != 0;
                v.orig_size = a.orig_size;
                v.value = a.value;
                if (a.data.len > 0) {
                    v.bytes.assign(reinterpret_cast<const char*>(data + a.data.off), a.data.len);
                }
                if (!v.error) decode_struct_arg(v);
                ev.args.push_back(std::move(v));
            }
            decoded_.fetch_add(1, std::memory_order_relaxed);
            return Record{std::move(ev)};
        }
        default:
            return fail(DecodeError::kUnknownType);
    }
}

}  // namespace vigil::ingest
