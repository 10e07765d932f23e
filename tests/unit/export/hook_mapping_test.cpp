// Hook events -> ProcessKprobe: argument shapes per policy type, sockaddr
// decoding, return values and policy metadata.
#include "export/hook_mapping.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/un.h>

#include <cstring>

namespace vigil::exporter {
namespace {

model::HookArgValue value(std::uint64_t v, std::string bytes = "", bool truncated = false,
                          std::uint32_t orig = 0) {
    model::HookArgValue a;
    a.value = v;
    a.bytes = std::move(bytes);
    a.truncated = truncated;
    a.orig_size = orig;
    return a;
}

TEST(HookMapping, ArgumentShapesFollowTetragonTypes) {
    EXPECT_EQ(to_kprobe_argument(value(3, "/etc/passwd"), {"fd", "target"}).file_arg().path(),
              "/etc/passwd");
    EXPECT_EQ(to_kprobe_argument(value(3, "/etc/passwd"), {"fd", "target"}).label(), "target");
    EXPECT_EQ(to_kprobe_argument(value(0, "abc"), {"char_buf", ""}).bytes_arg(), "abc");
    auto tr = to_kprobe_argument(value(0, "ab", true, 4000), {"char_buf", ""});
    ASSERT_TRUE(tr.has_truncated_bytes_arg());
    EXPECT_EQ(tr.truncated_bytes_arg().bytes_arg(), "ab");
    EXPECT_EQ(tr.truncated_bytes_arg().orig_size(), 4000u);
    EXPECT_EQ(to_kprobe_argument(value(0, "/tmp/f"), {"string", ""}).string_arg(), "/tmp/f");
    EXPECT_EQ(to_kprobe_argument(value(static_cast<std::uint64_t>(-1)), {"int", ""}).int_arg(), -1);
    EXPECT_EQ(to_kprobe_argument(value(4096), {"size_t", ""}).size_arg(), 4096u);
    EXPECT_EQ(to_kprobe_argument(value(7), {"uint32", ""}).uint_arg(), 7u);
    EXPECT_EQ(to_kprobe_argument(value(static_cast<std::uint64_t>(-5)), {"int64", ""}).long_arg(), -5);
}

TEST(HookMapping, SockaddrInet4And6AndUnix) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(8080);
    inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr);
    auto a = decode_sockaddr(std::string(reinterpret_cast<char*>(&sin), sizeof(sin)));
    EXPECT_EQ(a.family(), "AF_INET");
    EXPECT_EQ(a.addr(), "127.0.0.2");
    EXPECT_EQ(a.port(), 8080u);

    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(443);
    inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
    auto b = decode_sockaddr(std::string(reinterpret_cast<char*>(&sin6), sizeof(sin6)));
    EXPECT_EQ(b.family(), "AF_INET6");
    EXPECT_EQ(b.addr(), "::1");
    EXPECT_EQ(b.port(), 443u);

    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strcpy(sun.sun_path, "/run/x.sock");
    auto c = decode_sockaddr(std::string(reinterpret_cast<char*>(&sun), sizeof(sun)));
    EXPECT_EQ(c.family(), "AF_UNIX");
    EXPECT_EQ(c.addr(), "/run/x.sock");

    EXPECT_EQ(decode_sockaddr("").family(), "");
    EXPECT_EQ(decode_sockaddr(std::string("\x02\x00\x01", 3)).family(), "AF_2");  // too short for sockaddr_in
}

TEST(HookMapping, KprobeEventCarriesPolicyMetadataAndReturn) {
    ProtoMapper mapper({"node-a", false, false}, BootClock(0), {});
    model::Process p;
    p.exec_id = "id";
    p.pid = 10;
    p.binary = "/bin/cat";
    HookInfo info;
    info.policy_name = "file-writes";
    info.function_name = "__x64_sys_write";
    info.message = "write seen";
    info.tags = {"observability.filesystem"};
    info.args = {{"fd", ""}, {"char_buf", ""}, {"size_t", ""}};
    info.return_type = "int";
    model::HookEvent ev;
    ev.ktime = 5'000'000'000;
    ev.has_return = true;
    ev.ret = -13;
    ev.args = {value(1, "/dev/null"), value(0, "hi"), value(2)};
    auto out = hook_event(mapper, {&p, 1}, {nullptr, 0}, info, ev);
    ASSERT_TRUE(out.has_process_kprobe());
    const auto& k = out.process_kprobe();
    EXPECT_EQ(k.process().binary(), "/bin/cat");
    EXPECT_EQ(k.function_name(), "__x64_sys_write");
    EXPECT_EQ(k.policy_name(), "file-writes");
    EXPECT_EQ(k.message(), "write seen");
    ASSERT_EQ(k.tags_size(), 1);
    EXPECT_EQ(k.action(), tetragon::KPROBE_ACTION_POST);
    ASSERT_EQ(k.args_size(), 3);
    EXPECT_EQ(k.args(0).file_arg().path(), "/dev/null");
    EXPECT_EQ(k.args(1).bytes_arg(), "hi");
    EXPECT_EQ(k.args(2).size_arg(), 2u);
    EXPECT_EQ(k.return_().int_arg(), -13);
    EXPECT_EQ(out.node_name(), "node-a");
    EXPECT_EQ(out.time().seconds(), 5);
}

}  // namespace
}  // namespace vigil::exporter
