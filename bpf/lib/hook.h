/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic hook records: capture the arguments a policy asked for, by type,
 * into heap->rec (a struct vigil_hook_record plus its variable area), then
 * post it. Shared by every generic program (syscall tracepoints today).
 *
 * The record write position lives in heap->off rather than in a register,
 * for the same reason as path__resolve's: it keeps the verifier's states
 * few enough to prune across the five argument captures.
 */
#ifndef VIGIL_HOOK_H
#define VIGIL_HOOK_H

#include "lib/maps.h"
#include "lib/event.h"
#include "lib/path.h"
#include "lib/process.h"
#include "lib/stats.h"
#include "lib/selector.h"
#include <bpf/bpf_core_read.h>

static __always_inline void hook__count(__u32 hook_id, __u32 slot)
{
	__u32 idx = hook_id * VIGIL_HOOK_STAT_SLOTS + slot;
	__u64 *v = bpf_map_lookup_elem(&vigil_hook_stats, &idx);

	if (v)
		*v += 1;
}

/*
 * Bound a copy length for the verifier with an instruction it sees: clang
 * drops a plain "& 0x1fff" when it knows the value is already smaller, and
 * the verifier (6.18: "R1 max value is outside of the allowed memory range")
 * does not track that knowledge.
 */
static __always_inline __u32 hook__bound(__u32 v)
{
	asm volatile("%[v] &= 0x1fff" : [v] "+r"(v));
	return v;
}

/* Bytes that still fit in the record at heap->off, at most want. */
static __always_inline __u32 hook__room(struct vigil_heap *heap, __u32 want)
{
	__u32 off = heap->off;

	if (off >= VIGIL_HEAP_REC_LIMIT)
		return 0;
	if (want > VIGIL_HEAP_REC_LIMIT - off)
		want = VIGIL_HEAP_REC_LIMIT - off;
	return want;
}

/* Copy len bytes of user memory to the record; fills the slice. */
static __always_inline int hook__read_user(struct vigil_heap *heap, __u64 ptr, __u32 len,
					   struct vigil_slice *slice)
{
	__u32 off = heap->off & VIGIL_HEAP_REC_MASK;

	len = hook__room(heap, len);
	slice->off = off;
	slice->len = 0;
	if (len == 0)
		return 0;
	if (bpf_probe_read_user(&heap->rec[off], hook__bound(len), (void *)ptr) < 0)
		return -1;
	slice->len = len;
	heap->off = off + len;
	return 0;
}

/* fd -> struct file * of the current task, or 0. */
static __always_inline __u64 hook__file_of_fd(__u64 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;

	if (fd >= max)
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return (__u64)file;
}

/*
 * Capture argument i of the hook described by heap->cfg from heap->args.
 * Global function: verified once, not once per argument.
 */
__noinline int hook__capture(struct vigil_heap *heap, __u32 i, __s64 ret)
{
	struct vigil_hook_record *rec;
	struct vigil_hook_arg_config ac;
	struct vigil_hook_arg *out;
	__u64 v, want = 0;
	__u32 max;

	if (!heap || i >= VIGIL_HOOK_ARGS_MAX)
		return 0;
	rec = (struct vigil_hook_record *)heap->rec;
	ac = heap->cfg.args[i];
	out = &rec->args[i];
	out->type = ac.type;
	out->flags = 0;
	out->pad = 0;
	out->pad2 = 0;
	out->orig_size = 0;
	out->data.off = 0;
	out->data.len = 0;
	if (ac.index > 5) {
		out->flags = VIGIL_ARG_F_ERROR;
		return 0;
	}
	v = heap->args[ac.index];
	out->value = v;
	max = ac.max_data;
	if (max > VIGIL_ARG_DATA_MAX)
		max = VIGIL_ARG_DATA_MAX;

	switch (ac.type) {
	case VIGIL_ARG_USTRING: {
		__u32 off = heap->off & VIGIL_HEAP_REC_MASK;
		__u32 room = hook__room(heap, max);
		long n;

		out->data.off = off;
		if (room == 0)
			break;
		n = bpf_probe_read_user_str(&heap->rec[off], hook__bound(room), (void *)v);
		if (n < 0) {
			out->flags = VIGIL_ARG_F_ERROR;
			break;
		}
		/* n counts the NUL; a string that filled the room may go on. */
		if ((__u32)n >= room)
			out->flags = VIGIL_ARG_F_TRUNCATED;
		if (n > 0)
			n--;
		out->data.len = n;
		out->orig_size = n;
		heap->off = off + (__u32)n;
		break;
	}
	case VIGIL_ARG_UBUF:
	case VIGIL_ARG_SOCKADDR: {
		if (ac.type == VIGIL_ARG_SOCKADDR && max > VIGIL_SOCKADDR_MAX)
			max = VIGIL_SOCKADDR_MAX;
		if (ac.flags & VIGIL_ARG_CFG_RETURN_COPY)
			want = ret > 0 ? (__u64)ret : 0;
		else if (ac.size_index > 0 && ac.size_index <= 6)
			want = heap->args[(ac.size_index - 1) & 7];
		else
			want = max;
		out->orig_size = want > 0xffffffffULL ? 0xffffffffU : (__u32)want;
		if (want > max) {
			want = max;
			out->flags = VIGIL_ARG_F_TRUNCATED;
		}
		if (hook__read_user(heap, v, (__u32)want, &out->data) < 0)
			out->flags |= VIGIL_ARG_F_ERROR;
		else if (out->data.len < want)
			out->flags |= VIGIL_ARG_F_TRUNCATED;
		break;
	}
	case VIGIL_ARG_FD: {
		struct file *file = (struct file *)hook__file_of_fd(v);
		struct vigil_path_result res = {};
		__u32 len, off;

		if (!file) {
			out->flags = VIGIL_ARG_F_ERROR;
			break;
		}
		path__resolve((__u64)BPF_CORE_READ(file, f_path.dentry),
			      (__u64)BPF_CORE_READ(file, f_path.mnt), heap, &res);
		off = heap->off & VIGIL_HEAP_REC_MASK;
		len = hook__room(heap, res.len);
		if (len > VIGIL_PATH_MAX)
			len = VIGIL_PATH_MAX;
		if (res.trunc || len < res.len)
			out->flags = VIGIL_ARG_F_TRUNCATED;
		bpf_probe_read_kernel(&heap->rec[off], hook__bound(len),
				      &heap->path[res.start & VIGIL_PATH_MASK]);
		out->data.off = off;
		out->data.len = len;
		heap->off = off + len;
		break;
	}
	default:
		break; /* integers: value is all there is */
	}
	return 0;
}

/*
 * Apply the matching selector's actions: a signal now (unless the policy is
 * in monitor mode, where it is only counted), then tell the caller whether
 * to post. Returns the action recorded in the event.
 */
static __always_inline __u8 hook__act(struct vigil_heap *heap, __u32 hook_id, int sel_idx,
				      int *post)
{
	struct vigil_hook_record *rec = (struct vigil_hook_record *)heap->rec;
	struct vigil_selector *sel;
	__u32 key, i;
	__u8 taken = VIGIL_ACT_POST;

	*post = 1;
	if (heap->cfg.nselectors == 0)
		return taken;
	key = hook_id * VIGIL_SELECTORS_MAX + (__u32)sel_idx;
	sel = bpf_map_lookup_elem(&vigil_selectors, &key);
	if (!sel)
		return taken;
	for (i = 0; i < VIGIL_SEL_ACTIONS_MAX; i++) {
		__u32 kind, sig = 0;

		if (i >= sel->nactions)
			break;
		kind = sel->actions[i].kind;
		if (kind == VIGIL_ACT_NOPOST) {
			*post = 0;
			continue;
		}
		if (kind == VIGIL_ACT_SIGKILL)
			sig = 9;
		else if (kind == VIGIL_ACT_SIGNAL)
			sig = sel->actions[i].arg;
		if (!sig || taken != VIGIL_ACT_POST)
			continue;
		taken = (__u8)kind;
		if (heap->cfg.flags & VIGIL_HOOK_CFG_MONITOR) {
			rec->flags |= VIGIL_HOOK_R_MONITOR;
			hook__count(hook_id, VIGIL_HOOK_STAT_MONITORED);
		} else {
			bpf_send_signal(sig);
			hook__count(hook_id, VIGIL_HOOK_STAT_ENFORCED);
		}
	}
	return taken;
}

/*
 * Build the record for hook_id from heap->cfg and heap->args, run the
 * hook's selectors, act, and post it if the actions say so. A call no
 * selector matches leaves no trace but the hook's call counter.
 * flags: VIGIL_HOOK_R_RETURN when ret is meaningful.
 */
static __always_inline void hook__emit(struct vigil_heap *heap, __u32 hook_id, __s64 ret,
				       __u32 flags)
{
	struct vigil_hook_record *rec = (struct vigil_hook_record *)heap->rec;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 now = bpf_ktime_get_boot_ns();
	__u32 i, size;
	int sel_idx, post;

	if (process__key_of(task, &rec->key))
		flags |= VIGIL_HOOK_R_PROCFS;
	rec->hook_id = hook_id;
	rec->flags = flags;
	rec->ret = ret;
	rec->nargs = heap->cfg.nargs;
	rec->action = VIGIL_ACT_POST;
	rec->selector = 0;
	rec->pad = 0;
	heap->off = sizeof(struct vigil_hook_record);
	for (i = 0; i < VIGIL_HOOK_ARGS_MAX; i++) {
		if (i >= heap->cfg.nargs)
			break;
		hook__capture(heap, i, ret);
	}
	sel_idx = sel__first_match(heap, hook_id);
	if (sel_idx < 0)
		return;
	if (heap->cfg.nselectors)
		rec->selector = (__u8)(sel_idx + 1);
	rec->action = hook__act(heap, hook_id, sel_idx, &post);
	if (!post)
		return;
	size = heap->off;
	if (size > VIGIL_HEAP_REC_LIMIT)
		size = VIGIL_HEAP_REC_LIMIT;
	event__fill_header(&rec->hdr, VIGIL_EVENT_HOOK, size, now);
	if (size < sizeof(struct vigil_hook_record))
		return;
	event__submit(heap->rec, size);
	hook__count(hook_id, VIGIL_HOOK_STAT_POSTED);
}

#endif /* VIGIL_HOOK_H */
