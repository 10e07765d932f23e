// BaseSensor: writing a hook's compiled selectors into the BPF maps
// (vigil_selectors, the string-set maps, follow sets) and removing them.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstring>
#include <string>

#include "probe/base_sensor.h"
#include "vigil.skel.h"
#include "vigil/abi.h"

namespace vigil::probe {

namespace {

__u8 op_code(model::SelOp op) {
    switch (op) {
        case model::SelOp::kNone: return VIGIL_OP_NONE;
        case model::SelOp::kEq: return VIGIL_OP_EQ;
        case model::SelOp::kNeq: return VIGIL_OP_NEQ;
        case model::SelOp::kPrefix: return VIGIL_OP_PREFIX;
        case model::SelOp::kNotPrefix: return VIGIL_OP_NOTPREFIX;
        case model::SelOp::kPostfix: return VIGIL_OP_POSTFIX;
        case model::SelOp::kNotPostfix: return VIGIL_OP_NOTPOSTFIX;
        case model::SelOp::kGt: return VIGIL_OP_GT;
        case model::SelOp::kLt: return VIGIL_OP_LT;
        case model::SelOp::kMask: return VIGIL_OP_MASK;
        case model::SelOp::kAddr: return VIGIL_OP_ADDR;
        case model::SelOp::kNotAddr: return VIGIL_OP_NOTADDR;
        case model::SelOp::kPort: return VIGIL_OP_PORT;
        case model::SelOp::kNotPort: return VIGIL_OP_NOTPORT;
        case model::SelOp::kFamily: return VIGIL_OP_FAMILY;
        case model::SelOp::kInMap: return VIGIL_OP_INMAP;
        case model::SelOp::kNotInMap: return VIGIL_OP_NOTINMAP;
    }
    return VIGIL_OP_NONE;
}

__u32 action_code(model::ActionKind k) {
    switch (k) {
        case model::ActionKind::kPost: return VIGIL_ACT_POST;
        case model::ActionKind::kNoPost: return VIGIL_ACT_NOPOST;
        case model::ActionKind::kSigkill: return VIGIL_ACT_SIGKILL;
        case model::ActionKind::kSignal: return VIGIL_ACT_SIGNAL;
        case model::ActionKind::kOverride: return VIGIL_ACT_OVERRIDE;
    }
    return VIGIL_ACT_POST;
}

// HookState::follow_slots holds matchPIDs follow slots as they are, and
// followChildren slots (vigil_bin_follow_sets) with this tag added.
constexpr std::uint32_t kBinFollowTag = 0x10000;

// procfs names of the namespace kinds, in model::NsKind order.
constexpr const char* kNsNames[] = {"uts", "ipc", "mnt", "pid", "pid_for_children",
                                    "net", "time", "time_for_children", "cgroup", "user"};

// host_ns: the namespace of the host's init (vigild runs with the host's
// pid namespace in a cluster; on a plain host it is vigild's own), falling
// back to vigild's own when /proc/1 is out of reach.
Result<std::uint32_t> host_ns_inode(model::NsKind kind) {
    const char* name = kNsNames[static_cast<std::size_t>(kind) % std::size(kNsNames)];
    struct stat st {};
    for (const std::string dir : {"/proc/1/ns/", "/proc/self/ns/"}) {
        if (::stat((dir + name).c_str(), &st) == 0) return static_cast<std::uint32_t>(st.st_ino);
    }
    return make_error(std::string("host_ns: cannot read /proc/1/ns/") + name + " or /proc/self/ns/" + name +
                      ": " + std::strerror(errno));
}

__u8 positive(__u8 op) {
    switch (op) {
        case VIGIL_OP_NEQ: return VIGIL_OP_EQ;
        case VIGIL_OP_NOTPREFIX: return VIGIL_OP_PREFIX;
        case VIGIL_OP_NOTPOSTFIX: return VIGIL_OP_POSTFIX;
        default: return op;
    }
}

template <typename T>
std::vector<std::uint8_t> bytes_of(const T& v) {
    std::vector<std::uint8_t> out(sizeof(T));
    std::memcpy(out.data(), &v, sizeof(T));
    return out;
}

}  // namespace

Status BaseSensor::write_selectors(std::uint32_t hook_id, const model::HookSelectors& sel,
                                   HookState& st) {
    if (sel.selectors.size() > VIGIL_SELECTORS_MAX) {
        return make_error("at most " + std::to_string(VIGIL_SELECTORS_MAX) + " selectors per hook");
    }
    // Set ids for this hook's string sets, then their values.
    std::vector<__u32> set_ids;
    for (const auto& set : sel.sets) {
        __u32 id = next_set_id_++;
        set_ids.push_back(id);
        for (const auto& v : set.values) {
            if (v.size() > VIGIL_STR_MAX) {
                return make_error("string value of " + std::to_string(v.size()) +
                                  " bytes is longer than the kernel compares (" +
                                  std::to_string(VIGIL_STR_MAX) + ")");
            }
            __u8 one = 1;
            int fd;
            std::vector<std::uint8_t> key;
            if (set.kind == model::StringSetKind::kCidr) {
                const bool v6 = !v.empty() && v[0] == 6;
                const std::size_t alen = v6 ? 16 : 4;
                if (v.size() != 2 + alen) return make_error("malformed CIDR value in a selector set");
                vigil_lpm_key k{};
                k.set_id = htonl(v6 ? (id | VIGIL_SET_V6) : id);
                k.prefixlen = 32 + static_cast<std::uint8_t>(v[1]);
                std::memcpy(k.data, v.data() + 2, alen);
                fd = bpf_map__fd(skel_->maps.vigil_str_prefix);
                key = bytes_of(k);
            } else if (set.kind == model::StringSetKind::kExact) {
                vigil_str_key k{};
                k.set_id = id;
                k.len = static_cast<__u32>(v.size());
                std::memcpy(k.data, v.data(), v.size());
                fd = bpf_map__fd(skel_->maps.vigil_str_eq);
                key = bytes_of(k);
            } else {
                vigil_lpm_key k{};
                k.set_id = htonl(id);
                k.prefixlen = static_cast<__u32>(32 + 8 * v.size());
                std::string data = v;
                if (set.kind == model::StringSetKind::kPostfix) std::reverse(data.begin(), data.end());
                std::memcpy(k.data, data.data(), data.size());
                fd = bpf_map__fd(set.kind == model::StringSetKind::kPrefix ? skel_->maps.vigil_str_prefix
                                                                           : skel_->maps.vigil_str_postfix);
                key = bytes_of(k);
            }
            if (bpf_map_update_elem(fd, key.data(), &one, BPF_ANY) != 0) {
                return make_error(std::string("adding a selector string value failed: ") +
                                  std::strerror(errno) + " (the string-set maps hold 16384 values)");
            }
            st.set_keys.emplace_back(fd, std::move(key));
        }
    }
    auto set_of = [&](int idx) -> __u32 {
        return idx >= 0 && static_cast<std::size_t>(idx) < set_ids.size() ? set_ids[idx] : 0;
    };
    for (std::size_t i = 0; i < sel.selectors.size(); ++i) {
        const auto& cs = sel.selectors[i];
        const std::string where = "selectors[" + std::to_string(i) + "]";
        vigil_selector out{};
        if (cs.args.size() > VIGIL_SEL_ARGS_MAX) {
            return make_error(where + ": at most " + std::to_string(VIGIL_SEL_ARGS_MAX) + " matchArgs");
        }
        if (cs.actions.size() > VIGIL_SEL_ACTIONS_MAX) {
            return make_error(where + ": at most " + std::to_string(VIGIL_SEL_ACTIONS_MAX) + " actions");
        }
        out.nargs = static_cast<__u32>(cs.args.size());
        for (std::size_t a = 0; a < cs.args.size(); ++a) {
            const auto& f = cs.args[a];
            if (f.ranges.size() > VIGIL_SEL_RANGES_MAX) {
                return make_error(where + ".matchArgs[" + std::to_string(a) + "]: at most " +
                                  std::to_string(VIGIL_SEL_RANGES_MAX) + " integer values");
            }
            out.args[a].op = op_code(f.op);
            out.args[a].pos = f.pos;
            out.args[a].is_signed = f.is_signed ? 1 : 0;
            out.args[a].nranges = static_cast<__u8>(f.ranges.size());
            out.args[a].set_id = set_of(f.set);
            for (std::size_t r = 0; r < f.ranges.size(); ++r) {
                out.args[a].ranges[r].min = f.ranges[r].min;
                out.args[a].ranges[r].max = f.ranges[r].max;
            }
        }
        if (cs.pids.size() > VIGIL_SEL_PID_ENTRIES) {
            return make_error(where + ": at most " + std::to_string(VIGIL_SEL_PID_ENTRIES) + " matchPIDs entries");
        }
        for (std::size_t e = 0; e < cs.pids.size(); ++e) {
            const auto& pf = cs.pids[e];
            auto& op = out.pids[e];
            const std::string pwhere = where + ".matchPIDs[" + std::to_string(e) + "]";
            if (pf.pids.size() > VIGIL_SEL_PIDS_MAX) {
                return make_error(pwhere + ": at most " + std::to_string(VIGIL_SEL_PIDS_MAX) + " values");
            }
            op.op = op_code(pf.op);
            op.flags = (pf.ns_pid ? VIGIL_PIDS_F_NSPID : 0) | (pf.follow_forks ? VIGIL_PIDS_F_FOLLOW : 0);
            op.nvals = static_cast<__u8>(pf.pids.size());
            std::copy(pf.pids.begin(), pf.pids.end(), op.vals);
            if (pf.follow_forks) {
                auto free_slot = std::find(follow_slot_used_.begin(), follow_slot_used_.end(), false);
                if (free_slot == follow_slot_used_.end()) {
                    return make_error(pwhere + ": too many followForks pid sets (at most " +
                                      std::to_string(VIGIL_FOLLOW_SETS_MAX) + ")");
                }
                __u32 slot = static_cast<__u32>(free_slot - follow_slot_used_.begin());
                vigil_follow_set fs{};
                fs.set_id = next_set_id_++;
                fs.flags = pf.ns_pid ? VIGIL_PIDS_F_NSPID : 0;
                fs.nvals = op.nvals;
                std::copy(pf.pids.begin(), pf.pids.end(), fs.vals);
                if (bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_follow_sets), &slot, &fs, BPF_ANY)) {
                    return make_error(pwhere + ": writing the follow set failed: " + std::strerror(errno));
                }
                *free_slot = true;
                st.follow_slots.push_back(slot);
                op.follow_set = fs.set_id;
            }
        }
        for (auto [filter, bins, what] :
             {std::tuple{&cs.binaries, &out.bins, ".matchBinaries"},
              std::tuple{&cs.parent_binaries, &out.parent_bins, ".matchParentBinaries"}}) {
            if (filter->op == model::SelOp::kNone) continue;
            bins->op = op_code(filter->op);
            bins->set_id = set_of(filter->set);
            if (filter->follow_children) {
                auto slot = add_bin_follow_set(bins->set_id, positive(bins->op), st);
                if (!slot) return make_error(where + what + ": " + slot.error());
                bins->flags = VIGIL_BINS_F_FOLLOW;
                bins->follow_slot = static_cast<__u8>(slot.value());
            }
        }
        if (cs.namespaces.size() > VIGIL_SEL_NS_MAX) {
            return make_error(where + ".matchNamespaces: at most " + std::to_string(VIGIL_SEL_NS_MAX) + " entries");
        }
        out.nns = static_cast<__u32>(cs.namespaces.size());
        for (std::size_t n = 0; n < cs.namespaces.size(); ++n) {
            const auto& f = cs.namespaces[n];
            const std::string np = where + ".matchNamespaces[" + std::to_string(n) + "]";
            if (f.values.size() > VIGIL_SEL_NS_VALS_MAX) {
                return make_error(np + ": at most " + std::to_string(VIGIL_SEL_NS_VALS_MAX) + " values");
            }
            out.ns[n].op = op_code(f.op);
            out.ns[n].slot = static_cast<__u8>(f.kind);
            out.ns[n].nvals = static_cast<__u8>(f.values.size());
            for (std::size_t v = 0; v < f.values.size(); ++v) {
                if (f.values[v].host_ns) {
                    auto ino = host_ns_inode(f.kind);
                    if (!ino) return make_error(np + ": " + ino.error());
                    out.ns[n].vals[v] = ino.value();
                } else {
                    out.ns[n].vals[v] = f.values[v].inode;
                }
            }
        }
        if (cs.caps.size() > VIGIL_SEL_CAPS_MAX) {
            return make_error(where + ": at most " + std::to_string(VIGIL_SEL_CAPS_MAX) +
                              " matchCapabilities and matchCapabilityChanges entries");
        }
        out.ncaps = static_cast<__u8>(cs.caps.size());
        for (std::size_t n = 0; n < cs.caps.size(); ++n) {
            const auto& f = cs.caps[n];
            out.caps[n].op = op_code(f.op);
            out.caps[n].set = static_cast<__u8>(f.set);
            out.caps[n].flags = static_cast<__u8>((f.changes ? VIGIL_CAPS_F_CHANGES : 0) |
                                                  (f.namespace_only ? VIGIL_CAPS_F_NS_ONLY : 0));
            out.caps[n].mask = f.mask;
            if (f.namespace_only) {
                auto ino = host_ns_inode(model::NsKind::kUser);
                if (!ino) return make_error(where + ": isNamespaceCapability: " + ino.error());
                out.caps[n].host_userns = ino.value();
            }
        }
        out.nschg_op = op_code(cs.ns_changes.op);
        out.nschg_mask = cs.ns_changes.mask;
        out.rate_ms = cs.rate_limit_ms;
        out.rate_scope = cs.rate_scope == model::RateScope::kProcess  ? VIGIL_RATE_PROCESS
                         : cs.rate_scope == model::RateScope::kGlobal ? VIGIL_RATE_GLOBAL
                                                                      : VIGIL_RATE_THREAD;
        out.nactions = static_cast<__u32>(cs.actions.size());
        for (std::size_t a = 0; a < cs.actions.size(); ++a) {
            out.actions[a].kind = action_code(cs.actions[a].kind);
            out.actions[a].arg = cs.actions[a].arg;
        }
        __u32 key = hook_id * VIGIL_SELECTORS_MAX + static_cast<__u32>(i);
        if (bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_selectors), &key, &out, BPF_ANY)) {
            return make_error(where + ": writing it failed: " + std::strerror(errno));
        }
    }
    reset_selector_counters(hook_id);
    return {};
}

Result<std::uint32_t> BaseSensor::add_bin_follow_set(std::uint32_t set_id, std::uint8_t op, HookState& st) {
    // The map is the record of which slots are taken (set_id != 0).
    int fd = bpf_map__fd(skel_->maps.vigil_bin_follow_sets);
    for (__u32 slot = 0; slot < VIGIL_BIN_FOLLOW_MAX; ++slot) {
        vigil_bin_follow_set cur{};
        if (bpf_map_lookup_elem(fd, &slot, &cur) != 0 || cur.set_id != 0) continue;
        vigil_bin_follow_set fs{};
        fs.set_id = set_id;
        fs.op = op;
        if (bpf_map_update_elem(fd, &slot, &fs, BPF_ANY) != 0) {
            return make_error(std::string("writing the followChildren set failed: ") + std::strerror(errno));
        }
        st.follow_slots.push_back(slot | kBinFollowTag);
        return slot;
    }
    return make_error("too many followChildren binary sets (at most " + std::to_string(VIGIL_BIN_FOLLOW_MAX) +
                      " across all policies)");
}

void BaseSensor::reset_selector_counters(std::uint32_t hook_id) {
    int ncpu = libbpf_num_possible_cpus();
    std::vector<std::uint64_t> zeros(ncpu > 0 ? static_cast<std::size_t>(ncpu) : 1, 0);
    int fd = bpf_map__fd(skel_->maps.vigil_sel_stats);
    for (__u32 k = 0; k < VIGIL_SELECTORS_MAX * VIGIL_SEL_STAT_SLOTS; ++k) {
        __u32 key = hook_id * VIGIL_SELECTORS_MAX * VIGIL_SEL_STAT_SLOTS + k;
        bpf_map_update_elem(fd, &key, zeros.data(), BPF_ANY);
    }
}

std::vector<SelectorCounters> BaseSensor::selector_counters(std::uint32_t hook_id) const {
    std::vector<SelectorCounters> out(VIGIL_SELECTORS_MAX);
    int ncpu = libbpf_num_possible_cpus();
    if (!skel_ || hook_id >= kMaxHooks || ncpu <= 0) return {};
    std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
    int fd = bpf_map__fd(skel_->maps.vigil_sel_stats);
    for (__u32 i = 0; i < VIGIL_SELECTORS_MAX; ++i) {
        for (__u32 slot = 0; slot < VIGIL_SEL_STAT_SLOTS; ++slot) {
            __u32 key = (hook_id * VIGIL_SELECTORS_MAX + i) * VIGIL_SEL_STAT_SLOTS + slot;
            if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) continue;
            std::uint64_t sum = 0;
            for (auto v : per_cpu) sum += v;
            (slot == VIGIL_SEL_STAT_MATCHED ? out[i].matched : out[i].rate_limited) = sum;
        }
    }
    return out;
}

void BaseSensor::clear_hook_maps(std::uint32_t hook_id, HookState& st) {
    for (auto& [fd, key] : st.set_keys) bpf_map_delete_elem(fd, key.data());
    st.set_keys.clear();
    vigil_follow_set empty_set{};
    vigil_bin_follow_set empty_bins{};
    for (auto slot : st.follow_slots) {
        if (slot & kBinFollowTag) {
            __u32 s = slot & ~kBinFollowTag;
            bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_bin_follow_sets), &s, &empty_bins, BPF_ANY);
            continue;
        }
        bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_follow_sets), &slot, &empty_set, BPF_ANY);
        follow_slot_used_[slot] = false;
    }
    st.follow_slots.clear();
    vigil_selector empty{};
    for (__u32 i = 0; i < VIGIL_SELECTORS_MAX; ++i) {
        __u32 key = hook_id * VIGIL_SELECTORS_MAX + i;
        bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_selectors), &key, &empty, BPF_ANY);
    }
    vigil_hook_config cfg{};
    __u32 key = hook_id;
    bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_hooks), &key, &cfg, BPF_ANY);
}

void BaseSensor::set_process_binary(std::uint32_t tgid, const std::string& path) {
    if (!skel_) return;
    vigil_bin bin{};
    bin.len = static_cast<__u32>(std::min<std::size_t>(path.size(), VIGIL_STR_MAX));
    std::memcpy(bin.path, path.data(), bin.len);
    bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_bins), &tgid, &bin, BPF_NOEXIST);
}

void BaseSensor::set_process_creds(std::uint32_t tgid, const model::Capabilities& caps,
                                   const model::Namespaces& ns) {
    if (!skel_) return;
    vigil_creds c{};
    c.caps[VIGIL_CAPS_EFFECTIVE] = caps.effective;
    c.caps[VIGIL_CAPS_INHERITABLE] = caps.inheritable;
    c.caps[VIGIL_CAPS_PERMITTED] = caps.permitted;
    static_assert(std::tuple_size_v<model::Namespaces> == VIGIL_NS_COUNT, "namespace slots");
    for (std::size_t i = 0; i < ns.size(); ++i) c.ns[i] = ns[i];
    // NOEXIST: an exec or fork since the scan wrote a fresher baseline.
    bpf_map_update_elem(bpf_map__fd(skel_->maps.vigil_creds), &tgid, &c, BPF_NOEXIST);
}

}  // namespace vigil::probe
