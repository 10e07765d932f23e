// Checks that need more than one object: selector macros spliced into
// selectors, list references, hook/argument rules, Tetragon's limits, and
// which actions each hook kind allows.
#include <algorithm>

#include "policy/parse_internal.h"
#include "policy/suggest.h"

namespace vigil::policy::detail {
namespace {

constexpr size_t kMaxSelectors = 5;   // MAX_SELECTORS
constexpr size_t kMaxArgFilters = 5;  // matchArgs + matchData per selector
constexpr size_t kMaxActions = 3;     // MAX_ACTIONS
constexpr size_t kMaxNamespaceFilters = 10;
constexpr size_t kMaxPidValues = 4;
constexpr size_t kMaxArgs = 5;  // args + data per hook
constexpr uint32_t kMaxRegisterArgIndex = 4;
constexpr uint32_t kMaxSizeArgIndex = 15;  // 4 bits of the argument meta word

bool starts_with(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

std::string num(size_t n) { return std::to_string(n); }

// Splices one macro block into the selector; Tetragon refuses a block set in
// both places (or in two macros).
template <typename T>
void splice(Reader& r, const Selector& sel, const std::string& macro, std::vector<T>& into,
            const std::vector<T>& from, std::string_view field) {
    if (from.empty()) return;
    if (!into.empty()) {
        r.error(sel.pos, "'" + std::string(field) + "' is set both by macro '" + macro +
                             "' and by the selector or another of its macros; set it in one place");
        return;
    }
    into = from;
}

void expand_macros(Reader& r, const Policy& p, Selector& s) {
    for (size_t i = 0; i < s.macros.size(); ++i) {
        const std::string& name = s.macros[i];
        SourcePos mp = s.pos;
        mp.path = index_path(child_path(s.pos.path, "macros"), i);
        auto it = p.selectors_macros.find(name);
        if (it == p.selectors_macros.end()) {
            std::vector<std::string_view> names;
            for (const auto& [n, _] : p.selectors_macros) names.push_back(n);
            r.error(mp, "macro '" + name + "' is not defined in spec.selectorsMacros;" +
                            (names.empty() ? std::string(" the policy defines no macros")
                                           : did_you_mean(name, names)));
            continue;
        }
        const Selector& m = it->second;
        splice(r, s, name, s.match_pids, m.match_pids, "matchPIDs");
        splice(r, s, name, s.match_args, m.match_args, "matchArgs");
        splice(r, s, name, s.match_data, m.match_data, "matchData");
        splice(r, s, name, s.match_actions, m.match_actions, "matchActions");
        splice(r, s, name, s.match_return_args, m.match_return_args, "matchReturnArgs");
        splice(r, s, name, s.match_return_actions, m.match_return_actions, "matchReturnActions");
        splice(r, s, name, s.match_binaries, m.match_binaries, "matchBinaries");
        splice(r, s, name, s.match_parent_binaries, m.match_parent_binaries, "matchParentBinaries");
        splice(r, s, name, s.match_namespaces, m.match_namespaces, "matchNamespaces");
        splice(r, s, name, s.match_namespace_changes, m.match_namespace_changes, "matchNamespaceChanges");
        splice(r, s, name, s.match_capabilities, m.match_capabilities, "matchCapabilities");
        splice(r, s, name, s.match_capability_changes, m.match_capability_changes, "matchCapabilityChanges");
        splice(r, s, name, s.match_workloads, m.match_workloads, "matchWorkloads");
    }
}

void check_list_ref(Reader& r, const Policy& p, const std::string& ref, const SourcePos& pos) {
    const std::string name = ref.substr(5);
    if (p.find_list(name)) return;
    std::vector<std::string_view> names;
    for (const auto& l : p.lists) names.push_back(l.name);
    r.error(pos,
            "list '" + name + "' is not defined in spec.lists;" +
                (names.empty() ? std::string(" the policy defines no lists") : did_you_mean(name, names)));
}

bool is_enforcement(ActionKind k) {
    return k == ActionKind::Sigkill || k == ActionKind::Signal || k == ActionKind::Override ||
           k == ActionKind::NotifyEnforcer || k == ActionKind::Set;
}

void validate_action(Reader& r, const Policy& p, const Hook& h, const Action& a, bool is_return) {
    const std::string name(action_name(a.kind));
    if (h.kind == HookKind::Fentry && is_enforcement(a.kind)) {
        r.error(a.pos, "fentries cannot enforce: " + name + " is not available on fentry hooks; use kprobes");
    }
    switch (a.kind) {
        case ActionKind::Override:
            if (h.kind == HookKind::Tracepoint || h.kind == HookKind::Usdt) {
                r.error(a.pos, "Override cannot change the result of a " +
                                   std::string(hook_kind_name(h.kind)) +
                                   " hook; for tracepoints use NotifyEnforcer with spec.enforcers");
            } else if (h.kind == HookKind::Kprobe && !starts_with(h.call, "list:") && !h.syscall &&
                       !starts_with(h.call, "security_")) {
                r.error(a.pos,
                        "Override works only on syscalls (syscall: true) and security_* functions, not on '" +
                            h.call + "'");
            }
            if (h.kind != HookKind::Uprobe &&
                (!a.arg_regs.empty() || !a.arg_new_symbol.empty() || a.arg_new_addr || a.arg_new_offset)) {
                r.error(a.pos, "argRegs, argNewSymbol, argNewAddr and argNewOffset are only for uprobes");
            }
            break;
        case ActionKind::NotifyEnforcer:
            if (p.enforcers.empty()) {
                r.error(a.pos,
                        "NotifyEnforcer needs an enforcer: add spec.enforcers with the calls to act on");
            }
            break;
        case ActionKind::Set:
            if (h.kind != HookKind::Usdt)
                r.error(a.pos, "the Set action is only available on usdts");
            else if (a.arg_index >= h.args.size())
                r.error(a.pos, "Set argIndex " + num(a.arg_index) +
                                   " does not refer to an argument (the hook has " + num(h.args.size()) +
                                   ")");
            break;
        case ActionKind::GetUrl:
        case ActionKind::DnsLookup:
            if (h.kind == HookKind::Uprobe || h.kind == HookKind::Usdt) {
                r.error(a.pos, name + " is not available on " + std::string(hook_kind_name(h.kind)));
            }
            break;
        case ActionKind::TrackSock:
        case ActionKind::UntrackSock:
            if (!is_return) {
                const bool found = a.arg_sock < h.args.size() ||
                                   std::any_of(h.args.begin(), h.args.end(),
                                               [&](const Arg& x) { return x.index == a.arg_sock; });
                if (!found) {
                    r.error(a.pos,
                            name + " argSock " + num(a.arg_sock) + " does not refer to a declared argument");
                }
            }
            break;
        case ActionKind::Post:
            if (a.ima_hash && h.kind != HookKind::LsmHook) {
                r.warning(a.pos, "imaHash works only on lsmhooks; it is ignored here");
            }
            break;
        default: break;
    }
}

void validate_selector(Reader& r, const Policy& p, Hook& h, Selector& s) {
    expand_macros(r, p, s);
    const bool has_return =
        h.kind == HookKind::Kprobe || h.kind == HookKind::Fentry || h.kind == HookKind::Uprobe;

    if (s.match_args.size() + s.match_data.size() > kMaxArgFilters) {
        r.error(s.pos, "a selector may have at most 5 matchArgs and matchData entries together, got " +
                           num(s.match_args.size() + s.match_data.size()));
    }
    if (s.match_return_args.size() > kMaxArgFilters) {
        r.error(s.pos, "a selector may have at most 5 matchReturnArgs entries, got " +
                           num(s.match_return_args.size()));
    }
    if (s.match_actions.size() > kMaxActions) {
        r.error(s.match_actions[kMaxActions].pos,
                "a selector may have at most 3 matchActions, got " + num(s.match_actions.size()));
    }
    if (s.match_return_actions.size() > kMaxActions) {
        r.error(
            s.match_return_actions[kMaxActions].pos,
            "a selector may have at most 3 matchReturnActions, got " + num(s.match_return_actions.size()));
    }
    if (s.match_binaries.size() > 1) {
        r.error(s.match_binaries[1].pos,
                "a selector may have only one matchBinaries entry; put all paths in "
                "its values or use another selector");
    }
    if (s.match_parent_binaries.size() > 1) {
        r.error(s.match_parent_binaries[1].pos, "a selector may have only one matchParentBinaries entry");
    }
    if (s.match_namespaces.size() > kMaxNamespaceFilters) {
        r.error(s.match_namespaces[kMaxNamespaceFilters].pos,
                "a selector may have at most 10 matchNamespaces entries");
    }
    if (s.match_namespace_changes.size() > 1) {
        r.error(s.match_namespace_changes[1].pos, "a selector may have only one matchNamespaceChanges entry");
    }
    for (const auto& pid : s.match_pids) {
        if (pid.values.size() > kMaxPidValues) {
            r.error(pid.pos, "matchPIDs accepts at most 4 values per entry, got " + num(pid.values.size()) +
                                 " (Tetragon's kernel side would silently ignore the rest)");
        }
    }
    if (s.match_pids.size() > 1) {
        r.warning(s.match_pids[1].pos,
                  "several matchPIDs entries: Vigil requires all of them (AND), while "
                  "Tetragon's kernel side evaluates only the first reliably");
    }
    if (s.match_capabilities.size() > 1) {
        r.warning(s.match_capabilities[1].pos,
                  "several matchCapabilities entries: Vigil requires all of them (AND), "
                  "while Tetragon's kernel side evaluates only the first");
    }

    for (auto& m : s.match_args) validate_match_arg(r, p, h, m, h.args, false, false);
    for (auto& m : s.match_data) validate_match_arg(r, p, h, m, h.data, true, false);
    for (const auto& a : s.match_actions) validate_action(r, p, h, a, false);

    const bool uses_return = !s.match_return_args.empty() || !s.match_return_actions.empty();
    if (uses_return && !has_return) {
        r.error(s.pos, std::string(hook_kind_name(h.kind)) +
                           " have no return probe: matchReturnArgs and matchReturnActions are not available");
        return;
    }
    if (uses_return && !h.return_probe) {
        r.warning(s.pos, "matchReturnArgs/matchReturnActions are ignored without 'return: true' on the hook");
    }
    std::vector<Arg> ret;
    if (h.return_arg) ret.push_back(*h.return_arg);
    for (auto& m : s.match_return_args) validate_match_arg(r, p, h, m, ret, false, true);
    for (const auto& a : s.match_return_actions) validate_action(r, p, h, a, true);
}

void validate_args(Reader& r, const Hook& h) {
    const bool register_args = h.kind == HookKind::Kprobe || h.kind == HookKind::Uprobe;
    if (h.kind != HookKind::Tracepoint && h.args.size() + h.data.size() > kMaxArgs) {
        r.error(h.pos, "a hook may declare at most 5 arguments (args and data together), got " +
                           num(h.args.size() + h.data.size()));
    }
    auto check = [&](const Arg& a, bool is_data) {
        if (register_args && !is_data && a.index > kMaxRegisterArgIndex) {
            r.error(a.pos, "argument index " + num(a.index) +
                               " is out of range: " + std::string(hook_kind_name(h.kind)) +
                               " read the first 5 arguments (index 0..4)");
        }
        if (a.type == ArgType::Auto && h.kind != HookKind::Tracepoint && h.kind != HookKind::Usdt) {
            r.error(a.pos, "argument type is missing: 'auto' is only available for tracepoint arguments");
        }
        if (a.type == ArgType::Syscall64 && (h.kind == HookKind::Kprobe || h.kind == HookKind::Fentry)) {
            r.error(a.pos, "type syscall64 is for tracepoints (raw_syscalls); use an integer type here");
        }
        const bool buffer = a.type == ArgType::CharBuf || a.type == ArgType::CharIovec;
        if (a.size_arg_index > kMaxSizeArgIndex) {
            r.error(a.pos, "sizeArgIndex " + num(a.size_arg_index) + " is too large (at most 15)");
        } else if (a.size_arg_index && !buffer) {
            r.warning(a.pos, "sizeArgIndex is only used by char_buf and char_iovec arguments; it is ignored");
        }
        if (a.return_copy && !buffer) {
            r.warning(a.pos, "returnCopy is only used by char_buf and char_iovec arguments; it is ignored");
        }
        if (a.max_data && a.type != ArgType::CharBuf && a.type != ArgType::IovIter) {
            r.warning(a.pos, "maxData is only used by char_buf and iov_iter arguments; it is ignored");
        }
        if (a.max_data && a.return_copy) {
            r.error(a.pos, "maxData cannot be combined with returnCopy");
        }
        if (a.source == ArgSource::PtRegs && a.resolve.empty()) {
            r.error(a.pos, "a pt_regs data entry needs 'resolve' naming the register, e.g. \"rax\"");
        }
    };
    for (const auto& a : h.args) check(a, false);
    for (const auto& a : h.data) check(a, true);
}

void validate_hook(Reader& r, Policy& p, Hook& h) {
    validate_args(r, h);
    if (h.kind == HookKind::Kprobe || h.kind == HookKind::Fentry) {
        if (starts_with(h.call, "list:")) {
            check_list_ref(r, p, h.call, h.pos);
            const ListSpec* l = p.find_list(h.call.substr(5));
            if (l && (l->type == ListType::Syscalls || l->type == ListType::GeneratedSyscalls)) {
                if (h.syscall_set && !h.syscall) {
                    r.warning(h.pos,
                              "syscall: false is overridden: hooks on a syscall list are always syscalls");
                }
                h.syscall = true;
            }
        }
    }
    const bool has_return =
        h.kind == HookKind::Kprobe || h.kind == HookKind::Fentry || h.kind == HookKind::Uprobe;
    if (has_return) {
        if (h.return_probe && !h.return_arg) {
            r.error(
                h.pos,
                "return: true needs returnArg, the type of the return value (e.g. {index: 0, type: int})");
        }
        if (!h.return_probe && h.return_arg) {
            r.warning(h.return_arg->pos, "returnArg is ignored without return: true");
        }
        if (!h.return_probe && h.return_arg_action) {
            r.warning(h.pos, "returnArgAction is ignored without return: true");
        }
    }
    if (h.kind == HookKind::Uprobe) {
        const int methods = !h.symbols.empty() + !h.offsets.empty() + !h.addrs.empty();
        if (methods != 1) {
            r.error(h.pos, "a uprobe needs exactly one of symbols, offsets or addrs");
        }
        if (!h.ref_ctr_offsets.empty()) {
            const size_t n = !h.symbols.empty() ? h.symbols.size() : h.offsets.size();
            if (n && n != h.ref_ctr_offsets.size()) {
                r.error(h.pos, "refCtrOffsets has " + num(h.ref_ctr_offsets.size()) +
                                   " entries but there are " + num(n) +
                                   " symbols/offsets; they must pair up");
            }
        }
    }
    if (h.selectors.size() > kMaxSelectors) {
        r.error(h.selectors[kMaxSelectors].pos,
                "a hook may have at most 5 selectors, got " + num(h.selectors.size()));
    }
    for (auto& s : h.selectors) validate_selector(r, p, h, s);
}

}  // namespace

void validate_policy(Reader& r, Policy& p) {
    if (p.kind == PolicyKind::TracingPolicyNamespaced) {
        if (p.host_selector) {
            r.error(p.host_selector->pos,
                    "TracingPolicyNamespaced cannot select host workloads (hostSelector)");
        }
        if (p.hook_kind == HookKind::Uprobe || p.hook_kind == HookKind::Usdt) {
            r.error(
                p.hooks.empty() ? p.pos : p.hooks.front().pos,
                std::string(hook_kind_name(*p.hook_kind)) + " are not allowed in a TracingPolicyNamespaced");
        }
    }
    for (const auto& e : p.enforcers) {
        for (size_t i = 0; i < e.calls.size(); ++i) {
            if (starts_with(e.calls[i], "list:")) {
                SourcePos pos = e.pos;
                pos.path = index_path(child_path(e.pos.path, "calls"), i);
                check_list_ref(r, p, e.calls[i], pos);
            }
        }
    }
    for (auto& h : p.hooks) validate_hook(r, p, h);
}

}  // namespace vigil::policy::detail
