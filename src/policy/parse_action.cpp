// Reader for one matchActions / matchReturnActions entry: the action, its
// parameters, and which parameters make sense for which action.
#include "policy/parse_internal.h"
#include "policy/suggest.h"
#include "policy/values.h"

namespace vigil::policy::detail {
namespace {

bool applies(ActionKind k, std::string_view field) {
    using A = ActionKind;
    if (field == "argError") return k == A::Override || k == A::NotifyEnforcer;
    if (field == "argSig") return k == A::Signal || k == A::NotifyEnforcer;
    if (field == "argSock") return k == A::TrackSock || k == A::UntrackSock;
    if (field == "argUrl") return k == A::GetUrl;
    if (field == "argFqdn") return k == A::DnsLookup;
    if (field == "argIndex" || field == "argValue") return k == A::Set;
    if (field == "argRegs" || field == "argNewSymbol" || field == "argNewAddr" || field == "argNewOffset")
        return k == A::Override;
    return false;
}

}  // namespace

std::optional<Action> parse_action(Reader& r, const YAML::Node& n, const std::string& path) {
    Fields f =
        r.fields(n, path, "an action",
                 {"action", "argError", "argSig", "argSock", "argUrl", "argFqdn", "rateLimit",
                  "rateLimitScope", "kernelStackTrace", "userStackTrace", "imaHash", "argIndex", "argValue",
                  "argRegs", "argNewSymbol", "argNewAddr", "argNewOffset", "argFd", "argName"});
    if (!f.ok) return std::nullopt;
    r.require(f, "action", "what to do, e.g. Post or Sigkill");
    Action a;
    a.pos = r.pos(n, path);
    if (auto v = r.integer(f, "argError", INT32_MIN, INT32_MAX)) {
        a.arg_error = static_cast<int32_t>(*v);
        a.has_arg_error = true;
    }
    if (auto v = r.integer(f, "argSig", 0, UINT32_MAX)) {
        a.arg_sig = static_cast<uint32_t>(*v);
        a.has_arg_sig = true;
    }
    if (auto v = r.integer(f, "argSock", 0, UINT32_MAX)) {
        a.arg_sock = static_cast<uint32_t>(*v);
        a.has_arg_sock = true;
    }
    if (auto v = r.integer(f, "argIndex", 0, UINT32_MAX)) {
        a.arg_index = static_cast<uint32_t>(*v);
        a.has_arg_index = true;
    }
    if (auto v = r.integer(f, "argValue", 0, UINT32_MAX)) {
        a.arg_value = static_cast<uint32_t>(*v);
        a.has_arg_value = true;
    }
    a.arg_url = r.str(f, "argUrl").value_or("");
    a.arg_fqdn = r.str(f, "argFqdn").value_or("");
    a.rate_limit = r.str(f, "rateLimit").value_or("");
    a.kernel_stack_trace = r.boolean(f, "kernelStackTrace").value_or(false);
    a.user_stack_trace = r.boolean(f, "userStackTrace").value_or(false);
    a.ima_hash = r.boolean(f, "imaHash").value_or(false);
    a.arg_regs = r.str_list(f, "argRegs");
    a.arg_new_symbol = r.str(f, "argNewSymbol").value_or("");
    a.arg_new_addr = r.uint64(f, "argNewAddr");
    a.arg_new_offset = r.uint64(f, "argNewOffset");
    r.integer(f, "argFd", 0, UINT32_MAX);
    r.integer(f, "argName", 0, UINT32_MAX);
    auto scope = r.str(f, "rateLimitScope");

    auto name = r.str(f, "action");
    if (!name) return std::nullopt;
    const SourcePos name_pos = r.pos_of(*f.find("action"), child_path(path, "action"));
    auto kind = action_from_name(*name);
    if (!kind) {
        if (is_removed_action(*name)) {
            r.error(name_pos, "action '" + *name +
                                  "' was removed from Tetragon; 'fd' arguments now resolve "
                                  "paths without FollowFD/UnfollowFD/CopyFD");
        } else {
            std::string hint = did_you_mean(*name, action_names());
            r.error(name_pos, "unknown action '" + *name + "';" +
                                  (hint.empty() ? " accepted: " + join(action_names()) : hint));
        }
        return std::nullopt;
    }
    a.kind = *kind;

    for (const auto& field : f.items) {
        const std::string fpath = child_path(path, field.key);
        if (field.key == "action") continue;
        if (field.key == "argFd" || field.key == "argName") {
            r.warning(r.pos_of(field, fpath),
                      "'" + field.key + "' belonged to the removed FollowFD actions and is ignored");
            continue;
        }
        const bool post_only = field.key == "rateLimit" || field.key == "rateLimitScope" ||
                               field.key == "kernelStackTrace" || field.key == "userStackTrace" ||
                               field.key == "imaHash";
        if (post_only) {
            if (a.kind != ActionKind::Post) {
                r.error(r.pos_of(field, fpath), "'" + field.key + "' is only valid with action Post, not " +
                                                    std::string(action_name(a.kind)));
            }
            continue;
        }
        if (!applies(a.kind, field.key)) {
            r.warning(r.pos_of(field, fpath),
                      "'" + field.key + "' has no effect on action " + std::string(action_name(a.kind)));
        }
    }

    if (a.kind == ActionKind::Post && !a.rate_limit.empty()) {
        auto ms = parse_rate_limit_ms(a.rate_limit);
        if (!ms) {
            r.error(r.pos_of(*f.find("rateLimit"), child_path(path, "rateLimit")),
                    "invalid rateLimit '" + a.rate_limit +
                        "'; expected a whole number of seconds, optionally with an s, m or h "
                        "suffix, e.g. \"30s\", \"1m\"");
        } else {
            a.rate_limit_ms = *ms;
        }
    }
    if (scope && a.kind == ActionKind::Post) {
        if (*scope == "thread")
            a.rate_limit_scope = RateLimitScope::Thread;
        else if (*scope == "process")
            a.rate_limit_scope = RateLimitScope::Process;
        else if (*scope == "global")
            a.rate_limit_scope = RateLimitScope::Global;
        else {
            const std::vector<std::string_view> scopes{"thread", "process", "global"};
            std::string hint = did_you_mean(*scope, scopes);
            r.error(r.pos_of(*f.find("rateLimitScope"), child_path(path, "rateLimitScope")),
                    "unknown rateLimitScope '" + *scope + "';" +
                        (hint.empty() ? " accepted: " + join(scopes) : hint));
        }
        if (a.rate_limit.empty()) {
            r.warning(r.pos_of(*f.find("rateLimitScope"), child_path(path, "rateLimitScope")),
                      "rateLimitScope has no effect without rateLimit");
        }
    }
    if (a.kind == ActionKind::Signal && !a.has_arg_sig) {
        r.warning(a.pos,
                  "Signal without argSig sends signal 0, which does nothing; set argSig, "
                  "e.g. 9 for SIGKILL");
    }
    if (a.kind == ActionKind::GetUrl && a.arg_url.empty()) {
        r.error(a.pos, "GetUrl needs argUrl, the URL to fetch");
    }
    if (a.kind == ActionKind::DnsLookup && a.arg_fqdn.empty()) {
        r.error(a.pos, "DnsLookup needs argFqdn, the name to look up");
    }
    if (a.kind == ActionKind::Override) {
        int redirects = !a.arg_new_symbol.empty() + a.arg_new_addr.has_value() + a.arg_new_offset.has_value();
        if (redirects > 1) {
            r.error(a.pos, "Override takes at most one of argNewSymbol, argNewAddr and argNewOffset");
        }
    }
    return a;
}

}  // namespace vigil::policy::detail
