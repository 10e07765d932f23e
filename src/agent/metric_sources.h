// Fills metrics::AgentSources from the agent's components. Every callback
// runs on a metrics HTTP thread and reads only atomics or takes short locks.
#pragma once

#include <atomic>

#include "agent/k8s_pods.h"
#include "agent/pipeline.h"
#include "agent/policy_manager.h"
#include "agent/remote_actions.h"
#include "export/file_exporter.h"
#include "export/grpc_server.h"
#include "export/hub.h"
#include "metrics/agent_metrics.h"
#include "probe/base_sensor.h"
#include "process/process_cache.h"

namespace vigil::agent {

struct MetricInputs {
    const Pipeline& pipeline;
    const probe::BaseSensor& sensor;
    const exporter::Hub& hub;
    const exporter::FileExporter* file;  // null without --export-filename
    const process::ProcessCache& cache;
    const PolicyManager& policies;
    // Set once the gRPC server runs; null before.
    const std::atomic<const exporter::GrpcServer*>& grpc;
    const K8sPods* pods;  // null without --enable-k8s-api
    const RemoteActions& remote;
};

metrics::AgentSources make_metric_sources(const MetricInputs& in);

}  // namespace vigil::agent
