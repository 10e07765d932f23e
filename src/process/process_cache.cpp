#include "process/process_cache.h"

#include <algorithm>
#include <utility>

#include "process/exec_id.h"

namespace vigil::process {

ProcessCache::ProcessCache(std::string node_name, std::size_t capacity)
    : node_(std::move(node_name)), capacity_(std::max(capacity, kMinCapacity)) {
    // The kernel is every orphan's parent (init, kthreadd); Tetragon's /proc
    // walk emits it as a synthetic process. It is permanent.
    model::Process kernel;
    kernel.key = kKernelKey;
    kernel.start_ktime = kKernelKey.ktime;
    kernel.binary = "<kernel>";
    kernel.flags = model::kFlagProcFS;
    fill_ids(kernel);
    Entry& e = entries_[kKernelKey];
    e.process = std::make_shared<const model::Process>(std::move(kernel));
    e.refcnt = 1;
    e.pinned = true;
    e.self_held = true;
}

Snapshot ProcessCache::on_exec(model::Process p, const model::ProcessKey& cleanup) {
    std::lock_guard lock(mu_);
    if (Entry* dup = lookup(p.key)) {
        // A replayed record: counts were already taken for this image.
        touch(*dup);
        return snapshot_of(*dup);
    }
    fill_ids(p);
    const model::ProcessKey key = p.key;
    const model::ProcessKey parent = p.parent_key;
    Entry& e = insert(std::move(p), parent);
    link_parent(e);
    // The previous image of this pid (clone placeholder or earlier exec) is
    // replaced: drop its own reference and its hold on its parent. When it is
    // the new image's parent, the reference link_parent just took keeps it.
    if (cleanup.ktime != 0 && !(cleanup == key)) {
        if (Entry* old = lookup(cleanup)) {
            release_self(*old);
            release_parent(*old);
        }
    }
    return snapshot_of(e);
}

void ProcessCache::on_fork(const model::ProcessKey& child, const model::ProcessKey& parent,
                           std::uint32_t tid, std::uint64_t ktime) {
    std::lock_guard lock(mu_);
    if (lookup(child) != nullptr) return;  // replayed record
    model::Process p;
    if (const Entry* pe = lookup(parent)) {
        p = *pe->process;  // same image: binary, args, cwd, creds, ns, cgroup
    } else {
        ++misses_;
    }
    p.key = child;
    p.parent_key = parent;
    p.pid = child.pid;
    p.tid = tid;
    p.ppid = parent.pid;
    p.nspid = 0;
    p.start_ktime = ktime;
    p.flags = model::kFlagClone;
    fill_ids(p);
    Entry& e = insert(std::move(p), parent);
    link_parent(e);
}

Snapshot ProcessCache::on_exit(const model::ExitEvent& ev) {
    std::lock_guard lock(mu_);
    Entry* e = lookup(ev.key);
    if (e == nullptr) {
        ++misses_;
        auto p = std::make_shared<model::Process>();
        p->key = ev.key;
        p->pid = ev.key.pid;
        p->tid = ev.tid;
        p->start_ktime = ev.key.ktime;
        p->flags = model::kFlagUnknown;
        p->exec_id = make_exec_id(node_, ev.key.ktime, ev.key.pid);
        Snapshot stub;
        stub.process = std::move(p);
        return stub;
    }
    touch(*e);
    release_self(*e);
    release_parent(*e);
    // Counts are read after the decrements, as Tetragon exports them; the
    // entry is only removed by a later gc(), so the data is unchanged.
    return snapshot_of(*e);
}

Snapshot ProcessCache::add_procfs(model::Process p) {
    std::lock_guard lock(mu_);
    if (Entry* existing = lookup(p.key)) {
        touch(*existing);
        return snapshot_of(*existing);
    }
    p.flags |= model::kFlagProcFS;
    fill_ids(p);
    const model::ProcessKey parent = p.parent_key;
    Entry& e = insert(std::move(p), parent);
    link_parent(e);
    return snapshot_of(e);
}

std::optional<Snapshot> ProcessCache::get(const model::ProcessKey& key) {
    std::lock_guard lock(mu_);
    Entry* e = lookup(key);
    if (e == nullptr) {
        ++misses_;
        return std::nullopt;
    }
    touch(*e);
    return snapshot_of(*e);
}

std::optional<model::Process> ProcessCache::find(const model::ProcessKey& key) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return *it->second.process;
}

void ProcessCache::gc() {
    std::lock_guard lock(mu_);
    // idle_ holds exactly the entries at refcnt 0. Entries moved into it
    // during this walk go to its front, behind the cursor.
    for (auto it = idle_.begin(); it != idle_.end();) {
        const model::ProcessKey key = *it;
        ++it;
        Entry& e = entries_.at(key);
        if (e.color == GcColor::kDeleteReady) {
            release_parent(e);  // normally already dropped at exit/cleanup
            erase(key);
            ++removals_;
        } else {
            e.color = GcColor::kDeleteReady;
        }
    }
}

CacheStats ProcessCache::stats() const {
    std::lock_guard lock(mu_);
    CacheStats s;
    s.size = entries_.size();
    s.capacity = capacity_;
    s.evictions = evictions_;
    s.misses = misses_;
    s.removals = removals_;
    return s;
}

// --- private, called with mu_ held ---

ProcessCache::Entry* ProcessCache::lookup(const model::ProcessKey& key) {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
}

ProcessCache::Entry& ProcessCache::insert(model::Process p, const model::ProcessKey& keep) {
    while (entries_.size() >= capacity_) evict_one(keep);
    const model::ProcessKey key = p.key;
    Entry& e = entries_[key];
    e.process = std::make_shared<const model::Process>(std::move(p));
    e.refcnt = 1;  // process++
    e.self_held = true;
    e.color = GcColor::kInUse;
    live_.push_front(key);
    e.lru = live_.begin();
    return e;
}

void ProcessCache::link_parent(Entry& e) {
    Entry* parent = lookup(e.process->parent_key);
    if (parent == nullptr || parent == &e) return;
    ref_inc(*parent);  // parent++
    e.parent_held = true;
}

void ProcessCache::ref_inc(Entry& e) {
    ++e.refcnt;
    if (e.pinned) return;
    if (e.refcnt == 1) {
        live_.splice(live_.begin(), idle_, e.lru);
        e.color = GcColor::kInUse;
    } else {
        touch(e);
    }
}

void ProcessCache::ref_dec(Entry& e) {
    if (e.refcnt == 0) return;  // the once-only flags make this unreachable
    --e.refcnt;
    if (e.pinned || e.refcnt != 0) return;
    idle_.splice(idle_.begin(), live_, e.lru);
    e.color = GcColor::kDeletePending;
}

void ProcessCache::release_self(Entry& e) {
    if (!e.self_held) return;
    e.self_held = false;
    ref_dec(e);  // process--
}

void ProcessCache::release_parent(Entry& e) {
    if (!e.parent_held) return;
    e.parent_held = false;
    if (Entry* parent = lookup(e.process->parent_key)) ref_dec(*parent);  // parent--
}

void ProcessCache::touch(Entry& e) {
    if (e.pinned) return;
    auto& list = e.refcnt > 0 ? live_ : idle_;
    list.splice(list.begin(), list, e.lru);
}

void ProcessCache::evict_one(const model::ProcessKey& keep) {
    // Least recently used idle entry first, then least recently used live
    // one; never the parent about to be linked. capacity_ >= kMinCapacity
    // guarantees a candidate exists.
    auto pick = [&keep](const std::list<model::ProcessKey>& list) -> const model::ProcessKey* {
        for (auto it = list.rbegin(); it != list.rend(); ++it) {
            if (!(*it == keep)) return &*it;
        }
        return nullptr;
    };
    const model::ProcessKey* victim = pick(idle_);
    if (victim == nullptr) victim = pick(live_);
    if (victim == nullptr) return;
    const model::ProcessKey key = *victim;
    release_parent(entries_.at(key));
    erase(key);
    ++evictions_;
}

void ProcessCache::erase(const model::ProcessKey& key) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.pinned) return;
    (it->second.refcnt > 0 ? live_ : idle_).erase(it->second.lru);
    entries_.erase(it);
}

void ProcessCache::fill_ids(model::Process& p) const {
    p.exec_id = make_exec_id(node_, p.key.ktime, p.key.pid);
    // ktime 0 means "no parent known"; the kernel's own key is {0, 1}.
    p.parent_exec_id = p.parent_key.ktime == 0
                           ? std::string()
                           : make_exec_id(node_, p.parent_key.ktime, p.parent_key.pid);
}

Snapshot ProcessCache::snapshot_of(const Entry& e) const {
    Snapshot s;
    s.process = e.process;
    s.refcnt = e.refcnt;
    auto it = entries_.find(e.process->parent_key);
    if (it != entries_.end() && &it->second != &e) {
        s.parent = it->second.process;
        s.parent_refcnt = it->second.refcnt;
    }
    return s;
}

}  // namespace vigil::process
