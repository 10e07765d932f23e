#include "agent/pipeline.h"

#include <algorithm>
#include <memory>
#include <tuple>
#include <type_traits>
#include <variant>

#include "export/event_access.h"
#include "process/exec_id.h"

namespace vigil::agent {

namespace {

exporter::ProcessRef parent_ref(const process::Snapshot& s) {
    return {s.parent.get(), s.parent_refcnt};
}

}  // namespace

void EventCounts::add(const std::string& type, const std::string& ns) {
    std::lock_guard lock(mu_);
    // The key is looked up in a reused scratch string: no allocation per event.
    scratch_.assign(type);
    scratch_ += '\0';
    scratch_ += ns;
    auto it = counts_.find(scratch_);
    if (it == counts_.end()) counts_.emplace(scratch_, 1);
    else ++it->second;
}

std::vector<std::tuple<std::string, std::string, std::uint64_t>> EventCounts::snapshot() const {
    std::lock_guard lock(mu_);
    std::vector<std::tuple<std::string, std::string, std::uint64_t>> out;
    for (const auto& [k, v] : counts_) {
        const auto nul = k.find('\0');
        out.emplace_back(k.substr(0, nul), k.substr(nul + 1), v);
    }
    std::sort(out.begin(), out.end());
    return out;
}

void Pipeline::publish(std::shared_ptr<tetragon::GetEventsResponse> ev) {
    if (hold_ && hold_(ev)) return;  // delivered later
    if (!batching_) {
        deliver(std::move(ev));
        return;
    }
    count(*ev);
    pending_.push_back(std::move(ev));
    if (pending_.size() >= kMaxBatch) flush();
}

void Pipeline::deliver(std::shared_ptr<tetragon::GetEventsResponse> ev) {
    count(*ev);
    hub_.publish(std::move(ev));
}

void Pipeline::flush() {
    if (pending_.empty()) return;
    hub_.publish_batch(pending_);
    pending_.clear();
}

void Pipeline::count(const tetragon::GetEventsResponse& ev) {
    static const std::string kNoNamespace;
    const auto view = exporter::view_of(ev);
    event_counts_.add(tetragon::EventType_Name(view.type),
                      view.process ? view.process->pod().namespace_() : kNoNamespace);
}

void Pipeline::publish_exec(const process::Snapshot& s, std::uint64_t ktime) {
    publish(std::make_shared<tetragon::GetEventsResponse>(
        mapper_.exec_event({s.process.get(), s.refcnt}, parent_ref(s), ktime)));
}

void PolicyEventCounts::add(const std::string& policy, std::string_view hook_kind, const std::string& function,
                            std::string_view action) {
    std::lock_guard lock(mu_);
    // As EventCounts: the key is built in a reused scratch string.
    scratch_.assign(policy);
    scratch_ += '\0';
    scratch_ += hook_kind;
    scratch_ += function;
    scratch_ += '\0';
    scratch_ += action;
    auto it = counts_.find(scratch_);
    if (it == counts_.end()) counts_.emplace(scratch_, 1);
    else ++it->second;
}

std::vector<PolicyEventCounts::Entry> PolicyEventCounts::snapshot() const {
    std::lock_guard lock(mu_);
    std::vector<Entry> out;
    for (const auto& [k, v] : counts_) {
        const auto a = k.find('\0');
        const auto b = k.find('\0', a + 1);
        out.push_back({k.substr(0, a), k.substr(a + 1, b - a - 1), k.substr(b + 1), v});
    }
    std::sort(out.begin(), out.end(), [](const Entry& x, const Entry& y) {
        return std::tie(x.policy, x.hook, x.action) < std::tie(y.policy, y.hook, y.action);
    });
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
                    mapper_.exit_event({snap.process.get(), snap.refcnt}, parent_ref(snap), r)));
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
    if (remote_) {
        for (const auto& a : info->remote_actions_of(ev.selector)) remote_(a);
    }
    static constexpr const char* kActionNames[] = {"Post", "NoPost", "Sigkill", "Signal"};
    policy_events_.add(info->policy_name, "kprobe:", info->function_name,
                       ev.action < 4 ? kActionNames[ev.action] : "Post");
    auto snap = cache_.get(ev.key);
    model::Process stub;
    exporter::ProcessRef proc{&stub, 0};
    exporter::ProcessRef parent{nullptr, 0};
    if (snap) {
        proc = {snap->process.get(), snap->refcnt};
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
