// Hook events (model::HookEvent) -> Tetragon's ProcessKprobe, ProcessTracepoint,
// ProcessUprobe or ProcessLsm (by HookInfo::kind), with the argument shapes
// Tetragon uses for each policy argument type.
#pragma once

#include <string>
#include <vector>

#include "export/proto_mapping.h"
#include "model/hook.h"
#include "tetragon/tetragon.pb.h"

namespace vigil::exporter {

using HookArgInfo = model::HookArgInfo;
using HookInfo = model::HookInfo;

tetragon::GetEventsResponse hook_event(const ProtoMapper& mapper, const ProcessRef& proc,
                                       const ProcessRef& parent, const HookInfo& info,
                                       const model::HookEvent& ev);

// One captured argument as Tetragon shows a value of `type`.
tetragon::KprobeArgument to_kprobe_argument(const model::HookArgValue& v, const HookArgInfo& info);

// struct sockaddr bytes -> {family, addr, port}; AF_UNIX gives the path as addr.
tetragon::KprobeSockaddr decode_sockaddr(const std::string& bytes);

}  // namespace vigil::exporter
