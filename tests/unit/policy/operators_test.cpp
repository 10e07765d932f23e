// Every matchArgs operator against the argument types it accepts and the
// ones it must refuse, and the values each one parses into.
#include "policy_test_util.h"

namespace vigil::policy {
namespace {

using namespace test;

struct OpCase {
    std::string type;
    std::string op;
    std::vector<std::string> values;
    Severity expect;      // Warning here means "accepted"
    std::string message;  // substring of the expected diagnostic ("" when accepted)
};

std::ostream& operator<<(std::ostream& os, const OpCase& c) { return os << c.op << " on " << c.type; }

class OperatorTypeTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(OperatorTypeTest, AcceptsOrRefuses) {
    const OpCase& c = GetParam();
    auto r = parse(match_arg(c.type, c.op, c.values));
    if (c.expect == Severity::Warning) {
        EXPECT_TRUE(r.ok()) << dump(r);
        EXPECT_EQ(count(r, Severity::Error) + count(r, Severity::Unsupported), 0u) << dump(r);
    } else {
        EXPECT_FALSE(r.ok());
        EXPECT_DIAG(r, c.expect, "spec.kprobes[0].selectors[0].matchArgs[0]", c.message);
    }
}

const Severity kOk = Severity::Warning;
const Severity kErr = Severity::Error;
const Severity kUnsup = Severity::Unsupported;

INSTANTIATE_TEST_SUITE_P(
    Integers, OperatorTypeTest,
    ::testing::Values(
        OpCase{"int", "Equal", {"1", "0x10", "-3", "010"}, kOk, ""},
        OpCase{"int", "NotEqual", {"0b101"}, kOk, ""},
        OpCase{"int", "Equal", {"2147483648"}, kErr, "is not a 32-bit signed integer"},
        OpCase{"int", "Equal", {"abc"}, kErr, "'abc' is not a 32-bit signed integer"},
        OpCase{"uint32", "Equal", {"4294967295"}, kOk, ""},
        OpCase{"uint32", "Equal", {"-1"}, kErr, "is not a 32-bit unsigned integer"},
        OpCase{"int64", "GT", {"-9223372036854775808"}, kOk, ""},
        OpCase{"uint64", "LT", {"18446744073709551615"}, kOk, ""},
        OpCase{"long", "GreaterThan", {"5"}, kOk, ""}, OpCase{"ulong", "LessThan", {"5"}, kOk, ""},
        OpCase{"size_t", "Mask", {"0x40"}, kOk, ""}, OpCase{"int8", "Equal", {"1"}, kOk, ""},
        OpCase{"uint8", "Equal", {"1"}, kOk, ""}, OpCase{"int16", "Equal", {"1"}, kOk, ""},
        OpCase{"uint16", "Equal", {"1"}, kOk, ""}, OpCase{"sint32", "Equal", {"1"}, kOk, ""},
        OpCase{"capability", "Equal", {"21"}, kOk, ""}, OpCase{"bpf_cmd", "Equal", {"5"}, kOk, ""},
        OpCase{"int", "Equal", {"1", "2", "3", "4", "5"}, kErr, "at most 4 values"},
        OpCase{"int", "Mask", {"1", "2", "3", "4", "5"}, kErr, "use InMap/NotInMap"},
        OpCase{"int", "InRange", {"1:5", "-10:-1"}, kOk, ""},
        OpCase{"uint64", "NotInRange", {"0:0x10"}, kOk, ""},
        OpCase{"int", "InRange", {"5"}, kErr, "is not a range; write min:max"},
        OpCase{"int", "InRange", {"5:1"}, kErr, "is empty"},
        OpCase{"uint32", "InRange", {"0:4294967296"}, kErr, "exceeds 4294967295"},
        OpCase{"string", "InRange", {"1:2"}, kErr, "works only on integer arguments"},
        OpCase{"int", "InMap", {"1", "2:4", "-7"}, kOk, ""},
        OpCase{"uint64", "NotInMap", {"0:1048575"}, kOk, ""},
        OpCase{"uint64", "NotInMap", {"0:1048576"}, kErr, "covers more than 1048576 values"},
        OpCase{"int", "InMap", {"0x10"}, kErr, "is not a decimal integer"},
        OpCase{"uint32", "InMap", {"-1"}, kErr, "is not a decimal unsigned integer"},
        OpCase{"file", "InMap", {"1"}, kErr, "works only on integer arguments"},
        OpCase{"string", "GT", {"1"}, kErr, "works only on integer arguments; this one is 'string'"},
        OpCase{"kernel_cap_t", "Equal", {"CAP_SYS_ADMIN,cap_net_raw"}, kOk, ""},
        OpCase{"cap_effective", "Mask", {"0x200000"}, kOk, ""},
        OpCase{"cap_permitted", "Equal", {"CAP_NOPE"}, kErr, "neither a number nor"}));

INSTANTIATE_TEST_SUITE_P(
    Strings, OperatorTypeTest,
    ::testing::Values(
        OpCase{"string", "Equal", {"/etc/passwd", "a", "b", "c", "d", "e"}, kOk, ""},
        OpCase{"char_buf", "NotEqual", {"x"}, kOk, ""}, OpCase{"file", "Prefix", {"/etc/"}, kOk, ""},
        OpCase{"path", "Postfix", {".so"}, kOk, ""}, OpCase{"fd", "NotPrefix", {"/tmp"}, kOk, ""},
        OpCase{"dentry", "NotPostfix", {"x"}, kOk, ""}, OpCase{"linux_binprm", "Equal", {"/bin/sh"}, kOk, ""},
        OpCase{"data_loc", "Equal", {"eth0"}, kOk, ""}, OpCase{"net_device", "Equal", {"lo"}, kOk, ""},
        OpCase{"sockaddr_un", "Prefix", {"@abstract"}, kOk, ""},
        OpCase{"string", "SubString", {"passwd"}, kOk, ""},
        OpCase{"char_buf", "SubStringIgnCase", {"PASSWD"}, kOk, ""},
        OpCase{"file", "SubString", {"shadow"}, kOk, ""},
        OpCase{"string", "Prefix", {std::string(257, 'a')}, kErr, "Prefix accepts at most 256"},
        OpCase{"string", "Prefix", {std::string(256, 'a')}, kOk, ""},
        OpCase{"string", "Postfix", {std::string(128, 'a')}, kErr, "Postfix accepts at most 127"},
        OpCase{"string", "SubString", {std::string(100, 'a')}, kErr, "SubString accepts at most 99"},
        OpCase{"string", "Equal", {std::string(4097, 'a')}, kErr, "Equal accepts at most 4096"},
        OpCase{"filename", "Equal", {"/etc"}, kErr, "needs a string-like argument"},
        OpCase{"filename", "Prefix", {"/etc"}, kUnsup, "unsupported: string operators on 'filename'"},
        OpCase{"kiocb", "Postfix", {"x"}, kUnsup, "unsupported: string operators on 'kiocb'"},
        OpCase{"char_iovec", "SubString", {"x"}, kUnsup, "unsupported: string operators on 'char_iovec'"},
        OpCase{"size_t", "Prefix", {"1"}, kErr, "needs a string-like argument"},
        OpCase{"int", "Postfix", {"1"}, kErr, "this argument is 'int'"},
        OpCase{"cred", "Equal", {"x"}, kErr, "needs a string-like argument"}));

INSTANTIATE_TEST_SUITE_P(
    Network, OperatorTypeTest,
    ::testing::Values(
        OpCase{"sock", "DAddr", {"127.0.0.1/8", "::1", "10.0.0.1"}, kOk, ""},
        OpCase{"skb", "NotDAddr", {"fd00::/8"}, kOk, ""},
        OpCase{"socket", "SAddr", {"192.168.0.0/16"}, kOk, ""},
        OpCase{"sock", "NotSAddr", {"0.0.0.0/0"}, kOk, ""},
        OpCase{"sock", "DAddr", {"300.1.1.1"}, kErr, "is not an IPv4/IPv6 address or CIDR"},
        OpCase{"sock", "DAddr", {"10.0.0.0/33"}, kErr, "is not an IPv4/IPv6 address or CIDR"},
        OpCase{"skb", "SPort", {"80", "1000:2000"}, kOk, ""}, OpCase{"sock", "DPort", {"53"}, kOk, ""},
        OpCase{"sock", "NotSPort", {"22"}, kOk, ""}, OpCase{"sock", "NotDPort", {"443"}, kOk, ""},
        OpCase{"sock", "DPort", {"70000"}, kErr, "out of range 0..65535"},
        OpCase{"sock", "DPort", {"http"}, kErr, "is not a decimal unsigned integer"},
        OpCase{"socket", "Protocol", {"IPPROTO_TCP", "17"}, kOk, ""},
        OpCase{"sock", "Protocol", {"IPPROTO_TCPP"}, kErr, "did you mean 'IPPROTO_TCP'?"},
        OpCase{"sock", "Family", {"AF_INET", "AF_INET6"}, kOk, ""},
        OpCase{"sock", "State", {"TCP_SYN_RECV", "1"}, kOk, ""},
        OpCase{"sock", "State", {"TCP_LISTENING"}, kErr, "did you mean 'TCP_LISTEN'?"},
        OpCase{"sock", "SPortPriv", {}, kOk, ""}, OpCase{"sock", "NotSPortPriv", {}, kOk, ""},
        OpCase{"sock", "NotSportPriv", {}, kOk, ""}, OpCase{"skb", "DPortPriv", {}, kOk, ""},
        OpCase{"skb", "NotDPortPriv", {}, kOk, ""}, OpCase{"sockaddr", "Family", {"AF_INET"}, kOk, ""},
        OpCase{"sockaddr", "SAddr", {"10.0.0.1"}, kOk, ""}, OpCase{"sockaddr", "SPort", {"80"}, kOk, ""},
        OpCase{"sockaddr", "SPortPriv", {}, kOk, ""},
        OpCase{"sockaddr", "DAddr", {"10.0.0.1"}, kErr, "a sockaddr argument supports only SAddr"},
        OpCase{"sockaddr", "DPort", {"80"}, kErr, "a sockaddr argument supports only"},
        OpCase{"sockaddr", "Protocol", {"6"}, kErr, "a sockaddr argument supports only"},
        OpCase{"sockaddr", "State", {"1"}, kErr, "a sockaddr argument supports only"},
        OpCase{"sockaddr", "DPortPriv", {}, kErr, "a sockaddr argument supports only"},
        OpCase{"sockaddr_un", "Family", {"AF_UNIX"}, kOk, ""},
        OpCase{"sockaddr_un", "DAddr", {"10.0.0.1"}, kErr, "works on sock, skb, socket and sockaddr"},
        OpCase{"int",
               "DPort",
               {"80"},
               kErr,
               "works on sock, skb, socket and sockaddr arguments, but this argument is 'int'"},
        OpCase{"sock", "Equal", {"x"}, kErr, "does not work on 'sock' arguments; use SAddr"}));

INSTANTIATE_TEST_SUITE_P(
    FilesAndOthers, OperatorTypeTest,
    ::testing::Values(OpCase{"file", "FileType", {"reg", "dir"}, kOk, ""},
                      OpCase{"path", "NotFileType", {"lnk", "socket", "pipe", "block"}, kOk, ""},
                      OpCase{
                          "path", "FileType", {"reg", "dir", "lnk", "chr", "blk"}, kErr, "at most 4 values"},
                      OpCase{"file", "FileType", {"regularfile"}, kErr, "unknown file type 'regularfile'"},
                      OpCase{"string", "FileType", {"reg"}, kErr, "works only on file and path arguments"},
                      OpCase{"int", "CelExpr", {"arg0 > 5"}, kUnsup, "unsupported: CelExpr"},
                      OpCase{"int", "CapabilitiesGained", {}, kErr, "give them as args: [old, new]"}));

TEST(PolicyOperators, IntegerValuesAreParsedGoStyle) {
    auto r = parse(match_arg("int", "Equal", {"1", "0x10", "-3", "010"}));
    const MatchArg& m = first_match_arg(r);
    EXPECT_EQ(m.op, Operator::Equal);
    EXPECT_TRUE(m.is_signed);
    ASSERT_EQ(m.ranges.size(), 4u);
    EXPECT_EQ(m.ranges[0], (Range{1, 1}));
    EXPECT_EQ(m.ranges[1], (Range{16, 16}));
    EXPECT_EQ(static_cast<int64_t>(m.ranges[2].min), -3);
    EXPECT_EQ(m.ranges[3], (Range{8, 8})) << "a leading 0 is octal, as in Go's strconv";
}

TEST(PolicyOperators, AliasesMapToOneOperator) {
    EXPECT_EQ(first_match_arg(parse(match_arg("int", "GreaterThan", {"1"}))).op, Operator::GT);
    EXPECT_EQ(first_match_arg(parse(match_arg("int", "LessThan", {"1"}))).op, Operator::LT);
    EXPECT_EQ(first_match_arg(parse(match_arg("sock", "NotSportPriv", {}))).op, Operator::NotSPortPriv);
    EXPECT_EQ(first_match_arg(parse(match_arg("sock", "NotSPortPriv", {}))).op, Operator::NotSPortPriv);
}

TEST(PolicyOperators, RangesMapsAndCapabilities) {
    auto in_range_r = parse(match_arg("int", "InRange", {"-10:-1"}));
    const MatchArg& in_range = first_match_arg(in_range_r);
    ASSERT_EQ(in_range.ranges.size(), 1u);
    EXPECT_EQ(static_cast<int64_t>(in_range.ranges[0].min), -10);
    EXPECT_EQ(static_cast<int64_t>(in_range.ranges[0].max), -1);

    auto in_map_r = parse(match_arg("uint32", "InMap", {"7", "20:10"}));
    const MatchArg& in_map = first_match_arg(in_map_r);
    ASSERT_EQ(in_map.ranges.size(), 2u);
    EXPECT_EQ(in_map.ranges[1], (Range{10, 20})) << "reversed map ranges are swapped, as Tetragon does";

    auto caps_r = parse(match_arg("kernel_cap_t", "Equal", {"CAP_SYS_ADMIN, cap_net_raw"}));
    const MatchArg& caps = first_match_arg(caps_r);
    ASSERT_EQ(caps.ranges.size(), 1u);
    EXPECT_EQ(caps.ranges[0].min, (uint64_t{1} << 21) | (uint64_t{1} << 13));
}

TEST(PolicyOperators, NetworkValues) {
    auto addrs_r = parse(match_arg("sock", "DAddr", {"127.0.0.1/8", "::1"}));
    const MatchArg& addrs = first_match_arg(addrs_r);
    ASSERT_EQ(addrs.cidrs.size(), 2u);
    EXPECT_EQ(addrs.cidrs[0].family, 4);
    EXPECT_EQ(addrs.cidrs[0].prefix_len, 8);
    EXPECT_EQ(addrs.cidrs[0].addr[0], 127);
    EXPECT_EQ(addrs.cidrs[1].family, 6);
    EXPECT_EQ(addrs.cidrs[1].prefix_len, 128);
    EXPECT_EQ(addrs.cidrs[1].addr[15], 1);

    auto proto_r = parse(match_arg("sock", "Protocol", {"IPPROTO_UDP", "6"}));
    const MatchArg& proto = first_match_arg(proto_r);
    EXPECT_EQ(proto.ranges, (std::vector<Range>{{17, 17}, {6, 6}}));
    auto ports_r = parse(match_arg("sock", "SPort", {"1000:2000"}));
    const MatchArg& ports = first_match_arg(ports_r);
    EXPECT_EQ(ports.ranges, (std::vector<Range>{{1000, 2000}}));
    auto state_r = parse(match_arg("sock", "State", {"TCP_LISTEN"}));
    const MatchArg& state = first_match_arg(state_r);
    EXPECT_EQ(state.ranges, (std::vector<Range>{{10, 10}}));
    auto family_r = parse(match_arg("sock", "Family", {"AF_INET6"}));
    const MatchArg& family = first_match_arg(family_r);
    EXPECT_EQ(family.ranges, (std::vector<Range>{{10, 10}}));
}

TEST(PolicyOperators, PrivilegedPortOperatorsIgnoreValues) {
    auto r = parse(match_arg("sock", "DPortPriv", {"80"}));
    EXPECT_TRUE(r.ok()) << dump(r);
    EXPECT_DIAG(r, Severity::Warning, "matchArgs[0].operator", "DPortPriv takes no values");
}

TEST(PolicyOperators, FileTypesAreModeBits) {
    auto m_r = parse(match_arg("file", "FileType", {"reg", "dir", "link", "fifo"}));
    const MatchArg& m = first_match_arg(m_r);
    EXPECT_EQ(m.ranges, (std::vector<Range>{
                            {0100000, 0100000}, {0040000, 0040000}, {0120000, 0120000}, {0010000, 0010000}}));
}

TEST(PolicyOperators, StringValuesAreKeptVerbatim) {
    auto r = parse(kprobe(R"(    args:
    - index: 1
      type: string
    selectors:
    - matchArgs:
      - index: 1
        operator: Equal
        values: ["security.capability\0"]
)"));
    const MatchArg& m = first_match_arg(r);
    ASSERT_EQ(m.strings.size(), 1u);
    EXPECT_EQ(m.strings[0], std::string("security.capability\0", 20)) << "YAML \\0 is a NUL byte";
}

TEST(PolicyOperators, CapabilitiesGainedTakesTwoCapabilityArguments) {
    const std::string args = R"(    syscall: false
    args:
    - index: 0
      type: cap_permitted
    - index: 1
      type: cap_permitted
    - index: 2
      type: int
    selectors:
    - matchArgs:
)";
    auto ok =
        parse(kprobe(args + "      - args: [0, 1]\n        operator: CapabilitiesGained\n", "commit_creds"));
    EXPECT_CLEAN(ok);
    EXPECT_EQ(first_match_arg(ok).position, 0);
    EXPECT_EQ(first_match_arg(ok).position2, 1);
    auto bad =
        parse(kprobe(args + "      - args: [0, 2]\n        operator: CapabilitiesGained\n", "commit_creds"));
    EXPECT_DIAG(bad, Severity::Error, "matchArgs[0].operator", "needs two kernel_cap_t/cap_* arguments");
}

TEST(PolicyOperators, TracepointAutoTypesKeepRawValues) {
    auto r = parse(policy(R"(  tracepoints:
  - subsystem: syscalls
    event: sys_enter_openat
    args:
    - index: 7
    selectors:
    - matchArgs:
      - index: 7
        operator: Prefix
        values: ["/etc"]
)"));
    EXPECT_CLEAN(r);
    const MatchArg& m = first_match_arg(r);
    EXPECT_EQ(m.arg_type, ArgType::Auto);
    EXPECT_EQ(m.strings, std::vector<std::string>{"/etc"});
}

}  // namespace
}  // namespace vigil::policy
