#include "process/exec_id.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>

namespace vigil::process {
namespace {

// Independent decoder so the test does not trust the encoder it checks.
std::string b64_decode(const std::string& in) {
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        auto v = kAlphabet.find(c);
        if (v == std::string::npos) return "<invalid>";
        buf = (buf << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buf >> bits) & 0xff);
        }
    }
    return out;
}

TEST(ExecId, MatchesTetragonReferenceExample) {
    const std::string known = "dGV0cmFnb24tZGV2LWNvbnRyb2wtcGxhbmU6MTY4MTc3MDUwMTI1NDI6NjQ3NDY=";
    EXPECT_EQ(b64_decode(known), "tetragon-dev-control-plane:16817705012542:64746");
    EXPECT_EQ(make_exec_id("tetragon-dev-control-plane", 16817705012542ull, 64746), known);
}

TEST(ExecId, KernelIdAndFieldOrder) {
    EXPECT_EQ(b64_decode(make_exec_id("node", 1, 0)), "node:1:0");
    EXPECT_EQ(b64_decode(make_exec_id("n", 18446744073709551615ull, 4294967295u)),
              "n:18446744073709551615:4294967295");
    EXPECT_NE(make_exec_id("node", 12, 3), make_exec_id("node", 1, 23));
}

// Every exec_id recorded by real Tetragon in the shared corpus is
// reproduced from its decoded node, ktime and the event's pid.
TEST(ExecId, ReproducesCorpusIds) {
    std::ifstream in(std::string(VIGIL_SHARED_DIR) + "/corpus/tetragon-events/events.jsonl");
    ASSERT_TRUE(in.good());
    const std::regex re(R"re("exec_id"\s*:\s*"([A-Za-z0-9+/=]+)"\s*,\s*"pid"\s*:\s*(\d+))re");
    std::string line;
    int checked = 0;
    while (std::getline(in, line)) {
        for (std::sregex_iterator it(line.begin(), line.end(), re), end; it != end; ++it) {
            const std::string id = (*it)[1];
            const std::uint32_t pid = static_cast<std::uint32_t>(std::stoul((*it)[2]));
            const std::string raw = b64_decode(id);
            auto c2 = raw.rfind(':');
            auto c1 = raw.rfind(':', c2 - 1);
            ASSERT_NE(c1, std::string::npos) << raw;
            EXPECT_EQ(std::stoul(raw.substr(c2 + 1)), pid) << raw;
            const std::uint64_t ktime = std::stoull(raw.substr(c1 + 1, c2 - c1 - 1));
            EXPECT_EQ(make_exec_id(raw.substr(0, c1), ktime, pid), id);
            ++checked;
        }
    }
    EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace vigil::process
