/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hooks: tracepoints syscalls/sys_enter_<name> and syscalls/sys_exit_<name>
 *   sys_enter ctx: common fields, int __syscall_nr, then six 8-byte args at
 *   offset 16; sys_exit ctx: common fields, int __syscall_nr, long ret.
 * The generic syscall hook for `syscall: true` TracingPolicy calls on kernels
 * without kprobes (this project's CI kernel). One program, attached once per
 * hooked syscall; the attachment's BPF cookie is a dispatch slot listing the
 * hooks on that syscall (see vigil_dispatch_map). Per-syscall tracepoints
 * were chosen over a raw sys_enter tracepoint with a syscall-number filter
 * because they cost less on the syscalls nobody hooks (measured ~82 ns vs
 * ~150 ns per unrelated syscall; docs/benchmarks.md).
 */
#include "lib/hook.h"

/* Layout of the syscall tracepoints' records (stable since 4.x). */
struct vigil_sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct vigil_sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/*
 * Copies all six argument slots whatever the syscall's arity. Not by direct
 * ctx access: the kernel refuses to attach a program whose ctx reads go past
 * the tracepoint's record (perf_event_attach_bpf_prog: max_ctx_offset ->
 * EACCES), and sys_enter_write's record ends after three arguments. Slots
 * past the arity hold whatever follows the record; plans never use them.
 */
static __always_inline void hook__read_args(struct vigil_sys_enter_ctx *ctx, __u64 *args)
{
	bpf_probe_read_kernel(args, 6 * sizeof(__u64), &ctx->args[0]);
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

/* One hook at syscall entry. Global: verified once, whatever the dispatch count. */
__noinline int sys__enter_hook(struct vigil_heap *heap, __u32 hook_id, __u64 pid_tgid)
{
	if (!heap || !hook__prepare(heap, hook_id))
		return 0;
	hook__count(hook_id, VIGIL_HOOK_STAT_CALLS);
	if (heap->cfg.flags & VIGIL_HOOK_CFG_RETURN) {
		struct vigil_ret_key key = {pid_tgid, hook_id, 0};
		struct vigil_ret_args saved = {};

		__builtin_memcpy(saved.args, heap->raw, sizeof(saved.args));
		saved.hook_id = hook_id;
		saved.ktime = bpf_ktime_get_boot_ns();
		if (bpf_map_update_elem(&vigil_ret_args_map, &key, &saved, BPF_ANY))
			stats__inc(VIGIL_STAT_RET_MAP_FULL);
		return 0;
	}
	__builtin_memcpy(heap->args, heap->raw, sizeof(heap->args));
	hook__emit(heap, hook_id, 0, 0);
	return 0;
}

/* One return hook at syscall exit, with the arguments saved at entry. */
__noinline int sys__exit_hook(struct vigil_heap *heap, __u32 hook_id, __u64 pid_tgid, __s64 ret)
{
	struct vigil_ret_key key = {pid_tgid, hook_id, 0};
	struct vigil_ret_args *saved;

	if (!heap || !hook__prepare(heap, hook_id) || !(heap->cfg.flags & VIGIL_HOOK_CFG_RETURN))
		return 0;
	saved = bpf_map_lookup_elem(&vigil_ret_args_map, &key);
	if (!saved) {
		stats__inc(VIGIL_STAT_RET_MISSING);
		return 0;
	}
	__builtin_memcpy(heap->args, saved->args, sizeof(heap->args));
	bpf_map_delete_elem(&vigil_ret_args_map, &key);
	hook__emit(heap, hook_id, ret, VIGIL_HOOK_R_RETURN);
	return 0;
}

static __always_inline struct vigil_heap *sys__heap(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&vigil_heap_map, &zero);
}

SEC("tracepoint")
int vigil_sys_enter(struct vigil_sys_enter_ctx *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	struct vigil_dispatch *d;
	struct vigil_heap *heap;
	__u64 pid_tgid;
	__u32 i;

	if (hook__is_self())
		return 0;
	d = bpf_map_lookup_elem(&vigil_dispatch_map, &slot);
	heap = sys__heap();
	if (!d || !heap)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	hook__read_args(ctx, heap->raw);
	for (i = 0; i < VIGIL_DISPATCH_MAX; i++) {
		if (i >= d->n)
			break;
		sys__enter_hook(heap, d->hooks[i], pid_tgid);
	}
	return 0;
}

SEC("tracepoint")
int vigil_sys_exit(struct vigil_sys_exit_ctx *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	struct vigil_dispatch *d;
	struct vigil_heap *heap;
	__u64 pid_tgid;
	__s64 ret;
	__u32 i;

	if (hook__is_self())
		return 0;
	d = bpf_map_lookup_elem(&vigil_dispatch_map, &slot);
	heap = sys__heap();
	if (!d || !heap)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	ret = ctx->ret;
	for (i = 0; i < VIGIL_DISPATCH_MAX; i++) {
		if (i >= d->n)
			break;
		sys__exit_hook(heap, d->hooks[i], pid_tgid, ret);
	}
	return 0;
}
