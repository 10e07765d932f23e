/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hook: raw tracepoint sched/sched_process_exit
 *   TP_PROTO(struct task_struct *p) (6.16+ adds bool group_dead)
 * Fires in do_exit for every thread, after signal->live was decremented and
 * exit_code set. We report only the thread that leaves the group empty
 * (live == 0), so there is one exit per process, as with Tetragon's
 * acct_process kprobe, without needing kprobes.
 */
#include "lib/maps.h"
#include "lib/event.h"
#include "lib/process.h"
#include <bpf/bpf_tracing.h>

SEC("raw_tp/sched_process_exit")
int BPF_PROG(vigil_exit, struct task_struct *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vigil_exit_record rec = {};
	struct vigil_proc_entry *e;
	__u32 tgid;
	__u64 now;

	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0; /* other threads of the group still run */
	tgid = BPF_CORE_READ(task, tgid);
	e = bpf_map_lookup_elem(&vigil_procs, &tgid);
	if (e) {
		rec.key = e->key;
		/* Whoever deletes the entry reports: no duplicate exits. */
		if (bpf_map_delete_elem(&vigil_procs, &tgid))
			return 0;
	} else {
		process__procfs_key(task, &rec.key);
		rec.flags |= VIGIL_EXEC_F_PREV_PROCFS;
	}
	bpf_map_delete_elem(&vigil_bins, &tgid);
	bpf_map_delete_elem(&vigil_creds, &tgid);
	stats__inc(VIGIL_STAT_EXIT_SEEN);
	now = bpf_ktime_get_boot_ns();
	rec.exit_code = BPF_CORE_READ(task, exit_code);
	event__fill_header(&rec.hdr, VIGIL_EVENT_EXIT, sizeof(rec), now);
	event__submit(&rec, sizeof(rec));
	return 0;
}
