#include "kernel_features.h"

#include <cstdlib>
#include <sstream>

namespace vigil::kt {

std::map<std::string, bool> agent_features(Vigild& agent) {
    std::map<std::string, bool> out;
    auto stub = agent.stub();
    grpc::ClientContext ctx;
    tetragon::GetInfoRequest req;
    tetragon::GetInfoResponse resp;
    auto st = stub->GetInfo(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << "GetInfo: " << st.error_message();
    for (const auto& p : resp.probes()) out[p.name()] = p.enabled().value();
    return out;
}

std::string required_features() {
    const char* v = std::getenv("VIGIL_REQUIRE_FEATURES");
    return v ? v : "";
}

bool has_feature(Vigild& agent, const std::string& name) {
    auto features = agent_features(agent);
    auto it = features.find(name);
    if (it != features.end() && it->second) return true;
    std::stringstream ss(required_features());
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item == name) {
            ADD_FAILURE() << "this kernel must have " << name << " (VIGIL_REQUIRE_FEATURES="
                          << required_features() << ") but vigild's probe says it has not";
        }
    }
    return false;
}

}  // namespace vigil::kt
