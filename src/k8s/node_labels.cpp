#include "k8s/node_labels.h"

#include <nlohmann/json.hpp>

#include "k8s/list_watcher.h"
#include "k8s/pod_json.h"

namespace vigil::k8s {

Result<Labels> fetch_node_labels(HttpClient& client, const std::string& node_name, const HttpLimits& limits) {
    const std::string target = "/api/v1/nodes/" + url_encode(node_name);
    auto resp = client.get(target, limits);
    if (!resp) return make_error(resp.error());
    if (resp->status != 200) return make_error("GET " + target + ": " + describe_http_error(resp->status, resp->body));
    auto node = nlohmann::json::parse(resp->body, nullptr, false);
    auto parsed = node.is_discarded() ? Result<Labels>(make_error("not JSON")) : labels_from_json(node);
    if (!parsed) return make_error("GET " + target + ": malformed Node: " + parsed.error());
    return std::move(parsed).value();
}

}  // namespace vigil::k8s
