// explain's rendering of hand-built plans (cli/plan_text.h): bytes that are
// not printable, IPv6 CIDRs, prefix sets, and a hook without selectors.
#include "cli/plan_text.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::cli {
namespace {

TEST(PlanText, QuoteBytesEscapesWhatIsNotPrintable) {
    EXPECT_EQ(quote_bytes(std::string("a\0b", 3)), "\"a\\x00b\"");
    EXPECT_EQ(quote_bytes("say \"hi\"\\\n"), "\"say \\\"hi\\\"\\\\\\x0a\"");
    EXPECT_EQ(quote_bytes("\xff"), "\"\\xff\"");
}

policy::PlannedHook openat_hook() {
    policy::PlannedHook h;
    h.spec.syscall = "openat";
    h.spec.target = "__x64_sys_openat";
    h.spec.args.push_back({model::ArgKind::kUserString, 1, 0, false, 4096});
    h.spec.args.push_back({model::ArgKind::kUserBuffer, 2, 4, true, 512});
    h.info.function_name = "__x64_sys_openat";
    h.info.args = {{"string", "path"}, {"char_buf", ""}};
    return h;
}

TEST(PlanText, HookWithoutSelectorsPostsEveryCall) {
    EXPECT_EQ(explain_hook(openat_hook(), 0),
              "attach: syscall tracepoint\n"
              "syscall: openat\n"
              "function: __x64_sys_openat\n"
              "return: no\n"
              "args: 2\n"
              "  arg 0: kind user_string, index 1, size_index 0, return_copy no, max_data 4096, "
              "type string, label \"path\"\n"
              "  arg 1: kind user_buffer, index 2, size_index 4, return_copy yes, max_data 512, "
              "type char_buf\n"
              "monitor: no\n"
              "selectors: 0 (every call is posted)\n"
              "string sets: 0\n");
}

TEST(PlanText, SetsShowIpv6CidrsAndRawBytes) {
    policy::PlannedHook h = openat_hook();
    h.spec.selectors.monitor = true;
    model::CompiledSelector cs;
    cs.args.push_back({model::SelOp::kPrefix, 0, false, {}, 0});
    cs.args.push_back({model::SelOp::kAddr, 1, false, {}, 1});
    cs.actions.push_back({model::ActionKind::kSigkill, 0});
    h.spec.selectors.selectors.push_back(cs);
    h.spec.selectors.sets.push_back({model::StringSetKind::kPrefix, {"/etc/", std::string("x\0", 2)}});
    std::string v6 = {6, 64, 0x20, 0x01, 0x0d, (char)0xb8};
    v6.append(12, '\0');
    std::string bad = {9, 1, 2};  // not a CIDR encoding: shown raw
    h.spec.selectors.sets.push_back({model::StringSetKind::kCidr, {v6, bad}});
    const std::string text = explain_hook(h, 2);
    EXPECT_NE(text.find("  monitor: yes\n"), std::string::npos) << text;
    EXPECT_NE(text.find("      arg filter 0: op prefix, pos 0, set 0\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("      arg filter 1: op addr, pos 1, set 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("      actions: Sigkill\n"), std::string::npos) << text;
    EXPECT_NE(text.find("    set 0: prefix [\"/etc/\", \"x\\x00\"]\n"), std::string::npos) << text;
    EXPECT_NE(text.find("    set 1: cidr [2001:0db8:0000:0000:0000:0000:0000:0000/64, "
                        "\"\\x09\\x01\\x02\"]\n"),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace vigil::cli
