/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TracingPolicy selectors, evaluated in the kernel after a hook's arguments
 * are captured into heap->rec (see hook.h) and before anything is posted.
 * Semantics (Tetragon's): selectors are ORed and the first that matches
 * supplies the actions; the blocks of a selector are ANDed; values are ORed
 * for positive operators, and a negated operator matches when no value does.
 */
#ifndef VIGIL_SELECTOR_H
#define VIGIL_SELECTOR_H

#include "lib/maps.h"
#include "lib/process.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/*
 * The heap as a map value. Global functions receive `heap` as plain memory,
 * and kernels before 6.2 (6.1: "R2 type=mem expected=fp, pkt, pkt_meta,
 * map_key, map_value") refuse plain memory as a map key; a fresh lookup
 * gives a map value they accept.
 */
static __always_inline struct vigil_heap *sel__keys(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vigil_heap_map, &zero);
}

/* A length the verifier sees bounded to 255 (see hook__bound for why asm). */
static __always_inline __u32 sel__bound(__u32 v)
{
	asm volatile("%[v] &= 0xff" : [v] "+r"(v));
	return v;
}

/* Negated operators match when their positive form does not. */
static __always_inline int sel__negated(__u8 op)
{
	return op == VIGIL_OP_NEQ || op == VIGIL_OP_NOTPREFIX || op == VIGIL_OP_NOTPOSTFIX ||
	       op == VIGIL_OP_NOTADDR || op == VIGIL_OP_NOTPORT || op == VIGIL_OP_NOTINMAP;
}

/*
 * Is the string at heap->rec[off, off+len) in set `set_id` under `op`
 * (positive form)? The bytes are copied into a zeroed key in the heap.
 */
__noinline int sel__str_in_set(struct vigil_heap *heap, __u32 set_id, __u32 off, __u32 len,
			       __u32 op)
{
	struct vigil_heap *k;
	__u32 n, i;

	if (!heap)
		return 0;
	n = len > VIGIL_STR_MAX ? VIGIL_STR_MAX : len;
	/* Strings live in the record (off < VIGIL_HEAP_REC_LIMIT) or staged in
	 * the slack after it (matchBinaries), so the whole rec array is valid. */
	if (off > VIGIL_HEAP_REC_SIZE - 256)
		return 0;
	if (op == VIGIL_OP_EQ || op == VIGIL_OP_NEQ) {
		/* A longer string cannot equal any value (values are <= VIGIL_STR_MAX). */
		if (len > VIGIL_STR_MAX)
			return 0;
		k = sel__keys();
		if (!k)
			return 0;
		__builtin_memset(&k->skey, 0, sizeof(k->skey));
		k->skey.set_id = set_id;
		k->skey.len = n;
		bpf_probe_read_kernel(k->skey.data, sel__bound(n), &heap->rec[off]);
		return bpf_map_lookup_elem(&vigil_str_eq, &k->skey) != 0;
	}
	k = sel__keys();
	if (!k)
		return 0;
	__builtin_memset(&k->lkey, 0, sizeof(k->lkey));
	k->lkey.set_id = bpf_htonl(set_id);
	k->lkey.prefixlen = 32 + 8 * n;
	if (op == VIGIL_OP_PREFIX || op == VIGIL_OP_NOTPREFIX) {
		bpf_probe_read_kernel(k->lkey.data, sel__bound(n), &heap->rec[off]);
		return bpf_map_lookup_elem(&vigil_str_prefix, &k->lkey) != 0;
	}
	/* Postfix: the last n bytes, reversed, against the reversed values. */
	for (i = 0; i < VIGIL_STR_MAX; i++) {
		__u32 at;

		if (i >= n)
			break;
		at = off + len - 1 - i;
		if (at >= VIGIL_HEAP_REC_SIZE)
			break;
		k->lkey.data[i] = heap->rec[at];
	}
	return bpf_map_lookup_elem(&vigil_str_postfix, &k->lkey) != 0;
}

static __always_inline int sel__int_match(const struct vigil_sel_arg *f, __u64 v)
{
	__u32 i;

	if (f->op == VIGIL_OP_GT)
		return f->is_signed ? (__s64)v > (__s64)f->ranges[0].min : v > f->ranges[0].min;
	if (f->op == VIGIL_OP_LT)
		return f->is_signed ? (__s64)v < (__s64)f->ranges[0].min : v < f->ranges[0].min;
	for (i = 0; i < VIGIL_SEL_RANGES_MAX; i++) {
		if (i >= f->nranges)
			break;
		if (f->op == VIGIL_OP_MASK) {
			if (v & f->ranges[i].min)
				return 1;
		} else if (f->is_signed) {
			if ((__s64)v >= (__s64)f->ranges[i].min && (__s64)v <= (__s64)f->ranges[i].max)
				return 1;
		} else if (v >= f->ranges[i].min && v <= f->ranges[i].max) {
			return 1;
		}
	}
	return 0;
}

/* InMap / NotInMap (positive form): is integer v in set set_id? */
__noinline int sel__int_in_set(__u32 set_id, __u64 v)
{
	struct vigil_heap *k = sel__keys();

	if (!k)
		return 0;
	__builtin_memset(&k->skey, 0, sizeof(k->skey));
	k->skey.set_id = set_id;
	k->skey.len = sizeof(v);
	__builtin_memcpy(k->skey.data, &v, sizeof(v));
	return bpf_map_lookup_elem(&vigil_str_eq, &k->skey) != 0;
}

/* An integer operator's positive form: inline ranges, or the InMap set. */
static __always_inline int sel__int_hit(const struct vigil_sel_arg *f, __u64 v)
{
	if (f->op == VIGIL_OP_INMAP || f->op == VIGIL_OP_NOTINMAP)
		return sel__int_in_set(f->set_id, v);
	return sel__int_match(f, v);
}

/*
 * A captured struct sockaddr (AF_INET: port at 2, address at 4; AF_INET6:
 * port at 2, address at 8) against an address, port or family filter.
 * Returns the positive form's result.
 */
__noinline int sel__sockaddr_match(struct vigil_heap *heap, __u32 off, __u32 len, __u32 op,
				   __u32 set_id)
{
	struct vigil_heap *k;
	__u8 sa[24] = {};
	__u16 family, port;
	__u32 v6;

	if (!heap || len < 2)
		return 0;
	/* A fixed-size copy: constant offsets below, whatever the slice. */
	bpf_probe_read_kernel(sa, sizeof(sa), &heap->rec[off & VIGIL_HEAP_REC_MASK]);
	family = sa[0] | (sa[1] << 8);
	if (op == VIGIL_OP_FAMILY)
		return family;
	if ((family != 2 && family != 10) || len < 4)
		return -1; /* not an internet address: no port, no address */
	port = (sa[2] << 8) | sa[3];
	if (op == VIGIL_OP_PORT || op == VIGIL_OP_NOTPORT)
		return port;
	v6 = family == 10;
	if (len < (v6 ? 24 : 8))
		return -1;
	k = sel__keys();
	if (!k)
		return 0;
	__builtin_memset(&k->lkey, 0, sizeof(k->lkey));
	k->lkey.set_id = bpf_htonl(v6 ? (set_id | VIGIL_SET_V6) : set_id);
	k->lkey.prefixlen = 32 + (v6 ? 128 : 32);
	if (v6)
		__builtin_memcpy(k->lkey.data, &sa[8], 16);
	else
		__builtin_memcpy(k->lkey.data, &sa[4], 4);
	return bpf_map_lookup_elem(&vigil_str_prefix, &k->lkey) != 0;
}

/* One matchArgs entry against the captured arguments. */
static __always_inline int sel__arg_match(struct vigil_heap *heap, const struct vigil_sel_arg *f)
{
	struct vigil_hook_record *rec = (struct vigil_hook_record *)heap->rec;
	struct vigil_hook_arg *a;
	__u32 pos = f->pos;
	int hit;

	if (pos == VIGIL_SEL_POS_RETURN) {
		/* matchReturnArgs: integer operators on the return value. */
		hit = sel__int_hit(f, (__u64)rec->ret);
		return sel__negated(f->op) ? !hit : hit;
	}
	if (pos >= VIGIL_HOOK_ARGS_MAX)
		return 0;
	a = &rec->args[pos];
	switch (a->type) {
	case VIGIL_ARG_USTRING:
	case VIGIL_ARG_UBUF:
	case VIGIL_ARG_FD:
	case VIGIL_ARG_KSTRING:
	case VIGIL_ARG_KBUF:
	case VIGIL_ARG_FILE:
	case VIGIL_ARG_PATH:
	case VIGIL_ARG_DENTRY:
	case VIGIL_ARG_BINPRM:
		if (f->op == VIGIL_OP_GT || f->op == VIGIL_OP_LT || f->op == VIGIL_OP_MASK ||
		    f->op == VIGIL_OP_INMAP || f->op == VIGIL_OP_NOTINMAP)
			return 0;
		hit = sel__str_in_set(heap, f->set_id, a->data.off, a->data.len, f->op);
		break;
	case VIGIL_ARG_SOCKADDR: {
		int v = sel__sockaddr_match(heap, a->data.off, a->data.len, f->op, f->set_id);

		if (f->op == VIGIL_OP_FAMILY || f->op == VIGIL_OP_PORT || f->op == VIGIL_OP_NOTPORT)
			hit = v >= 0 && sel__int_match(f, (__u64)v);
		else
			hit = v > 0;
		break;
	}
	case VIGIL_ARG_S32:
		hit = sel__int_hit(f, (__u64)(__s64)(__s32)a->value);
		if (sel__negated(f->op))
			hit = !hit;
		return hit;
	case VIGIL_ARG_U32:
		hit = sel__int_hit(f, a->value & 0xffffffffULL);
		break;
	default:
		hit = sel__int_hit(f, a->value);
		break;
	}
	return sel__negated(f->op) ? !hit : hit;
}

static __always_inline __u32 sel__nspid(struct task_struct *task)
{
	struct pid *tp = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level) & 31;
	struct upid up = {};

	bpf_core_read(&up, sizeof(up), &tp->numbers[level]);
	return up.nr;
}

static __always_inline int sel__pid_in(const struct vigil_sel_pids *p, __u32 pid)
{
	__u32 i;

	for (i = 0; i < VIGIL_SEL_PIDS_MAX; i++) {
		if (i >= p->nvals)
			break;
		if (p->vals[i] == pid)
			return 1;
	}
	return 0;
}

static __always_inline int sel__pids_match(const struct vigil_sel_pids *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 pid = (p->flags & VIGIL_PIDS_F_NSPID) ? sel__nspid(task) : BPF_CORE_READ(task, tgid);
	int member = sel__pid_in(p, pid);

	if (!member && (p->flags & VIGIL_PIDS_F_FOLLOW)) {
		struct vigil_follow_entry fe = {};

		fe.set_id = p->follow_set;
		process__key_of(task, &fe.key);
		member = bpf_map_lookup_elem(&vigil_followed, &fe) != 0;
	}
	return p->op == VIGIL_OP_NEQ ? !member : member;
}

/*
 * matchBinaries (parent = 0) or matchParentBinaries (parent = 1): the exec
 * path of the caller or of its real parent, or with followChildren the sets
 * an ancestor's binary put the process in (see fork.bpf.c).
 */
static __always_inline int sel__bins_match(struct vigil_heap *heap, const struct vigil_sel_bins *b,
					   int parent)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = parent ? BPF_CORE_READ(task, real_parent, tgid) : bpf_get_current_pid_tgid() >> 32;
	struct vigil_bin *bin = bpf_map_lookup_elem(&vigil_bins, &tgid);
	__u32 at = VIGIL_HEAP_REC_LIMIT;
	int hit = 0;

	/* The path is staged past the record's end, in the heap's slack. */
	if (bin) {
		__u32 len = bin->len > VIGIL_STR_MAX ? VIGIL_STR_MAX : bin->len;

		if ((b->flags & VIGIL_BINS_F_FOLLOW) && ((bin->follow >> (b->follow_slot & 63)) & 1))
			hit = 1;
		if (!hit) {
			bpf_probe_read_kernel(&heap->rec[at], sel__bound(len), bin->path);
			hit = sel__str_in_set(heap, b->set_id, at, len, b->op);
		}
	}
	return sel__negated(b->op) ? !hit : hit;
}

/* The calling task's namespace inode of kind slot (enum vigil_ns_slot); 0 if unknown. */
static __always_inline __u32 sel__ns_inum(struct task_struct *task, __u32 slot)
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);

	switch (slot) {
	case VIGIL_NS_UTS:
		return BPF_CORE_READ(nsp, uts_ns, ns.inum);
	case VIGIL_NS_IPC:
		return BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	case VIGIL_NS_MNT:
		return BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	case VIGIL_NS_PID: {
		struct pid *tp = BPF_CORE_READ(task, thread_pid);
		unsigned int level = BPF_CORE_READ(tp, level) & 31;
		struct upid up = {};

		bpf_core_read(&up, sizeof(up), &tp->numbers[level]);
		return up.ns ? BPF_CORE_READ(up.ns, ns.inum) : 0;
	}
	case VIGIL_NS_PID_FOR_CHILDREN:
		return BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	case VIGIL_NS_NET:
		return BPF_CORE_READ(nsp, net_ns, ns.inum);
	case VIGIL_NS_TIME:
		if (bpf_core_field_exists(nsp->time_ns))
			return BPF_CORE_READ(nsp, time_ns, ns.inum);
		return 0;
	case VIGIL_NS_TIME_FOR_CHILDREN:
		if (bpf_core_field_exists(nsp->time_ns_for_children))
			return BPF_CORE_READ(nsp, time_ns_for_children, ns.inum);
		return 0;
	case VIGIL_NS_CGROUP:
		return BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	case VIGIL_NS_USER:
		return BPF_CORE_READ(task, cred, user_ns, ns.inum);
	}
	return 0;
}

/*
 * matchNamespaces of selector idx: every entry must hold (In: the inode is
 * one of the values; NotIn: none of them). Global: verified once.
 */
__noinline int sel__ns_match(__u32 idx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vigil_selector *sel = bpf_map_lookup_elem(&vigil_selectors, &idx);
	__u32 i, j;

	if (!sel)
		return 0;
	for (i = 0; i < VIGIL_SEL_NS_MAX; i++) {
		struct vigil_sel_ns *e;
		__u32 inum;
		int member = 0;

		if (i >= sel->nns)
			break;
		e = &sel->ns[i];
		inum = sel__ns_inum(task, e->slot);
		for (j = 0; j < VIGIL_SEL_NS_VALS_MAX; j++) {
			if (j < e->nvals && e->vals[j] == inum)
				member = 1;
		}
		if ((e->op == VIGIL_OP_NEQ) == member)
			return 0;
	}
	return 1;
}

/* The calling task's effective, inheritable and permitted sets (enum vigil_cap_set). */
static __always_inline void sel__cap_sets(const struct cred *cred, __u64 *eff, __u64 *inh, __u64 *prm)
{
	/* kernel_cap_t is u64 since 6.3 and u32[2] before: same 8 bytes. */
	bpf_core_read(eff, 8, &cred->cap_effective);
	bpf_core_read(inh, 8, &cred->cap_inheritable);
	bpf_core_read(prm, 8, &cred->cap_permitted);
}

/*
 * matchCapabilities, matchCapabilityChanges and matchNamespaceChanges of
 * selector idx (see struct vigil_sel_caps and struct vigil_creds). Runs
 * last in sel__match, so holding means the selector matched: a *Changes
 * match then refreshes the baseline to the current credentials, and one
 * change is reported once. Global: verified once.
 */
__noinline int sel__creds_match(__u32 idx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct vigil_selector *sel = bpf_map_lookup_elem(&vigil_selectors, &idx);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct vigil_heap *k = sel__keys();
	struct vigil_creds *base, *was, *now;
	const struct cred *cred;
	int have_base = 0, changes = 0;
	__u32 userns, i;

	if (!sel || !k)
		return 0;
	/* In the heap, not on the stack: the call chain's stack is near its limit. */
	now = &k->creds_now;
	was = &k->creds_was;
	__builtin_memset(now, 0, sizeof(*now));
	cred = BPF_CORE_READ(task, cred);
	sel__cap_sets(cred, &now->caps[VIGIL_CAPS_EFFECTIVE], &now->caps[VIGIL_CAPS_INHERITABLE],
		      &now->caps[VIGIL_CAPS_PERMITTED]);
	userns = BPF_CORE_READ(cred, user_ns, ns.inum);
	/* A copy: the verifier then needs no null check on every use. */
	base = bpf_map_lookup_elem(&vigil_creds, &tgid);
	if (base) {
		__builtin_memcpy(was, base, sizeof(*was));
		have_base = 1;
	}
	for (i = 0; i < VIGIL_SEL_CAPS_MAX; i++) {
		struct vigil_sel_caps *e;
		__u64 cur, old;
		__u32 set;
		int hit;

		if (i >= sel->ncaps)
			break;
		e = &sel->caps[i];
		if ((e->flags & VIGIL_CAPS_F_NS_ONLY) && userns == e->host_userns)
			return 0;
		set = e->set;
		if (set >= VIGIL_CAPS_COUNT)
			return 0;
		cur = now->caps[set];
		if (e->flags & VIGIL_CAPS_F_CHANGES) {
			if (!have_base)
				return 0; /* no baseline: nothing to compare with */
			old = was->caps[set];
			if ((old & e->mask) != (cur & e->mask))
				hit = e->op == VIGIL_OP_EQ;
			else
				hit = old != cur && e->op == VIGIL_OP_NEQ;
			if (!hit)
				return 0;
			changes = 1;
		} else {
			hit = (cur & e->mask) != 0;
			if (hit == (e->op == VIGIL_OP_NEQ))
				return 0;
		}
	}
	if (sel->nschg_op != VIGIL_OP_NONE || changes) {
		for (i = 0; i < VIGIL_NS_COUNT; i++)
			now->ns[i] = sel__ns_inum(task, i);
	}
	if (sel->nschg_op != VIGIL_OP_NONE) {
		int hit = 0;

		if (!have_base)
			return 0;
		for (i = 0; i < VIGIL_NS_COUNT; i++) {
			int watched = (sel->nschg_mask >> i) & 1;

			if (sel->nschg_op == VIGIL_OP_NEQ)
				watched = !watched;
			if (watched && was->ns[i] != 0 && was->ns[i] != now->ns[i]) {
				hit = 1;
				break;
			}
		}
		if (!hit)
			return 0;
		changes = 1;
	}
	if (changes)
		bpf_map_update_elem(&vigil_creds, &tgid, now, BPF_EXIST);
	return 1;
}

static __always_inline void sel__count(__u32 sel_key, __u32 slot)
{
	__u32 idx = sel_key * VIGIL_SEL_STAT_SLOTS + slot;
	__u64 *v = bpf_map_lookup_elem(&vigil_sel_stats, &idx);

	if (v)
		*v += 1;
}

/* Does selector `idx` of the hook match this call? */
__noinline int sel__match(struct vigil_heap *heap, __u32 idx)
{
	struct vigil_selector *sel = bpf_map_lookup_elem(&vigil_selectors, &idx);
	__u32 i;

	if (!heap || !sel)
		return 0;
	for (i = 0; i < VIGIL_SEL_PID_ENTRIES; i++) {
		if (sel->pids[i].op == VIGIL_OP_NONE)
			break;
		if (!sel__pids_match(&sel->pids[i]))
			return 0;
	}
	if (sel->bins.op != VIGIL_OP_NONE && !sel__bins_match(heap, &sel->bins, 0))
		return 0;
	if (sel->parent_bins.op != VIGIL_OP_NONE && !sel__bins_match(heap, &sel->parent_bins, 1))
		return 0;
	if (sel->nns && !sel__ns_match(idx))
		return 0;
	for (i = 0; i < VIGIL_SEL_ARGS_MAX; i++) {
		if (i >= sel->nargs)
			break;
		if (!sel__arg_match(heap, &sel->args[i]))
			return 0;
	}
	if ((sel->ncaps || sel->nschg_op) && !sel__creds_match(idx))
		return 0;
	return 1;
}

/*
 * Index of the first matching selector of hook_id, or -1. A hook without
 * selectors matches every call (index 0 with no actions: Post).
 */
static __always_inline int sel__first_match(struct vigil_heap *heap, __u32 hook_id)
{
	__u32 n = heap->cfg.nselectors, i;

	if (n == 0)
		return 0;
	for (i = 0; i < VIGIL_SELECTORS_MAX; i++) {
		if (i >= n)
			break;
		if (sel__match(heap, hook_id * VIGIL_SELECTORS_MAX + i)) {
			sel__count(hook_id * VIGIL_SELECTORS_MAX + i, VIGIL_SEL_STAT_MATCHED);
			return (int)i;
		}
	}
	return -1;
}

/* Argument types whose raw value identifies the argument (not a pointer). */
static __always_inline int sel__value_counts(__u8 type)
{
	return type == VIGIL_ARG_S32 || type == VIGIL_ARG_U32 || type == VIGIL_ARG_S64 ||
	       type == VIGIL_ARG_U64 || type == VIGIL_ARG_FD || type == VIGIL_ARG_CAPS;
}

/*
 * Post rateLimit of selector sel_idx: 1 if an identical event (same hook,
 * selector, scope and arguments, see struct vigil_rate_key) was posted less
 * than rate_ms ago, so this one is suppressed (and counted); else records
 * now as the last post and returns 0. Runs on the fully captured record.
 */
__noinline int sel__rate_limited(struct vigil_heap *heap, __u32 hook_id, __u32 sel_idx)
{
	__u32 key = hook_id * VIGIL_SELECTORS_MAX + sel_idx, i, j;
	struct vigil_hook_record *rec;
	struct vigil_selector *sel;
	struct vigil_heap *k;
	__u64 now, *last, pid_tgid;

	if (!heap || sel_idx >= VIGIL_SELECTORS_MAX)
		return 0;
	sel = bpf_map_lookup_elem(&vigil_selectors, &key);
	if (!sel || sel->rate_ms == 0)
		return 0;
	k = sel__keys();
	if (!k)
		return 0;
	__builtin_memset(&k->rkey, 0, sizeof(k->rkey));
	k->rkey.hook_id = hook_id;
	k->rkey.selector = sel_idx;
	pid_tgid = bpf_get_current_pid_tgid();
	if (sel->rate_scope == VIGIL_RATE_THREAD)
		k->rkey.scope = pid_tgid & 0xffffffff;
	else if (sel->rate_scope == VIGIL_RATE_PROCESS)
		k->rkey.scope = pid_tgid >> 32;
	rec = (struct vigil_hook_record *)heap->rec;
	for (i = 0; i < VIGIL_HOOK_ARGS_MAX; i++) {
		struct vigil_hook_arg *a = &rec->args[i];
		struct vigil_rate_arg *r = &k->rkey.args[i];
		__u32 len;

		if (i >= rec->nargs)
			break;
		if (sel__value_counts(a->type))
			r->value = a->value;
		len = a->data.len;
		r->len = len;
		bpf_probe_read_kernel(r->data, VIGIL_RATE_ARG_BYTES,
				      &heap->rec[a->data.off & VIGIL_HEAP_REC_MASK]);
		/* Bytes past the argument's end belong to the next one. */
		for (j = 0; j < VIGIL_RATE_ARG_BYTES; j++) {
			if (j >= len)
				r->data[j] = 0;
		}
	}
	now = bpf_ktime_get_boot_ns();
	last = bpf_map_lookup_elem(&vigil_rate, &k->rkey);
	if (last && now - *last < (__u64)sel->rate_ms * 1000000ULL) {
		sel__count(key, VIGIL_SEL_STAT_RATE_LIMITED);
		return 1;
	}
	bpf_map_update_elem(&vigil_rate, &k->rkey, &now, BPF_ANY);
	return 0;
}

/*
 * followChildren at fork: the child of ptgid gets its parent's sets plus
 * every set the parent's binary is in. The child's vigil_bins entry was
 * just copied from the parent's. Global: verified once.
 */
__noinline int sel__follow_bins_fork(struct vigil_heap *heap, __u32 ptgid, __u32 tgid)
{
	__u32 at = VIGIL_HEAP_REC_LIMIT, len, i;
	struct vigil_bin *bin;
	__u64 bits;

	if (!heap)
		return 0;
	bin = bpf_map_lookup_elem(&vigil_bins, &ptgid);
	if (!bin)
		return 0;
	len = bin->len > VIGIL_STR_MAX ? VIGIL_STR_MAX : bin->len;
	bits = bin->follow;
	bpf_probe_read_kernel(&heap->rec[at], sel__bound(len), bin->path);
	for (i = 0; i < VIGIL_BIN_FOLLOW_MAX; i++) {
		/* A separate key, as in fork__follow (6.1, 6.12: "infinite loop detected"). */
		__u32 key = i;
		struct vigil_bin_follow_set *fs = bpf_map_lookup_elem(&vigil_bin_follow_sets, &key);

		if (!fs || fs->set_id == 0)
			continue;
		if (sel__str_in_set(heap, fs->set_id, at, len, fs->op))
			bits |= 1ULL << (i & 63);
	}
	bin = bpf_map_lookup_elem(&vigil_bins, &tgid);
	if (bin)
		bin->follow = bits;
	return 0;
}

#endif /* VIGIL_SELECTOR_H */
