/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic hook records: capture the arguments a policy asked for, by type,
 * into heap->rec (a struct vigil_hook_record plus its variable area), then
 * post it. Shared by every generic program: the syscall tracepoints (main
 * object) and the kprobe, fentry, LSM, tracepoint and uprobe programs of
 * the hooks object (vigil_hooks.bpf.c).
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
#include <bpf/bpf_endian.h>

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

/*
 * Copy len bytes to the record; fills the slice. any_space: the pointer may
 * be kernel or user memory (a kernel function's argument): try kernel, then
 * user. On x86-64 the two ranges do not overlap, so at most one succeeds.
 */
static __always_inline int hook__read_mem(struct vigil_heap *heap, __u64 ptr, __u32 len,
					  struct vigil_slice *slice, int any_space)
{
	__u32 off = heap->off & VIGIL_HEAP_REC_MASK;

	len = hook__room(heap, len);
	slice->off = off;
	slice->len = 0;
	if (len == 0)
		return 0;
	if (any_space && bpf_probe_read_kernel(&heap->rec[off], hook__bound(len), (void *)ptr) == 0)
		goto done;
	if (bpf_probe_read_user(&heap->rec[off], hook__bound(len), (void *)ptr) < 0)
		return -1;
done:
	slice->len = len;
	heap->off = off + len;
	return 0;
}

/* Copy a fixed-size struct built on the stack into the record. */
static __always_inline void hook__put(struct vigil_heap *heap, const void *src, __u32 len,
				      struct vigil_hook_arg *out)
{
	__u32 off = heap->off & VIGIL_HEAP_REC_MASK;

	out->data.off = off;
	if (hook__room(heap, len) < len)
		return;
	bpf_probe_read_kernel(&heap->rec[off], hook__bound(len), src);
	out->data.len = len;
	heap->off = off + len;
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

/* The path of (dentry, mnt) into the record; mnt 0 stops at the file system's root. */
static __always_inline void hook__put_path(struct vigil_heap *heap, __u64 dentry, __u64 mnt,
					   struct vigil_hook_arg *out)
{
	struct vigil_path_result res = {};
	__u32 len, off;

	if (!dentry) {
		out->flags = VIGIL_ARG_F_ERROR;
		return;
	}
	path__resolve(dentry, mnt, heap, &res);
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
}

static __always_inline void hook__put_file(struct vigil_heap *heap, struct file *file,
					   struct vigil_hook_arg *out)
{
	if (!file) {
		out->flags = VIGIL_ARG_F_ERROR;
		return;
	}
	hook__put_path(heap, (__u64)BPF_CORE_READ(file, f_path.dentry),
		       (__u64)BPF_CORE_READ(file, f_path.mnt), out);
}

static __always_inline void hook__put_sock(struct vigil_heap *heap, struct sock *sk,
					   struct vigil_hook_arg *out)
{
	struct vigil_sock_info si = {};

	if (!sk) {
		out->flags = VIGIL_ARG_F_ERROR;
		return;
	}
	si.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	si.type = BPF_CORE_READ(sk, sk_type);
	si.protocol = BPF_CORE_READ(sk, sk_protocol);
	si.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	si.mark = BPF_CORE_READ(sk, sk_mark);
	si.priority = BPF_CORE_READ(sk, sk_priority);
	si.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	si.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	si.cookie = (__u64)sk;
	if (si.family == 10) {
		bpf_core_read(si.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(si.daddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)si.saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)si.daddr, sk, __sk_common.skc_daddr);
	}
	hook__put(heap, &si, sizeof(si), out);
}

static __always_inline void hook__put_skb(struct vigil_heap *heap, struct sk_buff *skb,
					  struct vigil_hook_arg *out)
{
	struct vigil_skb_info si = {};
	unsigned char *head;
	__u16 nh, th;
	__u8 ver = 0;

	if (!skb) {
		out->flags = VIGIL_ARG_F_ERROR;
		return;
	}
	si.hash = BPF_CORE_READ(skb, hash);
	si.len = BPF_CORE_READ(skb, len);
	si.priority = BPF_CORE_READ(skb, priority);
	si.mark = BPF_CORE_READ(skb, mark);
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	th = BPF_CORE_READ(skb, transport_header);
	bpf_probe_read_kernel(&ver, 1, head + nh);
	ver >>= 4;
	if (ver == 4) {
		si.family = 2;
		bpf_probe_read_kernel(&si.proto, 1, head + nh + 9);
		bpf_probe_read_kernel(si.saddr, 4, head + nh + 12);
		bpf_probe_read_kernel(si.daddr, 4, head + nh + 16);
	} else if (ver == 6) {
		si.family = 10;
		bpf_probe_read_kernel(&si.proto, 1, head + nh + 6);
		bpf_probe_read_kernel(si.saddr, 16, head + nh + 8);
		bpf_probe_read_kernel(si.daddr, 16, head + nh + 24);
	}
	if (si.family && th != 0xffff && (si.proto == 6 || si.proto == 17)) {
		__u16 ports[2] = {};

		bpf_probe_read_kernel(ports, sizeof(ports), head + th);
		si.sport = bpf_ntohs(ports[0]);
		si.dport = bpf_ntohs(ports[1]);
	}
	hook__put(heap, &si, sizeof(si), out);
}

static __always_inline void hook__put_cred(struct vigil_heap *heap, struct cred *c,
					   struct vigil_hook_arg *out)
{
	struct vigil_cred_info ci = {};

	if (!c) {
		out->flags = VIGIL_ARG_F_ERROR;
		return;
	}
	ci.uid = BPF_CORE_READ(c, uid.val);
	ci.gid = BPF_CORE_READ(c, gid.val);
	ci.suid = BPF_CORE_READ(c, suid.val);
	ci.sgid = BPF_CORE_READ(c, sgid.val);
	ci.euid = BPF_CORE_READ(c, euid.val);
	ci.egid = BPF_CORE_READ(c, egid.val);
	ci.fsuid = BPF_CORE_READ(c, fsuid.val);
	ci.fsgid = BPF_CORE_READ(c, fsgid.val);
	bpf_core_read(&ci.cap_permitted, 8, &c->cap_permitted);
	bpf_core_read(&ci.cap_effective, 8, &c->cap_effective);
	bpf_core_read(&ci.cap_inheritable, 8, &c->cap_inheritable);
	hook__put(heap, &ci, sizeof(ci), out);
}

/* Up to 8 iovecs of user memory, concatenated, at most max bytes. */
static __always_inline void hook__put_iovec(struct vigil_heap *heap, __u64 iov, __u64 cnt,
					    __u32 max, struct vigil_hook_arg *out)
{
	__u32 start = heap->off & VIGIL_HEAP_REC_MASK;
	__u64 total = 0;
	__u32 i;

	out->data.off = start;
	for (i = 0; i < 8; i++) {
		struct iovec v = {};
		struct vigil_slice s = {};
		__u32 used = heap->off - start;
		__u64 want;

		if (i >= cnt)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(iov + i * sizeof(v))) < 0) {
			out->flags |= VIGIL_ARG_F_ERROR;
			break;
		}
		total += v.iov_len;
		if (used >= max)
			continue;
		want = v.iov_len < max - used ? v.iov_len : max - used;
		if (hook__read_mem(heap, (__u64)v.iov_base, (__u32)want, &s, 0) < 0)
			out->flags |= VIGIL_ARG_F_ERROR;
	}
	out->data.len = heap->off - start;
	out->orig_size = total > 0xffffffffULL ? 0xffffffffU : (__u32)total;
	if (total > out->data.len || cnt > 8)
		out->flags |= VIGIL_ARG_F_TRUNCATED;
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
	case VIGIL_ARG_USTRING:
	case VIGIL_ARG_KSTRING: {
		__u32 off = heap->off & VIGIL_HEAP_REC_MASK;
		__u32 room = hook__room(heap, max);
		long n = -1;

		out->data.off = off;
		if (room == 0)
			break;
		if (ac.type == VIGIL_ARG_KSTRING)
			n = bpf_probe_read_kernel_str(&heap->rec[off], hook__bound(room), (void *)v);
		if (n < 0)
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
	case VIGIL_ARG_KBUF:
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
		if (hook__read_mem(heap, v, (__u32)want, &out->data, ac.type == VIGIL_ARG_KBUF) < 0)
			out->flags |= VIGIL_ARG_F_ERROR;
		else if (out->data.len < want)
			out->flags |= VIGIL_ARG_F_TRUNCATED;
		break;
	}
	case VIGIL_ARG_FD:
		hook__put_file(heap, (struct file *)hook__file_of_fd(v), out);
		break;
	case VIGIL_ARG_FILE:
		hook__put_file(heap, (struct file *)v, out);
		break;
	case VIGIL_ARG_PATH: {
		struct path *p = (struct path *)v;

		if (!p) {
			out->flags = VIGIL_ARG_F_ERROR;
			break;
		}
		hook__put_path(heap, (__u64)BPF_CORE_READ(p, dentry), (__u64)BPF_CORE_READ(p, mnt), out);
		break;
	}
	case VIGIL_ARG_DENTRY:
		hook__put_path(heap, v, 0, out);
		break;
	case VIGIL_ARG_BINPRM: {
		struct linux_binprm *b = (struct linux_binprm *)v;

		hook__put_file(heap, b ? BPF_CORE_READ(b, file) : 0, out);
		break;
	}
	case VIGIL_ARG_SOCK:
		hook__put_sock(heap, (struct sock *)v, out);
		break;
	case VIGIL_ARG_SKB:
		hook__put_skb(heap, (struct sk_buff *)v, out);
		break;
	case VIGIL_ARG_CRED:
		hook__put_cred(heap, (struct cred *)v, out);
		break;
	case VIGIL_ARG_CAPS: {
		__u64 caps = 0;

		if (bpf_probe_read_kernel(&caps, sizeof(caps), (void *)v) < 0)
			out->flags = VIGIL_ARG_F_ERROR;
		out->value = caps;
		break;
	}
	case VIGIL_ARG_IOVEC:
		want = ac.size_index > 0 && ac.size_index <= 6 ? heap->args[(ac.size_index - 1) & 7] : 1;
		hook__put_iovec(heap, v, want, max, out);
		break;
	default:
		break; /* integers: value is all there is */
	}
	return 0;
}

/*
 * Apply the matching selector's actions: a signal now, or an error for the
 * program to return (Override), unless the policy is in monitor mode, where
 * they are only counted; then tell the caller whether to post. Returns the
 * action recorded in the event.
 */
static __always_inline __u8 hook__act(struct vigil_heap *heap, __u32 hook_id, int sel_idx,
				      int *post, __s32 *override)
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
		if ((!sig && kind != VIGIL_ACT_OVERRIDE) || taken != VIGIL_ACT_POST)
			continue;
		taken = (__u8)kind;
		if (heap->cfg.flags & VIGIL_HOOK_CFG_MONITOR) {
			rec->flags |= VIGIL_HOOK_R_MONITOR;
			hook__count(hook_id, VIGIL_HOOK_STAT_MONITORED);
			continue;
		}
		if (sig)
			bpf_send_signal(sig);
		else
			*override = (__s32)sel->actions[i].arg;
		hook__count(hook_id, VIGIL_HOOK_STAT_ENFORCED);
	}
	return taken;
}

/* Capture the arguments whose bit in mask is (want=1) or is not (want=0) set. */
static __always_inline void hook__capture_some(struct vigil_heap *heap, __s64 ret, __u32 want)
{
	__u32 i;

	for (i = 0; i < VIGIL_HOOK_ARGS_MAX; i++) {
		if (i >= heap->cfg.nargs)
			break;
		if (((heap->cfg.sel_args >> i) & 1) == want)
			hook__capture(heap, i, ret);
	}
}

/*
 * Build the record for hook_id from heap->cfg and heap->args, run the
 * hook's selectors, act, and post it if the actions say so. A call no
 * selector matches leaves no trace but the hook's call counter, and costs
 * only the arguments the selectors read: the others are captured after a
 * match. flags: VIGIL_HOOK_R_RETURN when ret is meaningful.
 * Returns the error an Override action asks the hook to return, or 0.
 */
static __always_inline __s32 hook__emit(struct vigil_heap *heap, __u32 hook_id, __s64 ret,
					__u32 flags)
{
	struct vigil_hook_record *rec = (struct vigil_hook_record *)heap->rec;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 now = bpf_ktime_get_boot_ns();
	__s32 override = 0;
	int sel_idx, post;
	__u32 size;

	heap->off = sizeof(struct vigil_hook_record);
	rec->nargs = heap->cfg.nargs;
	rec->ret = ret; /* matchReturnArgs reads it */
	hook__capture_some(heap, ret, 1);
	sel_idx = sel__first_match(heap, hook_id);
	if (sel_idx < 0)
		return 0;
	if (process__key_of(task, &rec->key))
		flags |= VIGIL_HOOK_R_PROCFS;
	rec->hook_id = hook_id;
	rec->flags = flags;
	rec->ret = ret;
	rec->selector = heap->cfg.nselectors ? (__u8)(sel_idx + 1) : 0;
	rec->pad = 0;
	rec->action = hook__act(heap, hook_id, sel_idx, &post, &override);
	if (!post)
		return override;
	hook__capture_some(heap, ret, 0);
	if (heap->cfg.nselectors && sel__rate_limited(heap, hook_id, (__u32)sel_idx))
		return override;
	size = heap->off;
	if (size > VIGIL_HEAP_REC_LIMIT)
		size = VIGIL_HEAP_REC_LIMIT;
	event__fill_header(&rec->hdr, VIGIL_EVENT_HOOK, size, now);
	if (size < sizeof(struct vigil_hook_record))
		return override;
	/* posted counts records that reached the ring buffer; the others are ring-buffer losses. */
	if (event__submit(heap->rec, size))
		hook__count(hook_id, VIGIL_HOOK_STAT_POSTED);
	return override;
}

/* Loads hook_id's config into the heap; 0 if the hook is not (or no longer) there. */
static __always_inline int hook__prepare(struct vigil_heap *heap, __u32 hook_id)
{
	struct vigil_hook_config *cfg = bpf_map_lookup_elem(&vigil_hooks, &hook_id);

	if (!cfg || !(cfg->flags & VIGIL_HOOK_CFG_VALID)) {
		stats__inc(VIGIL_STAT_HOOK_NO_CONFIG);
		return 0;
	}
	heap->cfg = *cfg;
	return 1;
}

/* Tracepoint hooks: argument i is the record field cfg.args[i] describes. */
static __always_inline void hook__tp_fields(struct vigil_heap *heap, __u64 ctx)
{
	__u32 i;

	for (i = 0; i < VIGIL_HOOK_ARGS_MAX; i++) {
		struct vigil_hook_arg_config *ac;
		__u64 v = 0;
		__u32 size;

		if (i >= heap->cfg.nargs)
			break;
		ac = &heap->cfg.args[i];
		size = ac->tp_size;
		if (ac->tp_flags & VIGIL_TP_INLINE) {
			v = ctx + ac->tp_off;
		} else if (ac->tp_flags & VIGIL_TP_DATALOC) {
			__u32 loc = 0;

			bpf_probe_read_kernel(&loc, sizeof(loc), (void *)(ctx + ac->tp_off));
			v = ctx + (loc & 0xffff);
		} else {
			if (size > 8)
				size = 8;
			bpf_probe_read_kernel(&v, size & 15, (void *)(ctx + ac->tp_off));
			if (ac->tp_flags & VIGIL_TP_SIGNED) {
				if (size == 1)
					v = (__u64)(__s64)(__s8)v;
				else if (size == 2)
					v = (__u64)(__s64)(__s16)v;
				else if (size == 4)
					v = (__u64)(__s64)(__s32)v;
			}
		}
		heap->raw[i] = v;
	}
}

/*
 * Scoped hooks (cfg.scope_id != 0) run only for tasks in their scope's
 * cgroups. The set holds each selected container's own cgroup; the task may
 * sit in a cgroup nested below it (systemd in the container, a workload's
 * sub-cgroups), created at any time, so the task's ancestors are checked
 * here rather than vigild chasing every descendant. Level 0 is the root,
 * which is never in a set; the helper returns 0 past the task's own level.
 * A scope with the host marker (hostSelector {}) also covers tasks none of
 * whose cgroups belongs to a pod (VIGIL_SCOPE_ALL_PODS); only such scopes pay
 * for the second lookup per level.
 */
static __always_inline int hook__in_scope(__u32 scope_id)
{
	struct vigil_scope_key k = {.scope_id = scope_id};
	struct vigil_scope_key pods = {.scope_id = VIGIL_SCOPE_ALL_PODS};
	__u32 level;
	int host;

	if (scope_id == 0)
		return 1;
	k.cgroup_id = VIGIL_SCOPE_HOST_CGROUP;
	host = bpf_map_lookup_elem(&vigil_scope_cgroups, &k) != NULL;
	for (level = 1; level <= VIGIL_SCOPE_LEVELS; level++) {
		k.cgroup_id = bpf_get_current_ancestor_cgroup_id(level);
		if (k.cgroup_id == 0)
			break;
		if (bpf_map_lookup_elem(&vigil_scope_cgroups, &k))
			return 1;
		if (host) {
			pods.cgroup_id = k.cgroup_id;
			if (bpf_map_lookup_elem(&vigil_scope_cgroups, &pods))
				host = 0; /* in a pod the scope does not select */
		}
	}
	return host;
}

/* How hook__run uses the arguments in heap->raw. */
#define HOOK_AT_ENTRY 0 /* emit now, or save them for a return hook */
#define HOOK_AT_EXIT 1  /* emit with the arguments saved at entry and ret */
#define HOOK_AT_ONCE 2  /* emit now with ret (fexit, tracepoints: args and ret together) */

/*
 * One call of hook hook_id, its arguments in heap->raw (or, for tracepoint
 * hooks, read from the record at heap->tp_ctx). Global: verified once per
 * program, whatever the number of hooks it dispatches to.
 * Returns the error an Override action asks the program to return, or 0.
 */
__noinline int hook__run(struct vigil_heap *heap, __u32 hook_id, __s64 ret, __u32 mode)
{
	struct vigil_ret_key key = {bpf_get_current_pid_tgid(), hook_id, 0};
	struct vigil_ret_args *saved;

	if (!heap || !hook__prepare(heap, hook_id))
		return 0;
	/* Before anything is captured or saved: out of scope, the call never happened. */
	if (!hook__in_scope(heap->cfg.scope_id)) {
		stats__inc(VIGIL_STAT_OUT_OF_SCOPE);
		return 0;
	}
	if (mode == HOOK_AT_EXIT) {
		if (!(heap->cfg.flags & VIGIL_HOOK_CFG_RETURN))
			return 0;
		saved = bpf_map_lookup_elem(&vigil_ret_args_map, &key);
		if (!saved) {
			stats__inc(VIGIL_STAT_RET_MISSING);
			return 0;
		}
		__builtin_memcpy(heap->args, saved->args, sizeof(heap->args));
		bpf_map_delete_elem(&vigil_ret_args_map, &key);
		return hook__emit(heap, hook_id, ret, VIGIL_HOOK_R_RETURN);
	}
	hook__count(hook_id, VIGIL_HOOK_STAT_CALLS);
	if (heap->cfg.flags & VIGIL_HOOK_CFG_TRACEPOINT)
		hook__tp_fields(heap, heap->tp_ctx);
	if (mode == HOOK_AT_ENTRY && (heap->cfg.flags & VIGIL_HOOK_CFG_RETURN)) {
		struct vigil_ret_args s = {};

		__builtin_memcpy(s.args, heap->raw, sizeof(s.args));
		s.hook_id = hook_id;
		s.ktime = bpf_ktime_get_boot_ns();
		if (bpf_map_update_elem(&vigil_ret_args_map, &key, &s, BPF_ANY))
			stats__inc(VIGIL_STAT_RET_MAP_FULL);
		return 0;
	}
	__builtin_memcpy(heap->args, heap->raw, sizeof(heap->args));
	return hook__emit(heap, hook_id, ret,
			  mode == HOOK_AT_ONCE && (heap->cfg.flags & VIGIL_HOOK_CFG_RETURN) ?
				  VIGIL_HOOK_R_RETURN : 0);
}

/*
 * vigild's own tgid, set before load. The agent never reports its own
 * calls: writing the export file would otherwise be a write event, whose
 * export is another write, without end.
 */
const volatile __u32 vigil_self_tgid = 0;

static __always_inline int hook__is_self(void)
{
	return vigil_self_tgid != 0 && (bpf_get_current_pid_tgid() >> 32) == vigil_self_tgid;
}

static __always_inline struct vigil_heap *hook__heap(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vigil_heap_map, &zero);
}

#endif /* VIGIL_HOOK_H */
