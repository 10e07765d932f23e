#include "export/json_encoder.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

namespace vigil::exporter {
namespace {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

// ---------------------------------------------------------------------------
// Plans: what to do for each field of a message type, worked out once.

enum class MessageKind {
    kRegular,
    kTimestamp,
    kWrapper,      // google.protobuf.*Value: rendered as the bare value
    kUnsupported,  // left to protobuf's printer (Any, Duration, Struct, ...)
};

struct EnumPlan {
    int min = 0;
    std::vector<std::string> quoted;  // index number - min -> "\"NAME\"", empty when unnamed
    std::unordered_map<int, std::string> sparse;  // instead, for enums of bit values
};

struct MessagePlan;

struct FieldPlan {
    const FD* fd = nullptr;
    std::string key;                        // "\"name\":"
    const MessagePlan* message = nullptr;  // message fields, map values
    const EnumPlan* enumeration = nullptr;  // enum fields, map values
    bool is_map = false;
    const FD* map_key = nullptr;
    const FD* map_value = nullptr;
};

struct MessagePlan {
    MessageKind kind = MessageKind::kRegular;
    std::vector<FieldPlan> fields;  // by field number: the order protobuf prints in
    const FD* wrapped = nullptr;    // kWrapper: the "value" field
};

bool is_float(const FD* fd) {
    return fd->cpp_type() == FD::CPPTYPE_FLOAT || fd->cpp_type() == FD::CPPTYPE_DOUBLE;
}

class PlanCache {
public:
    const MessagePlan* plan(const pb::Descriptor* d) {
        if (d == last_descriptor_) return last_plan_;
        const MessagePlan* p = build(d);
        last_descriptor_ = d;
        last_plan_ = p;
        return p;
    }

private:
    const EnumPlan* enum_plan(const pb::EnumDescriptor* e) {
        auto& slot = enums_[e];
        if (slot) return slot.get();
        slot = std::make_unique<EnumPlan>();
        int lo = 0, hi = 0;
        for (int i = 0; i < e->value_count(); ++i) {
            const int n = e->value(i)->number();
            lo = i == 0 ? n : std::min(lo, n);
            hi = i == 0 ? n : std::max(hi, n);
        }
        // Most of Tetragon's enums are small and dense: a table. Bit-flag
        // enums (TaintedBitsType) are sparse: a hash map.
        if (static_cast<long>(hi) - lo > 1024) {
            for (int i = e->value_count() - 1; i >= 0; --i) {
                slot->sparse[e->value(i)->number()] = "\"" + e->value(i)->name() + "\"";
            }
            return slot.get();
        }
        slot->min = lo;
        slot->quoted.resize(static_cast<std::size_t>(hi - lo + 1));
        // The first value declared with a number wins, as FindValueByNumber does.
        for (int i = e->value_count() - 1; i >= 0; --i) {
            const int n = e->value(i)->number();
            if (n < lo || n > hi) continue;
            slot->quoted[static_cast<std::size_t>(n - lo)] = "\"" + e->value(i)->name() + "\"";
        }
        return slot.get();
    }

    const MessagePlan* build(const pb::Descriptor* d) {
        auto& slot = messages_[d];
        if (slot) return slot.get();
        slot = std::make_unique<MessagePlan>();
        MessagePlan* p = slot.get();  // stays valid: cycles find it in messages_
        const std::string& name = d->full_name();
        if (name == "google.protobuf.Timestamp") {
            p->kind = MessageKind::kTimestamp;
            return p;
        }
        if (d->file()->name() == "google/protobuf/wrappers.proto") {
            p->wrapped = d->FindFieldByNumber(1);
            p->kind = p->wrapped && !is_float(p->wrapped) ? MessageKind::kWrapper : MessageKind::kUnsupported;
            return p;
        }
        if (name.rfind("google.protobuf.", 0) == 0 && name != "google.protobuf.Empty") {
            p->kind = MessageKind::kUnsupported;
            return p;
        }
        for (int i = 0; i < d->field_count(); ++i) {
            const FD* fd = d->field(i);
            FieldPlan f;
            f.fd = fd;
            f.key = "\"" + fd->name() + "\":";
            if (fd->is_map()) {
                f.is_map = true;
                f.map_key = fd->message_type()->map_key();
                f.map_value = fd->message_type()->map_value();
                if (f.map_value->cpp_type() == FD::CPPTYPE_MESSAGE) f.message = build(f.map_value->message_type());
                if (f.map_value->cpp_type() == FD::CPPTYPE_ENUM) f.enumeration = enum_plan(f.map_value->enum_type());
            } else if (fd->cpp_type() == FD::CPPTYPE_MESSAGE) {
                f.message = build(fd->message_type());
            } else if (fd->cpp_type() == FD::CPPTYPE_ENUM) {
                f.enumeration = enum_plan(fd->enum_type());
            }
            p->fields.push_back(std::move(f));
        }
        std::sort(p->fields.begin(), p->fields.end(),
                  [](const FieldPlan& a, const FieldPlan& b) { return a.fd->number() < b.fd->number(); });
        return p;
    }

    std::unordered_map<const pb::Descriptor*, std::unique_ptr<MessagePlan>> messages_;
    std::unordered_map<const pb::EnumDescriptor*, std::unique_ptr<EnumPlan>> enums_;
    const pb::Descriptor* last_descriptor_ = nullptr;
    const MessagePlan* last_plan_ = nullptr;
};

// ---------------------------------------------------------------------------
// Scalars.

template <typename T>
void append_int(std::string& out, T v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
}

template <typename T>
void append_quoted_int(std::string& out, T v) {
    out += '"';
    append_int(out, v);
    out += '"';
}

// protobuf's JSON escaping (util/internal/json_escaping.cc): the JSON-required
// escapes, '<' and '>' for HTML, C1 controls and a set of invisible or
// format characters as \uXXXX; everything else is copied as UTF-8.
constexpr char kHex[] = "0123456789abcdef";

void append_u16_escape(std::string& out, std::uint32_t u) {
    char buf[6] = {'\\', 'u', kHex[(u >> 12) & 0xf], kHex[(u >> 8) & 0xf], kHex[(u >> 4) & 0xf], kHex[u & 0xf]};
    out.append(buf, 6);
}

bool needs_escape(std::uint32_t cp) {
    if (cp < 0x20 || cp == '"' || cp == '\\' || cp == '<' || cp == '>') return true;
    if (cp >= 0x7f && cp < 0xa0) return true;
    switch (cp) {
        case 0xfeff: case 0xfff9: case 0xfffa: case 0xfffb: case 0x00ad:
        case 0x06dd: case 0x070f: case 0x17b4: case 0x17b5: case 0xe0001:
            return true;
        default:
            break;
    }
    return (cp >= 0x0600 && cp <= 0x0603) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f) ||
           (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0020 && cp <= 0xe007f);
}

void append_escaped_cp(std::string& out, std::uint32_t cp) {
    switch (cp) {
        case '"': out += "\\\""; return;
        case '\\': out += "\\\\"; return;
        case '\b': out += "\\b"; return;
        case '\t': out += "\\t"; return;
        case '\n': out += "\\n"; return;
        case '\f': out += "\\f"; return;
        case '\r': out += "\\r"; return;
        default: break;
    }
    if (cp >= 0x10000) {  // as a surrogate pair
        const std::uint32_t v = cp - 0x10000;
        append_u16_escape(out, 0xd800 + (v >> 10));
        append_u16_escape(out, 0xdc00 + (v & 0x3ff));
        return;
    }
    append_u16_escape(out, cp);
}

// Decodes one UTF-8 sequence at s[i]; returns its length, 0 if invalid.
std::size_t utf8_at(std::string_view s, std::size_t i, std::uint32_t& cp) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) len = 2, min = 0x80, cp = c & 0x1f;
    else if ((c & 0xF0) == 0xE0) len = 3, min = 0x800, cp = c & 0x0f;
    else if ((c & 0xF8) == 0xF0) len = 4, min = 0x10000, cp = c & 0x07;
    else return 0;
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

void append_string(std::string& out, std::string_view s) {
    out += '"';
    std::size_t run = 0;  // start of the bytes copied as they are
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>') {
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t len = utf8_at(s, i, cp);
        if (len != 0 && !needs_escape(cp)) {
            i += len;
            continue;
        }
        out.append(s.data() + run, i - run);
        if (len == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
            i += 1;
        } else {
            append_escaped_cp(out, cp);
            i += len;
        }
        run = i;
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

void append_base64(std::string& out, std::string_view s) {
    static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out += '"';
    std::size_t i = 0;
    for (; i + 3 <= s.size(); i += 3) {
        const std::uint32_t v = (static_cast<unsigned char>(s[i]) << 16) |
                                (static_cast<unsigned char>(s[i + 1]) << 8) | static_cast<unsigned char>(s[i + 2]);
        const char q[4] = {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
        out.append(q, 4);
    }
    if (const std::size_t rest = s.size() - i; rest > 0) {
        std::uint32_t v = static_cast<unsigned char>(s[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(s[i + 1]) << 8;
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += rest == 2 ? kB64[(v >> 6) & 63] : '=';
        out += '=';
    }
    out += '"';
}

void append_enum(std::string& out, const EnumPlan& e, int v) {
    if (!e.sparse.empty()) {
        auto it = e.sparse.find(v);
        if (it != e.sparse.end()) out += it->second;
        else append_int(out, v);
        return;
    }
    const long idx = static_cast<long>(v) - e.min;
    if (idx >= 0 && static_cast<std::size_t>(idx) < e.quoted.size() && !e.quoted[idx].empty()) {
        out += e.quoted[static_cast<std::size_t>(idx)];
    } else {
        append_int(out, v);  // a number without a name prints as the number
    }
}

// Days since 1970-01-01 -> civil date (H. Hinnant's algorithm).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
}

void append_digits(std::string& out, std::uint64_t v, int width) {
    char buf[20];
    for (int i = width - 1; i >= 0; --i) {
        buf[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    out.append(buf, static_cast<std::size_t>(width));
}

// "1970-01-01T00:00:00[.mmm|.uuuuuu|.nnnnnnnnn]Z", as protobuf's FormatTime.
bool append_timestamp(std::string& out, std::int64_t seconds, std::int32_t nanos) {
    constexpr std::int64_t kMin = -62135596800;  // 0001-01-01T00:00:00Z
    constexpr std::int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
    if (seconds < kMin || seconds > kMax || nanos < 0 || nanos > 999999999) return false;
    std::int64_t days = seconds / 86400;
    std::int64_t rem = seconds % 86400;
    if (rem < 0) rem += 86400, --days;
    std::int64_t y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(days, y, m, d);
    out += '"';
    append_digits(out, static_cast<std::uint64_t>(y), 4);
    out += '-';
    append_digits(out, m, 2);
    out += '-';
    append_digits(out, d, 2);
    out += 'T';
    append_digits(out, static_cast<std::uint64_t>(rem / 3600), 2);
    out += ':';
    append_digits(out, static_cast<std::uint64_t>(rem / 60 % 60), 2);
    out += ':';
    append_digits(out, static_cast<std::uint64_t>(rem % 60), 2);
    if (nanos != 0) {
        out += '.';
        if (nanos % 1000000 == 0) append_digits(out, static_cast<std::uint64_t>(nanos / 1000000), 3);
        else if (nanos % 1000 == 0) append_digits(out, static_cast<std::uint64_t>(nanos / 1000), 6);
        else append_digits(out, static_cast<std::uint64_t>(nanos), 9);
    }
    out += "Z\"";
    return true;
}

// ---------------------------------------------------------------------------
// The walk.

class Encoder {
public:
    explicit Encoder(std::string& out) : out_(out) {}

    bool message(const pb::Message& m, const MessagePlan& plan) {
        switch (plan.kind) {
            case MessageKind::kUnsupported: return false;
            case MessageKind::kTimestamp: return timestamp(m);
            case MessageKind::kWrapper: return singular(m, *m.GetReflection(), plan.wrapped, nullptr, nullptr);
            case MessageKind::kRegular: break;
        }
        const pb::Reflection& r = *m.GetReflection();
        out_ += '{';
        bool first = true;
        for (const FieldPlan& f : plan.fields) {
            if (f.fd->is_repeated()) {
                if (r.FieldSize(m, f.fd) == 0) continue;
            } else if (!r.HasField(m, f.fd)) {
                continue;
            }
            if (!first) out_ += ',';
            first = false;
            out_ += f.key;
            if (f.is_map) {
                if (!map(m, r, f)) return false;
            } else if (f.fd->is_repeated()) {
                if (!repeated(m, r, f)) return false;
            } else if (!singular(m, r, f.fd, f.message, f.enumeration)) {
                return false;
            }
        }
        out_ += '}';
        return true;
    }

private:
    bool timestamp(const pb::Message& m) {
        const pb::Descriptor* d = m.GetDescriptor();
        const pb::Reflection& r = *m.GetReflection();
        return append_timestamp(out_, r.GetInt64(m, d->field(0)), r.GetInt32(m, d->field(1)));
    }

    bool singular(const pb::Message& m, const pb::Reflection& r, const FD* fd, const MessagePlan* sub,
                  const EnumPlan* en) {
        switch (fd->cpp_type()) {
            case FD::CPPTYPE_INT32: append_int(out_, r.GetInt32(m, fd)); return true;
            case FD::CPPTYPE_UINT32: append_int(out_, r.GetUInt32(m, fd)); return true;
            case FD::CPPTYPE_INT64: append_quoted_int(out_, r.GetInt64(m, fd)); return true;
            case FD::CPPTYPE_UINT64: append_quoted_int(out_, r.GetUInt64(m, fd)); return true;
            case FD::CPPTYPE_BOOL: out_ += r.GetBool(m, fd) ? "true" : "false"; return true;
            case FD::CPPTYPE_ENUM: append_enum(out_, *en, r.GetEnumValue(m, fd)); return true;
            case FD::CPPTYPE_STRING: {
                std::string scratch;
                const std::string& s = r.GetStringReference(m, fd, &scratch);
                if (fd->type() == FD::TYPE_BYTES) append_base64(out_, s);
                else append_string(out_, s);
                return true;
            }
            case FD::CPPTYPE_MESSAGE: return message(r.GetMessage(m, fd), *sub);
            case FD::CPPTYPE_FLOAT:
            case FD::CPPTYPE_DOUBLE: return false;
        }
        return false;
    }

    bool repeated(const pb::Message& m, const pb::Reflection& r, const FieldPlan& f) {
        const FD* fd = f.fd;
        const int n = r.FieldSize(m, fd);
        out_ += '[';
        for (int i = 0; i < n; ++i) {
            if (i > 0) out_ += ',';
            switch (fd->cpp_type()) {
                case FD::CPPTYPE_INT32: append_int(out_, r.GetRepeatedInt32(m, fd, i)); break;
                case FD::CPPTYPE_UINT32: append_int(out_, r.GetRepeatedUInt32(m, fd, i)); break;
                case FD::CPPTYPE_INT64: append_quoted_int(out_, r.GetRepeatedInt64(m, fd, i)); break;
                case FD::CPPTYPE_UINT64: append_quoted_int(out_, r.GetRepeatedUInt64(m, fd, i)); break;
                case FD::CPPTYPE_BOOL: out_ += r.GetRepeatedBool(m, fd, i) ? "true" : "false"; break;
                case FD::CPPTYPE_ENUM: append_enum(out_, *f.enumeration, r.GetRepeatedEnumValue(m, fd, i)); break;
                case FD::CPPTYPE_STRING: {
                    std::string scratch;
                    const std::string& s = r.GetRepeatedStringReference(m, fd, i, &scratch);
                    if (fd->type() == FD::TYPE_BYTES) append_base64(out_, s);
                    else append_string(out_, s);
                    break;
                }
                case FD::CPPTYPE_MESSAGE:
                    if (!message(r.GetRepeatedMessage(m, fd, i), *f.message)) return false;
                    break;
                case FD::CPPTYPE_FLOAT:
                case FD::CPPTYPE_DOUBLE: return false;
            }
        }
        out_ += ']';
        return true;
    }

    // A map key as its JSON object key: always a string.
    void map_key(const pb::Message& entry, const FD* fd) {
        const pb::Reflection& r = *entry.GetReflection();
        switch (fd->cpp_type()) {
            case FD::CPPTYPE_STRING: {
                std::string scratch;
                append_string(out_, r.GetStringReference(entry, fd, &scratch));
                break;
            }
            case FD::CPPTYPE_INT32: append_quoted_int(out_, r.GetInt32(entry, fd)); break;
            case FD::CPPTYPE_UINT32: append_quoted_int(out_, r.GetUInt32(entry, fd)); break;
            case FD::CPPTYPE_INT64: append_quoted_int(out_, r.GetInt64(entry, fd)); break;
            case FD::CPPTYPE_UINT64: append_quoted_int(out_, r.GetUInt64(entry, fd)); break;
            case FD::CPPTYPE_BOOL: out_ += r.GetBool(entry, fd) ? "\"true\"" : "\"false\""; break;
            default: out_ += "\"\""; break;  // protobuf allows no other key types
        }
    }

    bool map(const pb::Message& m, const pb::Reflection& r, const FieldPlan& f) {
        const int n = r.FieldSize(m, f.fd);
        // Sorted by key so the line is the same on every run (see the header):
        // strings by bytes, numbers by value, false before true.
        std::vector<const pb::Message*> entries;
        entries.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) entries.push_back(&r.GetRepeatedMessage(m, f.fd, i));
        const FD* k = f.map_key;
        std::sort(entries.begin(), entries.end(), [k](const pb::Message* a, const pb::Message* b) {
            const pb::Reflection& ra = *a->GetReflection();
            const pb::Reflection& rb = *b->GetReflection();
            switch (k->cpp_type()) {
                case FD::CPPTYPE_INT32: return ra.GetInt32(*a, k) < rb.GetInt32(*b, k);
                case FD::CPPTYPE_UINT32: return ra.GetUInt32(*a, k) < rb.GetUInt32(*b, k);
                case FD::CPPTYPE_INT64: return ra.GetInt64(*a, k) < rb.GetInt64(*b, k);
                case FD::CPPTYPE_UINT64: return ra.GetUInt64(*a, k) < rb.GetUInt64(*b, k);
                case FD::CPPTYPE_BOOL: return ra.GetBool(*a, k) < rb.GetBool(*b, k);
                default: {
                    std::string sa, sb;
                    return ra.GetStringReference(*a, k, &sa) < rb.GetStringReference(*b, k, &sb);
                }
            }
        });
        out_ += '{';
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i > 0) out_ += ',';
            const pb::Message& e = *entries[i];
            map_key(e, k);
            out_ += ':';
            if (!singular(e, *e.GetReflection(), f.map_value, f.message, f.enumeration)) return false;
        }
        out_ += '}';
        return true;
    }

    std::string& out_;
};

}  // namespace

bool append_json(const google::protobuf::Message& msg, std::string& out) {
    // One cache per thread: plans are built once per type and thread, and the
    // sinks' threads never wait on each other for them.
    thread_local PlanCache cache;
    const std::size_t mark = out.size();
    const MessagePlan* plan = cache.plan(msg.GetDescriptor());
    if (plan->kind != MessageKind::kRegular || !Encoder(out).message(msg, *plan)) {
        out.resize(mark);
        return false;
    }
    return true;
}

}  // namespace vigil::exporter
