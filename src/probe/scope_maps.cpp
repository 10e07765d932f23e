// BaseSensor's in-kernel scoping: which scope each hook belongs to (the
// scope_id of its vigil_hooks entry) and the (scope, cgroup) pairs of map
// vigil_scope_cgroups that hook__in_scope checks (bpf/lib/hook.h).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "model/scope.h"
#include "probe/base_sensor.h"
#include "vigil.skel.h"
#include "vigil/abi.h"

namespace vigil::probe {

static_assert(model::kAllPodsScopeId == VIGIL_SCOPE_ALL_PODS, "abi.h and model/scope.h disagree");
static_assert(model::kHostCgroupMarker == VIGIL_SCOPE_HOST_CGROUP, "abi.h and model/scope.h disagree");

std::uint32_t BaseSensor::hook_scope(std::uint32_t hook_id) const {
    std::lock_guard lock(scope_mu_);
    auto it = hook_scopes_.find(hook_id);
    return it == hook_scopes_.end() ? 0 : it->second;
}

Status BaseSensor::set_hook_scope(std::uint32_t hook_id, std::uint32_t scope_id) {
    if (hook_id >= kMaxHooks) return make_error("scope of hook " + std::to_string(hook_id) + ": hook id out of range");
    std::lock_guard hooks_lock(hooks_mu_);
    {
        std::lock_guard lock(scope_mu_);
        if (scope_id == 0) hook_scopes_.erase(hook_id);
        else hook_scopes_[hook_id] = scope_id;
    }
    if (!skel_ || !hooks_.count(hook_id)) return {};
    int fd = bpf_map__fd(skel_->maps.vigil_hooks);
    __u32 key = hook_id;
    vigil_hook_config cfg{};
    if (bpf_map_lookup_elem(fd, &key, &cfg) != 0) {
        return make_error("scope of hook " + std::to_string(hook_id) + ": reading its entry failed: " +
                          std::strerror(errno));
    }
    cfg.scope_id = scope_id;
    // Programs copy the whole entry when they start, so a call sees the old
    // scope or the new one, never a torn entry.
    if (bpf_map_update_elem(fd, &key, &cfg, BPF_EXIST) != 0) {
        return make_error("scope of hook " + std::to_string(hook_id) + ": writing its entry failed: " +
                          std::strerror(errno));
    }
    return {};
}

Status BaseSensor::replace_scope_cgroups(std::uint32_t scope_id, const std::set<std::uint64_t>& cgroup_ids) {
    const std::string what = "scope " + std::to_string(scope_id);
    if (scope_id == 0) return make_error(what + ": 0 is not a scope id");
    std::lock_guard lock(scope_mu_);
    if (!skel_) return make_error(what + ": the sensor is closed");
    int fd = bpf_map__fd(skel_->maps.vigil_scope_cgroups);
    std::set<std::uint64_t>& have = scope_cgroups_[scope_id];
    const __u8 one = 1;
    for (auto id : cgroup_ids) {
        if (have.count(id)) continue;
        vigil_scope_key k{scope_id, 0, id};
        if (bpf_map_update_elem(fd, &k, &one, BPF_ANY) != 0) {
            return make_error(what + ": adding cgroup " + std::to_string(id) + " failed: " + std::strerror(errno) +
                              (errno == E2BIG || errno == ENOMEM
                                   ? " (at most " + std::to_string(VIGIL_SCOPE_CGROUPS_MAX) + " pairs over all scopes)"
                                   : ""));
        }
        have.insert(id);
    }
    for (auto it = have.begin(); it != have.end();) {
        if (cgroup_ids.count(*it)) {
            ++it;
            continue;
        }
        vigil_scope_key k{scope_id, 0, *it};
        bpf_map_delete_elem(fd, &k);  // ENOENT is fine: gone is what we want
        it = have.erase(it);
    }
    if (have.empty()) scope_cgroups_.erase(scope_id);
    return {};
}

std::set<std::uint64_t> BaseSensor::scope_cgroups(std::uint32_t scope_id) const {
    std::lock_guard lock(scope_mu_);
    auto it = scope_cgroups_.find(scope_id);
    return it == scope_cgroups_.end() ? std::set<std::uint64_t>{} : it->second;
}

}  // namespace vigil::probe
