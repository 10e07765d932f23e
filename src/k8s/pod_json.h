// Pod objects (Kubernetes JSON, v1.Pod) to PodInfo. Pure: a malformed object
// is an error naming the field, never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "k8s/pod_info.h"

namespace vigil::k8s {

// metadata.uid, namespace and name are required; everything else is
// optional. Containers come from the *ContainerStatuses (they carry the
// runtime id), joined by name with the spec (privileged, probes).
Result<PodInfo> pod_from_json(const nlohmann::json& pod);

// metadata.labels of any object (a Node, for node_labels).
Result<Labels> labels_from_json(const nlohmann::json& object);

// RFC 3339 as Kubernetes writes times ("2024-05-01T10:20:30Z", optional
// fraction, "Z" or "+hh:mm") -> Unix ns; nullopt if malformed.
std::optional<std::int64_t> parse_rfc3339_ns(std::string_view text);

}  // namespace vigil::k8s
