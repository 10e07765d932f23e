/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hooks: tracepoints syscalls/sys_enter_<name> and syscalls/sys_exit_<name>
 *   sys_enter ctx: common fields, int __syscall_nr, then six 8-byte args at
 *   offset 16; sys_exit ctx: common fields, int __syscall_nr, long ret.
 * The generic syscall hook for `syscall: true` TracingPolicy calls on kernels
 * without kprobes (this project's CI kernel). One program, attached once per
 * hooked syscall; the attachment's BPF cookie is a dispatch slot listing the
 * hooks on that syscall (see vigil_dispatch_map). Userspace rewrites a list
 * while calls walk it, so hooks never move in it and free positions hold
 * VIGIL_HOOK_MAX (src/probe/syscall_tracepoints.cpp). Per-syscall tracepoints
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

SEC("tracepoint")
int vigil_sys_enter(struct vigil_sys_enter_ctx *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	struct vigil_dispatch *d;
	struct vigil_heap *heap;
	__u32 i;

	if (hook__is_self())
		return 0;
	d = bpf_map_lookup_elem(&vigil_dispatch_map, &slot);
	heap = hook__heap();
	if (!d || !heap)
		return 0;
	hook__read_args(ctx, heap->raw);
	for (i = 0; i < VIGIL_DISPATCH_MAX; i++) {
		__u32 hook_id;

		if (i >= d->n)
			break;
		hook_id = d->hooks[i];
		if (hook_id >= VIGIL_HOOK_MAX) /* a free position */
			continue;
		hook__run(heap, hook_id, 0, HOOK_AT_ENTRY);
	}
	return 0;
}

SEC("tracepoint")
int vigil_sys_exit(struct vigil_sys_exit_ctx *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	struct vigil_dispatch *d;
	struct vigil_heap *heap;
	__s64 ret;
	__u32 i;

	if (hook__is_self())
		return 0;
	d = bpf_map_lookup_elem(&vigil_dispatch_map, &slot);
	heap = hook__heap();
	if (!d || !heap)
		return 0;
	ret = ctx->ret;
	for (i = 0; i < VIGIL_DISPATCH_MAX; i++) {
		__u32 hook_id;

		if (i >= d->n)
			break;
		hook_id = d->hooks[i];
		if (hook_id >= VIGIL_HOOK_MAX)
			continue;
		hook__run(heap, hook_id, ret, HOOK_AT_EXIT);
	}
	return 0;
}
