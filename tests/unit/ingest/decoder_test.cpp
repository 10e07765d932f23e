#include "ingest/decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "vigil/abi.h"

namespace vigil::ingest {
namespace {

// Builds an exec record the way the BPF program lays it out.
std::vector<std::uint8_t> make_exec(const std::string& path, const std::string& args,
                                    const std::string& cwd, const std::string& cgroup) {
    vigil_exec_record r{};
    r.hdr.type = VIGIL_EVENT_EXEC;
    r.hdr.version = VIGIL_ABI_VERSION;
    r.hdr.ktime = 5000;
    r.hdr.pid = 42;
    r.hdr.tid = 43;
    r.hdr.cgroup_id = 777;
    r.key = {42, 0, 5000};
    r.parent = {1, 0, 100};
    r.cleanup = {42, 0, 4000};
    r.ppid = 1;
    r.flags = VIGIL_EXEC_F_CLONE;
    r.uid = 1000;
    r.euid = 1001;
    r.auid = 1000;
    r.cap_effective = 1ull << 21;
    r.ns[VIGIL_NS_MNT] = 4026531841u;
    std::vector<std::uint8_t> buf(sizeof(r));
    auto append = [&](const std::string& s, vigil_slice& slice) {
        slice.off = static_cast<__u16>(buf.size());
        slice.len = static_cast<__u16>(s.size());
        buf.insert(buf.end(), s.begin(), s.end());
    };
    append(path, r.path);
    append(args, r.args);
    append(cwd, r.cwd);
    append(cgroup, r.cgroup);
    r.hdr.size = static_cast<__u32>(buf.size());
    std::memcpy(buf.data(), &r, sizeof(r));
    return buf;
}

TEST(Decoder, DecodesExecWithEveryField) {
    std::string args("/bin/echo\0hello\0two words", 25);
    auto buf = make_exec("/usr/bin/echo", args, "/tmp", "session-1.scope");
    Decoder d;
    auto rec = d.decode(buf.data(), buf.size());
    ASSERT_TRUE(rec.has_value());
    auto& e = std::get<ExecRecord>(*rec);
    EXPECT_EQ(e.process.binary, "/usr/bin/echo");
    ASSERT_EQ(e.process.argv.size(), 2u);
    EXPECT_EQ(e.process.argv[0], "hello");
    EXPECT_EQ(e.process.argv[1], "two words");
    EXPECT_EQ(e.process.cwd, "/tmp");
    EXPECT_EQ(e.process.cgroup_name, "session-1.scope");
    EXPECT_EQ(e.process.cgroup_id, 777u);
    EXPECT_EQ(e.process.pid, 42u);
    EXPECT_EQ(e.process.tid, 43u);
    EXPECT_EQ(e.process.ppid, 1u);
    EXPECT_EQ(e.process.creds.uid, 1000u);
    EXPECT_EQ(e.process.creds.euid, 1001u);
    EXPECT_EQ(e.process.auid, 1000u);
    EXPECT_EQ(e.process.caps.effective, 1ull << 21);
    EXPECT_EQ(e.process.ns[2], 4026531841u);
    EXPECT_EQ(e.process.key, (model::ProcessKey{42, 5000}));
    EXPECT_EQ(e.process.parent_key, (model::ProcessKey{1, 100}));
    EXPECT_EQ(e.cleanup, (model::ProcessKey{42, 4000}));
    EXPECT_TRUE(e.process.flags & model::kFlagExecve);
    EXPECT_TRUE(e.process.flags & model::kFlagClone);
    EXPECT_FALSE(e.process.flags & model::kFlagRootCwd);
    EXPECT_EQ(d.decoded(), 1u);
    EXPECT_EQ(d.total_errors(), 0u);
}

TEST(Decoder, RootCwdAndArgvWithoutArguments) {
    auto buf = make_exec("/bin/true", std::string("/bin/true\0", 10), "/", "/");
    Decoder d;
    auto rec = d.decode(buf.data(), buf.size());
    ASSERT_TRUE(rec.has_value());
    auto& e = std::get<ExecRecord>(*rec);
    EXPECT_TRUE(e.process.argv.empty());
    EXPECT_TRUE(e.process.flags & model::kFlagRootCwd);
}

TEST(Decoder, TruncatedRecordsAreCountedNotDecoded) {
    auto buf = make_exec("/bin/true", "x", "/", "/");
    Decoder d;
    for (std::size_t cut : {0ul, 10ul, sizeof(vigil_event_header), sizeof(vigil_exec_record) - 1}) {
        EXPECT_FALSE(d.decode(buf.data(), cut).has_value()) << "cut at " << cut;
    }
    EXPECT_GE(d.errors(DecodeError::kTruncated) + d.errors(DecodeError::kSizeMismatch), 4u);
    EXPECT_EQ(d.decoded(), 0u);
}

TEST(Decoder, SizeFieldLargerThanBufferIsRejected) {
    auto buf = make_exec("/bin/true", "x", "/", "/");
    auto* hdr = reinterpret_cast<vigil_event_header*>(buf.data());
    hdr->size = static_cast<__u32>(buf.size() + 100);
    Decoder d;
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());
    EXPECT_EQ(d.errors(DecodeError::kSizeMismatch), 1u);
}

TEST(Decoder, SliceOutsideRecordIsRejected) {
    auto buf = make_exec("/bin/true", "x", "/", "/");
    vigil_exec_record r;
    std::memcpy(&r, buf.data(), sizeof(r));
    r.path.off = static_cast<__u16>(buf.size() - 2);
    r.path.len = 50;  // runs past the end
    std::memcpy(buf.data(), &r, sizeof(r));
    Decoder d;
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());
    EXPECT_EQ(d.errors(DecodeError::kBadSlice), 1u);
    // A slice pointing into the fixed part is rejected as well.
    r.path.off = 4;
    r.path.len = 4;
    std::memcpy(buf.data(), &r, sizeof(r));
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());
    EXPECT_EQ(d.errors(DecodeError::kBadSlice), 2u);
}

TEST(Decoder, OversizedBufferUsesHeaderSize) {
    auto buf = make_exec("/bin/true", "x", "/", "/");
    buf.resize(buf.size() + 64, 0xAA);  // ring buffer padding after the record
    Decoder d;
    auto rec = d.decode(buf.data(), buf.size());
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(std::get<ExecRecord>(*rec).process.cgroup_name, "/");
}

TEST(Decoder, UnknownTypeAndVersionAreCounted) {
    auto buf = make_exec("/bin/true", "x", "/", "/");
    auto* hdr = reinterpret_cast<vigil_event_header*>(buf.data());
    hdr->type = 99;
    Decoder d;
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());
    EXPECT_EQ(d.errors(DecodeError::kUnknownType), 1u);
    hdr->type = VIGIL_EVENT_EXEC;
    hdr->version = VIGIL_ABI_VERSION + 1;
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());
    EXPECT_EQ(d.errors(DecodeError::kBadVersion), 1u);
}

TEST(Decoder, DecodesForkAndExit) {
    vigil_fork_record f{};
    f.hdr = {VIGIL_EVENT_FORK, VIGIL_ABI_VERSION, sizeof(f), 900, 10, 10, 1};
    f.key = {11, 0, 900};
    f.parent = {10, 0, 800};
    Decoder d;
    auto rf = d.decode(reinterpret_cast<const std::uint8_t*>(&f), sizeof(f));
    ASSERT_TRUE(rf.has_value());
    auto& fork = std::get<ForkRecord>(*rf);
    EXPECT_EQ(fork.child, (model::ProcessKey{11, 900}));
    EXPECT_EQ(fork.parent, (model::ProcessKey{10, 800}));

    vigil_exit_record x{};
    x.hdr = {VIGIL_EVENT_EXIT, VIGIL_ABI_VERSION, sizeof(x), 1000, 11, 12, 1};
    x.key = {11, 0, 900};
    x.exit_code = 9;  // killed by SIGKILL
    auto rx = d.decode(reinterpret_cast<const std::uint8_t*>(&x), sizeof(x));
    ASSERT_TRUE(rx.has_value());
    auto& exit = std::get<model::ExitEvent>(*rx);
    EXPECT_EQ(exit.key, (model::ProcessKey{11, 900}));
    EXPECT_EQ(exit.exit_code, 9u);
    EXPECT_EQ(exit.tid, 12u);
    // A fork record cut short is refused.
    EXPECT_FALSE(d.decode(reinterpret_cast<const std::uint8_t*>(&f), sizeof(f) - 1).has_value());
}

}  // namespace
}  // namespace vigil::ingest
