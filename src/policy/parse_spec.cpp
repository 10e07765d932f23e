// Readers for a policy document, its spec and the hooks, arguments, lists,
// options and enforcers in it, following Tetragon's CRD schema: unknown keys
// are errors, CRD defaults are applied, required fields are checked.
#include "policy/parse_internal.h"
#include "policy/suggest.h"
#include "policy/values.h"

namespace vigil::policy::detail {
namespace {

constexpr std::string_view kApiVersion = "cilium.io/v1alpha1";
constexpr size_t kMaxMessageLen = 256;
constexpr size_t kMinTextLen = 2;  // CRD minimum for message and each tag
constexpr size_t kMaxTags = 16;

std::string hint_or_list(std::string_view word, const std::vector<std::string_view>& names) {
    std::string hint = did_you_mean(word, names);
    return hint.empty() ? " accepted: " + join(names) : hint;
}

std::optional<Arg> parse_arg(Reader& r, const YAML::Node& n, const std::string& path, bool is_data) {
    Fields f = r.fields(n, path, is_data ? "a data entry" : "an argument",
                        {"index", "type", "label", "sizeArgIndex", "returnCopy", "maxData", "resolve",
                         "btfType", "btfTypeModule", "source", "preload"});
    if (!f.ok) return std::nullopt;
    r.require(f, "index", "the position of the argument, from 0");
    Arg a;
    a.pos = r.pos(n, path);
    auto index = r.integer(f, "index", 0, INT32_MAX);
    if (index) a.index = static_cast<uint32_t>(*index);
    if (auto t = r.str(f, "type")) {
        auto type = arg_type_from_name(*t);
        if (!type) {
            r.error(r.pos_of(*f.find("type"), child_path(path, "type")),
                    "unknown argument type '" + *t + "';" + hint_or_list(*t, arg_type_names()));
            return std::nullopt;
        }
        a.type = *type;
    }
    a.label = r.str(f, "label").value_or("");
    if (auto v = r.integer(f, "sizeArgIndex", 0, INT32_MAX)) a.size_arg_index = static_cast<uint32_t>(*v);
    a.return_copy = r.boolean(f, "returnCopy").value_or(false);
    a.max_data = r.boolean(f, "maxData").value_or(false);
    a.btf_type = r.str(f, "btfType").value_or("");
    a.btf_type_module = r.str(f, "btfTypeModule").value_or("");
    a.preload = r.boolean(f, "preload").value_or(false);
    if (auto s = r.str(f, "source")) {
        const SourcePos sp = r.pos_of(*f.find("source"), child_path(path, "source"));
        if (*s == "current_task") {
            a.source = ArgSource::CurrentTask;
        } else if (*s == "pt_regs") {
            a.source = ArgSource::PtRegs;
        } else if (!s->empty()) {
            const std::vector<std::string_view> sources{"current_task", "pt_regs"};
            r.error(sp, "unknown source '" + *s + "';" + hint_or_list(*s, sources));
        }
        if (!is_data && a.source != ArgSource::Arg) {
            r.error(sp, "'source' is only allowed in data entries, not in args");
        }
    }
    a.resolve = r.str(f, "resolve").value_or("");
    if (!a.resolve.empty() && a.source != ArgSource::PtRegs) {
        // For pt_regs data, resolve names a register instead of a BTF path.
        if (auto parts = split_resolve_path(a.resolve)) {
            a.resolve_path = std::move(*parts);
        } else {
            r.error(r.pos_of(*f.find("resolve"), child_path(path, "resolve")),
                    "invalid resolve path '" + a.resolve +
                        "'; expected field names separated by dots with optional [N] "
                        "indexes, e.g. \"mm.owner.comm\" or \"f[2].x\"");
        }
    }
    if (!index) return std::nullopt;
    return a;
}

void read_args(Reader& r, const Fields& f, std::string_view key, std::vector<Arg>& out, bool is_data) {
    const std::string path = child_path(f.path, key);
    auto items = r.seq(f, key);
    for (size_t i = 0; i < items.size(); ++i) {
        if (auto a = parse_arg(r, items[i], index_path(path, i), is_data)) out.push_back(std::move(*a));
    }
}

void read_message_and_tags(Reader& r, const Fields& f, Hook& h) {
    if (auto m = r.str(f, "message")) {
        const SourcePos p = r.pos_of(*f.find("message"), child_path(f.path, "message"));
        if (m->size() < kMinTextLen) {
            r.error(p, "message must be at least 2 characters long");
        } else if (m->size() > kMaxMessageLen) {
            r.warning(p, "message is " + std::to_string(m->size()) +
                             " characters long; only the first 256 are kept");
            m->resize(kMaxMessageLen);
        }
        h.message = *m;
    }
    std::vector<SourcePos> tpos;
    h.tags = r.str_list(f, "tags", &tpos);
    if (h.tags.size() > kMaxTags) {
        r.error(r.pos_of(*f.find("tags"), child_path(f.path, "tags")),
                "at most 16 tags are allowed, got " + std::to_string(h.tags.size()));
    }
    for (size_t i = 0; i < h.tags.size(); ++i) {
        if (h.tags[i].size() < kMinTextLen) r.error(tpos[i], "each tag must be at least 2 characters long");
    }
}

void read_selectors(Reader& r, const Fields& f, Hook& h) {
    const std::string path = child_path(f.path, "selectors");
    auto items = r.seq(f, "selectors");
    for (size_t i = 0; i < items.size(); ++i) {
        if (auto s = parse_selector(r, items[i], index_path(path, i))) h.selectors.push_back(std::move(*s));
    }
}

void read_return(Reader& r, const Fields& f, Hook& h, bool with_action) {
    h.return_probe = r.boolean(f, "return").value_or(false);
    if (auto* x = f.find("returnArg"); x && !x->value.IsNull()) {
        h.return_arg = parse_arg(r, x->value, child_path(f.path, "returnArg"), false);
    }
    if (!with_action) return;
    if (auto s = r.str(f, "returnArgAction")) {
        auto kind = action_from_name(*s);
        if (kind && (*kind == ActionKind::Post || *kind == ActionKind::TrackSock ||
                     *kind == ActionKind::UntrackSock)) {
            h.return_arg_action = kind;
        } else if (!s->empty()) {
            const std::vector<std::string_view> ok{"Post", "TrackSock", "UntrackSock"};
            r.error(r.pos_of(*f.find("returnArgAction"), child_path(f.path, "returnArgAction")),
                    "returnArgAction '" + *s + "' is not allowed;" + hint_or_list(*s, ok));
        }
    }
}

std::optional<Hook> parse_hook(Reader& r, const YAML::Node& n, const std::string& path, HookKind kind) {
    Hook h;
    h.kind = kind;
    h.pos = r.pos(n, path);
    Fields f;
    switch (kind) {
        case HookKind::Kprobe:
        case HookKind::Fentry: {
            f = r.fields(n, path, kind == HookKind::Kprobe ? "a kprobe" : "an fentry",
                         {"call", "syscall", "return", "message", "args", "data", "returnArg",
                          "returnArgAction", "selectors", "tags", "ignore"});
            if (!f.ok) return std::nullopt;
            r.require(f, "call", "the kernel function, or list:NAME");
            h.call = r.str(f, "call").value_or("");
            if (auto s = r.boolean(f, "syscall")) {
                h.syscall = *s;
                h.syscall_set = true;
            }
            read_return(r, f, h, true);
            read_args(r, f, "data", h.data, true);
            if (auto* x = f.find("ignore")) {
                Fields ig = r.fields(x->value, child_path(path, "ignore"), "ignore", {"callNotFound"});
                h.ignore_call_not_found = r.boolean(ig, "callNotFound").value_or(false);
            }
            break;
        }
        case HookKind::Tracepoint:
            f = r.fields(n, path, "a tracepoint",
                         {"subsystem", "event", "raw", "message", "args", "selectors", "tags"});
            if (!f.ok) return std::nullopt;
            r.require(f, "subsystem", "e.g. raw_syscalls");
            r.require(f, "event", "e.g. sys_enter");
            h.subsystem = r.str(f, "subsystem").value_or("");
            h.event = r.str(f, "event").value_or("");
            h.raw = r.boolean(f, "raw").value_or(false);
            break;
        case HookKind::Uprobe: {
            f = r.fields(
                n, path, "a uprobe",
                {"path", "symbols", "offsets", "addrs", "refCtrOffsets", "btfPath", "message", "args", "data",
                 "return", "returnArg", "selectors", "tags", "binaryDigests", "ignore"});
            if (!f.ok) return std::nullopt;
            r.require(f, "path", "the binary or library to probe");
            h.path = r.str(f, "path").value_or("");
            h.symbols = r.str_list(f, "symbols");
            h.offsets = r.uint_list(f, "offsets", UINT64_MAX);
            h.addrs = r.uint_list(f, "addrs", UINT64_MAX);
            h.ref_ctr_offsets = r.uint_list(f, "refCtrOffsets", UINT64_MAX);
            h.btf_path = r.str(f, "btfPath").value_or("");
            read_return(r, f, h, false);
            read_args(r, f, "data", h.data, true);
            std::vector<SourcePos> dpos;
            h.binary_digests = r.str_list(f, "binaryDigests", &dpos);
            if (auto* x = f.find("ignore")) {
                Fields ig =
                    r.fields(x->value, child_path(path, "ignore"), "ignore", {"digestVerificationFailure"});
                h.ignore_digest_verification_failure =
                    r.boolean(ig, "digestVerificationFailure").value_or(false);
            }
            for (size_t i = 0; i < h.binary_digests.size(); ++i) {
                const std::string& d = h.binary_digests[i];
                const auto colon = d.find(':');
                const std::string algo = colon == std::string::npos ? "" : d.substr(0, colon);
                const std::string hex = colon == std::string::npos ? "" : d.substr(colon + 1);
                size_t want = algo == "sha1"     ? 40
                              : algo == "sha256" ? 64
                              : algo == "sha384" ? 96
                              : algo == "sha512" ? 128
                                                 : 0;
                bool hex_ok =
                    !hex.empty() && hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
                if (!(hex_ok && (algo == "build-id" || hex.size() == want) && (want || algo == "build-id"))) {
                    r.error(dpos[i], "invalid binary digest '" + d +
                                         "'; expected sha1:, sha256:, sha384:, sha512: or build-id: "
                                         "followed by hex digits of the right length");
                }
            }
            break;
        }
        case HookKind::Usdt:
            f = r.fields(n, path, "a usdt",
                         {"path", "provider", "name", "btfPath", "message", "args", "selectors", "tags"});
            if (!f.ok) return std::nullopt;
            r.require(f, "path", "the binary holding the probe");
            r.require(f, "provider", "the USDT provider");
            r.require(f, "name", "the USDT probe name");
            h.path = r.str(f, "path").value_or("");
            h.provider = r.str(f, "provider").value_or("");
            h.name = r.str(f, "name").value_or("");
            h.btf_path = r.str(f, "btfPath").value_or("");
            break;
        case HookKind::LsmHook:
            f = r.fields(n, path, "an lsm hook", {"hook", "message", "args", "selectors", "tags"});
            if (!f.ok) return std::nullopt;
            r.require(f, "hook", "the LSM hook without security_, e.g. file_open");
            h.hook = r.str(f, "hook").value_or("");
            break;
    }
    read_message_and_tags(r, f, h);
    read_args(r, f, "args", h.args, false);
    read_selectors(r, f, h);
    return h;
}

void parse_lists(Reader& r, const Fields& spec, Policy& p) {
    const std::string path = child_path(spec.path, "lists");
    auto items = r.seq(spec, "lists");
    for (size_t i = 0; i < items.size(); ++i) {
        const std::string lp = index_path(path, i);
        Fields f = r.fields(items[i], lp, "a list", {"name", "values", "type", "pattern", "validated"});
        if (!f.ok) continue;
        r.require(f, "name", "referenced as list:NAME");
        ListSpec l;
        l.pos = r.pos(items[i], lp);
        l.name = r.str(f, "name").value_or("");
        l.values = r.str_list(f, "values");
        l.pattern = r.str(f, "pattern").value_or("");
        l.validated = r.boolean(f, "validated").value_or(false);
        if (auto t = r.str(f, "type")) {
            const std::vector<std::string_view> types{"syscalls", "generated_syscalls", "generated_ftrace"};
            if (*t == "syscalls")
                l.type = ListType::Syscalls;
            else if (*t == "generated_syscalls")
                l.type = ListType::GeneratedSyscalls;
            else if (*t == "generated_ftrace")
                l.type = ListType::GeneratedFtrace;
            else if (!t->empty())
                r.error(r.pos_of(*f.find("type"), child_path(lp, "type")),
                        "unknown list type '" + *t + "';" + hint_or_list(*t, types));
        }
        const bool generated = l.type == ListType::GeneratedSyscalls || l.type == ListType::GeneratedFtrace;
        if (l.type == ListType::GeneratedFtrace && l.pattern.empty()) {
            r.error(l.pos,
                    "a generated_ftrace list needs 'pattern', a regular expression over "
                    "available_filter_functions");
        }
        if (!l.pattern.empty() && l.type != ListType::GeneratedFtrace) {
            r.warning(r.pos_of(*f.find("pattern"), child_path(lp, "pattern")),
                      "'pattern' is only used by generated_ftrace lists and is ignored here");
        }
        if (generated && !l.values.empty()) {
            r.warning(r.pos_of(*f.find("values"), child_path(lp, "values")),
                      "values are ignored: a generated list computes its own");
        }
        if (!generated && l.values.empty()) {
            r.error(l.pos, "list '" + l.name + "' has no values");
        }
        if (!l.name.empty() && p.find_list(l.name)) {
            r.error(r.pos_of(*f.find("name"), child_path(lp, "name")),
                    "list '" + l.name + "' is defined twice");
            continue;
        }
        p.lists.push_back(std::move(l));
    }
}

bool go_bool(std::string_view s, bool& out) {
    if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True")
        return out = true, true;
    if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
        return out = false, true;
    return false;
}

void parse_options(Reader& r, const Fields& spec, Policy& p) {
    const std::string path = child_path(spec.path, "options");
    auto items = r.seq(spec, "options");
    const std::vector<std::string_view> known{"disable-kprobe-multi", "disable-uprobe-multi",
                                              "override-method", "policy-mode", "sleepable-preload-size"};
    for (size_t i = 0; i < items.size(); ++i) {
        const std::string op = index_path(path, i);
        Fields f = r.fields(items[i], op, "an option", {"name", "value"});
        if (!f.ok) continue;
        r.require(f, "name", "one of " + join(known));
        OptionSpec o;
        o.pos = r.pos(items[i], op);
        o.name = r.str(f, "name").value_or("");
        o.value = r.str(f, "value").value_or("");
        const SourcePos vpos = f.find("value") ? r.pos_of(*f.find("value"), child_path(op, "value")) : o.pos;
        auto& po = p.parsed_options;
        if (o.name == "disable-kprobe-multi" || o.name == "disable-uprobe-multi") {
            bool b = false;
            if (!go_bool(o.value, b)) {
                r.error(vpos,
                        "option " + o.name + " needs a boolean value (true or false), got '" + o.value + "'");
            }
            (o.name == "disable-kprobe-multi" ? po.disable_kprobe_multi : po.disable_uprobe_multi) = b;
        } else if (o.name == "override-method") {
            if (o.value == "override-return")
                po.override_method = OverrideMethod::OverrideReturn;
            else if (o.value == "fmod-ret")
                po.override_method = OverrideMethod::FmodRet;
            else
                r.error(vpos, "override-method must be override-return or fmod-ret, got '" + o.value + "'");
        } else if (o.name == "policy-mode") {
            if (o.value == "enforce")
                po.policy_mode = PolicyMode::Enforce;
            else if (o.value == "monitor")
                po.policy_mode = PolicyMode::Monitor;
            else
                r.error(vpos, "policy-mode must be enforce or monitor, got '" + o.value + "'");
        } else if (o.name == "sleepable-preload-size") {
            auto v = parse_uint(o.value, 10, 32);
            if (!v || *v == 0)
                r.error(vpos, "sleepable-preload-size must be a positive integer, got '" + o.value + "'");
            else
                po.sleepable_preload_size = static_cast<uint32_t>(*v);
        } else if (!o.name.empty()) {
            r.warning(r.pos_of(*f.find("name"), child_path(op, "name")),
                      "unknown option '" + o.name + "' is ignored;" + hint_or_list(o.name, known));
        }
        p.options.push_back(std::move(o));
    }
}

void parse_enforcers(Reader& r, const Fields& spec, Policy& p) {
    const std::string path = child_path(spec.path, "enforcers");
    auto items = r.seq(spec, "enforcers");
    for (size_t i = 0; i < items.size(); ++i) {
        const std::string ep = index_path(path, i);
        Fields f = r.fields(items[i], ep, "an enforcer", {"calls"});
        if (!f.ok) continue;
        r.require(f, "calls", "the syscalls (or list:NAME) the enforcer acts on");
        EnforcerSpec e;
        e.pos = r.pos(items[i], ep);
        e.calls = r.str_list(f, "calls");
        if (i == 1) r.error(e.pos, "a policy may have at most one enforcer");
        p.enforcers.push_back(std::move(e));
    }
}

void parse_spec(Reader& r, const YAML::Node& n, Policy& p) {
    Fields f = r.fields(n, "spec", "spec",
                        {"kprobes", "fentries", "tracepoints", "uprobes", "usdts", "lsmhooks", "lists",
                         "enforcers", "options", "selectorsMacros", "podSelector", "containerSelector",
                         "hostSelector", "nodeSelector", "loader"});
    if (!f.ok) return;
    p.loader = r.boolean(f, "loader").value_or(false);
    parse_lists(r, f, p);
    parse_options(r, f, p);
    parse_enforcers(r, f, p);

    const std::pair<std::string_view, HookKind> sections[] = {
        {"kprobes", HookKind::Kprobe}, {"fentries", HookKind::Fentry}, {"tracepoints", HookKind::Tracepoint},
        {"uprobes", HookKind::Uprobe}, {"usdts", HookKind::Usdt},      {"lsmhooks", HookKind::LsmHook}};
    for (const auto& [key, kind] : sections) {
        const std::string path = child_path("spec", key);
        auto items = r.seq(f, key);
        if (items.empty()) continue;
        if (p.hook_kind) {
            r.error(r.pos_of(*f.find(key), path), "a policy may use only one hook section; it already has '" +
                                                      std::string(hook_kind_name(*p.hook_kind)) + "'. Put '" +
                                                      std::string(key) + "' in a separate policy");
            continue;
        }
        p.hook_kind = kind;
        for (size_t i = 0; i < items.size(); ++i) {
            if (auto h = parse_hook(r, items[i], index_path(path, i), kind)) p.hooks.push_back(std::move(*h));
        }
    }

    if (auto* x = f.find("selectorsMacros")) {
        Fields macros = r.free_fields(x->value, "spec.selectorsMacros", "selectorsMacros");
        for (const auto& m : macros.items) {
            const std::string mp = child_path(macros.path, m.key);
            if (auto s = parse_selector(r, m.value, mp)) {
                if (!s->macros.empty()) r.error(s->pos, "a macro cannot use other macros");
                p.selectors_macros.emplace(m.key, std::move(*s));
            }
        }
    }
    auto label_selector = [&](std::string_view key) -> std::optional<LabelSelector> {
        const Field* x = f.find(key);
        if (!x || x->value.IsNull()) return std::nullopt;
        return parse_label_selector(r, x->value, child_path("spec", key));
    };
    p.pod_selector = label_selector("podSelector");
    p.container_selector = label_selector("containerSelector");
    p.node_selector = label_selector("nodeSelector");
    p.host_selector = label_selector("hostSelector");
    if (p.host_selector && !p.host_selector->empty()) {
        r.error(p.host_selector->pos,
                "hostSelector accepts only null (no host workloads) or {} (all host "
                "workloads); labels are not supported");
    }
}

}  // namespace

std::optional<Policy> parse_document(Reader& r, const YAML::Node& doc) {
    Fields f = r.fields(doc, "", "a policy document", {"apiVersion", "kind", "metadata", "spec"});
    if (!f.ok) return std::nullopt;
    r.require(f, "apiVersion", std::string(kApiVersion));
    r.require(f, "kind", "TracingPolicy or TracingPolicyNamespaced");
    r.require(f, "metadata", "at least a name");
    r.require(f, "spec", "the hooks and selectors");
    Policy p;
    p.pos = r.pos(doc, "");
    if (auto v = r.str(f, "apiVersion"); v && *v != kApiVersion) {
        r.error(r.pos_of(*f.find("apiVersion"), "apiVersion"),
                "unsupported apiVersion '" + *v + "'; expected '" + std::string(kApiVersion) + "'");
    }
    if (auto k = r.str(f, "kind")) {
        const std::vector<std::string_view> kinds{"TracingPolicy", "TracingPolicyNamespaced"};
        if (*k == "TracingPolicy") {
            p.kind = PolicyKind::TracingPolicy;
        } else if (*k == "TracingPolicyNamespaced") {
            p.kind = PolicyKind::TracingPolicyNamespaced;
        } else {
            r.error(r.pos_of(*f.find("kind"), "kind"),
                    "unknown kind '" + *k + "';" + hint_or_list(*k, kinds));
        }
    }
    if (auto* m = f.find("metadata")) {
        // ObjectMeta has many fields Kubernetes manages; only these matter here.
        Fields meta = r.free_fields(m->value, "metadata", "metadata");
        p.name = r.str(meta, "name").value_or("");
        p.namespace_ = r.str(meta, "namespace").value_or("");
        if (meta.ok && p.name.empty()) r.error(r.pos(m->value, "metadata"), "metadata.name is required");
        for (std::string_view key : {"labels", "annotations"}) {
            auto* x = meta.find(key);
            if (!x) continue;
            Fields kv = r.free_fields(x->value, child_path("metadata", key), std::string(key));
            for (const auto& e : kv.items) {
                auto v = r.scalar(e.value, child_path(kv.path, e.key), "a value");
                (key == "labels" ? p.labels : p.annotations)[e.key] = v.value_or("");
            }
        }
    }
    if (auto* s = f.find("spec")) parse_spec(r, s->value, p);
    return p;
}

}  // namespace vigil::policy::detail
