// The userspace process cache: every known process image keyed by
// {tgid, ktime}, with Tetragon's reference counting so an image stays
// available while it or any child still needs it (for parent lookups and
// exit correlation), then is garbage-collected.
//
// Refcount rules (Tetragon pkg/process, reference §2.3):
//   - a new image (exec, fork, /proc scan) starts at 1 ("process++") and
//     takes one reference on its parent ("parent++");
//   - exit of an image, or its replacement by a later exec of the same pid
//     (the cleanup key), drops both ("process--", "parent--");
//   - each of these happens at most once per image, so duplicate records
//     cannot drive counts below what they should be;
//   - capacity eviction drops the evicted image's parent reference.
// Entries at refcnt 0 are removed by the second gc() that still sees them
// at 0 (deletePending -> deleteReady -> removed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "model/process.h"
#include "process/process_key.h"

namespace vigil::process {

// What an event needs, taken under the lock. Cached images are immutable
// once inserted, so a snapshot shares them instead of copying their strings
// (two Process copies per event were the enrichment's main cost).
struct Snapshot {
    std::shared_ptr<const model::Process> process;  // never null; exec_id / parent_exec_id filled
    std::uint32_t refcnt = 0;
    std::shared_ptr<const model::Process> parent;  // null when the parent is not cached
    std::uint32_t parent_refcnt = 0;
};

struct CacheStats {
    std::size_t size = 0;       // entries, the permanent kernel entry included
    std::size_t capacity = 0;
    std::uint64_t evictions = 0;  // removed for capacity
    std::uint64_t misses = 0;     // an exit, get() or fork named a key not cached
    std::uint64_t removals = 0;   // removed by gc() after refcnt 0
};

class ProcessCache {
public:
    // Smallest useful size: the kernel entry, a parent being linked and the
    // new entry. Smaller requests are raised to this.
    static constexpr std::size_t kMinCapacity = 3;

    ProcessCache(std::string node_name, std::size_t capacity);

    ProcessCache(const ProcessCache&) = delete;
    ProcessCache& operator=(const ProcessCache&) = delete;

    // A new image from execve. `cleanup` is the previous image of the same
    // pid (ktime 0 if none): it is released after the new image is linked.
    // A repeated exec of a cached key is ignored (its counts were taken).
    Snapshot on_exec(model::Process p, const model::ProcessKey& cleanup);

    // A new thread-group leader: cached as a copy of its parent with the
    // child's identity and flag kFlagClone. No event is emitted for forks.
    // nspid is left 0: the fork record does not carry it.
    void on_fork(const model::ProcessKey& child, const model::ProcessKey& parent,
                 std::uint32_t tid, std::uint64_t ktime);

    // Exit of the last thread. Refcounts are dropped first, so the snapshot
    // shows the post-exit counts as Tetragon exports them (process 0,
    // parent one less); the entry itself lives on until gc(). A key not in
    // the cache yields a stub {pid, tid, start_ktime, exec_id, kFlagUnknown}
    // and counts a miss.
    Snapshot on_exit(const model::ExitEvent& e);

    // An entry from the start-up /proc scan (adds kFlagProcFS). Does not
    // overwrite an entry that already exists for the same key.
    Snapshot add_procfs(model::Process p);

    // Lookup for enriching any other event: marks the entry recently used,
    // counts a miss when absent.
    std::optional<Snapshot> get(const model::ProcessKey& key);

    // Peek: no recency update, no miss counted.
    std::optional<model::Process> find(const model::ProcessKey& key) const;

    // Call periodically (Tetragon: every 30 s).
    void gc();

    CacheStats stats() const;

private:
    enum class GcColor { kInUse, kDeletePending, kDeleteReady };

    struct Entry {
        std::shared_ptr<const model::Process> process;  // never null
        std::uint32_t refcnt = 0;
        GcColor color = GcColor::kInUse;
        bool pinned = false;       // the kernel entry: never evicted or removed
        bool self_held = false;    // its own "process++" not yet dropped
        bool parent_held = false;  // its "parent++" on parent_key not yet dropped
        std::list<model::ProcessKey>::iterator lru;  // in live_ or idle_
    };
    using Map = std::unordered_map<model::ProcessKey, Entry, ProcessKeyHash>;

    Entry* lookup(const model::ProcessKey& key);
    Entry& insert(model::Process p, const model::ProcessKey& keep);
    void link_parent(Entry& e);
    void ref_inc(Entry& e);
    void ref_dec(Entry& e);
    void release_self(Entry& e);
    void release_parent(Entry& e);
    void touch(Entry& e);
    void evict_one(const model::ProcessKey& keep);
    void erase(const model::ProcessKey& key);
    void fill_ids(model::Process& p) const;
    Snapshot snapshot_of(const Entry& e) const;

    const std::string node_;
    const std::size_t capacity_;

    mutable std::mutex mu_;
    Map entries_;
    // Recency lists, most recent at the front. live_ holds entries with
    // refcnt > 0, idle_ those at 0, so eviction prefers idle entries in O(1)
    // and gc() only walks idle ones. The pinned kernel entry is in neither.
    std::list<model::ProcessKey> live_;
    std::list<model::ProcessKey> idle_;
    std::uint64_t evictions_ = 0;
    std::uint64_t misses_ = 0;
    std::uint64_t removals_ = 0;
};

}  // namespace vigil::process
