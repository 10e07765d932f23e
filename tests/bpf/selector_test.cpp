// bpf/lib/selector.h through BPF_PROG_TEST_RUN: string sets (exact,
// prefix, postfix), CIDR sets on sockaddrs, integer ranges, pid sets and
// namespace entries, with the maps filled the way probe/selector_maps.cpp
// fills them. Needs root; nothing is attached.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "selector_test.h"
#include "selector_test.skel.h"

namespace {

class SelectorBpfTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "BPF_PROG_TEST_RUN needs root";
        skel_ = vigil_selector_test_bpf__open_and_load();
        ASSERT_NE(skel_, nullptr) << "loading tests/bpf/selector_test.bpf.o failed: " << std::strerror(errno);
    }
    void TearDown() override { vigil_selector_test_bpf__destroy(skel_); }

    // Runs the program on `in`; its return value.
    int run(const vigil_test_in& in) {
        __u32 zero = 0;
        EXPECT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_test_input), &zero, &in, BPF_ANY), 0);
        __u64 args[1] = {0};
        LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
        int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.vigil_selector_test), &opts);
        EXPECT_EQ(err, 0) << "bpf_prog_test_run_opts: " << std::strerror(errno);
        return static_cast<int>(opts.retval);
    }

    // Set values as selector_maps.cpp writes them.
    void add_exact(__u32 set, const std::string& v) {
        vigil_str_key k{};
        k.set_id = set;
        k.len = static_cast<__u32>(v.size());
        std::memcpy(k.data, v.data(), v.size());
        __u8 one = 1;
        ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_str_eq), &k, &one, BPF_ANY), 0);
    }
    void add_affix(__u32 set, std::string v, bool postfix) {
        vigil_lpm_key k{};
        k.set_id = htonl(set);
        k.prefixlen = static_cast<__u32>(32 + 8 * v.size());
        if (postfix) std::reverse(v.begin(), v.end());
        std::memcpy(k.data, v.data(), v.size());
        __u8 one = 1;
        bpf_map* m = postfix ? skel_->maps.vigil_str_postfix : skel_->maps.vigil_str_prefix;
        ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(m), &k, &one, BPF_ANY), 0);
    }
    void add_cidr(__u32 set, int family, const std::string& addr, unsigned bits) {
        vigil_lpm_key k{};
        k.set_id = htonl(family == AF_INET6 ? (set | VIGIL_SET_V6) : set);
        k.prefixlen = 32 + bits;
        ASSERT_EQ(inet_pton(family, addr.c_str(), k.data), 1) << addr;
        __u8 one = 1;
        ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_str_prefix), &k, &one, BPF_ANY), 0);
    }

    int str(__u32 set, __u32 op, const std::string& s) {
        vigil_test_in in{};
        in.kind = VIGIL_TEST_STR;
        in.set_id = set;
        in.op = op;
        in.len = static_cast<__u32>(s.size());
        std::memcpy(in.data, s.data(), std::min(s.size(), sizeof(in.data)));
        return run(in);
    }
    int sockaddr4(__u32 set, __u32 op, const std::string& addr, std::uint16_t port) {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        EXPECT_EQ(inet_pton(AF_INET, addr.c_str(), &sa.sin_addr), 1);
        vigil_test_in in{};
        in.kind = VIGIL_TEST_SOCKADDR;
        in.set_id = set;
        in.op = op;
        in.len = sizeof(sa);
        std::memcpy(in.data, &sa, sizeof(sa));
        return run(in);
    }
    int sockaddr6(__u32 set, __u32 op, const std::string& addr) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        EXPECT_EQ(inet_pton(AF_INET6, addr.c_str(), &sa.sin6_addr), 1);
        vigil_test_in in{};
        in.kind = VIGIL_TEST_SOCKADDR;
        in.set_id = set;
        in.op = op;
        in.len = sizeof(sa);
        std::memcpy(in.data, &sa, sizeof(sa));
        return run(in);
    }
    int integer(__u8 op, bool is_signed, std::vector<vigil_range> ranges, std::int64_t v) {
        vigil_test_in in{};
        in.kind = VIGIL_TEST_INT;
        in.arg.op = op;
        in.arg.is_signed = is_signed;
        in.arg.nranges = static_cast<__u8>(ranges.size());
        std::copy(ranges.begin(), ranges.end(), in.arg.ranges);
        in.value = static_cast<__u64>(v);
        return run(in);
    }
    int pids(__u8 op, __u8 flags, std::vector<__u32> values) {
        vigil_test_in in{};
        in.kind = VIGIL_TEST_PIDS;
        in.pids.op = op;
        in.pids.flags = flags;
        in.pids.nvals = static_cast<__u8>(values.size());
        std::copy(values.begin(), values.end(), in.pids.vals);
        return run(in);
    }

    vigil_selector_test_bpf* skel_ = nullptr;
};

TEST_F(SelectorBpfTest, ExactStringSetsOfAnySize) {
    for (int i = 0; i < 40; ++i) add_exact(1, "/etc/file" + std::to_string(i));
    add_exact(1, "/etc/passwd");
    add_exact(2, "/etc/shadow");
    EXPECT_EQ(str(1, VIGIL_OP_EQ, "/etc/passwd"), 1);
    EXPECT_EQ(str(1, VIGIL_OP_EQ, "/etc/file39"), 1);
    EXPECT_EQ(str(1, VIGIL_OP_EQ, "/etc/passw"), 0);
    EXPECT_EQ(str(1, VIGIL_OP_EQ, "/etc/passwdx"), 0);
    EXPECT_EQ(str(1, VIGIL_OP_EQ, "/etc/shadow"), 0) << "a value of another set";
    EXPECT_EQ(str(2, VIGIL_OP_EQ, "/etc/shadow"), 1);
    EXPECT_EQ(str(1, VIGIL_OP_NEQ, "/etc/passwd"), 1) << "positive form: the caller negates";
    EXPECT_EQ(str(1, VIGIL_OP_EQ, std::string(253, 'a')), 0) << "longer than any value";
}

TEST_F(SelectorBpfTest, PrefixSets) {
    add_affix(3, "/usr/", false);
    add_affix(3, "/opt/app", false);
    EXPECT_EQ(str(3, VIGIL_OP_PREFIX, "/usr/bin/cat"), 1);
    EXPECT_EQ(str(3, VIGIL_OP_PREFIX, "/opt/app"), 1);
    EXPECT_EQ(str(3, VIGIL_OP_PREFIX, "/opt/ap"), 0);
    EXPECT_EQ(str(3, VIGIL_OP_PREFIX, "/us"), 0);
    EXPECT_EQ(str(3, VIGIL_OP_PREFIX, "/bin/usr/"), 0);
    EXPECT_EQ(str(4, VIGIL_OP_PREFIX, "/usr/bin/cat"), 0) << "another set id";
}

TEST_F(SelectorBpfTest, PostfixSets) {
    add_affix(5, ".so", true);
    add_affix(5, "/sh", true);
    EXPECT_EQ(str(5, VIGIL_OP_POSTFIX, "/lib/libc.so"), 1);
    EXPECT_EQ(str(5, VIGIL_OP_POSTFIX, "/bin/sh"), 1);
    EXPECT_EQ(str(5, VIGIL_OP_POSTFIX, "/bin/bash"), 0);
    EXPECT_EQ(str(5, VIGIL_OP_POSTFIX, "/lib/libc.so.6"), 0);
    EXPECT_EQ(str(5, VIGIL_OP_NOTPOSTFIX, "/bin/sh"), 1) << "positive form";
}

TEST_F(SelectorBpfTest, CidrSetsOnIpv4AndIpv6Sockaddrs) {
    add_cidr(6, AF_INET, "10.0.0.0", 8);
    add_cidr(6, AF_INET, "127.0.0.1", 32);
    add_cidr(6, AF_INET6, "fd00::", 8);
    EXPECT_EQ(sockaddr4(6, VIGIL_OP_ADDR, "10.1.2.3", 80), 1);
    EXPECT_EQ(sockaddr4(6, VIGIL_OP_ADDR, "11.0.0.1", 80), 0);
    EXPECT_EQ(sockaddr4(6, VIGIL_OP_ADDR, "127.0.0.1", 80), 1);
    EXPECT_EQ(sockaddr4(6, VIGIL_OP_ADDR, "127.0.0.2", 80), 0);
    EXPECT_EQ(sockaddr6(6, VIGIL_OP_ADDR, "fd00::1"), 1);
    EXPECT_EQ(sockaddr6(6, VIGIL_OP_ADDR, "fe80::1"), 0);
    EXPECT_EQ(sockaddr6(6, VIGIL_OP_ADDR, "::ffff:10.0.0.1"), 0) << "v4 prefixes do not match v6 addresses";
    EXPECT_EQ(sockaddr4(6, VIGIL_OP_PORT, "10.1.2.3", 8080), 8080) << "PORT yields the port";
    EXPECT_EQ(sockaddr4(6, VIGIL_OP_FAMILY, "10.1.2.3", 1), AF_INET);
}

TEST_F(SelectorBpfTest, IntegerRangesSignedAndUnsigned) {
    const auto neg = static_cast<__u64>(-5), minus1 = static_cast<__u64>(-1);
    EXPECT_EQ(integer(VIGIL_OP_EQ, true, {{neg, minus1}}, -3), 1);
    EXPECT_EQ(integer(VIGIL_OP_EQ, true, {{neg, minus1}}, 0), 0);
    EXPECT_EQ(integer(VIGIL_OP_EQ, false, {{1, 1}, {7, 9}, {100, 200}}, 150), 1);
    EXPECT_EQ(integer(VIGIL_OP_EQ, false, {{1, 1}, {7, 9}, {100, 200}}, 10), 0);
    EXPECT_EQ(integer(VIGIL_OP_GT, false, {{100, 0}}, 101), 1);
    EXPECT_EQ(integer(VIGIL_OP_GT, false, {{100, 0}}, 100), 0);
    EXPECT_EQ(integer(VIGIL_OP_LT, true, {{0, 0}}, -1), 1);
    EXPECT_EQ(integer(VIGIL_OP_LT, false, {{0, 0}}, -1), 0) << "unsigned: -1 is the largest value";
    EXPECT_EQ(integer(VIGIL_OP_MASK, false, {{0x40, 0}}, 0x41), 1);
    EXPECT_EQ(integer(VIGIL_OP_MASK, false, {{0x40, 0}, {0x1, 0}}, 0x2), 0);
}

TEST_F(SelectorBpfTest, PidSetsForTheCallingProcess) {
    const auto self = static_cast<__u32>(getpid());
    EXPECT_EQ(pids(VIGIL_OP_EQ, 0, {1, self}), 1);
    EXPECT_EQ(pids(VIGIL_OP_EQ, 0, {1, 2}), 0);
    EXPECT_EQ(pids(VIGIL_OP_NEQ, 0, {self}), 0);
    EXPECT_EQ(pids(VIGIL_OP_NEQ, 0, {1}), 1);
    // This test runs in the host's PID namespace: the namespace pid is the pid.
    EXPECT_EQ(pids(VIGIL_OP_EQ, VIGIL_PIDS_F_NSPID, {self}), 1);
}

TEST_F(SelectorBpfTest, NamespaceEntriesAgainstTheCallingTask) {
    auto ino = [](const char* name) {
        struct stat st {};
        EXPECT_EQ(stat((std::string("/proc/self/ns/") + name).c_str(), &st), 0) << name;
        return static_cast<__u32>(st.st_ino);
    };
    auto check = [&](std::vector<vigil_sel_ns> entries) {
        vigil_selector sel{};
        sel.nns = static_cast<__u32>(entries.size());
        std::copy(entries.begin(), entries.end(), sel.ns);
        __u32 idx = 7;
        EXPECT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_selectors), &idx, &sel, BPF_ANY), 0);
        vigil_test_in in{};
        in.kind = VIGIL_TEST_NS;
        in.sel_idx = idx;
        return run(in);
    };
    const __u32 pid = ino("pid"), mnt = ino("mnt"), user = ino("user"), net = ino("net");
    EXPECT_EQ(check({{VIGIL_OP_EQ, VIGIL_NS_PID, 2, 0, {1, pid}}}), 1);
    EXPECT_EQ(check({{VIGIL_OP_NEQ, VIGIL_NS_PID, 1, 0, {pid}}}), 0);
    EXPECT_EQ(check({{VIGIL_OP_EQ, VIGIL_NS_PID, 1, 0, {pid + 1}}}), 0);
    EXPECT_EQ(check({{VIGIL_OP_NEQ, VIGIL_NS_PID, 1, 0, {pid + 1}}}), 1);
    EXPECT_EQ(check({{VIGIL_OP_EQ, VIGIL_NS_MNT, 1, 0, {mnt}}, {VIGIL_OP_EQ, VIGIL_NS_USER, 1, 0, {user}},
                     {VIGIL_OP_EQ, VIGIL_NS_NET, 1, 0, {net}}}),
              1);
    EXPECT_EQ(check({{VIGIL_OP_EQ, VIGIL_NS_MNT, 1, 0, {mnt}}, {VIGIL_OP_EQ, VIGIL_NS_NET, 1, 0, {mnt}}}), 0)
        << "entries are ANDed";
}

}  // namespace
