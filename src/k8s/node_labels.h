// The labels of one Node, read with a GET of /api/v1/nodes/<name> (RBAC:
// get on nodes). Used by the pod cache (node_labels on every event) and by
// the TracingPolicy watch (nodeSelector).
#pragma once

#include <string>

#include "common/result.h"
#include "k8s/http_client.h"
#include "k8s/pod_info.h"

namespace vigil::k8s {

// Errors name the request and say what went wrong (transport, HTTP status
// with the Status message, malformed Node).
Result<Labels> fetch_node_labels(HttpClient& client, const std::string& node_name, const HttpLimits& limits);

}  // namespace vigil::k8s
