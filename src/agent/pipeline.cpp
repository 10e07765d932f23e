#include "agent/pipeline.h"

#include <memory>
#include <type_traits>
#include <variant>

#include "export/event_access.h"
#include "process/exec_id.h"

namespace vigil::agent {

namespace {

exporter::ProcessRef parent_ref(const process::Snapshot& s) {
    return {s.parent ? &*s.parent : nullptr, s.parent_refcnt};
}

}  // namespace

void EventCounts::add(const std::string& type, const std::string& ns) {
    std::lock_guard lock(mu_);
    ++counts_[{type, ns}];
}

std::vector<std::tuple<std::string, std::string, std::uint64_t>> EventCounts::snapshot() const {
    std::lock_guard lock(mu_);
    std::vector<std::tuple<std::string, std::string, std::uint64_t>> out;
    for (const auto& [k, v] : counts_) out.emplace_back(k.first, k.second, v);
    return out;
}

void Pipeline::publish(std::shared_ptr<tetragon::GetEventsResponse> ev) {
    const auto view = exporter::view_of(*ev);
    event_counts_.add(tetragon::EventType_Name(view.type),
                      view.process ? view.process->pod().namespace_() : std::string());
    hub_.publish(std::move(ev));
}

void Pipeline::publish_exec(const process::Snapshot& s, std::uint64_t ktime) {
    publish(std::make_shared<tetragon::GetEventsResponse>(
        mapper_.exec_event({&s.process, s.refcnt}, parent_ref(s), ktime)));
}

void PolicyEventCounts::add(const std::string& policy, const std::string& hook,
                            const std::string& action) {
    std::lock_guard lock(mu_);
    ++counts_[{policy, hook, action}];
}

std::vector<PolicyEventCounts::Entry> PolicyEventCounts::snapshot() const {
    std::lock_guard lock(mu_);
    std::vector<Entry> out;
    for (const auto& [k, v] : counts_) out.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), v});
    return out;
}

void Pipeline::on_record(const std::uint8_t* data, std::size_t size) {
    stats_.records.fetch_add(1, std::memory_order_relaxed);
    auto rec = decoder_.decode(data, size);
    if (!rec) return;
    std::visit(
        [this](auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, ingest::ExecRecord>) {
                auto snap = cache_.on_exec(std::move(r.process), r.cleanup);
                ++stats_.exec_events;
                publish_exec(snap, r.ktime);
            } else if constexpr (std::is_same_v<T, ingest::ForkRecord>) {
                cache_.on_fork(r.child, r.parent, r.tid, r.ktime);
                ++stats_.forks;
            } else if constexpr (std::is_same_v<T, model::HookEvent>) {
                on_hook(r);
            } else {
                auto snap = cache_.on_exit(r);
                ++stats_.exit_events;
                publish(std::make_shared<tetragon::GetEventsResponse>(
                    mapper_.exit_event({&snap.process, snap.refcnt}, parent_ref(snap), r)));
            }
        },
        *rec);
}

void Pipeline::on_hook(const model::HookEvent& ev) {
    auto info = hooks_.get(ev.hook_id);
    if (!info) {
        ++stats_.hook_events_unknown_id;
        return;
    }
    ++stats_.hook_events;
    static constexpr const char* kActionNames[] = {"Post", "NoPost", "Sigkill", "Signal"};
    policy_events_.add(info->policy_name, "kprobe:" + info->function_name,
                       ev.action < 4 ? kActionNames[ev.action] : "Post");
    auto snap = cache_.get(ev.key);
    model::Process stub;
    exporter::ProcessRef proc{&stub, 0};
    exporter::ProcessRef parent{nullptr, 0};
    if (snap) {
        proc = {&snap->process, snap->refcnt};
        parent = parent_ref(*snap);
    } else {
        // Not cached (evicted, or its exec was lost): what the record says.
        stub.pid = ev.key.pid;
        stub.tid = ev.tid;
        stub.start_ktime = ev.key.ktime;
        stub.flags = model::kFlagUnknown;
        stub.exec_id = process::make_exec_id(mapper_.options().node_name, ev.key.ktime, ev.key.pid);
    }
    publish(std::make_shared<tetragon::GetEventsResponse>(
        exporter::hook_event(mapper_, proc, parent, *info, ev)));
}

void Pipeline::add_procfs(std::vector<model::Process> procs) {
    for (auto& p : procs) {
        std::uint64_t ktime = p.start_ktime;
        auto snap = cache_.add_procfs(std::move(p));
        ++stats_.procfs_events;
        publish_exec(snap, ktime);
    }
}

}  // namespace vigil::agent
