/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hook: raw tracepoint sched/sched_process_fork
 *   TP_PROTO(struct task_struct *parent, struct task_struct *child)
 * Fires for every new task; only new thread-group leaders (fork/clone
 * without CLONE_THREAD) matter, so threads return at once. Tetragon uses a
 * kprobe on wake_up_new_task; the tracepoint needs no CONFIG_KPROBES and is
 * stable ABI.
 */
#include "lib/maps.h"
#include "lib/event.h"
#include "lib/process.h"
#include "lib/selector.h"
#include <bpf/bpf_tracing.h>

/*
 * matchPIDs followForks: a child forked from a member of a followed pid set
 * (a listed pid, or a process that joined earlier) joins the set.
 */
static __always_inline void fork__follow(struct task_struct *parent, struct vigil_process_key *pkey,
					 struct vigil_process_key *ckey)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 pnspid = sel__nspid(parent);
	__u32 i, j;
	__u8 one = 1;

	for (i = 0; i < VIGIL_FOLLOW_SETS_MAX; i++) {
		/* A separate key: with &i passed to the helper, 6.1 and 6.12 lose
		 * track of i ("infinite loop detected"). */
		__u32 key = i;
		struct vigil_follow_set *set = bpf_map_lookup_elem(&vigil_follow_sets, &key);
		struct vigil_follow_entry fe = {};
		__u32 pid;
		int member = 0;

		if (!set || set->set_id == 0)
			continue;
		pid = (set->flags & VIGIL_PIDS_F_NSPID) ? pnspid : ptgid;
		for (j = 0; j < VIGIL_SEL_PIDS_MAX; j++) {
			if (j < set->nvals && set->vals[j] == pid)
				member = 1;
		}
		fe.set_id = set->set_id;
		if (!member) {
			fe.key = *pkey;
			member = bpf_map_lookup_elem(&vigil_followed, &fe) != 0;
		}
		if (member) {
			fe.key = *ckey;
			bpf_map_update_elem(&vigil_followed, &fe, &one, BPF_ANY);
		}
	}
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(vigil_fork, struct task_struct *parent, struct task_struct *child)
{
	struct vigil_fork_record rec = {};
	struct vigil_proc_entry entry = {};
	__u32 tgid = BPF_CORE_READ(child, tgid);
	__u64 now;

	if (BPF_CORE_READ(child, pid) != tgid)
		return 0; /* a thread, not a process */
	stats__inc(VIGIL_STAT_FORK_SEEN);
	now = bpf_ktime_get_boot_ns();
	rec.key.pid = tgid;
	rec.key.ktime = now;
	/* real_parent, not the caller: CLONE_PARENT makes them differ. */
	if (process__key_of(BPF_CORE_READ(child, real_parent), &rec.parent))
		rec.flags |= VIGIL_EXEC_F_PARENT_PROCFS;
	rec.ppid = rec.parent.pid;

	entry.key = rec.key;
	entry.flags = VIGIL_EXEC_F_CLONE;
	if (bpf_map_update_elem(&vigil_procs, &tgid, &entry, BPF_ANY))
		stats__inc(VIGIL_STAT_PROC_MAP_FULL);

	/* The child's credentials (often new namespaces): its *Changes baseline. */
	{
		struct vigil_creds c = {};
		__u32 s;

		sel__cap_sets(BPF_CORE_READ(child, cred), &c.caps[VIGIL_CAPS_EFFECTIVE],
			      &c.caps[VIGIL_CAPS_INHERITABLE], &c.caps[VIGIL_CAPS_PERMITTED]);
		for (s = 0; s < VIGIL_NS_COUNT; s++)
			c.ns[s] = sel__ns_inum(child, s);
		if (bpf_map_update_elem(&vigil_creds, &tgid, &c, BPF_ANY))
			stats__inc(VIGIL_STAT_CREDS_MAP_FULL);
	}

	/* A fork runs the parent's binary until it execs. */
	{
		__u32 ptgid = BPF_CORE_READ(parent, tgid);
		struct vigil_bin *bin = bpf_map_lookup_elem(&vigil_bins, &ptgid);

		if (bin) {
			__u32 zero = 0;

			bpf_map_update_elem(&vigil_bins, &tgid, bin, BPF_ANY);
			/* matchBinaries followChildren: the child joins its parent's sets. */
			sel__follow_bins_fork(bpf_map_lookup_elem(&vigil_heap_map, &zero), ptgid, tgid);
		}
	}
	fork__follow(BPF_CORE_READ(child, real_parent), &rec.parent, &rec.key);

	event__fill_header(&rec.hdr, VIGIL_EVENT_FORK, sizeof(rec), now);
	event__submit(&rec, sizeof(rec));
	return 0;
}
