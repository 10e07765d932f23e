#include "probe/features.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace vigil::probe {

namespace {

// r0 = 0; exit. Enough for the verifier; the probes only ask whether the
// kernel accepts and attaches such a program, never what it does.
constexpr bpf_insn kReturnZero[] = {
    {0xb7, 0, 0, 0, 0},  // BPF_ALU64 | BPF_MOV | BPF_K: r0 = 0
    {0x95, 0, 0, 0, 0},  // BPF_JMP | BPF_EXIT
};

bool path_exists(const char* p) {
    struct stat st {};
    return ::stat(p, &st) == 0;
}

// A small RAII fd, so every early return closes what it opened.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

int load(bpf_prog_type type, bpf_attach_type attach, std::uint32_t btf_id) {
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
                .attach_btf_id = btf_id);
    return bpf_prog_load(type, "vigil_probe", "GPL", kReturnZero, 2, &opts);
}

// Loads an empty program of `type` against kernel function `func` and
// attaches it: the only reliable test, since some kernels (lockdown, missing
// trampoline support) accept the load and refuse the attach, or refuse the
// load with EPERM even for root.
bool load_and_attach(const btf* vmlinux, bpf_prog_type type, bpf_attach_type attach,
                     const char* func) {
    if (!vmlinux) return false;
    int id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
    if (id <= 0) return false;
    Fd prog(load(type, attach, static_cast<std::uint32_t>(id)));
    if (prog.fd < 0) return false;
    Fd link(bpf_link_create(prog.fd, 0, attach, nullptr));
    return link.fd >= 0;
}

bool kprobe_multi_works() {
    Fd prog(load(BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, 0));
    if (prog.fd < 0) return false;
    const char* syms[] = {"security_file_permission"};
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    opts.kprobe_multi.syms = syms;
    opts.kprobe_multi.cnt = 1;
    Fd link(bpf_link_create(prog.fd, 0, BPF_TRACE_KPROBE_MULTI, &opts));
    return link.fd >= 0;
}

// The active LSM list; securityfs is mounted here if nobody did.
bool bpf_lsm_active() {
    const char* path = "/sys/kernel/security/lsm";
    if (!path_exists(path)) {
        ::mount("securityfs", "/sys/kernel/security", "securityfs", 0, nullptr);
    }
    std::ifstream in(path);
    std::string list;
    std::getline(in, list);
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item == "bpf") return true;
    }
    return false;
}

bool helper(bpf_prog_type type, bpf_func_id id) {
    return libbpf_probe_bpf_helper(type, id, nullptr) == 1;
}

// bpf_override_return exists only with CONFIG_BPF_KPROBE_OVERRIDE. libbpf
// 1.1's helper probe misreads 6.12's refusal ("program of this type cannot
// use helper") as support, so load a kprobe program that calls it.
bool override_return_loads() {
    const bpf_insn prog[] = {
        {0xb7, 2, 0, 0, 0},                      // r2 = 0 (r1 = ctx already)
        {0x85, 0, 0, 0, BPF_FUNC_override_return},  // call bpf_override_return
        {0xb7, 0, 0, 0, 0},                      // r0 = 0
        {0x95, 0, 0, 0, 0},                      // exit
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts);
    Fd fd(bpf_prog_load(BPF_PROG_TYPE_KPROBE, "vigil_probe", "GPL", prog, 4, &opts));
    return fd.fd >= 0;
}

}  // namespace

KernelFeatures probe_kernel_features() {
    KernelFeatures f;
    utsname u{};
    if (uname(&u) == 0) f.kernel_release = u.release;

    f.ring_buffer = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
    f.raw_tracepoint = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, nullptr) == 1;
    f.tracepoint = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, nullptr) == 1 &&
                   path_exists("/sys/bus/event_source/devices/tracepoint");
    f.kprobe = path_exists("/sys/bus/event_source/devices/kprobe") ||
               path_exists("/sys/kernel/tracing/kprobe_events") ||
               path_exists("/sys/kernel/debug/tracing/kprobe_events");
    f.kprobe_multi = f.kprobe && kprobe_multi_works();
    f.uprobe = path_exists("/sys/bus/event_source/devices/uprobe");

    btf* vmlinux = btf__load_vmlinux_btf();
    if (libbpf_get_error(vmlinux)) vmlinux = nullptr;
    f.fentry = load_and_attach(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "security_file_open");
    f.fmod_ret = load_and_attach(vmlinux, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN,
                                 "security_file_open");
    f.lsm = load_and_attach(vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open") &&
            bpf_lsm_active();
    if (vmlinux) btf__free(vmlinux);

    f.override_return = f.kprobe && override_return_loads();
    f.send_signal = helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_send_signal);
    f.attach_cookie = helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_attach_cookie);
    return f;
}

std::vector<NamedFeature> feature_list(const KernelFeatures& f) {
    return {
        {"ring_buffer", f.ring_buffer},   {"raw_tracepoint", f.raw_tracepoint},
        {"tracepoint", f.tracepoint},     {"kprobe", f.kprobe},
        {"kprobe_multi", f.kprobe_multi}, {"uprobe", f.uprobe},
        {"fentry", f.fentry},             {"fmodret", f.fmod_ret},
        {"lsm", f.lsm},                   {"override_return", f.override_return},
        {"signal", f.send_signal},        {"bpf_cookie", f.attach_cookie},
    };
}

}  // namespace vigil::probe
