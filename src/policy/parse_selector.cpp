// Readers for one selector and the blocks inside it (matchArgs, matchPIDs,
// matchBinaries, ..., matchActions). Checks here need nothing outside the
// selector; checks against the hook's arguments happen in validation.
#include <algorithm>
#include <cctype>

#include "policy/parse_internal.h"
#include "policy/suggest.h"
#include "policy/values.h"

namespace vigil::policy::detail {
namespace {

constexpr size_t kMaxNamespaceValues = 4;  // pfilter.h selector_match() iterations
constexpr size_t kMaxBinaryPathLen = 255;  // BINARY_PATH_MAX_LEN - 1
constexpr size_t kMaxPrefixLen = 256;      // StringPrefixMaxLength
constexpr size_t kMaxPostfixLen = 127;     // StringPostfixMaxLength - 1

// Reads an `operator` restricted to `allowed` (exact CRD spellings).
std::optional<Operator> read_operator(Reader& r, const Fields& f, std::string_view what,
                                      std::initializer_list<std::pair<std::string_view, Operator>> allowed) {
    auto s = r.str(f, "operator");
    if (!s) return std::nullopt;
    std::vector<std::string_view> names;
    for (const auto& [name, op] : allowed) {
        if (name == *s) return op;
        names.push_back(name);
    }
    const std::string path = child_path(f.path, "operator");
    const std::string hint = did_you_mean(*s, names);
    r.error(r.pos_of(*f.find("operator"), path), "unknown " + std::string(what) + " operator '" + *s + "';" +
                                                     (hint.empty() ? " accepted: " + join(names) : hint));
    return std::nullopt;
}

std::optional<MatchArg> parse_match_arg(Reader& r, const YAML::Node& n, const std::string& path) {
    Fields f = r.fields(n, path, "an argument filter", {"index", "args", "operator", "values"});
    if (!f.ok) return std::nullopt;
    r.require(f, "operator", "the comparison to make, e.g. Equal or Prefix");
    MatchArg m;
    m.pos = r.pos(n, path);
    if (auto v = r.integer(f, "index", 0, UINT32_MAX)) m.index = static_cast<uint32_t>(*v);
    for (auto a : r.uint_list(f, "args", UINT32_MAX)) m.args.push_back(static_cast<uint32_t>(a));
    m.values = r.str_list(f, "values", &m.value_pos);
    auto op = r.str(f, "operator");
    if (!op) return std::nullopt;
    m.op_pos = r.pos_of(*f.find("operator"), child_path(path, "operator"));
    auto parsed = arg_operator_from_name(*op);
    if (!parsed) {
        std::string msg = "unknown operator '" + *op + "';";
        if (*op == "In" || *op == "NotIn") {
            msg +=
                " In/NotIn belong to matchPIDs, matchBinaries, matchNamespaces and "
                "matchCapabilities; for argument values use Equal/NotEqual or InMap/NotInMap";
        } else {
            std::string hint = did_you_mean(*op, arg_operator_names());
            msg += hint.empty() ? " accepted: " + join(arg_operator_names()) : hint;
        }
        r.error(m.op_pos, msg);
        return std::nullopt;
    }
    m.op = *parsed;
    if (m.op == Operator::CelExpr) r.require_supported(Feature::CelExpr, m.op_pos);
    return m;
}

std::optional<PidSelector> parse_pids(Reader& r, const YAML::Node& n, const std::string& path) {
    Fields f =
        r.fields(n, path, "a matchPIDs entry", {"operator", "values", "isNamespacePID", "followForks"});
    if (!f.ok) return std::nullopt;
    r.require(f, "operator", "In or NotIn");
    r.require(f, "values", "the PIDs to match");
    PidSelector p;
    p.pos = r.pos(n, path);
    auto op = read_operator(r, f, "matchPIDs", {{"In", Operator::In}, {"NotIn", Operator::NotIn}});
    for (auto v : r.uint_list(f, "values", UINT32_MAX)) p.values.push_back(static_cast<uint32_t>(v));
    p.is_namespace_pid = r.boolean(f, "isNamespacePID").value_or(false);
    p.follow_forks = r.boolean(f, "followForks").value_or(false);
    if (!op) return std::nullopt;
    p.op = *op;
    return p;
}

std::optional<BinarySelector> parse_binaries(Reader& r, const YAML::Node& n, const std::string& path,
                                             std::string_view block) {
    Fields f =
        r.fields(n, path, "a " + std::string(block) + " entry", {"operator", "values", "followChildren"});
    if (!f.ok) return std::nullopt;
    r.require(f, "operator", "In, NotIn, Prefix, NotPrefix, Postfix or NotPostfix");
    r.require(f, "values", "the binary paths to match");
    BinarySelector b;
    b.pos = r.pos(n, path);
    auto op = read_operator(r, f, block,
                            {{"In", Operator::In},
                             {"NotIn", Operator::NotIn},
                             {"Prefix", Operator::Prefix},
                             {"NotPrefix", Operator::NotPrefix},
                             {"Postfix", Operator::Postfix},
                             {"NotPostfix", Operator::NotPostfix}});
    std::vector<SourcePos> vpos;
    b.values = r.str_list(f, "values", &vpos);
    b.follow_children = r.boolean(f, "followChildren").value_or(false);
    if (!op) return std::nullopt;
    b.op = *op;
    if (b.follow_children && b.op != Operator::In && b.op != Operator::NotIn) {
        r.error(r.pos_of(*f.find("followChildren"), child_path(path, "followChildren")),
                "followChildren works only with the In and NotIn operators, not " +
                    std::string(operator_name(b.op)));
    }
    for (size_t i = 0; i < b.values.size(); ++i) {
        const size_t len = b.values[i].size();
        size_t max = kMaxBinaryPathLen;
        if (b.op == Operator::Prefix || b.op == Operator::NotPrefix) max = kMaxPrefixLen;
        if (b.op == Operator::Postfix || b.op == Operator::NotPostfix) max = kMaxPostfixLen;
        if (len > max) {
            r.error(vpos[i], "value is " + std::to_string(len) + " characters long; " +
                                 std::string(operator_name(b.op)) + " in " + std::string(block) +
                                 " accepts at most " + std::to_string(max));
        }
    }
    return b;
}

std::optional<NamespaceSelector> parse_namespaces(Reader& r, const YAML::Node& n, const std::string& path) {
    Fields f = r.fields(n, path, "a matchNamespaces entry", {"namespace", "operator", "values"});
    if (!f.ok) return std::nullopt;
    r.require(f, "namespace",
              "Uts, Ipc, Mnt, Pid, PidForChildren, Net, Time, TimeForChildren, Cgroup or User");
    r.require(f, "operator", "In or NotIn");
    r.require(f, "values", "namespace inode numbers or host_ns");
    NamespaceSelector s;
    s.pos = r.pos(n, path);
    auto op = read_operator(r, f, "matchNamespaces", {{"In", Operator::In}, {"NotIn", Operator::NotIn}});
    std::optional<NamespaceKind> kind;
    if (auto ns = r.str(f, "namespace")) {
        kind = namespace_from_name(*ns);
        if (!kind) {
            std::string hint = did_you_mean(*ns, namespace_names());
            r.error(r.pos_of(*f.find("namespace"), child_path(path, "namespace")),
                    "unknown namespace '" + *ns + "';" +
                        (hint.empty() ? " accepted: " + join(namespace_names()) : hint));
        }
    }
    std::vector<SourcePos> vpos;
    auto values = r.str_list(f, "values", &vpos);
    if (values.size() > kMaxNamespaceValues) {
        r.error(r.pos_of(*f.find("values"), child_path(path, "values")),
                "matchNamespaces accepts at most 4 values per entry, got " + std::to_string(values.size()) +
                    "; split them over several selectors");
    }
    for (size_t i = 0; i < values.size(); ++i) {
        if (values[i] == "host_ns") {
            s.values.push_back({true, 0});
        } else if (auto v = parse_uint(values[i], 10, 32)) {
            s.values.push_back({false, static_cast<uint32_t>(*v)});
        } else {
            r.error(vpos[i], "namespace value '" + values[i] +
                                 "' is neither an inode number (32-bit unsigned) nor host_ns");
        }
    }
    if (!op || !kind) return std::nullopt;
    s.op = *op;
    s.ns = *kind;
    return s;
}

std::optional<NamespaceChangesSelector> parse_ns_changes(Reader& r, const YAML::Node& n,
                                                         const std::string& path) {
    Fields f = r.fields(n, path, "a matchNamespaceChanges entry", {"operator", "values"});
    if (!f.ok) return std::nullopt;
    r.require(f, "operator", "In or NotIn");
    r.require(f, "values", "namespace kinds, e.g. Mnt or Pid");
    NamespaceChangesSelector s;
    s.pos = r.pos(n, path);
    auto op =
        read_operator(r, f, "matchNamespaceChanges", {{"In", Operator::In}, {"NotIn", Operator::NotIn}});
    std::vector<SourcePos> vpos;
    auto values = r.str_list(f, "values", &vpos);
    for (size_t i = 0; i < values.size(); ++i) {
        // Tetragon lower-cases these before the lookup.
        auto kind = namespace_from_name_nocase(values[i]);
        if (!kind) {
            std::string hint = did_you_mean(values[i], namespace_names());
            r.error(vpos[i], "unknown namespace '" + values[i] + "';" +
                                 (hint.empty() ? " accepted: " + join(namespace_names()) : hint));
            continue;
        }
        s.namespaces.push_back(*kind);
        s.mask |= 1u << static_cast<unsigned>(*kind);
    }
    if (!op) return std::nullopt;
    s.op = *op;
    return s;
}

std::optional<CapabilitiesSelector> parse_caps(Reader& r, const YAML::Node& n, const std::string& path,
                                               std::string_view block) {
    Fields f = r.fields(n, path, "a " + std::string(block) + " entry",
                        {"type", "operator", "isNamespaceCapability", "values"});
    if (!f.ok) return std::nullopt;
    r.require(f, "operator", "In or NotIn");
    r.require(f, "values", "capability names, e.g. CAP_SYS_ADMIN");
    CapabilitiesSelector c;
    c.pos = r.pos(n, path);
    auto op = read_operator(r, f, block, {{"In", Operator::In}, {"NotIn", Operator::NotIn}});
    if (auto t = r.str(f, "type")) {
        if (*t == "Effective")
            c.type = CapSet::Effective;
        else if (*t == "Inheritable")
            c.type = CapSet::Inheritable;
        else if (*t == "Permitted")
            c.type = CapSet::Permitted;
        else {
            const std::vector<std::string_view> sets{"Effective", "Inheritable", "Permitted"};
            std::string hint = did_you_mean(*t, sets);
            r.error(
                r.pos_of(*f.find("type"), child_path(path, "type")),
                "unknown capability set '" + *t + "';" + (hint.empty() ? " accepted: " + join(sets) : hint));
        }
    }
    c.is_namespace_capability = r.boolean(f, "isNamespaceCapability").value_or(false);
    std::vector<SourcePos> vpos;
    c.values = r.str_list(f, "values", &vpos);
    for (size_t i = 0; i < c.values.size(); ++i) {
        // Tetragon trims and upper-cases, then looks the name up in its proto enum.
        std::string name = c.values[i];
        name.erase(0, name.find_first_not_of(" \t"));
        name.erase(name.find_last_not_of(" \t") + 1);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
        auto cap = capability_from_name(name);
        if (!cap) {
            std::string msg = "unknown capability '" + c.values[i] + "';";
            if (name == "CAP_DAC_OVERRIDE") {
                msg += " Tetragon spells capability 1 'DAC_OVERRIDE' (without the CAP_ prefix)";
            } else {
                std::string hint = did_you_mean(name, capability_names());
                msg += hint.empty() ? " expected a CAP_* name such as CAP_SYS_ADMIN" : hint;
            }
            r.error(vpos[i], msg);
            continue;
        }
        c.mask |= uint64_t{1} << *cap;
    }
    if (!op) return std::nullopt;
    c.op = *op;
    return c;
}

std::optional<WorkloadSelector> parse_workload(Reader& r, const YAML::Node& n, const std::string& path) {
    Fields f =
        r.fields(n, path, "a matchWorkloads entry", {"podSelector", "containerSelector", "hostSelector"});
    if (!f.ok) return std::nullopt;
    WorkloadSelector w;
    w.pos = r.pos(n, path);
    if (auto* x = f.find("podSelector"))
        w.pod_selector = parse_label_selector(r, x->value, child_path(path, x->key));
    if (auto* x = f.find("containerSelector"))
        w.container_selector = parse_label_selector(r, x->value, child_path(path, x->key));
    if (auto* x = f.find("hostSelector"))
        w.host_selector = parse_label_selector(r, x->value, child_path(path, x->key));
    return w;
}

template <typename T, typename Fn>
void read_list(Reader& r, const Fields& f, std::string_view key, std::vector<T>& out, Fn&& parse) {
    const std::string path = child_path(f.path, key);
    auto items = r.seq(f, key);
    for (size_t i = 0; i < items.size(); ++i) {
        if (auto v = parse(items[i], index_path(path, i))) out.push_back(std::move(*v));
    }
}

}  // namespace

std::optional<LabelSelector> parse_label_selector(Reader& r, const YAML::Node& n, const std::string& path) {
    Fields f = r.fields(n, path, "a label selector", {"matchLabels", "matchExpressions"});
    if (!f.ok) return std::nullopt;
    LabelSelector s;
    s.pos = r.pos(n, path);
    if (auto* x = f.find("matchLabels")) {
        Fields labels = r.free_fields(x->value, child_path(path, "matchLabels"), "matchLabels");
        for (const auto& l : labels.items) {
            auto v = r.scalar(l.value, child_path(labels.path, l.key), "a label value");
            s.match_labels[l.key] = v.value_or("");
        }
    }
    auto exprs = r.seq(f, "matchExpressions");
    for (size_t i = 0; i < exprs.size(); ++i) {
        const std::string p = index_path(child_path(path, "matchExpressions"), i);
        Fields e = r.fields(exprs[i], p, "a label requirement", {"key", "operator", "values"});
        if (!e.ok) continue;
        r.require(e, "key", "the label name");
        r.require(e, "operator", "In, NotIn, Exists or DoesNotExist");
        LabelRequirement req;
        req.pos = r.pos(exprs[i], p);
        req.key = r.str(e, "key").value_or("");
        req.op = r.str(e, "operator").value_or("");
        req.values = r.str_list(e, "values");
        const std::vector<std::string_view> ops{"In", "NotIn", "Exists", "DoesNotExist"};
        const bool known = std::find(ops.begin(), ops.end(), req.op) != ops.end();
        if (!req.op.empty() && !known) {
            std::string hint = did_you_mean(req.op, ops);
            r.error(r.pos_of(*e.find("operator"), child_path(p, "operator")),
                    "unknown label operator '" + req.op + "';" +
                        (hint.empty() ? " accepted: " + join(ops) : hint));
        } else if ((req.op == "In" || req.op == "NotIn") && req.values.empty()) {
            r.error(req.pos, "operator " + req.op + " needs at least one value");
        } else if ((req.op == "Exists" || req.op == "DoesNotExist") && !req.values.empty()) {
            r.error(req.pos, "operator " + req.op + " takes no values");
        }
        s.match_expressions.push_back(std::move(req));
    }
    return s;
}

std::optional<Selector> parse_selector(Reader& r, const YAML::Node& n, const std::string& path) {
    Fields f = r.fields(
        n, path, "a selector",
        {"matchPIDs", "matchArgs", "matchData", "matchActions", "matchReturnArgs", "matchReturnActions",
         "matchBinaries", "matchParentBinaries", "matchNamespaces", "matchNamespaceChanges",
         "matchCapabilities", "matchCapabilityChanges", "matchWorkloads", "label", "macros"});
    if (!f.ok) return std::nullopt;
    Selector s;
    s.pos = r.pos(n, path);
    s.label = r.str(f, "label").value_or("");
    s.macros = r.str_list(f, "macros");
    auto arg = [&](const YAML::Node& x, const std::string& p) { return parse_match_arg(r, x, p); };
    auto act = [&](const YAML::Node& x, const std::string& p) { return parse_action(r, x, p); };
    read_list(r, f, "matchPIDs", s.match_pids,
              [&](const YAML::Node& x, const std::string& p) { return parse_pids(r, x, p); });
    read_list(r, f, "matchArgs", s.match_args, arg);
    read_list(r, f, "matchData", s.match_data, arg);
    read_list(r, f, "matchActions", s.match_actions, act);
    read_list(r, f, "matchReturnArgs", s.match_return_args, arg);
    read_list(r, f, "matchReturnActions", s.match_return_actions, act);
    read_list(r, f, "matchBinaries", s.match_binaries, [&](const YAML::Node& x, const std::string& p) {
        return parse_binaries(r, x, p, "matchBinaries");
    });
    read_list(r, f, "matchParentBinaries", s.match_parent_binaries,
              [&](const YAML::Node& x, const std::string& p) {
                  return parse_binaries(r, x, p, "matchParentBinaries");
              });
    read_list(r, f, "matchNamespaces", s.match_namespaces,
              [&](const YAML::Node& x, const std::string& p) { return parse_namespaces(r, x, p); });
    read_list(r, f, "matchNamespaceChanges", s.match_namespace_changes,
              [&](const YAML::Node& x, const std::string& p) { return parse_ns_changes(r, x, p); });
    read_list(
        r, f, "matchCapabilities", s.match_capabilities,
        [&](const YAML::Node& x, const std::string& p) { return parse_caps(r, x, p, "matchCapabilities"); });
    read_list(r, f, "matchCapabilityChanges", s.match_capability_changes,
              [&](const YAML::Node& x, const std::string& p) {
                  return parse_caps(r, x, p, "matchCapabilityChanges");
              });
    read_list(r, f, "matchWorkloads", s.match_workloads,
              [&](const YAML::Node& x, const std::string& p) { return parse_workload(r, x, p); });
    return s;
}

}  // namespace vigil::policy::detail
