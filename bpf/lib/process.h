/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VIGIL_PROCESS_H
#define VIGIL_PROCESS_H

#include "lib/maps.h"
#include <bpf/bpf_core_read.h>

/*
 * The key of a process that vigil_procs does not know, i.e. one that has
 * neither forked nor exec'd since vigild attached: its group leader's
 * start_boottime rounded down to clock ticks, exactly the value the /proc
 * scan computes from /proc/<pid>/stat starttime.
 */
static __always_inline void process__procfs_key(struct task_struct *task,
						struct vigil_process_key *key)
{
	__u64 start = BPF_CORE_READ(task, group_leader, start_boottime);

	key->pid = BPF_CORE_READ(task, tgid);
	key->pad = 0;
	key->ktime = start / VIGIL_PROCFS_TICK_NS * VIGIL_PROCFS_TICK_NS;
	/* pid 0 (swapper) is the kernel: Tetragon's convention is ktime 1. */
	if (key->pid == 0)
		key->ktime = 1;
}

/* Current image key of task's thread group; returns 1 if from procfs. */
static __always_inline int process__key_of(struct task_struct *task,
					   struct vigil_process_key *key)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct vigil_proc_entry *e = bpf_map_lookup_elem(&vigil_procs, &tgid);

	if (e) {
		*key = e->key;
		return 0;
	}
	process__procfs_key(task, key);
	return 1;
}

#endif /* VIGIL_PROCESS_H */
