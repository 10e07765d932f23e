// Fuzzes the Kubernetes JSON decoding of src/k8s/: arbitrary bytes as an API
// server body (a Pod, a watch event {type, object}, or a list {items}),
// decoded like list_watcher.cpp does (nlohmann, no exceptions) and handed
// to pod_from_json / labels_from_json; and as an RFC 3339 timestamp.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "k8s/pod_json.h"

namespace {

void decode_object(const nlohmann::json& j) {
    auto pod = vigil::k8s::pod_from_json(j);
    if (pod.ok()) {
        // Required by pod_from_json's contract.
        if (pod->uid.empty() || pod->name.empty()) __builtin_trap();
    } else if (pod.error().empty()) {
        __builtin_trap();
    }
    (void)vigil::k8s::labels_from_json(j);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)vigil::k8s::parse_rfc3339_ns(text);

    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return 0;
    decode_object(j);
    if (j.is_object()) {
        if (auto it = j.find("object"); it != j.end()) decode_object(*it);
        if (auto it = j.find("items"); it != j.end() && it->is_array()) {
            for (const auto& item : *it) decode_object(item);
        }
    }
    return 0;
}
