#include "policy/hook_plan.h"

#include "policy/selector_compile.h"

#include "policy/diagnostic.h"
#include "policy/names.h"

namespace vigil::policy {

namespace {

#if defined(__x86_64__)
constexpr const char* kArchPrefix = "__x64_";
#elif defined(__aarch64__)
constexpr const char* kArchPrefix = "__arm64_";
#else
constexpr const char* kArchPrefix = "";
#endif

// How a policy argument type is captured on a syscall hook, where every
// argument is a register value or a pointer into user memory.
bool syscall_arg_kind(policy::ArgType t, model::ArgKind& out) {
    using policy::ArgType;
    switch (t) {
        case ArgType::Int: case ArgType::Int32: case ArgType::Int16: case ArgType::Int8:
            out = model::ArgKind::kS32; return true;
        case ArgType::Uint32: case ArgType::Uint16: case ArgType::Uint8:
            out = model::ArgKind::kU32; return true;
        case ArgType::Int64:
            out = model::ArgKind::kS64; return true;
        case ArgType::Uint64: case ArgType::SizeT:
            out = model::ArgKind::kU64; return true;
        case ArgType::String:
            out = model::ArgKind::kUserString; return true;
        case ArgType::CharBuf:
            out = model::ArgKind::kUserBuffer; return true;
        case ArgType::Fd:
            out = model::ArgKind::kFd; return true;
        case ArgType::Sockaddr:
            out = model::ArgKind::kSockaddr; return true;
        default:
            return false;
    }
}

void plan_syscall(const policy::Policy& p, const policy::Hook& h, const std::string& path,
                  const std::string& call, const model::KernelFeatures& features, HookPlan& plan) {
    std::string base = syscall_base_name(call);
    if (base.empty()) {
        plan.errors.push_back(format_location(h.pos, path + ".call") + ": '" + call +
                              "' is not a syscall of this architecture (expected sys_NAME)");
        return;
    }
    PlannedHook ph;
    ph.spec.syscall = base;
    ph.spec.at_return = h.return_probe;
    ph.info.policy_name = p.name;
    ph.info.function_name = syscall_symbol(base);
    ph.info.message = h.message;
    ph.info.tags = h.tags;
    bool ok = true;
    for (std::size_t i = 0; i < h.args.size(); ++i) {
        const policy::Arg& a = h.args[i];
        std::string apath = path + ".args[" + std::to_string(i) + "]";
        model::HookArgSpec as;
        if (!syscall_arg_kind(a.type, as.kind)) {
            plan.errors.push_back(format_location(a.pos, apath + ".type") + ": unsupported: type '" +
                                  std::string(policy::arg_type_name(a.type)) +
                                  "' on a syscall hook (supported: int, int32, uint32, int64, "
                                  "uint64, size_t, string, char_buf, fd, sockaddr)");
            ok = false;
            continue;
        }
        if (a.index > 5) {
            plan.errors.push_back(format_location(a.pos, apath + ".index") + ": syscalls have at most 6 "
                                  "arguments (index 0-5), got " + std::to_string(a.index));
            ok = false;
            continue;
        }
        if (a.return_copy && !h.return_probe) {
            plan.errors.push_back(format_location(a.pos, apath + ".returnCopy") +
                                  ": returnCopy needs `return: true` on the hook");
            ok = false;
            continue;
        }
        if (!a.resolve.empty()) {
            plan.errors.push_back(format_location(a.pos, apath + ".resolve") +
                                  ": unsupported: resolve on a syscall argument");
            ok = false;
            continue;
        }
        as.index = static_cast<std::uint8_t>(a.index);
        as.size_index = static_cast<std::uint8_t>(a.size_arg_index);
        as.return_copy = a.return_copy;
        as.max_data = model::kMaxArgData;
        ph.spec.args.push_back(as);
        ph.info.args.push_back({std::string(policy::arg_type_name(a.type)), a.label});
    }
    if (h.return_probe) {
        ph.info.return_type = h.return_arg ? std::string(policy::arg_type_name(h.return_arg->type))
                                           : "int";
    }
    std::size_t before = plan.errors.size();
    ph.spec.selectors = compile_selectors(p, h, path, features, plan.errors);
    if (plan.errors.size() != before) ok = false;
    if (ok) plan.hooks.push_back(std::move(ph));
}

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

HookPlan plan_hooks(const policy::Policy& p, const model::KernelFeatures& features) {
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
    const std::string section =
        p.hook_kind ? std::string(policy::hook_kind_name(*p.hook_kind)) : "kprobes";
    for (std::size_t i = 0; i < p.hooks.size(); ++i) {
        const policy::Hook& h = p.hooks[i];
        std::string path = "spec." + section + "[" + std::to_string(i) + "]";
        if (h.kind != policy::HookKind::Kprobe) {
            plan.errors.push_back(format_location(h.pos, path) + ": unsupported: " + section +
                                  " hooks are not implemented yet (only kprobes with "
                                  "`syscall: true`)");
            continue;
        }
        if (!h.data.empty()) {
            plan.errors.push_back(format_location(h.pos, path + ".data") + ": unsupported: data arguments");
            continue;
        }
        if (!h.syscall) {
            if (!features.kprobe && !features.fentry) {
                plan.errors.push_back(
                    format_location(h.pos, path + ".call") + ": '" + h.call +
                    "' is a kernel function: it needs kprobes or fentry, and this kernel has "
                    "neither (kprobes: CONFIG_KPROBES is off; fentry: trampolines refused)");
            } else {
                plan.errors.push_back(format_location(h.pos, path + ".call") +
                                      ": unsupported: kprobes on kernel functions are not "
                                      "implemented yet (only `syscall: true` calls)");
            }
            continue;
        }
        if (!features.tracepoint) {
            plan.errors.push_back(format_location(h.pos, path) + ": syscall hooks need the syscall "
                                  "tracepoints, which this kernel does not offer");
            continue;
        }
        if (h.call.rfind("list:", 0) == 0) {
            const policy::ListSpec* list = p.find_list(h.call.substr(5));
            if (!list) {
                plan.errors.push_back(format_location(h.pos, path + ".call") + ": no list named '" +
                                      h.call.substr(5) + "' in spec.lists");
                continue;
            }
            if (list->type == policy::ListType::GeneratedSyscalls ||
                list->type == policy::ListType::GeneratedFtrace) {
                plan.errors.push_back(format_location(list->pos, "spec.lists[" + list->name + "].type") +
                                      ": unsupported: generated lists (" +
                                      (list->type == policy::ListType::GeneratedSyscalls ? "generated_syscalls"
                                                                                      : "generated_ftrace") +
                                      ") are not expanded yet; list the calls explicitly");
                continue;
            }
            for (const auto& v : list->values) plan_syscall(p, h, path, v, features, plan);
            continue;
        }
        plan_syscall(p, h, path, h.call, features, plan);
    }
    if (!plan.errors.empty()) plan.hooks.clear();
    return plan;
}

}  // namespace vigil::policy
