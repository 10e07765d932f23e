// How the proto mapping learns a process's container and pod without
// depending on the Kubernetes client: the agent implements this.
#pragma once

#include <map>
#include <string>

#include "model/pod.h"
#include "model/process.h"

namespace vigil::exporter {

class PodResolver {
public:
    virtual ~PodResolver() = default;
    // Called on the ring-buffer thread for every process put in an event.
    virtual model::ProcessK8s resolve(const model::Process& p) const = 0;
    // Labels of this node (GetEventsResponse.node_labels); empty if unknown.
    virtual std::map<std::string, std::string> node_labels() const = 0;
};

}  // namespace vigil::exporter
