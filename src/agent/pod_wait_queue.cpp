#include "agent/pod_wait_queue.h"

#include "export/event_access.h"

namespace vigil::agent {

namespace {

// The event's process and parent messages, writable. The queue owns held
// events exclusively (nobody else has seen them yet), so dropping the const
// view_of puts on them is safe.
std::pair<tetragon::Process*, tetragon::Process*> processes_of(tetragon::GetEventsResponse& ev) {
    auto v = exporter::view_of(ev);
    return {const_cast<tetragon::Process*>(v.process), const_cast<tetragon::Process*>(v.parent)};
}

bool waits_for_pod(const tetragon::Process* p) { return p != nullptr && !p->docker().empty() && !p->has_pod(); }

}  // namespace

PodWaitQueue::PodWaitQueue(const exporter::PodResolver& inner, const exporter::ProtoMapper& mapper,
                           PodSource source, Deliver deliver, PodWaitOptions options)
    : inner_(inner), mapper_(mapper), source_(std::move(source)), deliver_(std::move(deliver)), options_(options) {}

model::ProcessK8s PodWaitQueue::resolve(const model::Process& p) const {
    model::ProcessK8s k = inner_.resolve(p);
    if (!k.docker.empty() && !k.has_pod && !p.exec_id.empty()) missed_.insert_or_assign(p.exec_id, p);
    return k;
}

bool PodWaitQueue::refresh_live(Clock::time_point now) {
    if (now >= next_live_check_) {
        live_ = source_.live ? source_.live() : true;
        next_live_check_ = now + options_.live_check_interval;
    }
    return live_;
}

bool PodWaitQueue::hold(Event& ev, Clock::time_point now) {
    auto [proc, parent] = processes_of(*ev);
    const bool missing = waits_for_pod(proc);
    const bool queued_behind = proc != nullptr && !proc->docker().empty() && !held_.empty() &&
                               held_by_container_.count(proc->docker()) > 0;
    if (!missing && !queued_behind) {
        missed_.clear();
        return false;
    }
    if (missing && !queued_behind && !refresh_live(now)) {
        // The pod cache is not watching: nothing will arrive in time.
        missed_.clear();
        stat_misses_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    if (held_.empty()) seen_generation_ = source_.generation ? source_.generation() : 0;
    Held h;
    h.ev = std::move(ev);
    h.container = proc->docker();
    h.deadline = now + options_.max_wait;
    h.needs_pod = missing;
    auto take = [this](const tetragon::Process* p) -> std::optional<model::Process> {
        if (p == nullptr) return std::nullopt;
        auto it = missed_.find(p->exec_id());
        if (it == missed_.end()) return std::nullopt;
        std::optional<model::Process> out(std::move(it->second));
        missed_.erase(it);
        return out;
    };
    h.process = take(proc);
    h.parent = take(parent);
    missed_.clear();
    if (held_.size() >= options_.max_held) {
        // Full: the oldest goes on now (with its pod if known by now).
        Held& oldest = held_.front();
        stat_overflow_.fetch_add(1, std::memory_order_relaxed);
        release(oldest, enrich(oldest));
        held_.pop_front();
    }
    ++held_by_container_[h.container];
    held_.push_back(std::move(h));
    stat_held_.fetch_add(1, std::memory_order_relaxed);
    stat_waiting_.store(held_.size(), std::memory_order_relaxed);
    return true;
}

bool PodWaitQueue::enrich(Held& h) const {
    auto [proc, parent] = processes_of(*h.ev);
    auto fill = [this](const std::optional<model::Process>& model, tetragon::Process* out) {
        if (!model || out == nullptr || out->has_pod()) return;
        tetragon::Process fresh;
        mapper_.fill_process({&*model, 0}, &fresh);
        if (fresh.has_pod()) *out->mutable_pod() = fresh.pod();
    };
    fill(h.process, proc);
    fill(h.parent, parent);
    missed_.clear();  // fill_process resolved through this queue again
    return proc != nullptr && proc->has_pod();
}

void PodWaitQueue::release(Held& h, bool enriched) {
    if (h.needs_pod) {
        if (enriched) {
            stat_enriched_.fetch_add(1, std::memory_order_relaxed);
        } else {
            stat_misses_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    auto it = held_by_container_.find(h.container);
    if (it != held_by_container_.end() && --it->second == 0) held_by_container_.erase(it);
    deliver_(std::move(h.ev));
}

void PodWaitQueue::retry(Clock::time_point now, bool source_changed) {
    // In order; a container whose earliest event still waits blocks its later ones.
    std::map<std::string, bool> blocked;
    std::deque<Held> keep;
    while (!held_.empty()) {
        Held h = std::move(held_.front());
        held_.pop_front();
        const bool expired = now >= h.deadline;
        bool has_pod = !h.needs_pod;
        // An expired one gets a last try: its pod may have come between its
        // mapping and the generation the queue last saw.
        if (h.needs_pod && (source_changed || expired)) has_pod = enrich(h);
        if (!blocked[h.container] && (has_pod || expired)) {
            release(h, has_pod);
            continue;
        }
        if (has_pod && h.needs_pod) {
            stat_enriched_.fetch_add(1, std::memory_order_relaxed);
            h.needs_pod = false;  // only its order keeps it now
        }
        blocked[h.container] = true;
        keep.push_back(std::move(h));
    }
    held_ = std::move(keep);
    // release() only decrements; rebuild the counts of what is still held.
    held_by_container_.clear();
    for (const auto& h : held_) ++held_by_container_[h.container];
}

void PodWaitQueue::tick(Clock::time_point now) {
    if (held_.empty()) return;
    const std::uint64_t gen = source_.generation ? source_.generation() : 0;
    const bool changed = gen != seen_generation_;
    seen_generation_ = gen;
    const bool any_expired = held_.front().deadline <= now;  // deadlines grow along the queue
    if (changed || any_expired) retry(now, changed);
    stat_waiting_.store(held_.size(), std::memory_order_relaxed);
}

void PodWaitQueue::flush() {
    while (!held_.empty()) {
        Held h = std::move(held_.front());
        held_.pop_front();
        bool has_pod = !h.needs_pod || enrich(h);
        release(h, has_pod);
    }
    held_by_container_.clear();
    stat_waiting_.store(0, std::memory_order_relaxed);
}

PodWaitStats PodWaitQueue::stats() const {
    PodWaitStats s;
    s.held = stat_held_.load(std::memory_order_relaxed);
    s.enriched = stat_enriched_.load(std::memory_order_relaxed);
    s.misses = stat_misses_.load(std::memory_order_relaxed);
    s.overflow = stat_overflow_.load(std::memory_order_relaxed);
    s.waiting = stat_waiting_.load(std::memory_order_relaxed);
    return s;
}

}  // namespace vigil::agent
