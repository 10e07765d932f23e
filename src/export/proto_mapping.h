// model:: structs -> Tetragon's proto messages, with Tetragon's string
// conventions (arguments quoting, flags words and order, signal names) so
// JSON lines and gRPC events look exactly like Tetragon's to its users.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "export/pod_resolver.h"
#include "model/process.h"
#include "tetragon/events.pb.h"

namespace vigil::exporter {

// Converts boot-clock nanoseconds (what BPF records) to wall-clock time. The
// offset is taken once at start, like Tetragon; NTP steps after that shift
// event times slightly, which is accepted.
class BootClock {
public:
    // Reads CLOCK_REALTIME and CLOCK_BOOTTIME now.
    static BootClock now();
    explicit BootClock(std::int64_t realtime_minus_boot_ns) : offset_ns_(realtime_minus_boot_ns) {}
    google::protobuf::Timestamp to_wall(std::uint64_t boot_ns) const;

private:
    std::int64_t offset_ns_ = 0;
};

struct MappingOptions {
    std::string node_name;
    bool process_cred = true;  // Process.process_credentials and cap (Tetragon: --enable-process-cred)
    bool process_ns = true;    // Process.ns (Tetragon: --enable-process-ns)
};

// A cached process and its reference count at the time of the event.
struct ProcessRef {
    const model::Process* process = nullptr;
    std::uint32_t refcnt = 0;
};

// Capability masks -> Tetragon's Capabilities (one enum value per set bit).
void fill_capabilities(const model::Capabilities& c, tetragon::Capabilities* out);

class ProtoMapper {
public:
    // host_ns: namespace inodes of the host's pid 1, for Namespace.is_host.
    ProtoMapper(MappingOptions opts, BootClock clock, model::Namespaces host_ns);

    void fill_process(const ProcessRef& ref, tetragon::Process* out) const;
    // parent.process may be null (unknown parent): the field is left unset.
    tetragon::GetEventsResponse exec_event(const ProcessRef& proc, const ProcessRef& parent,
                                           std::uint64_t ktime) const;
    tetragon::GetEventsResponse exit_event(const ProcessRef& proc, const ProcessRef& parent,
                                           const model::ExitEvent& exit) const;

    // Kubernetes enrichment; null (the default) leaves pod fields empty.
    void set_pod_resolver(const PodResolver* resolver) { pods_ = resolver; }

    const MappingOptions& options() const { return opts_; }
    const BootClock& clock() const { return clock_; }

    // node_name, node_labels and time, for every event kind.
    void fill_envelope(tetragon::GetEventsResponse* ev, std::uint64_t ktime) const;

private:
    void fill_pod(const model::PodMeta& m, const model::Process& p, tetragon::Pod* out) const;

    MappingOptions opts_;
    BootClock clock_;
    model::Namespaces host_ns_;
    const PodResolver* pods_ = nullptr;
};

// argv[1..] joined by spaces; an argument holding a space is double-quoted.
// Tetragon quirk kept: a quoted first argument leaves a leading space.
std::string format_arguments(const std::vector<std::string>& argv);
// ProcessFlag bits as Tetragon's space-separated words, in Tetragon's order.
std::string format_flags(std::uint32_t flags);
// "SIGKILL" for 9, "" for 0 or numbers without a name (Go's unix.SignalName).
std::string signal_name(std::uint32_t signo);
// Replaces each byte that is not part of valid UTF-8 with U+FFFD, because
// protobuf refuses to serialise invalid UTF-8 in string fields and kernel
// data (paths, argv) can hold any bytes.
std::string to_valid_utf8(std::string_view s);

}  // namespace vigil::exporter
