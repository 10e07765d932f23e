#include "policy/hook_plan.h"

#include <cctype>

#include "policy/diagnostic.h"
#include "policy/names.h"
#include "policy/selector_compile.h"

namespace vigil::policy {

namespace {

using model::ArgKind;
using model::AttachMethod;

#if defined(__x86_64__)
constexpr const char* kArchPrefix = "__x64_";
#elif defined(__aarch64__)
constexpr const char* kArchPrefix = "__arm64_";
#else
constexpr const char* kArchPrefix = "";
#endif

// Where a hook's arguments live, which decides how a policy type is read.
enum class ArgContext {
    kSyscall,     // registers and pointers into user memory
    kKernel,      // a kernel function's or raw tracepoint's arguments
    kUser,        // a user function's arguments (uprobes)
    kTracepoint,  // fields of a tracepoint record
};

bool integer_kind(ArgType t, ArgKind& out) {
    switch (t) {
        case ArgType::Int: case ArgType::Int32: case ArgType::Int16: case ArgType::Int8:
            out = ArgKind::kS32; return true;
        case ArgType::Uint32: case ArgType::Uint16: case ArgType::Uint8:
            out = ArgKind::kU32; return true;
        case ArgType::Int64:
            out = ArgKind::kS64; return true;
        case ArgType::Uint64: case ArgType::SizeT: case ArgType::Syscall64:
            out = ArgKind::kU64; return true;
        default:
            return false;
    }
}

// Kernel objects a kernel-side argument may point to.
bool kernel_object_kind(ArgType t, ArgKind& out) {
    switch (t) {
        case ArgType::File: out = ArgKind::kFile; return true;
        case ArgType::Path: out = ArgKind::kPath; return true;
        case ArgType::Dentry: out = ArgKind::kDentry; return true;
        case ArgType::LinuxBinprm: out = ArgKind::kBinprm; return true;
        case ArgType::Sock: out = ArgKind::kSock; return true;
        case ArgType::Skb: out = ArgKind::kSkb; return true;
        case ArgType::Cred: out = ArgKind::kCred; return true;
        case ArgType::KernelCap: case ArgType::CapInheritable: case ArgType::CapPermitted:
        case ArgType::CapEffective:
            out = ArgKind::kCaps; return true;
        default:
            return false;
    }
}

const char* supported_types(ArgContext ctx) {
    switch (ctx) {
        case ArgContext::kSyscall:
            return "int, int32, uint32, int64, uint64, size_t, syscall64, string, char_buf, char_iovec, fd, "
                   "sockaddr";
        case ArgContext::kUser:
            return "int, int32, uint32, int64, uint64, size_t, syscall64, string, char_buf";
        case ArgContext::kKernel:
        case ArgContext::kTracepoint:
            return "int, int32, uint32, int64, uint64, size_t, syscall64, string, char_buf, fd, file, path, "
                   "dentry, linux_binprm, sock, skb, cred, kernel_cap_t, cap_inheritable, "
                   "cap_permitted, cap_effective, char_iovec, sockaddr";
    }
    return "";
}

bool arg_kind(ArgContext ctx, ArgType t, ArgKind& out) {
    if (integer_kind(t, out)) return true;
    switch (ctx) {
        case ArgContext::kSyscall:
        case ArgContext::kUser:
            switch (t) {
                case ArgType::String: out = ArgKind::kUserString; return true;
                case ArgType::CharBuf: out = ArgKind::kUserBuffer; return true;
                default: break;
            }
            if (ctx == ArgContext::kUser) return false;
            switch (t) {
                case ArgType::Fd: out = ArgKind::kFd; return true;
                case ArgType::Sockaddr: out = ArgKind::kSockaddr; return true;
                case ArgType::CharIovec: out = ArgKind::kIovec; return true;
                default: return false;
            }
        case ArgContext::kKernel:
        case ArgContext::kTracepoint:
            switch (t) {
                case ArgType::String: case ArgType::DataLoc: out = ArgKind::kKernelString; return true;
                case ArgType::CharBuf: out = ArgKind::kKernelBuffer; return true;
                case ArgType::Fd: out = ArgKind::kFd; return true;
                case ArgType::Sockaddr: out = ArgKind::kSockaddr; return true;
                case ArgType::CharIovec: out = ArgKind::kIovec; return true;
                default: return kernel_object_kind(t, out);
            }
    }
    return false;
}

struct Planner {
    const Policy& p;
    const model::KernelFeatures& f;
    const TracepointFormatLookup& formats;
    HookPlan& plan;

    void fail(const SourcePos& pos, const std::string& path, const std::string& msg) {
        plan.errors.push_back(format_location(pos, path) + ": " + msg);
    }

    bool has_override(const Hook& h) const {
        for (const auto& s : h.selectors) {
            for (const auto& a : s.match_actions) {
                if (a.kind == ActionKind::Override) return true;
            }
        }
        return false;
    }

    // Arguments of h as `ctx` reads them; tracepoint fields come from `fields`.
    bool plan_args(const Hook& h, const std::string& path, ArgContext ctx,
                   const std::vector<TracepointField>* fields, const std::string& subsys,
                   PlannedHook& ph) {
        bool ok = true;
        for (std::size_t i = 0; i < h.args.size(); ++i) {
            const Arg& a = h.args[i];
            const std::string apath = path + ".args[" + std::to_string(i) + "]";
            model::HookArgSpec as;
            if (!arg_kind(ctx, a.type, as.kind)) {
                fail(a.pos, apath + ".type", "unsupported: type '" + std::string(arg_type_name(a.type)) +
                                                 "' here (supported: " + supported_types(ctx) + ")");
                ok = false;
                continue;
            }
            if (!a.resolve.empty()) {
                fail(a.pos, apath + ".resolve", "unsupported: resolve (BTF paths into arguments)");
                ok = false;
                continue;
            }
            if (a.return_copy && !h.return_probe) {
                fail(a.pos, apath + ".returnCopy", "returnCopy needs `return: true` on the hook");
                ok = false;
                continue;
            }
            if (ctx == ArgContext::kTracepoint) {
                if (a.index >= fields->size()) {
                    fail(a.pos, apath + ".index", "tracepoint " + subsys + " has " +
                                                      std::to_string(fields->size()) +
                                                      " fields (index 0-" +
                                                      std::to_string(fields->size() - 1) + "), got " +
                                                      std::to_string(a.index));
                    ok = false;
                    continue;
                }
                const TracepointField& fd = (*fields)[a.index];
                as.index = static_cast<std::uint8_t>(i);
                as.tp_offset = static_cast<std::uint16_t>(fd.offset);
                as.tp_size = static_cast<std::uint8_t>(fd.size > 255 ? 255 : fd.size);
                as.tp_signed = fd.is_signed;
                const bool stringy = as.kind == ArgKind::kKernelString || as.kind == ArgKind::kKernelBuffer;
                if (fd.data_loc || fd.array) {
                    if (!stringy) {
                        fail(a.pos, apath + ".type", "field '" + fd.name + "' (" + fd.type +
                                                         ") holds characters: use string or char_buf");
                        ok = false;
                        continue;
                    }
                    as.kind = ArgKind::kKernelString;
                    as.tp_source = fd.data_loc ? model::TracepointSource::kDataLoc
                                               : model::TracepointSource::kInline;
                } else {
                    as.tp_source = model::TracepointSource::kValue;
                    if (fd.size != 1 && fd.size != 2 && fd.size != 4 && fd.size != 8) {
                        fail(a.pos, apath + ".index", "field '" + fd.name + "' is " +
                                                          std::to_string(fd.size) +
                                                          " bytes; only 1, 2, 4 and 8-byte fields are read");
                        ok = false;
                        continue;
                    }
                    // The syscalls subsystem's pointers point into user memory.
                    if (subsys == "syscalls") {
                        if (as.kind == ArgKind::kKernelString) as.kind = ArgKind::kUserString;
                        if (as.kind == ArgKind::kKernelBuffer) as.kind = ArgKind::kUserBuffer;
                    }
                }
                if (a.size_arg_index > 0) {
                    // The length must be another captured argument: its position, 1-based.
                    std::uint8_t pos = 0;
                    for (std::size_t j = 0; j < h.args.size(); ++j) {
                        if (h.args[j].index + 1 == a.size_arg_index) pos = static_cast<std::uint8_t>(j + 1);
                    }
                    if (pos == 0) {
                        fail(a.pos, apath + ".sizeArgIndex", "on a tracepoint the length field (index " +
                                                                 std::to_string(a.size_arg_index - 1) +
                                                                 ") must also be one of the hook's args");
                        ok = false;
                        continue;
                    }
                    as.size_index = pos;
                }
            } else {
                if (a.index > 5) {
                    fail(a.pos, apath + ".index", "at most 6 arguments are read (index 0-5), got " +
                                                      std::to_string(a.index));
                    ok = false;
                    continue;
                }
                as.index = static_cast<std::uint8_t>(a.index);
                as.size_index = static_cast<std::uint8_t>(a.size_arg_index);
            }
            as.return_copy = a.return_copy;
            as.max_data = model::kMaxArgData;
            ph.spec.args.push_back(as);
            ph.info.args.push_back({std::string(arg_type_name(a.type)), a.label});
        }
        if (h.args.size() > model::kMaxHookArgs) {
            fail(h.pos, path + ".args", "at most " + std::to_string(model::kMaxHookArgs) +
                                            " arguments per hook (Tetragon's limit)");
            ok = false;
        }
        return ok;
    }

    void finish(const Hook& h, const std::string& path, const OverrideSupport& ovr, PlannedHook ph,
                bool ok) {
        ph.info.policy_name = p.name;
        ph.info.message = h.message;
        ph.info.tags = h.tags;
        if (ph.spec.at_return) {
            ph.info.return_type = h.return_arg ? std::string(arg_type_name(h.return_arg->type)) : "int";
        }
        std::size_t before = plan.errors.size();
        ph.spec.selectors = compile_selectors(p, h, path, f, ovr, plan.errors);
        if (plan.errors.size() != before) ok = false;
        for (const auto& cs : ph.spec.selectors.selectors) ph.info.remote_actions.push_back(cs.remote);
        // Arguments the selectors read are captured before they run; the rest only on a match.
        if (ok) plan.hooks.push_back(std::move(ph));
    }

    OverrideSupport no_override(const std::string& what) const {
        return {false, "Override on " + what +
                           " needs bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE with "
                           "CONFIG_FUNCTION_ERROR_INJECTION), which Vigil does not use yet; hook a "
                           "security_ function (fmod_ret) or an lsmhooks entry instead"};
    }

    void kprobe_call(const Hook& h, const std::string& path, const std::string& call, bool fentries) {
        PlannedHook ph;
        ph.spec.at_return = h.return_probe;
        ph.info.kind = model::HookEventKind::kKprobe;
        const bool syscall = h.syscall && !fentries;
        OverrideSupport ovr;
        ArgContext ctx = ArgContext::kKernel;
        if (syscall) {
            std::string base = syscall_base_name(call);
            if (base.empty()) {
                fail(h.pos, path + ".call", "'" + call + "' is not a syscall of this architecture "
                                            "(expected sys_NAME)");
                return;
            }
            ph.spec.syscall = base;
            ph.spec.target = syscall_symbol(base);
            ph.info.function_name = ph.spec.target;
            ctx = ArgContext::kSyscall;
            if (f.kprobe_multi) {
                ph.spec.method = AttachMethod::kKprobeMulti;
            } else if (f.kprobe) {
                ph.spec.method = AttachMethod::kKprobe;
            } else if (f.tracepoint) {
                ph.spec.method = AttachMethod::kSyscallTracepoint;
            } else {
                fail(h.pos, path, "syscall hooks need kprobes or the syscall tracepoints; this kernel "
                                  "offers neither");
                return;
            }
            ovr = no_override("a syscall");
        } else {
            ph.spec.target = call;
            ph.info.function_name = call;
            const bool security_fn = call.rfind("security_", 0) == 0;
            if (has_override(h)) {
                if (!security_fn) {
                    ovr = no_override("'" + call + "'");
                } else if (!f.fmod_ret) {
                    ovr = {false, "Override on '" + call + "' needs fmod_ret (BPF trampolines), "
                                  "which this kernel refuses"};
                } else if (h.return_probe) {
                    ovr = {false, "Override cannot be combined with `return: true` (fmod_ret runs "
                                  "before the function)"};
                } else {
                    ovr.ok = true;
                    ph.spec.method = AttachMethod::kFmodRet;
                }
            }
            if (!ovr.ok) {
                if (fentries) {
                    if (!f.fentry) {
                        fail(h.pos, path, "fentries need BPF trampolines (fentry/fexit), which this "
                                          "kernel refuses (no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS "
                                          "or lockdown)");
                        return;
                    }
                    ph.spec.method = AttachMethod::kFentry;
                } else if (f.kprobe_multi) {
                    ph.spec.method = AttachMethod::kKprobeMulti;
                } else if (f.kprobe) {
                    ph.spec.method = AttachMethod::kKprobe;
                } else if (f.fentry) {
                    ph.spec.method = AttachMethod::kFentry;
                } else {
                    fail(h.pos, path + ".call",
                         "'" + call + "' is a kernel function: it needs kprobes or fentry, and this "
                         "kernel has neither (kprobes: CONFIG_KPROBES is off; fentry: trampolines "
                         "refused)");
                    return;
                }
            }
        }
        bool ok = plan_args(h, path, ctx, nullptr, "", ph);
        finish(h, path, ovr, std::move(ph), ok);
    }

    void kprobe_hook(const Hook& h, const std::string& path, bool fentries) {
        if (!h.data.empty()) {
            fail(h.pos, path + ".data", "unsupported: data arguments");
            return;
        }
        if (h.call.rfind("list:", 0) != 0) {
            kprobe_call(h, path, h.call, fentries);
            return;
        }
        const ListSpec* list = p.find_list(h.call.substr(5));
        if (!list) {
            fail(h.pos, path + ".call", "no list named '" + h.call.substr(5) + "' in spec.lists");
            return;
        }
        if (list->type == ListType::GeneratedSyscalls || list->type == ListType::GeneratedFtrace) {
            fail(list->pos, "spec.lists[" + list->name + "].type",
                 std::string("unsupported: generated lists (") +
                     (list->type == ListType::GeneratedSyscalls ? "generated_syscalls" : "generated_ftrace") +
                     ") are not expanded yet; list the calls explicitly");
            return;
        }
        for (const auto& v : list->values) kprobe_call(h, path, v, fentries);
    }

    void tracepoint_hook(const Hook& h, const std::string& path) {
        PlannedHook ph;
        ph.info.kind = model::HookEventKind::kTracepoint;
        ph.info.subsys = h.subsystem;
        ph.info.event = h.event;
        if (h.return_probe) {
            fail(h.pos, path + ".return", "tracepoints have no return value");
            return;
        }
        const OverrideSupport ovr{false, "Override is not possible on a tracepoint"};
        if (h.raw) {
            if (!f.raw_tracepoint) {
                fail(h.pos, path + ".raw", "raw tracepoints are not supported by this kernel");
                return;
            }
            ph.spec.method = AttachMethod::kRawTracepoint;
            ph.spec.target = h.event;
            bool ok = plan_args(h, path, ArgContext::kKernel, nullptr, h.subsystem, ph);
            finish(h, path, ovr, std::move(ph), ok);
            return;
        }
        if (!f.tracepoint) {
            fail(h.pos, path, "tracepoints are not supported by this kernel");
            return;
        }
        if (!formats) {
            fail(h.pos, path, "tracepoint field layouts are unavailable here (tracefs is read by vigild "
                              "on the node)");
            return;
        }
        auto fields = formats(h.subsystem, h.event);
        if (!fields) {
            fail(h.pos, path + ".event", "tracepoint " + h.subsystem + "/" + h.event + ": " + fields.error());
            return;
        }
        ph.spec.method = AttachMethod::kTracepoint;
        ph.spec.target = h.subsystem + "/" + h.event;
        bool ok = plan_args(h, path, ArgContext::kTracepoint, &fields.value(), h.subsystem, ph);
        finish(h, path, ovr, std::move(ph), ok);
    }

    void uprobe_hook(const Hook& h, const std::string& path) {
        if (!f.uprobe) {
            fail(h.pos, path, "uprobes need the uprobe PMU (CONFIG_UPROBE_EVENTS), which this kernel lacks");
            return;
        }
        if (!h.data.empty()) {
            fail(h.pos, path + ".data", "unsupported: data arguments");
            return;
        }
        if (!h.addrs.empty() || !h.ref_ctr_offsets.empty() || !h.binary_digests.empty()) {
            fail(h.pos, path, "unsupported: uprobe addrs, refCtrOffsets and binary digests");
            return;
        }
        const OverrideSupport ovr{false, "unsupported: Override on uprobes"};
        auto one = [&](const std::string& symbol, std::uint64_t offset) {
            PlannedHook ph;
            ph.info.kind = model::HookEventKind::kUprobe;
            ph.info.path = h.path;
            ph.info.symbol = symbol;
            ph.info.offset = offset;
            ph.spec.method = AttachMethod::kUprobe;
            ph.spec.binary = h.path;
            ph.spec.target = symbol;
            ph.spec.offset = offset;
            ph.spec.at_return = h.return_probe;
            bool ok = plan_args(h, path, ArgContext::kUser, nullptr, "", ph);
            finish(h, path, ovr, std::move(ph), ok);
        };
        if (h.symbols.empty() && h.offsets.empty()) {
            fail(h.pos, path, "a uprobe needs symbols or offsets");
            return;
        }
        for (const auto& s : h.symbols) one(s, 0);
        for (auto o : h.offsets) one("", o);
    }

    void lsm_hook(const Hook& h, const std::string& path) {
        if (!f.lsm) {
            fail(h.pos, path, "lsmhooks need BPF LSM: CONFIG_BPF_LSM and `bpf` in the active LSMs "
                              "(lsm= boot parameter); this kernel does not offer it");
            return;
        }
        if (!h.data.empty()) {
            fail(h.pos, path + ".data", "unsupported: data arguments");
            return;
        }
        PlannedHook ph;
        ph.info.kind = model::HookEventKind::kLsm;
        ph.info.function_name = h.hook;
        ph.spec.method = AttachMethod::kLsm;
        ph.spec.target = h.hook;
        bool ok = plan_args(h, path, ArgContext::kKernel, nullptr, "", ph);
        finish(h, path, OverrideSupport{true, ""}, std::move(ph), ok);
    }
};

}  // namespace

std::string syscall_base_name(const std::string& call) {
    std::string c = call;
    std::string arch = kArchPrefix;
    if (!arch.empty() && c.rfind(arch, 0) == 0) c = c.substr(arch.size());
    if (c.rfind("__", 0) == 0) return "";  // another architecture's prefix
    if (c.rfind("sys_", 0) == 0) c = c.substr(4);
    if (c.empty()) return "";
    for (char ch : c) {
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) return "";
    }
    return c;
}

std::string syscall_symbol(const std::string& base) {
    return std::string(kArchPrefix) + "sys_" + base;
}

HookPlan plan_hooks(const policy::Policy& p, const model::KernelFeatures& features,
                    const TracepointFormatLookup& formats) {
    HookPlan plan;
    if (p.loader) {
        plan.errors.push_back(format_location(p.pos, "spec.loader") +
                              ": unsupported: loader events (process_loader) are not implemented yet");
        return plan;
    }
    if (p.hooks.empty()) {
        plan.errors.push_back(format_location(p.pos, "spec") + ": the policy has no hooks Vigil can attach");
        return plan;
    }
    Planner pl{p, features, formats, plan};
    const std::string section = p.hook_kind ? std::string(hook_kind_name(*p.hook_kind)) : "kprobes";
    for (std::size_t i = 0; i < p.hooks.size(); ++i) {
        const Hook& h = p.hooks[i];
        const std::string path = "spec." + section + "[" + std::to_string(i) + "]";
        switch (h.kind) {
            case HookKind::Kprobe: pl.kprobe_hook(h, path, false); break;
            case HookKind::Fentry: pl.kprobe_hook(h, path, true); break;
            case HookKind::Tracepoint: pl.tracepoint_hook(h, path); break;
            case HookKind::Uprobe: pl.uprobe_hook(h, path); break;
            case HookKind::LsmHook: pl.lsm_hook(h, path); break;
            case HookKind::Usdt:
                pl.fail(h.pos, path, "unsupported: usdts hooks are not implemented yet");
                break;
        }
    }
    if (!plan.errors.empty()) plan.hooks.clear();
    return plan;
}

}  // namespace vigil::policy
