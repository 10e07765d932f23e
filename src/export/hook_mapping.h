// Hook events (model::HookEvent) -> Tetragon's ProcessKprobe, with the
// argument shapes Tetragon uses for each policy argument type.
#pragma once

#include <string>
#include <vector>

#include "export/proto_mapping.h"
#include "model/hook.h"
#include "tetragon/tetragon.pb.h"

namespace vigil::exporter {

struct HookArgInfo {
    std::string type;   // the policy's type name: "int", "fd", "char_buf", "sockaddr", ...
    std::string label;  // the policy's label, copied into the event
};

// What the agent knows about a hook id: where it came from and how to show it.
struct HookInfo {
    std::string policy_name;
    std::string function_name;  // "__x64_sys_write"
    std::string message;
    std::vector<std::string> tags;
    std::vector<HookArgInfo> args;  // same order as the captured arguments
    std::string return_type;        // returnArg type; empty when not a return hook
    tetragon::KprobeAction action = tetragon::KPROBE_ACTION_POST;
};

tetragon::GetEventsResponse kprobe_event(const ProtoMapper& mapper, const ProcessRef& proc,
                                         const ProcessRef& parent, const HookInfo& info,
                                         const model::HookEvent& ev);

// One captured argument as Tetragon shows a value of `type`.
tetragon::KprobeArgument to_kprobe_argument(const model::HookArgValue& v, const HookArgInfo& info);

// struct sockaddr bytes -> {family, addr, port}; AF_UNIX gives the path as addr.
tetragon::KprobeSockaddr decode_sockaddr(const std::string& bytes);

}  // namespace vigil::exporter
