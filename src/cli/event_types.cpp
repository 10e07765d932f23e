#include "cli/event_types.h"

#include <cctype>

namespace vigil::cli {

Result<tetragon::EventType> parse_event_type(std::string_view name) {
    std::string upper(name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    tetragon::EventType type = tetragon::UNDEF;
    if (upper.empty() || !tetragon::EventType_Parse(upper, &type) || type == tetragon::UNDEF) {
        return make_error("unknown event type \"" + std::string(name) +
                          "\" (valid: " + event_type_names() + ")");
    }
    return type;
}

std::string event_type_names() {
    const auto* desc = tetragon::EventType_descriptor();
    std::string out;
    for (int i = 0; i < desc->value_count(); ++i) {
        const auto* v = desc->value(i);
        if (v->number() == tetragon::UNDEF) continue;
        std::string lower(v->name());
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!out.empty()) out += ", ";
        out += lower;
    }
    return out;
}

}  // namespace vigil::cli
