// Fuzzes GetEvents filter compilation (exporter::EventFilter::compile):
// regexes, label selectors, pid sets, capability sets and the limits on all
// of them, from a tetragon.GetEventsRequest parsed out of the input; then
// runs matches() over Tetragon's example events, as a stream would.
//
// The input is read as protobuf text format when it parses as such (the
// seeds in fuzz/corpus/event_filter/ are written that way, to be readable),
// else as the binary wire format gRPC carries.
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "export/filters.h"
#include "export/json_codec.h"
#include "tetragon/tetragon.pb.h"

namespace {

std::vector<tetragon::GetEventsResponse> load_events() {
    std::vector<tetragon::GetEventsResponse> out;
    const std::string dir = std::string(VIGIL_SHARED_DIR) + "/corpus/tetragon-events/";
    for (const char* name : {"events.jsonl", "docs-samples.jsonl"}) {
        std::ifstream in(dir + name);
        for (std::string line; std::getline(in, line);) {
            auto ev = vigil::exporter::parse_json_line(line);
            if (ev.ok()) out.push_back(std::move(ev.value()));
        }
    }
    return out;
}

bool parse_request(const std::uint8_t* data, std::size_t size, tetragon::GetEventsRequest& req) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    google::protobuf::TextFormat::Parser parser;
    parser.AllowPartialMessage(true);
    // Text-format errors go to protobuf's log; a fuzzer must stay quiet.
    static google::protobuf::io::ErrorCollector* silent = [] {
        struct Quiet : google::protobuf::io::ErrorCollector {
            void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
        };
        return new Quiet;
    }();
    parser.RecordErrorsTo(silent);
    if (parser.ParseFromString(text, &req)) return true;
    req.Clear();
    return req.ParseFromArray(data, static_cast<int>(size));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Invalid UTF-8 in string fields is logged by protobuf on every parse;
    // the fuzzer's output must stay readable.
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<tetragon::GetEventsResponse> events = load_events();
    if (size > (1u << 16)) return 0;
    tetragon::GetEventsRequest req;
    if (!parse_request(data, size, req)) return 0;

    auto filter = vigil::exporter::EventFilter::compile(req.allow_list(), req.deny_list());
    if (!filter.ok()) {
        if (filter.error().empty()) __builtin_trap();  // an error must say what is wrong
        return 0;
    }
    for (const auto& ev : events) (void)filter->matches(ev);
    return 0;
}
