// What the running kernel lets Vigil do (see probe/features.h for how it is
// probed). Plain data, so the policy compiler can plan against it without
// touching the kernel.
#pragma once

#include <string>

namespace vigil::model {

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

}  // namespace vigil::model
