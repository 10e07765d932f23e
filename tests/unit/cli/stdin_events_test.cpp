// print_events_from in-process: the corpus through the local filter and both
// printers, and malformed lines reported by number without stopping.
#include "cli/stdin_events.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/getevents_request.h"
#include "export/json_codec.h"

namespace vigil::cli {
namespace {

// Field-wise: serialized bytes differ with map order.
using google::protobuf::util::MessageDifferencer;

const std::string kCorpus = std::string(VIGIL_SHARED_DIR) + "/corpus/tetragon-events/";

std::string read_corpus(const std::string& name) {
    std::ifstream in(kCorpus + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot open " << kCorpus + name;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

exporter::EventFilter filter_for(const FilterFlags& flags) {
    auto req = build_request(flags);
    EXPECT_TRUE(req.ok()) << req.error();
    auto f = exporter::EventFilter::compile(req->allow_list(), req->deny_list());
    EXPECT_TRUE(f.ok()) << f.error();
    return std::move(f.value());
}

struct Output {
    StdinStats stats;
    std::string out, err;
};

Output run(const std::string& input, const FilterFlags& flags, OutputFormat format) {
    auto filter = filter_for(flags);
    EventPrinter printer(format, {});
    std::istringstream in(input);
    std::ostringstream out, err;
    Output o;
    o.stats = print_events_from(in, filter, printer, out, err);
    o.out = out.str();
    o.err = err.str();
    return o;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> v;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
}

TEST(StdinEvents, JsonOutputRoundTripsEveryCorpusEvent) {
    const std::string corpus = read_corpus("docs-samples.jsonl");
    Output o = run(corpus, {}, OutputFormat::kJson);
    EXPECT_EQ(o.err, "");
    EXPECT_EQ(o.stats.malformed, 0u);
    const auto in_lines = lines_of(corpus);
    const auto out_lines = lines_of(o.out);
    ASSERT_EQ(out_lines.size(), in_lines.size());
    EXPECT_EQ(o.stats.printed, in_lines.size());
    for (std::size_t i = 0; i < in_lines.size(); ++i) {
        auto want = exporter::parse_json_line(in_lines[i]);
        auto got = exporter::parse_json_line(out_lines[i]);
        ASSERT_TRUE(want.ok() && got.ok()) << "line " << i + 1;
        EXPECT_TRUE(MessageDifferencer::Equals(got.value(), want.value())) << "line " << i + 1;
    }
}

TEST(StdinEvents, ProcessAndEventTypeFiltersAreAnded) {
    FilterFlags flags;
    flags.processes = {"curl"};
    Output o = run(read_corpus("docs-samples.jsonl"), flags, OutputFormat::kCompact);
    auto lines = lines_of(o.out);
    ASSERT_EQ(lines.size(), 2u) << o.out;
    EXPECT_EQ(lines[0].rfind("🚀 process ", 0), 0u) << lines[0];
    EXPECT_EQ(lines[1].rfind("💥 exit ", 0), 0u) << lines[1];
    EXPECT_EQ(o.stats.filtered, o.stats.lines - 2);

    flags.event_types = {"process_exit"};
    o = run(read_corpus("docs-samples.jsonl"), flags, OutputFormat::kCompact);
    lines = lines_of(o.out);
    ASSERT_EQ(lines.size(), 1u) << o.out;
    EXPECT_NE(lines[0].find("/usr/bin/curl"), std::string::npos);
}

TEST(StdinEvents, MalformedLinesAreNumberedCountedAndSkipped) {
    const auto good = lines_of(read_corpus("events.jsonl"));
    ASSERT_GE(good.size(), 2u);
    const std::string input = good[0] + "\n" +         // 1
                              "{not json\n" +          // 2
                              "\n" +                   // 3 blank: ignored
                              "{}\n" +                 // 4 no event
                              good[1] + "\n" +         // 5
                              "{\"process_exec\":7}";  // 6, no final newline
    Output o = run(input, {}, OutputFormat::kJson);
    EXPECT_EQ(o.stats.lines, 5u);
    EXPECT_EQ(o.stats.malformed, 3u);
    EXPECT_EQ(o.stats.printed, 2u);
    EXPECT_EQ(lines_of(o.out).size(), 2u);
    const auto errs = lines_of(o.err);
    ASSERT_EQ(errs.size(), 3u) << "one diagnostic line per bad input line:\n" << o.err;
    EXPECT_NE(errs[0].find("stdin line 2:"), std::string::npos) << errs[0];
    EXPECT_NE(errs[1].find("stdin line 4:"), std::string::npos) << errs[1];
    EXPECT_NE(errs[1].find("no event"), std::string::npos) << errs[1];
    EXPECT_NE(errs[2].find("stdin line 6:"), std::string::npos) << errs[2];
}

TEST(StdinEvents, EventsCompactDoesNotRenderAreSkippedNotErrors) {
    const std::string input =
        "{\"rate_limit_info\":{\"number_of_dropped_process_events\":\"3\"},\"node_name\":\"n\"}\n";
    Output compact = run(input, {}, OutputFormat::kCompact);
    EXPECT_EQ(compact.stats.malformed, 0u);
    EXPECT_EQ(compact.out, "");
    Output json = run(input, {}, OutputFormat::kJson);
    EXPECT_EQ(lines_of(json.out).size(), 1u);
}

}  // namespace
}  // namespace vigil::cli
