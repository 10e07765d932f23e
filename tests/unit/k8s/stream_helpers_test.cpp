// Watch stream framing, backoff and URL encoding.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "k8s/backoff.h"
#include "k8s/http_client.h"
#include "k8s/line_splitter.h"
#include "k8s/list_watcher.h"

namespace vigil::k8s {
namespace {

std::vector<std::string> feed_all(LineSplitter& s, const std::vector<std::string>& chunks,
                                  LineSplitter::Feed* last = nullptr) {
    std::vector<std::string> lines;
    LineSplitter::Feed r = LineSplitter::Feed::kOk;
    for (const auto& c : chunks) {
        r = s.feed(c, [&](std::string_view l) {
            lines.emplace_back(l);
            return true;
        });
        if (r != LineSplitter::Feed::kOk) break;
    }
    if (last != nullptr) *last = r;
    return lines;
}

TEST(LineSplitter, LinesAcrossChunks) {
    LineSplitter s(1024);
    auto lines = feed_all(s, {"{\"a\":", "1}\n{\"b\"", ":2}\r\n\n  \n{\"c\":3}\n{\"d\""});
    EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
    EXPECT_EQ(s.pending(), 4u);
}

TEST(LineSplitter, ByteByByte) {
    std::string stream = "first\nsecond\nthird\n";
    std::vector<std::string> chunks;
    for (char c : stream) chunks.emplace_back(1, c);
    LineSplitter s(16);
    EXPECT_EQ(feed_all(s, chunks), (std::vector<std::string>{"first", "second", "third"}));
    EXPECT_EQ(s.pending(), 0u);
}

TEST(LineSplitter, TooLongLineStops) {
    LineSplitter s(8);
    LineSplitter::Feed r;
    auto lines = feed_all(s, {"short\n", "0123456", "789\n"}, &r);
    EXPECT_EQ(lines, (std::vector<std::string>{"short"}));
    EXPECT_EQ(r, LineSplitter::Feed::kTooLong);
    LineSplitter one_chunk(8);
    auto none = feed_all(one_chunk, {"0123456789\n"}, &r);
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(r, LineSplitter::Feed::kTooLong);
}

TEST(LineSplitter, ReaderCanStop) {
    LineSplitter s(64);
    int seen = 0;
    auto r = s.feed("a\nb\nc\n", [&](std::string_view) { return ++seen < 2; });
    EXPECT_EQ(r, LineSplitter::Feed::kStopped);
    EXPECT_EQ(seen, 2);
}

TEST(Backoff, GrowsWithJitterUpToMax) {
    using std::chrono::milliseconds;
    Backoff b(milliseconds(100), milliseconds(1000), 42);
    std::vector<long long> caps = {100, 200, 400, 800, 1000, 1000, 1000};
    for (long long cap : caps) {
        auto d = b.next().count();
        EXPECT_GE(d, cap / 2);
        EXPECT_LE(d, cap);
    }
    b.reset();
    EXPECT_LE(b.next().count(), 100);
}

TEST(Backoff, ManyAttemptsDoNotOverflow) {
    using std::chrono::milliseconds;
    Backoff b(milliseconds(1), milliseconds(30000), 1);
    for (int i = 0; i < 1000; ++i) {
        auto d = b.next().count();
        ASSERT_GE(d, 0);
        ASSERT_LE(d, 30000);
    }
}

TEST(UrlEncode, SelectorsAndTokens) {
    EXPECT_EQ(url_encode("spec.nodeName=node-1"), "spec.nodeName%3Dnode-1");
    EXPECT_EQ(url_encode("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
    EXPECT_EQ(url_encode("~_.-AZaz09"), "~_.-AZaz09");
}

TEST(HttpErrors, StatusMessageIsUsed) {
    EXPECT_EQ(describe_http_error(403, R"({"kind":"Status","message":"pods is forbidden: no","code":403})"),
              "HTTP 403: pods is forbidden: no");
    EXPECT_EQ(describe_http_error(502, "Bad Gateway\n"), "HTTP 502: Bad Gateway ");
    EXPECT_EQ(describe_http_error(500, ""), "HTTP 500");
}

}  // namespace
}  // namespace vigil::k8s
