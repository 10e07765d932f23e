/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hook: raw tracepoint sched/sched_process_exec
 *   TP_PROTO(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
 * Fires after a successful exec, in the context of the new image, once the
 * new mm (argv) and the final binary file are in place. Chosen over a kprobe
 * on an exec function (needs CONFIG_KPROBES, absent on some kernels) and the
 * syscalls/sys_exit_execve tracepoint (more per-call cost, arguments gone);
 * the raw form costs less than the classic tracepoint.
 */
#include "lib/maps.h"
#include "lib/event.h"
#include "lib/path.h"
#include "lib/process.h"
#include "lib/selector.h"
#include <bpf/bpf_tracing.h>

static __always_inline __u32 ns_inum(void *ns_common_ptr)
{
	struct ns_common *ns = ns_common_ptr;

	return ns ? BPF_CORE_READ(ns, inum) : 0;
}

static __always_inline void exec__fill_creds(struct task_struct *task,
					     struct vigil_exec_record *rec)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);

	rec->uid = BPF_CORE_READ(cred, uid.val);
	rec->euid = BPF_CORE_READ(cred, euid.val);
	rec->suid = BPF_CORE_READ(cred, suid.val);
	rec->fsuid = BPF_CORE_READ(cred, fsuid.val);
	rec->gid = BPF_CORE_READ(cred, gid.val);
	rec->egid = BPF_CORE_READ(cred, egid.val);
	rec->sgid = BPF_CORE_READ(cred, sgid.val);
	rec->fsgid = BPF_CORE_READ(cred, fsgid.val);
	/* kernel_cap_t is u64 since 6.3 and u32[2] before: same 8 bytes. */
	bpf_core_read(&rec->cap_permitted, 8, &cred->cap_permitted);
	bpf_core_read(&rec->cap_effective, 8, &cred->cap_effective);
	bpf_core_read(&rec->cap_inheritable, 8, &cred->cap_inheritable);
	rec->ns[VIGIL_NS_USER] = BPF_CORE_READ(cred, user_ns, ns.inum);
	rec->auid = 0xffffffff;
	if (bpf_core_field_exists(task->loginuid))
		rec->auid = BPF_CORE_READ(task, loginuid.val);
}

static __always_inline void exec__fill_ns(struct task_struct *task, struct vigil_exec_record *rec)
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
	struct pid *tp = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level) & 31;
	struct upid up = {};

	rec->ns[VIGIL_NS_UTS] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	rec->ns[VIGIL_NS_IPC] = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	rec->ns[VIGIL_NS_MNT] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	rec->ns[VIGIL_NS_PID_FOR_CHILDREN] = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	rec->ns[VIGIL_NS_NET] = BPF_CORE_READ(nsp, net_ns, ns.inum);
	rec->ns[VIGIL_NS_CGROUP] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	if (bpf_core_field_exists(nsp->time_ns)) {
		rec->ns[VIGIL_NS_TIME] = BPF_CORE_READ(nsp, time_ns, ns.inum);
		rec->ns[VIGIL_NS_TIME_FOR_CHILDREN] = BPF_CORE_READ(nsp, time_ns_for_children, ns.inum);
	}
	bpf_core_read(&up, sizeof(up), &tp->numbers[level]);
	rec->nspid = up.nr;
	rec->ns[VIGIL_NS_PID] = ns_inum(up.ns ? &up.ns->ns : 0);
}

static __always_inline void exec__fill_args(struct task_struct *task, struct vigil_heap *heap,
					    struct vigil_exec_record *rec, __u32 *off)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	__u32 at = *off & VIGIL_HEAP_REC_MASK;
	__u64 size = end > start ? end - start : 0;
	__u32 len = size;

	rec->args_size = size > 0xffffffff ? 0xffffffff : size;
	if (size > VIGIL_ARGS_MAX) {
		len = VIGIL_ARGS_MAX;
		rec->flags |= VIGIL_EXEC_F_TRUNC_ARGS;
	}
	if (len > VIGIL_ARGS_MAX)
		len = VIGIL_ARGS_MAX;
	if (bpf_probe_read_user(&heap->rec[at], len, (void *)start) < 0) {
		rec->flags |= VIGIL_EXEC_F_ERR_ARGS;
		stats__inc(VIGIL_STAT_READ_FAIL);
		len = 0;
	}
	rec->args.off = at;
	rec->args.len = len;
	*off = at + len;
}

static __always_inline void exec__fill_cgroup(struct task_struct *task, struct vigil_heap *heap,
					      struct vigil_exec_record *rec, __u32 *off)
{
	const char *name = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name);
	__u32 at = *off & VIGIL_HEAP_REC_MASK;
	long n = bpf_probe_read_kernel_str(&heap->rec[at], VIGIL_CGROUP_NAME_MAX, name);

	if (n <= 0) {
		rec->flags |= VIGIL_EXEC_F_ERR_CGROUP;
		n = 1;
	}
	rec->cgroup.off = at;
	rec->cgroup.len = (n - 1) & (VIGIL_CGROUP_NAME_MAX - 1);
	*off = at + rec->cgroup.len;
}

/* The new image's credentials: the baseline of the *Changes selectors. */
static __always_inline void exec__store_creds(struct vigil_exec_record *rec, __u32 tgid)
{
	struct vigil_creds c = {};

	c.caps[VIGIL_CAPS_EFFECTIVE] = rec->cap_effective;
	c.caps[VIGIL_CAPS_INHERITABLE] = rec->cap_inheritable;
	c.caps[VIGIL_CAPS_PERMITTED] = rec->cap_permitted;
	__builtin_memcpy(c.ns, rec->ns, sizeof(c.ns));
	if (bpf_map_update_elem(&vigil_creds, &tgid, &c, BPF_ANY))
		stats__inc(VIGIL_STAT_CREDS_MAP_FULL);
}

/* The path matchBinaries compares: the first VIGIL_STR_MAX bytes. */
static __always_inline void exec__store_binary(struct vigil_heap *heap,
					       struct vigil_exec_record *rec, __u32 tgid)
{
	struct vigil_bin *prev = bpf_map_lookup_elem(&vigil_bins, &tgid);
	__u32 len = rec->path.len;

	/* followChildren sets stay with the process across exec. */
	heap->bin.follow = prev ? prev->follow : 0;
	if (len > VIGIL_STR_MAX)
		len = VIGIL_STR_MAX;
	heap->bin.len = len;
	bpf_probe_read_kernel(heap->bin.path, sel__bound(len),
			      &heap->rec[rec->path.off & VIGIL_HEAP_REC_MASK]);
	bpf_map_update_elem(&vigil_bins, &tgid, &heap->bin, BPF_ANY);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(vigil_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vigil_path_result pr;
	struct vigil_exec_record *rec;
	struct vigil_proc_entry *prev, next = {};
	struct vigil_heap *heap;
	struct file *file;
	__u32 zero = 0, tgid, off;
	__u64 now = bpf_ktime_get_boot_ns();

	stats__inc(VIGIL_STAT_EXEC_SEEN);
	heap = bpf_map_lookup_elem(&vigil_heap_map, &zero);
	if (!heap)
		return 0;
	rec = (struct vigil_exec_record *)heap->rec;
	__builtin_memset(rec, 0, sizeof(*rec));
	tgid = bpf_get_current_pid_tgid() >> 32;

	/* The previous image of this pid, and the parent per Tetragon's rule. */
	prev = bpf_map_lookup_elem(&vigil_procs, &tgid);
	if (prev) {
		rec->cleanup = prev->key;
		if (prev->flags & VIGIL_EXEC_F_CLONE)
			rec->flags |= VIGIL_EXEC_F_CLONE;
	} else {
		process__procfs_key(task, &rec->cleanup);
		rec->flags |= VIGIL_EXEC_F_PREV_PROCFS;
	}
	rec->ppid = BPF_CORE_READ(task, real_parent, tgid);
	if (rec->flags & VIGIL_EXEC_F_CLONE) {
		if (process__key_of(BPF_CORE_READ(task, real_parent), &rec->parent))
			rec->flags |= VIGIL_EXEC_F_PARENT_PROCFS;
	} else {
		rec->parent = rec->cleanup; /* exec without fork: the old image */
	}
	rec->key.pid = tgid;
	rec->key.ktime = now;
	next.key = rec->key;
	if (bpf_map_update_elem(&vigil_procs, &tgid, &next, BPF_ANY))
		stats__inc(VIGIL_STAT_PROC_MAP_FULL);

	exec__fill_creds(task, rec);
	exec__fill_ns(task, rec);
	exec__store_creds(rec, tgid);

	off = sizeof(*rec);
	file = BPF_CORE_READ(bprm, file);
	if (!file)
		file = BPF_CORE_READ(task, mm, exe_file);
	if (file) {
		path__resolve((__u64)BPF_CORE_READ(file, f_path.dentry),
			      (__u64)BPF_CORE_READ(file, f_path.mnt), heap, &pr);
		if (pr.trunc)
			rec->flags |= VIGIL_EXEC_F_TRUNC_PATH;
		path__append(heap, &pr, &off, &rec->path);
		exec__store_binary(heap, rec, tgid);
	} else {
		rec->flags |= VIGIL_EXEC_F_ERR_PATH;
	}

	exec__fill_args(task, heap, rec, &off);

	path__resolve((__u64)BPF_CORE_READ(task, fs, pwd.dentry),
		      (__u64)BPF_CORE_READ(task, fs, pwd.mnt), heap, &pr);
	if (pr.trunc)
		rec->flags |= VIGIL_EXEC_F_TRUNC_CWD;
	path__append(heap, &pr, &off, &rec->cwd);

	exec__fill_cgroup(task, heap, rec, &off);

	event__fill_header(&rec->hdr, VIGIL_EVENT_EXEC, off, now);
	event__submit(rec, off & VIGIL_HEAP_REC_MASK);
	return 0;
}
