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
#include <bpf/bpf_tracing.h>

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

	event__fill_header(&rec.hdr, VIGIL_EVENT_FORK, sizeof(rec), now);
	event__submit(&rec, sizeof(rec));
	return 0;
}
