#include "export/proto_mapping.h"

#include <time.h>

#include <array>
#include <utility>

#include "tetragon/capabilities.pb.h"

namespace vigil::exporter {

namespace {

std::int64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void fill_caps(std::uint64_t bits, google::protobuf::RepeatedField<int>* out) {
    for (int cap = 0; cap < 64; ++cap) {
        if ((bits >> cap) & 1u) {
            if (tetragon::CapabilitiesType_IsValid(cap)) out->Add(cap);
        }
    }
}


void set_ns(tetragon::Namespace* ns, std::uint32_t inum, std::uint32_t host_inum) {
    ns->set_inum(inum);
    ns->set_is_host(inum != 0 && inum == host_inum);
}

}  // namespace

void fill_capabilities(const model::Capabilities& c, tetragon::Capabilities* out) {
    fill_caps(c.permitted, out->mutable_permitted());
    fill_caps(c.effective, out->mutable_effective());
    fill_caps(c.inheritable, out->mutable_inheritable());
}

BootClock BootClock::now() {
    return BootClock(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME));
}

google::protobuf::Timestamp BootClock::to_wall(std::uint64_t boot_ns) const {
    std::int64_t wall = static_cast<std::int64_t>(boot_ns) + offset_ns_;
    google::protobuf::Timestamp ts;
    ts.set_seconds(wall / 1'000'000'000);
    ts.set_nanos(static_cast<std::int32_t>(wall % 1'000'000'000));
    return ts;
}

ProtoMapper::ProtoMapper(MappingOptions opts, BootClock clock, model::Namespaces host_ns)
    : opts_(std::move(opts)), clock_(clock), host_ns_(host_ns) {}

void ProtoMapper::fill_process(const ProcessRef& ref, tetragon::Process* out) const {
    const model::Process& p = *ref.process;
    out->set_exec_id(p.exec_id);
    out->mutable_pid()->set_value(p.pid);
    out->mutable_uid()->set_value(p.creds.euid);
    out->set_cwd(to_valid_utf8(p.cwd));
    out->set_binary(to_valid_utf8(p.binary));
    out->set_arguments(to_valid_utf8(format_arguments(p.argv)));
    out->set_flags(format_flags(p.flags));
    *out->mutable_start_time() = clock_.to_wall(p.start_ktime);
    out->mutable_auid()->set_value(p.auid);
    out->set_parent_exec_id(p.parent_exec_id);
    out->set_refcnt(ref.refcnt);
    out->mutable_tid()->set_value(p.tid);
    if (pods_) {
        model::ProcessK8s k = pods_->resolve(p);
        if (!k.docker.empty()) out->set_docker(k.docker);
        if (k.has_pod) fill_pod(k.pod, p, out->mutable_pod());
    }
    if (opts_.process_cred) {
        fill_capabilities(p.caps, out->mutable_cap());
        auto* cred = out->mutable_process_credentials();
        cred->mutable_uid()->set_value(p.creds.uid);
        cred->mutable_gid()->set_value(p.creds.gid);
        cred->mutable_euid()->set_value(p.creds.euid);
        cred->mutable_egid()->set_value(p.creds.egid);
        cred->mutable_suid()->set_value(p.creds.suid);
        cred->mutable_sgid()->set_value(p.creds.sgid);
        cred->mutable_fsuid()->set_value(p.creds.fsuid);
        cred->mutable_fsgid()->set_value(p.creds.fsgid);
    }
    if (opts_.process_ns) {
        auto* ns = out->mutable_ns();
        std::array<tetragon::Namespace*, 10> slots = {
            ns->mutable_uts(),  ns->mutable_ipc(),  ns->mutable_mnt(),
            ns->mutable_pid(),  ns->mutable_pid_for_children(),
            ns->mutable_net(),  ns->mutable_time(), ns->mutable_time_for_children(),
            ns->mutable_cgroup(), ns->mutable_user()};
        for (std::size_t i = 0; i < slots.size(); ++i) set_ns(slots[i], p.ns[i], host_ns_[i]);
    }
}

void ProtoMapper::fill_pod(const model::PodMeta& m, const model::Process& p, tetragon::Pod* out) const {
    out->set_namespace_(to_valid_utf8(m.namespace_));
    out->set_name(to_valid_utf8(m.name));
    out->set_uid(m.uid);
    for (const auto& [k, v] : m.labels) (*out->mutable_pod_labels())[to_valid_utf8(k)] = to_valid_utf8(v);
    out->set_workload(to_valid_utf8(m.workload));
    out->set_workload_kind(m.workload_kind);
    if (!m.has_container) return;
    auto* c = out->mutable_container();
    c->set_id(m.container.id);
    c->set_name(to_valid_utf8(m.container.name));
    c->mutable_image()->set_id(to_valid_utf8(m.container.image_id));
    c->mutable_image()->set_name(to_valid_utf8(m.container.image_name));
    if (m.container.start_time_unix_ns > 0) {
        c->mutable_start_time()->set_seconds(m.container.start_time_unix_ns / 1'000'000'000);
        c->mutable_start_time()->set_nanos(static_cast<std::int32_t>(m.container.start_time_unix_ns % 1'000'000'000));
    }
    if (p.nspid != 0) c->mutable_pid()->set_value(p.nspid);
    c->set_maybe_exec_probe(m.container.maybe_exec_probe);
    if (m.container.privileged) c->mutable_security_context()->set_privileged(true);
}

void ProtoMapper::fill_envelope(tetragon::GetEventsResponse* ev, std::uint64_t ktime) const {
    ev->set_node_name(opts_.node_name);
    if (pods_) {
        for (const auto& [k, v] : pods_->node_labels()) (*ev->mutable_node_labels())[k] = v;
    }
    *ev->mutable_time() = clock_.to_wall(ktime);
}

tetragon::GetEventsResponse ProtoMapper::exec_event(const ProcessRef& proc,
                                                    const ProcessRef& parent,
                                                    std::uint64_t ktime) const {
    tetragon::GetEventsResponse ev;
    auto* exec = ev.mutable_process_exec();
    fill_process(proc, exec->mutable_process());
    if (parent.process) fill_process(parent, exec->mutable_parent());
    fill_envelope(&ev, ktime);
    return ev;
}

tetragon::GetEventsResponse ProtoMapper::exit_event(const ProcessRef& proc,
                                                    const ProcessRef& parent,
                                                    const model::ExitEvent& exit) const {
    tetragon::GetEventsResponse ev;
    auto* out = ev.mutable_process_exit();
    fill_process(proc, out->mutable_process());
    if (parent.process) fill_process(parent, out->mutable_parent());
    // Wait status: exit code in bits 8-15, terminating signal in bits 0-6,
    // bit 7 = core dumped.
    out->set_status((exit.exit_code >> 8) & 0xff);
    out->set_signal(signal_name(exit.exit_code & 0x7f));
    *out->mutable_time() = clock_.to_wall(exit.ktime);
    fill_envelope(&ev, exit.ktime);
    return ev;
}

std::string format_arguments(const std::vector<std::string>& argv) {
    std::string out;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        bool quote = a.find(' ') != std::string::npos;
        if (i > 0 || quote) out += ' ';
        if (quote) {
            out += '"';
            out += a;
            out += '"';
        } else {
            out += a;
        }
    }
    return out;
}

std::string format_flags(std::uint32_t flags) {
    // Tetragon's order (pkg/reader/exec DecodeCommonFlags); Vigil's
    // truncFilename sits where Tetragon reports its filename problems.
    static constexpr std::pair<std::uint32_t, const char*> kWords[] = {
        {model::kFlagExecve, "execve"},
        {model::kFlagProcFS, "procFS"},
        {model::kFlagTruncFilename, "truncFilename"},
        {model::kFlagTruncArgs, "truncArgs"},
        {model::kFlagUnknown, "unknown"},
        {model::kFlagErrorFilename, "errorFilename"},
        {model::kFlagErrorArgs, "errorArgs"},
        {model::kFlagNoCwd, "nocwd"},
        {model::kFlagRootCwd, "rootcwd"},
        {model::kFlagErrorCwd, "errorCWD"},
        {model::kFlagClone, "clone"},
        {model::kFlagErrorCgroupName, "errorCgroupName"},
    };
    std::string out;
    for (const auto& [bit, word] : kWords) {
        if (!(flags & bit)) continue;
        if (!out.empty()) out += ' ';
        out += word;
    }
    return out;
}

std::string signal_name(std::uint32_t signo) {
    static constexpr const char* kNames[] = {
        "",        "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT",
        "SIGBUS",  "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV",   "SIGUSR2", "SIGPIPE",
        "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS"};
    if (signo < std::size(kNames)) return kNames[signo];
    return "";
}

std::string to_valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t min = 0;
        if (c < 0x80) len = 1;
        else if ((c & 0xE0) == 0xC0) len = 2, min = 0x80;
        else if ((c & 0xF0) == 0xE0) len = 3, min = 0x800;
        else if ((c & 0xF8) == 0xF0) len = 4, min = 0x10000;
        bool ok = len > 0 && i + len <= s.size();
        std::uint32_t cp = 0;
        if (ok && len > 1) {
            cp = c & (0x7F >> len);
            for (std::size_t k = 1; k < len; ++k) {
                auto cc = static_cast<unsigned char>(s[i + k]);
                if ((cc & 0xC0) != 0x80) { ok = false; break; }
                cp = (cp << 6) | (cc & 0x3F);
            }
            // Overlong forms, surrogates and values past U+10FFFF are invalid.
            if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
        }
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            i += 1;
        }
    }
    return out;
}

}  // namespace vigil::exporter
