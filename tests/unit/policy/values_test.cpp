// Literal parsing (Go strconv semantics, YAML scalars, addresses, rate
// limits, resolve paths) and the did-you-mean machinery.
#include <gtest/gtest.h>

#include "policy/suggest.h"
#include "policy/values.h"

namespace vigil::policy {
namespace {

TEST(PolicyValues, GoStyleIntegers) {
    EXPECT_EQ(parse_int("42", 0, 32), 42);
    EXPECT_EQ(parse_int("-0x10", 0, 32), -16);
    EXPECT_EQ(parse_int("0o17", 0, 32), 15);
    EXPECT_EQ(parse_int("017", 0, 32), 15);
    EXPECT_EQ(parse_int("0b11", 0, 32), 3);
    EXPECT_EQ(parse_int("1_000", 0, 32), 1000);
    EXPECT_EQ(parse_int("+7", 10, 64), 7);
    EXPECT_EQ(parse_int("-2147483648", 0, 32), INT32_MIN);
    EXPECT_FALSE(parse_int("2147483648", 0, 32));
    EXPECT_FALSE(parse_int("0x10", 10, 64)) << "base 10 takes no prefix";
    EXPECT_FALSE(parse_int("08", 0, 32)) << "leading 0 means octal";
    EXPECT_FALSE(parse_int("", 0, 32));
    EXPECT_FALSE(parse_int("1__0", 0, 32));
    EXPECT_FALSE(parse_int("99999999999999999999", 0, 64));
    EXPECT_EQ(parse_uint("18446744073709551615", 0, 64), UINT64_MAX);
    EXPECT_FALSE(parse_uint("18446744073709551616", 0, 64));
    EXPECT_FALSE(parse_uint("-1", 0, 64));
    EXPECT_FALSE(parse_uint("4294967296", 0, 32));
}

TEST(PolicyValues, YamlScalars) {
    EXPECT_EQ(parse_yaml_bool("true"), true);
    EXPECT_EQ(parse_yaml_bool("False"), false);
    EXPECT_EQ(parse_yaml_bool("yes"), true);
    EXPECT_EQ(parse_yaml_bool("off"), false);
    EXPECT_FALSE(parse_yaml_bool("maybe"));
    EXPECT_EQ(parse_yaml_int("0x985256"), 0x985256);
    EXPECT_EQ(parse_yaml_int("-1"), -1);
}

TEST(PolicyValues, Cidrs) {
    auto v4 = parse_cidr("10.1.2.3/8");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->family, 4);
    EXPECT_EQ(v4->prefix_len, 8);
    EXPECT_EQ(v4->addr[1], 1);
    auto host = parse_cidr("192.168.0.1");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->prefix_len, 32);
    auto v6 = parse_cidr("fd00::/8");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->family, 6);
    EXPECT_EQ(v6->addr[0], 0xfd);
    EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
    EXPECT_FALSE(parse_cidr("::/129"));
    EXPECT_FALSE(parse_cidr("example.com"));
    EXPECT_FALSE(parse_cidr("10.0.0.0/"));
}

TEST(PolicyValues, NamedConstants) {
    EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), 21u);
    EXPECT_EQ(capability_from_name("DAC_OVERRIDE"), 1u);
    EXPECT_FALSE(capability_from_name("CAP_DAC_OVERRIDE"));
    EXPECT_EQ(capability_names().size(), 41u);
    EXPECT_EQ(protocol_from_name("IPPROTO_TCP"), 6u);
    EXPECT_EQ(family_from_name("AF_INET6"), 10u);
    EXPECT_EQ(tcp_state_from_name("TCP_SYN_RECV"), 3u);
    EXPECT_EQ(file_type_from_name("dir"), 040000u);
}

TEST(PolicyValues, RateLimits) {
    EXPECT_EQ(parse_rate_limit_ms("1"), 1000u);
    EXPECT_EQ(parse_rate_limit_ms("30S"), 30000u);
    EXPECT_EQ(parse_rate_limit_ms("2M"), 120000u);
    EXPECT_FALSE(parse_rate_limit_ms(""));
    EXPECT_FALSE(parse_rate_limit_ms("m"));
    EXPECT_FALSE(parse_rate_limit_ms("-1s"));
    EXPECT_FALSE(parse_rate_limit_ms("1.5s"));
}

TEST(PolicyValues, ResolvePaths) {
    EXPECT_EQ(split_resolve_path("mm.owner.comm"), (std::vector<std::string>{"mm", "owner", "comm"}));
    EXPECT_EQ(split_resolve_path("f[12].x"), (std::vector<std::string>{"f", "[12]", "x"}));
    EXPECT_EQ(split_resolve_path("[0]"), (std::vector<std::string>{"[0]"}));
    EXPECT_FALSE(split_resolve_path("a..b"));
    EXPECT_FALSE(split_resolve_path("a.[1]"));
    EXPECT_FALSE(split_resolve_path("a[[1]]"));
    EXPECT_FALSE(split_resolve_path("a[]"));
    EXPECT_FALSE(split_resolve_path(""));
}

TEST(PolicySuggest, ClosestCandidate) {
    const std::vector<std::string_view> words{"matchArgs", "matchActions", "matchBinaries", "selectors"};
    EXPECT_EQ(closest("matchArg", words), "matchArgs");
    EXPECT_EQ(closest("MATCHARGS", words), "matchArgs") << "case-only differences are close";
    EXPECT_EQ(closest("matchBinary", words), "matchBinaries");
    EXPECT_FALSE(closest("completely", words));
    EXPECT_FALSE(closest("", words));
    EXPECT_EQ(did_you_mean("selector", words), " did you mean 'selectors'?");
    EXPECT_EQ(did_you_mean("zzz", words), "");
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_GT(edit_distance(std::string(100, 'a'), "a"), 64u);
}

}  // namespace
}  // namespace vigil::policy
