// Hooks attached through the hooks object (bpf/vigil_hooks.bpf.c), whose
// instances share every map with the main object and load only the
// program(s) their method needs. kprobe, kprobe.multi, uprobe and tracepoint
// hooks share one instance per method ("family"), each attachment carrying
// its hook id as BPF cookie: one verification serves every hook (tracepoints
// take a program once each, so a second hook on one gets a second instance). Trampoline
// programs (fentry, fexit, fmod_ret, lsm) are bound to their function at
// load, and raw tracepoints have no cookie before 6.10, so those get an
// instance per hook with the id in .rodata.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "probe/base_sensor.h"
#include "vigil.skel.h"
#include "vigil_hooks.skel.h"

namespace vigil::probe {

namespace {

using model::AttachMethod;

std::string err_text(int err) { return std::strerror(err < 0 ? -err : err); }

// Every map of the instance but its own .rodata becomes the main object's.
Status share_maps(bpf_object* main, bpf_object* inst) {
    bpf_map* m = nullptr;
    bpf_object__for_each_map(m, inst) {
        const char* name = bpf_map__name(m);
        if (std::strchr(name, '.')) continue;  // .rodata, .bss: the instance's own
        bpf_map* target = bpf_object__find_map_by_name(main, name);
        if (!target) return make_error(std::string("map ") + name + " is missing from the main object");
        if (int err = bpf_map__reuse_fd(m, bpf_map__fd(target)); err) {
            return make_error(std::string("sharing map ") + name + " failed: " + err_text(err));
        }
    }
    return {};
}

// What each method loads: the program at entry (or the only one), and the
// one at return for return hooks (nullptr when the entry program does both).
struct Programs {
    bpf_program* entry = nullptr;
    bpf_program* ret = nullptr;
};

// Methods whose programs read the hook id from the attach cookie.
bool shared(AttachMethod m) {
    return m == AttachMethod::kKprobe || m == AttachMethod::kKprobeMulti || m == AttachMethod::kUprobe ||
           m == AttachMethod::kTracepoint;
}

// A shared family loads the return program too, for the hooks that need it.
Programs pick(vigil_hooks_bpf* o, const HookSpec& spec) {
    auto& p = o->progs;
    const bool r = spec.at_return || shared(spec.method);
    switch (spec.method) {
        case AttachMethod::kKprobe: return {p.vigil_kprobe, r ? p.vigil_kretprobe : nullptr};
        case AttachMethod::kKprobeMulti:
            return {p.vigil_kprobe_multi, r ? p.vigil_kretprobe_multi : nullptr};
        case AttachMethod::kFentry: return {r ? p.vigil_fexit : p.vigil_fentry, nullptr};
        case AttachMethod::kFmodRet: return {p.vigil_fmod_ret, nullptr};
        case AttachMethod::kLsm: return {p.vigil_lsm, nullptr};
        case AttachMethod::kTracepoint: return {p.vigil_tracepoint, nullptr};
        case AttachMethod::kRawTracepoint: return {p.vigil_raw_tp, nullptr};
        case AttachMethod::kUprobe: return {p.vigil_uprobe, r ? p.vigil_uretprobe : nullptr};
        case AttachMethod::kSyscallTracepoint: break;
    }
    return {};
}

bool trampoline(AttachMethod m) {
    return m == AttachMethod::kFentry || m == AttachMethod::kFmodRet || m == AttachMethod::kLsm;
}

// Why a load failed, in the words an operator needs.
std::string load_hint(const HookSpec& spec, int err) {
    if (trampoline(spec.method) && (err == -EPERM || err == -EACCES || err == -EOPNOTSUPP)) {
        return " (the kernel refuses BPF trampolines here: lockdown, or no "
               "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)";
    }
    if (trampoline(spec.method) && (err == -ESRCH || err == -ENOENT)) {
        return " (no such function in the kernel's BTF)";
    }
    if (err == -EINVAL || err == -EACCES) return " (the verifier refused it: see vigild's log)";
    return "";
}

bpf_link* attach_one(bpf_program* prog, const HookSpec& spec, bool ret) {
    const __u64 cookie = spec.hook_id;
    switch (spec.method) {
        case AttachMethod::kKprobe: {
            LIBBPF_OPTS(bpf_kprobe_opts, opts, .bpf_cookie = cookie, .retprobe = ret);
            return bpf_program__attach_kprobe_opts(prog, spec.target.c_str(), &opts);
        }
        case AttachMethod::kKprobeMulti: {
            const char* syms[] = {spec.target.c_str()};
            __u64 cookies[] = {cookie};
            LIBBPF_OPTS(bpf_kprobe_multi_opts, opts, .syms = syms, .cookies = cookies, .cnt = 1,
                        .retprobe = ret);
            return bpf_program__attach_kprobe_multi_opts(prog, nullptr, &opts);
        }
        case AttachMethod::kFentry:
        case AttachMethod::kFmodRet:
            return bpf_program__attach_trace(prog);
        case AttachMethod::kLsm:
            return bpf_program__attach_lsm(prog);
        case AttachMethod::kTracepoint: {
            auto slash = spec.target.find('/');
            if (slash == std::string::npos) {
                errno = EINVAL;
                return nullptr;
            }
            LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = cookie);
            return bpf_program__attach_tracepoint_opts(prog, spec.target.substr(0, slash).c_str(),
                                                       spec.target.substr(slash + 1).c_str(), &opts);
        }
        case AttachMethod::kRawTracepoint:
            return bpf_program__attach_raw_tracepoint(prog, spec.target.c_str());
        case AttachMethod::kUprobe: {
            LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie, .retprobe = ret,
                        .func_name = spec.target.empty() ? nullptr : spec.target.c_str());
            return bpf_program__attach_uprobe_opts(prog, -1, spec.binary.c_str(),
                                                   spec.target.empty() ? spec.offset : 0, &opts);
        }
        case AttachMethod::kSyscallTracepoint: break;
    }
    errno = EINVAL;
    return nullptr;
}

}  // namespace

namespace {

// Opens an instance, shares the maps, sets .rodata and loads only `progs`.
Result<vigil_hooks_bpf*> open_instance(bpf_object* main, const HookSpec& spec, bool use_cookie) {
    vigil_hooks_bpf* o = vigil_hooks_bpf__open();
    if (!o) return make_error("opening the hooks BPF object failed: " + err_text(errno));
    Programs progs = pick(o, spec);
    auto fail = [&](std::string msg) -> Result<vigil_hooks_bpf*> {
        vigil_hooks_bpf__destroy(o);
        return make_error(std::move(msg));
    };
    if (!progs.entry) return fail("no program for this attach method");
    if (auto st = share_maps(main, o->obj); !st) return fail(st.error());
    o->rodata->vigil_hook_id = use_cookie ? 0 : spec.hook_id;
    o->rodata->vigil_self_tgid = static_cast<__u32>(::getpid());
    o->rodata->vigil_use_cookie = use_cookie ? 1 : 0;
    o->rodata->vigil_syscall_regs = spec.syscall.empty() ? 0 : 1;
    bpf_program* p = nullptr;
    bpf_object__for_each_program(p, o->obj) {
        bpf_program__set_autoload(p, p == progs.entry || p == progs.ret);
    }
    if (trampoline(spec.method)) {
        if (int err = bpf_program__set_attach_target(progs.entry, 0, spec.target.c_str()); err) {
            return fail("the kernel has no BTF function '" + spec.target + "' to attach to: " + err_text(err));
        }
    }
    if (int err = vigil_hooks_bpf__load(o); err) {
        return fail("loading its BPF program failed: " + err_text(err) + load_hint(spec, err));
    }
    return o;
}

}  // namespace

Result<vigil_hooks_bpf*> BaseSensor::family(const HookSpec& spec, const std::string& what, HookState& state) {
    std::string key = std::string(model::attach_method_name(spec.method)) + (spec.syscall.empty() ? "" : "/syscall");
    if (spec.method == AttachMethod::kTracepoint) {
        // The first instance of the family not yet on this tracepoint.
        for (int n = 0;; ++n) {
            std::string k = key + (n == 0 ? "" : "#" + std::to_string(n));
            if (!tp_in_use_.count(k + "|" + spec.target)) {
                key = std::move(k);
                break;
            }
        }
        state.tp_use = key + "|" + spec.target;
        tp_in_use_.insert(state.tp_use);
    }
    if (auto it = families_.find(key); it != families_.end()) return it->second;
    auto o = open_instance(skel_->obj, spec, true);
    if (!o) return make_error(what + ": " + o.error());
    families_[key] = o.value();
    return o.value();
}

// Called with hooks_mu_ held, after the hook's plan is written.
Status BaseSensor::attach_generic(const HookSpec& spec, const std::string& what, HookState& state) {
    vigil_hooks_bpf* o = nullptr;
    if (shared(spec.method)) {
        auto f = family(spec, what, state);
        if (!f) return make_error(f.error());
        o = f.value();
    } else {
        auto inst = open_instance(skel_->obj, spec, false);
        if (!inst) return make_error(what + ": " + inst.error());
        o = inst.value();
        state.obj = o;
    }
    Programs progs = pick(o, spec);
    if (!spec.at_return && shared(spec.method)) progs.ret = nullptr;
    for (bpf_program* prog : {progs.entry, progs.ret}) {
        if (!prog) continue;
        bpf_link* link = attach_one(prog, spec, prog == progs.ret);
        if (!link) {
            int err = errno;
            std::string hint;
            if (err == ENOENT || err == ESRCH) hint = " (no such function, tracepoint or symbol)";
            return make_error(what + ": attaching " + bpf_program__name(prog) + " failed: " +
                              err_text(err) + hint);
        }
        state.links.push_back(link);
    }
    return {};
}

void BaseSensor::detach_generic(HookState& state) {
    for (auto* l : state.links) bpf_link__destroy(l);
    state.links.clear();
    if (!state.tp_use.empty()) tp_in_use_.erase(state.tp_use);
    state.tp_use.clear();
    if (state.obj) vigil_hooks_bpf__destroy(state.obj);
    state.obj = nullptr;
}

}  // namespace vigil::probe
