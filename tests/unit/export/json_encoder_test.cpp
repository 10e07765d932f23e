// The fast JSON encoder against protobuf's own printer, byte for byte: every
// corpus line, and every message type an event can hold with every field set
// (one event per oneof member), so a field added to the protos is either
// encoded right or fails here. The reference is protobuf's printer over a
// deterministic serialisation (map entries sorted), which is what the
// encoder promises; the two deliberate differences get their own tests.
#include "export/json_encoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>
#include <string>

#include "export/json_codec.h"
#include "test_events.h"

namespace vigil::exporter {
namespace {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

std::string reference_json(const pb::Message& m) {
    static const std::unique_ptr<pb::util::TypeResolver> resolver(
        pb::util::NewTypeResolverForDescriptorPool("type.googleapis.com", pb::DescriptorPool::generated_pool()));
    std::string bin;
    {
        pb::io::StringOutputStream sos(&bin);
        pb::io::CodedOutputStream cos(&sos);
        cos.SetSerializationDeterministic(true);
        EXPECT_TRUE(m.SerializeToCodedStream(&cos));
    }
    pb::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    std::string out;
    auto st = pb::util::BinaryToJsonString(resolver.get(), "type.googleapis.com/" + m.GetDescriptor()->full_name(),
                                           bin, &out, opts);
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
}

std::string fast_json(const pb::Message& m) {
    std::string out = "prefix";  // appends, never overwrites
    EXPECT_TRUE(append_json(m, out)) << m.ShortDebugString();
    EXPECT_EQ(out.rfind("prefix", 0), 0u);
    return out.substr(6);
}

// Fills every field of `m` (recursively, up to `depth`) with varied values:
// strings with characters protobuf escapes, multi-byte UTF-8, enums by name
// and by unnamed number, repeated fields with several elements, maps with
// keys out of order. `oneof_pick` chooses which member of each oneof is set.
class Filler {
public:
    explicit Filler(unsigned seed) : rng_(seed) {}

    void fill(pb::Message& m, int depth, int oneof_pick = -1) {
        const pb::Descriptor* d = m.GetDescriptor();
        const pb::Reflection& r = *m.GetReflection();
        if (d->full_name() == "google.protobuf.Timestamp") {
            r.SetInt64(&m, d->field(0), std::uniform_int_distribution<std::int64_t>(-62135596800, 253402300799)(rng_));
            static constexpr std::int32_t kNanos[] = {0, 5000000, 123000, 7, 999999999};
            r.SetInt32(&m, d->field(1), kNanos[rng_() % 5]);
            return;
        }
        for (int i = 0; i < d->field_count(); ++i) {
            const FD* fd = d->field(i);
            if (const pb::OneofDescriptor* o = fd->real_containing_oneof()) {
                const int want = oneof_pick >= 0 ? oneof_pick % o->field_count() : static_cast<int>(rng_() % o->field_count());
                if (o->field(want) != fd) continue;
            }
            if (fd->cpp_type() == FD::CPPTYPE_MESSAGE && depth <= 0) continue;
            if (fd->is_map()) {
                for (int k = 0; k < 3; ++k) {
                    pb::Message* e = r.AddMessage(&m, fd);
                    const FD* key = fd->message_type()->map_key();
                    set_scalar(*e, key, depth);
                    // A real map has unique keys (reflection would keep duplicates).
                    if (key->cpp_type() == FD::CPPTYPE_STRING) {
                        e->GetReflection()->SetString(e, key, e->GetReflection()->GetString(*e, key) + std::to_string(k));
                    }
                    set_value(*e, fd->message_type()->map_value(), depth);
                }
            } else if (fd->is_repeated()) {
                for (int k = 0; k < 3; ++k) add_value(m, fd, depth);
            } else {
                set_value(m, fd, depth);
            }
        }
    }

private:
    std::string text() {
        static const std::string kPieces[] = {"plain", "a\"q", "back\\slash", "<tag>", "tab\tnl\n", "\x01\x1f",
                                              "\x7f", "caf\xc3\xa9", "\xe2\x80\xa8", "\xef\xbb\xbf", "\xf0\x9f\x98\x80",
                                              "\xc2\x85", "\xf3\xa0\x80\x81", "", " sp ace", "/path/x"};
        return kPieces[rng_() % std::size(kPieces)] + kPieces[rng_() % std::size(kPieces)];
    }
    std::string bytes() {
        std::string b(rng_() % 7, '\0');
        for (auto& c : b) c = static_cast<char>(rng_());
        return b;
    }
    int enum_value(const FD* fd) {
        const pb::EnumDescriptor* e = fd->enum_type();
        if (rng_() % 5 == 0) return 1000 + static_cast<int>(rng_() % 5);  // no name: printed as a number
        return e->value(static_cast<int>(rng_() % e->value_count()))->number();
    }

    void set_scalar(pb::Message& m, const FD* fd, int) {
        const pb::Reflection& r = *m.GetReflection();
        switch (fd->cpp_type()) {
            case FD::CPPTYPE_INT32: r.SetInt32(&m, fd, static_cast<std::int32_t>(rng_())); break;
            case FD::CPPTYPE_UINT32: r.SetUInt32(&m, fd, static_cast<std::uint32_t>(rng_())); break;
            case FD::CPPTYPE_INT64: r.SetInt64(&m, fd, static_cast<std::int64_t>(rng_() >> 1) - (1ll << 62)); break;  // no overflow
            case FD::CPPTYPE_UINT64: r.SetUInt64(&m, fd, rng_()); break;
            case FD::CPPTYPE_BOOL: r.SetBool(&m, fd, rng_() % 2 == 0); break;
            case FD::CPPTYPE_ENUM: r.SetEnumValue(&m, fd, enum_value(fd)); break;
            case FD::CPPTYPE_STRING: r.SetString(&m, fd, fd->type() == FD::TYPE_BYTES ? bytes() : text()); break;
            default: ADD_FAILURE() << "unexpected scalar type in " << fd->full_name();
        }
    }
    void set_value(pb::Message& m, const FD* fd, int depth) {
        if (fd->cpp_type() == FD::CPPTYPE_MESSAGE) {
            fill(*m.GetReflection()->MutableMessage(&m, fd), depth - 1);
        } else {
            set_scalar(m, fd, depth);
        }
    }
    void add_value(pb::Message& m, const FD* fd, int depth) {
        const pb::Reflection& r = *m.GetReflection();
        switch (fd->cpp_type()) {
            case FD::CPPTYPE_INT32: r.AddInt32(&m, fd, static_cast<std::int32_t>(rng_())); break;
            case FD::CPPTYPE_UINT32: r.AddUInt32(&m, fd, static_cast<std::uint32_t>(rng_())); break;
            case FD::CPPTYPE_INT64: r.AddInt64(&m, fd, static_cast<std::int64_t>(rng_())); break;
            case FD::CPPTYPE_UINT64: r.AddUInt64(&m, fd, rng_()); break;
            case FD::CPPTYPE_BOOL: r.AddBool(&m, fd, rng_() % 2 == 0); break;
            case FD::CPPTYPE_ENUM: r.AddEnumValue(&m, fd, enum_value(fd)); break;
            case FD::CPPTYPE_STRING: r.AddString(&m, fd, fd->type() == FD::TYPE_BYTES ? bytes() : text()); break;
            case FD::CPPTYPE_MESSAGE: fill(*r.AddMessage(&m, fd), depth - 1); break;
            default: ADD_FAILURE() << "unexpected repeated type in " << fd->full_name();
        }
    }

    std::mt19937_64 rng_;
};

// Every message type an event can reach, so the test knows the walk is complete.
void reachable(const pb::Descriptor* d, std::set<const pb::Descriptor*>& seen) {
    if (!seen.insert(d).second) return;
    for (int i = 0; i < d->field_count(); ++i) {
        if (d->field(i)->message_type()) reachable(d->field(i)->message_type(), seen);
    }
}

TEST(JsonEncoder, EventsHoldNoTypeLeftToProtobuf) {
    // Float/double fields and these well-known types would send events to the
    // slow printer; none is reachable from GetEventsResponse today.
    std::set<const pb::Descriptor*> seen;
    reachable(tetragon::GetEventsResponse::descriptor(), seen);
    for (const pb::Descriptor* d : seen) {
        for (int i = 0; i < d->field_count(); ++i) {
            const FD* fd = d->field(i);
            EXPECT_NE(fd->cpp_type(), FD::CPPTYPE_FLOAT) << fd->full_name();
            EXPECT_NE(fd->cpp_type(), FD::CPPTYPE_DOUBLE) << fd->full_name();
        }
        for (const char* slow : {"google.protobuf.Any", "google.protobuf.Duration", "google.protobuf.FieldMask",
                                 "google.protobuf.Struct", "google.protobuf.Value"}) {
            EXPECT_NE(d->full_name(), slow);
        }
    }
    EXPECT_GT(seen.size(), 30u);
}

TEST(JsonEncoder, EveryCorpusLineMatchesProtobufByteForByte) {
    for (const auto& line : testing::corpus_lines()) {
        auto ev = parse_json_line(line.text);
        ASSERT_TRUE(ev.ok()) << line.where << ": " << ev.error();
        EXPECT_EQ(fast_json(*ev), reference_json(*ev)) << line.where;
        EXPECT_EQ(to_json_line(*ev), reference_json(*ev)) << line.where;
    }
}

TEST(JsonEncoder, EveryFieldOfEveryEventKindMatchesProtobuf) {
    const pb::OneofDescriptor* event = tetragon::GetEventsResponse::descriptor()->FindOneofByName("event");
    ASSERT_NE(event, nullptr);
    for (int kind = 0; kind < event->field_count(); ++kind) {
        for (unsigned seed = 0; seed < 8; ++seed) {
            tetragon::GetEventsResponse ev;
            Filler(seed * 131 + static_cast<unsigned>(kind)).fill(ev, 8, kind);
            ASSERT_TRUE(ev.GetReflection()->HasField(ev, event->field(kind)));
            EXPECT_EQ(fast_json(ev), reference_json(ev)) << event->field(kind)->name() << " seed " << seed;
        }
    }
}

TEST(JsonEncoder, TimestampsAtTheEdgesOfTheirRange) {
    struct Case {
        std::int64_t seconds;
        std::int32_t nanos;
        const char* want;
    };
    const Case cases[] = {
        {0, 0, "1970-01-01T00:00:00Z"},
        {-1, 0, "1969-12-31T23:59:59Z"},
        {-62135596800, 0, "0001-01-01T00:00:00Z"},
        {253402300799, 999999999, "9999-12-31T23:59:59.999999999Z"},
        {951782400, 1000, "2000-02-29T00:00:00.000001Z"},
        {1666062978, 273000000, "2022-10-18T03:16:18.273Z"},
    };
    for (const auto& c : cases) {
        tetragon::GetEventsResponse ev;
        ev.mutable_time()->set_seconds(c.seconds);
        ev.mutable_time()->set_nanos(c.nanos);
        const std::string want = std::string("{\"time\":\"") + c.want + "\"}";
        EXPECT_EQ(fast_json(ev), want);
        EXPECT_EQ(reference_json(ev), want);
    }
}

TEST(JsonEncoder, LeavesAnInvalidTimestampToProtobuf) {
    tetragon::GetEventsResponse ev;
    ev.set_node_name("n");
    ev.mutable_time()->set_seconds(253402300800);  // year 10000
    std::string out = "keep";
    EXPECT_FALSE(append_json(ev, out));
    EXPECT_EQ(out, "keep") << "a refused message leaves the buffer as it was";
    // The codec still produces one line: protobuf's, or its error object.
    const std::string line = to_json_line(ev);
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(JsonEncoder, MapEntriesAreSortedByKey) {
    tetragon::GetEventsResponse ev;
    auto& labels = *ev.mutable_node_labels();
    for (const char* k : {"zone", "app", "b\"q", "arch"}) labels[k] = "v";
    EXPECT_EQ(fast_json(ev), R"({"node_labels":{"app":"v","arch":"v","b\"q":"v","zone":"v"}})");
}

TEST(JsonEncoder, InvalidUtf8BecomesReplacementCharacters) {
    tetragon::GetEventsResponse ev;
    ev.set_node_name(std::string("a\xff" "b\xc3", 4));
    EXPECT_EQ(fast_json(ev), "{\"node_name\":\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\"}");
}

TEST(JsonEncoder, EmptyMessagesAndZeroWrappersArePrinted) {
    tetragon::GetEventsResponse ev;
    ev.mutable_process_exec()->mutable_process()->mutable_pid()->set_value(0);
    ev.mutable_process_exec()->mutable_parent();
    EXPECT_EQ(fast_json(ev), R"({"process_exec":{"process":{"pid":0},"parent":{}}})");
    EXPECT_EQ(fast_json(ev), reference_json(ev));
}

}  // namespace
}  // namespace vigil::exporter
