// What the running kernel lets Vigil do, probed once at start by trying it:
// loading (and where it matters attaching) tiny programs, asking libbpf about
// helpers and map types, and looking for the perf PMUs. Hooks pick their
// attach method from this, and `vigil status` / GetInfo show it.
#pragma once

#include <string>
#include <vector>

namespace vigil::probe {

struct KernelFeatures {
    bool ring_buffer = false;      // BPF_MAP_TYPE_RINGBUF
    bool raw_tracepoint = false;   // raw_tp programs
    bool tracepoint = false;       // perf tracepoints (syscalls/sys_enter_*)
    bool kprobe = false;           // kprobe PMU or tracefs kprobe_events
    bool kprobe_multi = false;     // BPF_TRACE_KPROBE_MULTI links
    bool uprobe = false;           // uprobe PMU
    bool fentry = false;           // trampolines: fentry/fexit load and attach
    bool fmod_ret = false;         // BPF_MODIFY_RETURN on security_* functions
    bool lsm = false;              // BPF LSM programs attach and "bpf" is an active LSM
    bool override_return = false;  // bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE)
    bool send_signal = false;      // bpf_send_signal from tracing programs
    bool attach_cookie = false;    // bpf_get_attach_cookie in tracepoint programs
    std::string kernel_release;    // uname -r
};

struct NamedFeature {
    std::string name;
    bool enabled = false;
};

// Runs every probe. Needs the privileges vigild already checked; a probe
// that fails for any reason reports the feature as absent.
KernelFeatures probe_kernel_features();

// Stable names for status output and GetInfo (Tetragon-style snake_case).
std::vector<NamedFeature> feature_list(const KernelFeatures& f);

}  // namespace vigil::probe
