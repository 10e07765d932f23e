// Helpers for the policy tests: build small policies around the part under
// test and look diagnostics up by severity, path and message.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"

namespace vigil::policy::test {

inline ParseResult parse(const std::string& text) { return parse_policies(text, "test.yaml"); }

inline std::string dump(const ParseResult& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += format_diagnostic(d) + "\n";
    return out.empty() ? "(no diagnostics)\n" : out;
}

inline constexpr std::string_view kHeader =
    "apiVersion: cilium.io/v1alpha1\n"
    "kind: TracingPolicy\n"
    "metadata:\n"
    "  name: test\n"
    "spec:\n";

// A policy whose spec is `spec` (already indented by two spaces).
inline std::string policy(const std::string& spec) { return std::string(kHeader) + spec; }

// One kprobe on `call` with the given body lines (indented by four spaces).
inline std::string kprobe(const std::string& body, const std::string& call = "sys_openat") {
    return policy("  kprobes:\n  - call: " + call + "\n" + body);
}

// A kprobe with one argument of `type` at index 0 and one selector applying
// `op` with `values` to it.
inline std::string match_arg(const std::string& type, const std::string& op,
                             const std::vector<std::string>& values) {
    std::string body =
        "    syscall: false\n"
        "    args:\n"
        "    - index: 0\n"
        "      type: \"" +
        type +
        "\"\n"
        "    selectors:\n"
        "    - matchArgs:\n"
        "      - index: 0\n"
        "        operator: \"" +
        op +
        "\"\n"
        "        values:\n";
    if (values.empty()) body = body.substr(0, body.size() - std::string("        values:\n").size());
    for (const auto& v : values) body += "        - \"" + v + "\"\n";
    return kprobe(body, "security_file_open");
}

inline const Diagnostic* find(const ParseResult& r, Severity s, std::string_view path,
                              std::string_view message) {
    for (const auto& d : r.diagnostics) {
        if (d.severity == s && d.path.find(path) != std::string::npos &&
            d.message.find(message) != std::string::npos) {
            return &d;
        }
    }
    return nullptr;
}

inline size_t count(const ParseResult& r, Severity s) {
    size_t n = 0;
    for (const auto& d : r.diagnostics) n += d.severity == s;
    return n;
}

// The one policy a successful parse produced.
inline const Policy& only(const ParseResult& r) {
    EXPECT_EQ(r.policies.size(), 1u) << dump(r);
    static const Policy empty;
    return r.policies.empty() ? empty : r.policies.front();
}

inline const MatchArg& first_match_arg(const ParseResult& r) {
    static const MatchArg none;
    const Policy& p = only(r);
    if (p.hooks.empty() || p.hooks[0].selectors.empty() || p.hooks[0].selectors[0].match_args.empty()) {
        ADD_FAILURE() << "no matchArgs parsed\n" << dump(r);
        return none;
    }
    return p.hooks[0].selectors[0].match_args[0];
}

}  // namespace vigil::policy::test

#define EXPECT_CLEAN(r) EXPECT_TRUE((r).ok() && (r).diagnostics.empty()) << ::vigil::policy::test::dump(r)
#define EXPECT_DIAG(r, sev, path, msg)                                              \
    EXPECT_NE(::vigil::policy::test::find((r), (sev), (path), (msg)), nullptr)      \
        << "expected " #sev " at '" << (path) << "' containing '" << (msg) << "'\n" \
        << ::vigil::policy::test::dump(r)
