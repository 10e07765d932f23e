#include "export/json_codec.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

#include "test_events.h"

namespace vigil::exporter {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing::corpus_lines;

// A JSON document as a protobuf Struct, so two encodings compare as trees,
// whatever their key order and whitespace.
google::protobuf::Struct json_tree(const std::string& json) {
    google::protobuf::Struct s;
    auto st = google::protobuf::util::JsonStringToMessage(json, &s);
    EXPECT_TRUE(st.ok()) << st.message() << " in: " << json;
    return s;
}

TEST(JsonCodec, EveryCorpusLineParses) {
    const auto lines = corpus_lines();
    ASSERT_GE(lines.size(), 30u);
    for (const auto& line : lines) {
        auto ev = parse_json_line(line.text);
        ASSERT_TRUE(ev.ok()) << line.where << ": " << ev.error();
        EXPECT_NE(ev->event_case(), tetragon::GetEventsResponse::EVENT_NOT_SET) << line.where;
        EXPECT_FALSE(ev->node_name().empty()) << line.where;
    }
}

TEST(JsonCodec, EveryCorpusLineRoundTrips) {
    for (const auto& line : corpus_lines()) {
        auto ev = parse_json_line(line.text);
        ASSERT_TRUE(ev.ok()) << line.where << ": " << ev.error();
        const std::string encoded = to_json_line(*ev);
        EXPECT_EQ(encoded.find('\n'), std::string::npos) << line.where;
        auto again = parse_json_line(encoded);
        ASSERT_TRUE(again.ok()) << line.where << ": " << again.error() << "\n" << encoded;
        std::string diff;
        MessageDifferencer differ;
        differ.ReportDifferencesToString(&diff);
        EXPECT_TRUE(differ.Compare(*ev, *again)) << line.where << ":\n" << diff;
    }
}

// Tetragon's own export lines carry only fields our schema knows, so our
// encoding of them must be the same JSON document (as a tree).
TEST(JsonCodec, ReencodedTetragonExportIsTheSameDocument) {
    for (const auto& line : corpus_lines()) {
        if (line.where.rfind("events.jsonl", 0) != 0) continue;
        auto ev = parse_json_line(line.text);
        ASSERT_TRUE(ev.ok()) << line.where << ": " << ev.error();
        std::string diff;
        MessageDifferencer differ;
        differ.ReportDifferencesToString(&diff);
        EXPECT_TRUE(differ.Compare(json_tree(line.text), json_tree(to_json_line(*ev)))) << line.where << ":\n"
                                                                                      << diff;
    }
}

TEST(JsonCodec, EncodingFollowsTetragonConventions) {
    auto ev = testing::kprobe_event(testing::make_process("/usr/bin/cat", "/etc/passwd", 42), "security_file_permission",
                                    "node-1");
    auto* k = ev.mutable_process_kprobe();
    k->add_args()->set_size_arg(18446744073709551615ull);
    k->add_args()->set_long_arg(-5);
    k->add_args()->set_int_arg(7);
    k->add_args()->set_bytes_arg(std::string("\x00\x01\xff", 3));
    k->set_action(tetragon::KPROBE_ACTION_POST);
    k->mutable_process()->set_refcnt(0);  // default: must not appear
    ev.mutable_time()->set_seconds(1666062978);
    ev.mutable_time()->set_nanos(273546829);

    const std::string json = to_json_line(ev);
    EXPECT_NE(json.find("\"process_kprobe\":"), std::string::npos) << json;
    EXPECT_NE(json.find("\"function_name\":\"security_file_permission\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"node_name\":\"node-1\""), std::string::npos) << json;
    EXPECT_EQ(json.find("functionName"), std::string::npos) << "camelCase leaked: " << json;
    // 64-bit integers are strings, 32-bit ones numbers.
    EXPECT_NE(json.find("{\"size_arg\":\"18446744073709551615\"}"), std::string::npos) << json;
    EXPECT_NE(json.find("{\"long_arg\":\"-5\"}"), std::string::npos) << json;
    EXPECT_NE(json.find("{\"int_arg\":7}"), std::string::npos) << json;
    EXPECT_NE(json.find("{\"bytes_arg\":\"AAH/\"}"), std::string::npos) << json;
    EXPECT_NE(json.find("\"action\":\"KPROBE_ACTION_POST\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"pid\":42"), std::string::npos) << json;
    EXPECT_NE(json.find("\"time\":\"2022-10-18T03:16:18.273546829Z\""), std::string::npos) << json;
    // Defaults are omitted.
    EXPECT_EQ(json.find("refcnt"), std::string::npos) << json;
    EXPECT_EQ(json.find("\"cwd\""), std::string::npos) << json;
    EXPECT_EQ(json.find("policy_name"), std::string::npos) << json;
    EXPECT_EQ(json.find(' '), std::string::npos) << "no whitespace expected: " << json;
}

TEST(JsonCodec, TimestampsUseRfc3339InUtc) {
    tetragon::GetEventsResponse ev;
    ev.mutable_test();
    ev.mutable_time()->set_seconds(0);
    ev.mutable_time()->set_nanos(500000000);
    EXPECT_NE(to_json_line(ev).find("\"time\":\"1970-01-01T00:00:00.500Z\""), std::string::npos) << to_json_line(ev);
}

TEST(JsonCodec, ParseAcceptsLineEndingsAndUnknownFields) {
    const std::string base = R"({"process_exec":{"process":{"binary":"/bin/true"}},"node_name":"n","future_field":{"x":1}})";
    for (const std::string& text : {base, base + "\n", base + "\r\n"}) {
        auto ev = parse_json_line(text);
        ASSERT_TRUE(ev.ok()) << ev.error();
        EXPECT_EQ(ev->process_exec().process().binary(), "/bin/true");
        EXPECT_EQ(ev->node_name(), "n");
    }
}

TEST(JsonCodec, ParseErrorsNameTheProblem) {
    auto empty = parse_json_line("\n");
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().find("empty line"), std::string::npos) << empty.error();

    auto broken = parse_json_line(R"({"process_exec":)");
    ASSERT_FALSE(broken.ok());
    EXPECT_EQ(broken.error().rfind("parse_json_line: ", 0), 0u) << broken.error();

    auto wrong_type = parse_json_line(R"({"process_exec":{"process":{"pid":"not a number"}}})");
    ASSERT_FALSE(wrong_type.ok());
    EXPECT_NE(wrong_type.error().find("pid"), std::string::npos) << wrong_type.error();
}

// Whatever protobuf does with invalid UTF-8, the line must stay one JSON object.
TEST(JsonCodec, InvalidUtf8StillGivesOneJsonObject) {
    auto ev = testing::exec_event(testing::make_process(std::string("/tmp/\xff\xfe", 7)));
    const std::string json = to_json_line(ev);
    EXPECT_EQ(json.find('\n'), std::string::npos);
    google::protobuf::Struct s;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok()) << json;
}

}  // namespace
}  // namespace vigil::exporter
