// The pure /proc/<pid> file parsers, fed with file contents.
#include "process/procfs_parse.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::process {
namespace {

// A string literal with its embedded NULs (and without the terminator).
template <std::size_t N>
std::string nul_str(const char (&s)[N]) {
    return std::string(s, N - 1);
}

// 52 fields as Linux 6.x prints them; ppid 1, starttime 123456.
std::string stat_line(const std::string& comm, const std::string& ppid = "1",
                      const std::string& starttime = "123456") {
    return "4242 (" + comm + ") S " + ppid +
           " 4242 4242 0 -1 4194560 1012 0 0 0 3 1 0 0 20 0 1 0 " + starttime +
           " 12345678 1234 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0"
           " 0 0 0\n";
}

TEST(ParseStat, ReadsCommPpidAndStarttime) {
    auto r = parse_stat(stat_line("sshd"));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->comm, "sshd");
    EXPECT_EQ(r->ppid, 1u);
    EXPECT_EQ(r->starttime, 123456u);
}

TEST(ParseStat, CommWithSpacesAndParentheses) {
    auto r = parse_stat(stat_line("a) (b c", "77", "99"));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->comm, "a) (b c");
    EXPECT_EQ(r->ppid, 77u);
    EXPECT_EQ(r->starttime, 99u);
}

TEST(ParseStat, RejectsTruncatedOrMalformed) {
    EXPECT_FALSE(parse_stat("4242 sshd S 1").ok());
    auto short_line = parse_stat("4242 (sshd) S 1 4242");
    ASSERT_FALSE(short_line.ok());
    EXPECT_NE(short_line.error().find("starttime"), std::string::npos) << short_line.error();
    EXPECT_FALSE(parse_stat(stat_line("x", "one")).ok());
    EXPECT_FALSE(parse_stat(stat_line("x", "1", "12ab")).ok());
}

constexpr const char* kStatus =
    "Name:\tbash\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t4242\n"
    "Ngid:\t0\n"
    "Pid:\t4242\n"
    "PPid:\t1\n"
    "Uid:\t1000\t1001\t1002\t1003\n"
    "Gid:\t100\t101\t102\t103\n"
    "NSpid:\t4242\t17\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001ffffffffff\n"
    "CapEff:\t0000000000200000\n";

TEST(ParseStatus, ReadsIdsNspidAndCapabilities) {
    auto r = parse_status(kStatus);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->tgid, 4242u);
    EXPECT_EQ(r->nspid, 17u) << "innermost namespace pid is the last value";
    EXPECT_EQ(r->creds.uid, 1000u);
    EXPECT_EQ(r->creds.euid, 1001u);
    EXPECT_EQ(r->creds.suid, 1002u);
    EXPECT_EQ(r->creds.fsuid, 1003u);
    EXPECT_EQ(r->creds.gid, 100u);
    EXPECT_EQ(r->creds.egid, 101u);
    EXPECT_EQ(r->creds.sgid, 102u);
    EXPECT_EQ(r->creds.fsgid, 103u);
    EXPECT_EQ(r->caps.inheritable, 0u);
    EXPECT_EQ(r->caps.permitted, 0x1ffffffffffull);
    EXPECT_EQ(r->caps.effective, 1ull << 21);
}

TEST(ParseStatus, MissingNspidFallsBackToTgid) {
    auto r = parse_status("Tgid:\t9\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->nspid, 9u);
}

TEST(ParseStatus, RequiredFieldsAreNamedWhenMissing) {
    auto no_tgid = parse_status("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
    ASSERT_FALSE(no_tgid.ok());
    EXPECT_NE(no_tgid.error().find("Tgid"), std::string::npos) << no_tgid.error();
    auto short_uid = parse_status("Tgid:\t1\nUid:\t0\t0\nGid:\t0\t0\t0\t0\n");
    ASSERT_FALSE(short_uid.ok());
    EXPECT_NE(short_uid.error().find("Uid"), std::string::npos) << short_uid.error();
    auto bad_cap = parse_status("Tgid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\tzz\n");
    ASSERT_FALSE(bad_cap.ok());
    EXPECT_NE(bad_cap.error().find("capability"), std::string::npos) << bad_cap.error();
}

TEST(SplitCmdline, NulSeparatedWithEmptyMiddleArgument) {
    const std::string raw = nul_str("/bin/sh\0-c\0\0echo hi\0");
    auto argv = split_cmdline(raw);
    ASSERT_EQ(argv.size(), 4u);
    EXPECT_EQ(argv[0], "/bin/sh");
    EXPECT_EQ(argv[1], "-c");
    EXPECT_EQ(argv[2], "");
    EXPECT_EQ(argv[3], "echo hi");
}

TEST(SplitCmdline, KernelThreadAndMissingTrailingNul) {
    EXPECT_TRUE(split_cmdline("").empty());
    // A process that rewrote its argv may drop the final NUL.
    auto argv = split_cmdline(nul_str("nginx: worker\0x"));
    ASSERT_EQ(argv.size(), 2u);
    EXPECT_EQ(argv[0], "nginx: worker");
    EXPECT_EQ(argv[1], "x");
}

TEST(ParseNsLink, InodeOrZero) {
    EXPECT_EQ(parse_ns_link("mnt:[4026531841]"), 4026531841u);
    EXPECT_EQ(parse_ns_link("pid_for_children:[4026531836]"), 4026531836u);
    EXPECT_EQ(parse_ns_link("mnt:4026531841"), 0u);
    EXPECT_EQ(parse_ns_link("mnt:[]"), 0u);
    EXPECT_EQ(parse_ns_link("mnt:[12x]"), 0u);
    EXPECT_EQ(parse_ns_link(""), 0u);
}

TEST(CgroupLeaf, PrefersV2LineAndTakesLastComponent) {
    EXPECT_EQ(cgroup_leaf("0::/system.slice/sshd.service\n"), "sshd.service");
    EXPECT_EQ(cgroup_leaf("12:cpu,cpuacct:/docker/abc\n0::/kubepods/pod1/cri-containerd-x\n"),
              "cri-containerd-x");
    EXPECT_EQ(cgroup_leaf("0::/\n"), "/");
    EXPECT_EQ(cgroup_leaf("0::/a/b/\n"), "b");
}

TEST(CgroupLeaf, V1OnlyHostUsesFirstLine) {
    EXPECT_EQ(cgroup_leaf("5:memory:/user.slice/x\n4:cpu:/other\n"), "x");
    EXPECT_EQ(cgroup_leaf(""), "");
    EXPECT_EQ(cgroup_leaf("garbage\n"), "");
}

}  // namespace
}  // namespace vigil::process
