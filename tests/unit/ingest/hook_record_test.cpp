// Hook records (struct vigil_hook_record) built the way the generic BPF
// programs lay them out, and the decoder's checks on them.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ingest/decoder.h"
#include "vigil/abi.h"

namespace vigil::ingest {
namespace {

struct ArgIn {
    __u8 type;
    __u8 flags;
    __u64 value;
    std::string data;
    __u32 orig_size = 0;
};

std::vector<std::uint8_t> make_hook(const std::vector<ArgIn>& args, bool with_ret = false) {
    vigil_hook_record r{};
    r.hdr.type = VIGIL_EVENT_HOOK;
    r.hdr.version = VIGIL_ABI_VERSION;
    r.hdr.ktime = 9000;
    r.hdr.pid = 42;
    r.hdr.tid = 44;
    r.key = {42, 0, 5000};
    r.hook_id = 7;
    r.flags = with_ret ? VIGIL_HOOK_R_RETURN : 0;
    r.ret = -13;
    r.nargs = static_cast<__u32>(args.size());
    std::vector<std::uint8_t> buf(sizeof(r));
    for (std::size_t i = 0; i < args.size(); ++i) {
        r.args[i].type = args[i].type;
        r.args[i].flags = args[i].flags;
        r.args[i].value = args[i].value;
        r.args[i].orig_size = args[i].orig_size;
        r.args[i].data.off = static_cast<__u16>(buf.size());
        r.args[i].data.len = static_cast<__u16>(args[i].data.size());
        buf.insert(buf.end(), args[i].data.begin(), args[i].data.end());
    }
    r.hdr.size = static_cast<__u32>(buf.size());
    std::memcpy(buf.data(), &r, sizeof(r));
    return buf;
}

TEST(HookRecord, DecodesEveryArgumentKind) {
    auto buf = make_hook({{VIGIL_ARG_FD, 0, 3, "/tmp/x/passwd"},
                          {VIGIL_ARG_UBUF, VIGIL_ARG_F_TRUNCATED, 0x7fff0000, "abcd", 100},
                          {VIGIL_ARG_U64, 0, 100, ""}},
                         true);
    Decoder d;
    auto rec = d.decode(buf.data(), buf.size());
    ASSERT_TRUE(rec.has_value());
    const auto& ev = std::get<model::HookEvent>(*rec);
    EXPECT_EQ(ev.key.pid, 42u);
    EXPECT_EQ(ev.key.ktime, 5000u);
    EXPECT_EQ(ev.hook_id, 7u);
    EXPECT_EQ(ev.tid, 44u);
    EXPECT_EQ(ev.ktime, 9000u);
    EXPECT_TRUE(ev.has_return);
    EXPECT_EQ(ev.ret, -13);
    ASSERT_EQ(ev.args.size(), 3u);
    EXPECT_EQ(ev.args[0].kind, model::ArgKind::kFd);
    EXPECT_EQ(ev.args[0].value, 3u);
    EXPECT_EQ(ev.args[0].bytes, "/tmp/x/passwd");
    EXPECT_EQ(ev.args[1].kind, model::ArgKind::kUserBuffer);
    EXPECT_TRUE(ev.args[1].truncated);
    EXPECT_EQ(ev.args[1].orig_size, 100u);
    EXPECT_EQ(ev.args[1].bytes, "abcd");
    EXPECT_EQ(ev.args[2].kind, model::ArgKind::kU64);
    EXPECT_EQ(ev.args[2].value, 100u);
    EXPECT_EQ(d.decoded(), 1u);
}

TEST(HookRecord, TruncatedFixedPartIsCounted) {
    auto buf = make_hook({{VIGIL_ARG_S32, 0, 1, ""}});
    Decoder d;
    // A header that claims the short length, so only the fixed-part check can catch it.
    vigil_event_header h{};
    std::memcpy(&h, buf.data(), sizeof(h));
    h.size = sizeof(vigil_hook_record) - 8;
    std::memcpy(buf.data(), &h, sizeof(h));
    EXPECT_FALSE(d.decode(buf.data(), sizeof(vigil_hook_record) - 8).has_value());
    EXPECT_EQ(d.errors(DecodeError::kTruncated), 1u);
}

TEST(HookRecord, SliceOutsideTheRecordIsRejected) {
    auto buf = make_hook({{VIGIL_ARG_USTRING, 0, 0, "hello"}});
    vigil_hook_record r{};
    std::memcpy(&r, buf.data(), sizeof(r));
    r.args[0].data.len = 500;  // points past the end
    std::memcpy(buf.data(), &r, sizeof(r));
    Decoder d;
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());
    EXPECT_EQ(d.errors(DecodeError::kBadSlice), 1u);
}

TEST(HookRecord, ArgumentCountAndTypeAreRangeChecked) {
    auto buf = make_hook({{VIGIL_ARG_S32, 0, 1, ""}});
    vigil_hook_record r{};
    std::memcpy(&r, buf.data(), sizeof(r));
    r.nargs = VIGIL_HOOK_ARGS_MAX + 1;
    std::memcpy(buf.data(), &r, sizeof(r));
    Decoder d;
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());

    auto buf2 = make_hook({{VIGIL_ARG_TYPE_COUNT, 0, 1, ""}});
    EXPECT_FALSE(d.decode(buf2.data(), buf2.size()).has_value());
    EXPECT_EQ(d.errors(DecodeError::kBadField), 2u);
}

}  // namespace
}  // namespace vigil::ingest
