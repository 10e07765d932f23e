// Records whose length fields lie in ways decoder_test.cpp does not cover:
// a header size below the fixed part or zero, and slices that stay inside the
// buffer but run past the size the header declares (ring-buffer padding).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ingest/decoder.h"
#include "vigil/abi.h"

namespace vigil::ingest {
namespace {

std::vector<std::uint8_t> exec_record(const std::string& path) {
    vigil_exec_record r{};
    r.hdr.type = VIGIL_EVENT_EXEC;
    r.hdr.version = VIGIL_ABI_VERSION;
    r.hdr.pid = 42;
    r.key = {42, 0, 5000};
    std::vector<std::uint8_t> buf(sizeof(r));
    r.path.off = static_cast<__u16>(buf.size());
    r.path.len = static_cast<__u16>(path.size());
    buf.resize(buf.size() + path.size());
    std::memcpy(buf.data() + sizeof(r), path.data(), path.size());
    r.hdr.size = static_cast<__u32>(buf.size());
    std::memcpy(buf.data(), &r, sizeof(r));
    return buf;
}

void set_size(std::vector<std::uint8_t>& buf, __u32 size) {
    vigil_event_header h;
    std::memcpy(&h, buf.data(), sizeof(h));
    h.size = size;
    std::memcpy(buf.data(), &h, sizeof(h));
}

TEST(LyingLengths, HeaderSizeBelowTheFixedPartIsRejected) {
    for (__u32 size : {0u, 1u, static_cast<__u32>(sizeof(vigil_event_header)),
                       static_cast<__u32>(sizeof(vigil_exec_record) - 1)}) {
        auto buf = exec_record("/bin/true");
        set_size(buf, size);
        Decoder d;
        EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value()) << "size " << size;
        EXPECT_EQ(d.total_errors(), 1u) << "size " << size;
        EXPECT_EQ(d.decoded(), 0u);
    }
}

TEST(LyingLengths, SliceInsideTheBufferButPastTheDeclaredSizeIsRejected) {
    auto buf = exec_record("/bin/true");
    const auto declared = static_cast<__u32>(buf.size() - 4);  // the path's last 4 bytes lie outside
    set_size(buf, declared);
    buf.resize(buf.size() + 64, 'X');  // padding after the record, readable but not the record's
    Decoder d;
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());
    EXPECT_EQ(d.total_errors(), 1u);
}

TEST(LyingLengths, MaximalSliceLengthIsRejected) {
    auto buf = exec_record("/bin/true");
    vigil_exec_record r;
    std::memcpy(&r, buf.data(), sizeof(r));
    r.path.len = 0xffff;
    std::memcpy(buf.data(), &r, sizeof(r));
    Decoder d;
    EXPECT_FALSE(d.decode(buf.data(), buf.size()).has_value());
    EXPECT_EQ(d.errors(DecodeError::kBadSlice), 1u);
}

}  // namespace
}  // namespace vigil::ingest
