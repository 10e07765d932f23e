/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every BPF map of Vigil, declared once. Userspace reaches them through the
 * skeleton (probe/ only).
 */
#ifndef VIGIL_MAPS_H
#define VIGIL_MAPS_H

#include "vigil/vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "vigil/abi.h"

/*
 * vigil_events: the one ring buffer every program writes records to.
 * Size is set by userspace before load (--rb-size); this is the default.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} vigil_events SEC(".maps");

/*
 * vigil_procs: tgid -> current image key. Written on fork and exec, deleted
 * at exit. A tgid missing here existed before vigild: its key is derived
 * from task->start_boottime (see process__key_of).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct vigil_proc_entry);
} vigil_procs SEC(".maps");

/* vigil_stats: per-CPU counters, enum vigil_stat. Userspace sums CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} vigil_stats SEC(".maps");

/*
 * vigil_heap: per-CPU scratch space where a record is assembled before
 * bpf_ringbuf_output (records are variable-sized; the BPF stack is 512 B).
 * rec is larger than VIGIL_EXEC_RECORD_MAX so that masked offsets plus a
 * bounded copy length always stay inside it, as the verifier requires.
 */
#define VIGIL_HEAP_REC_SIZE (16384 + 8192)
#define VIGIL_HEAP_REC_MASK 16383
/* Records never grow past this; rec's tail is slack for masked copies. */
#define VIGIL_HEAP_REC_LIMIT 16384
#define VIGIL_HEAP_PATH_SIZE (VIGIL_PATH_MAX + 256)

struct vigil_heap {
	__u8 rec[VIGIL_HEAP_REC_SIZE];
	__u8 path[VIGIL_HEAP_PATH_SIZE];
	__u32 path_pos; /* see path__resolve: kept in memory on purpose */
	__u32 off;      /* hook records: next free byte of rec, also kept in memory */
	__u64 args[6];  /* hook records: the syscall arguments the hook captures from */
	__u64 raw[6];   /* the syscall's arguments as read at entry, shared by its hooks */
	__u64 tp_ctx;   /* tracepoint hooks: the record's address, as a number (see vigil_tracepoint) */
	struct vigil_hook_config cfg; /* hook records: copy of the hook's config */
	struct vigil_str_key skey;    /* selectors: exact-string lookups */
	struct vigil_lpm_key lkey;    /* selectors: prefix/postfix lookups */
	struct vigil_bin bin;         /* exec: the binary path for vigil_bins */
	struct vigil_rate_key rkey;   /* selectors: rateLimit lookups */
	struct vigil_creds creds_now; /* selectors: the caller's credentials (sel__creds_match) */
	struct vigil_creds creds_was; /* selectors: a copy of its vigil_creds baseline */
	__u8 slack[8];                /* key copies are bounded to 255 bytes, keys hold 252 */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_heap);
} vigil_heap_map SEC(".maps");

/*
 * vigil_hooks: hook id (the attachment's BPF cookie) -> what to capture.
 * Written by vigild before it attaches a hook, cleared after detaching.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_HOOK_MAX);
	__type(key, __u32);
	__type(value, struct vigil_hook_config);
} vigil_hooks SEC(".maps");

/*
 * vigil_hook_stats: per-CPU counters per hook, index
 * hook_id * VIGIL_HOOK_STAT_SLOTS + slot (slots in abi.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_HOOK_MAX * VIGIL_HOOK_STAT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} vigil_hook_stats SEC(".maps");

/*
 * vigil_ret_args: a return hook's syscall arguments, saved at entry and
 * consumed at exit. LRU, so entries of tasks that never return (killed
 * inside the call) cannot fill it.
 */
struct vigil_ret_key {
	__u64 pid_tgid;
	__u32 hook_id;
	__u32 pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vigil_ret_key);
	__type(value, struct vigil_ret_args);
} vigil_ret_args_map SEC(".maps");

/* vigil_dispatch: attachment cookie (slot) -> the hooks on that syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_DISPATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct vigil_dispatch);
} vigil_dispatch_map SEC(".maps");

/* vigil_selectors: hook_id * VIGIL_SELECTORS_MAX + i -> selector i of the hook. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_HOOK_MAX * VIGIL_SELECTORS_MAX);
	__type(key, __u32);
	__type(value, struct vigil_selector);
} vigil_selectors SEC(".maps");

/* String sets of selectors: exact values, and prefixes / reversed suffixes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_str_key);
	__type(value, __u8);
} vigil_str_eq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_lpm_key);
	__type(value, __u8);
} vigil_str_prefix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_lpm_key);
	__type(value, __u8);
} vigil_str_postfix SEC(".maps");

/*
 * vigil_bins: tgid -> the exec'd binary path (first VIGIL_STR_MAX bytes),
 * for matchBinaries. Written at exec, and by vigild for processes found by
 * the /proc scan; deleted at exit.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct vigil_bin);
} vigil_bins SEC(".maps");

/* vigil_creds: tgid -> credentials baseline (abi.h struct vigil_creds). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct vigil_creds);
} vigil_creds SEC(".maps");

/*
 * matchPIDs followForks: processes forked (after the policy loaded) from a
 * member of a pid set join it. Keyed by set and process key, so a reused
 * pid does not inherit a dead process's membership.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct vigil_follow_entry);
	__type(value, __u8);
} vigil_followed SEC(".maps");

/* The pid sets with followForks, for the fork program to extend. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_FOLLOW_SETS_MAX);
	__type(key, __u32);
	__type(value, struct vigil_follow_set);
} vigil_follow_sets SEC(".maps");

/* The matchBinaries sets with followChildren, for the fork program to extend. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VIGIL_BIN_FOLLOW_MAX);
	__type(key, __u32);
	__type(value, struct vigil_bin_follow_set);
} vigil_bin_follow_sets SEC(".maps");

/*
 * vigil_sel_stats: per-CPU counters per selector (slots in abi.h): how often
 * each selector matched and how many of its posts rateLimit suppressed.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_HOOK_MAX * VIGIL_SELECTORS_MAX * VIGIL_SEL_STAT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} vigil_sel_stats SEC(".maps");

/*
 * vigil_rate: Post rateLimit, identical event -> time of its last post.
 * LRU: a forgotten entry only lets one extra event through.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vigil_rate_key);
	__type(value, __u64);
} vigil_rate SEC(".maps");

/*
 * vigil_scope_cgroups: (scope id, cgroup id) pairs; a scoped hook runs only
 * where the task's cgroup or an ancestor is paired with its scope id
 * (vigil_hook_config.scope_id). vigild rewrites a scope's pairs when pods
 * come, go or change labels. Two reserved values (abi.h): the scope
 * VIGIL_SCOPE_ALL_PODS holds every pod container's cgroup, and the pair
 * (scope, VIGIL_SCOPE_HOST_CGROUP) marks a scope that covers host tasks.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VIGIL_SCOPE_CGROUPS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vigil_scope_key);
	__type(value, __u8);
} vigil_scope_cgroups SEC(".maps");

#endif /* VIGIL_MAPS_H */
