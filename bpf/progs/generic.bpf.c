/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic hook programs of the hooks object (vigil_hooks.bpf.c), one per
 * attach method. vigild opens a fresh instance of that object for each hook
 * (or, with kprobe.multi, for each group of functions), turns on only the
 * program it needs, points it at its target, shares every map with the main
 * object (bpf_map__reuse_fd) and sets the hook id in .rodata. A per-hook
 * instance is what fentry/fexit/fmod_ret/LSM need anyway (their target is
 * fixed at load) and what raw tracepoints need for an id on kernels without
 * raw_tp cookies (< 6.10); kprobe.multi takes the id from the cookie.
 *
 * Argument sources, by method:
 *   kprobe / uprobe:     pt_regs: di si dx cx r8 r9 (x86-64 calling convention)
 *   kprobe on __x64_sys_*: the syscall wrapper's one argument is the user
 *                        pt_regs: di si dx r10 r8 r9 (syscall convention)
 *   fentry/fexit/fmod_ret/lsm: bpf_get_func_arg (the trampoline's copy)
 *   tracepoint:          record fields at offsets from tracefs (hook__tp_fields)
 *   raw tracepoint:      the TP_PROTO arguments
 * Return values: kretprobe/uretprobe (ax), fexit (bpf_get_func_ret).
 */
#include "lib/hook.h"

const volatile __u32 vigil_hook_id = 0;      /* this instance's hook */
const volatile __u32 vigil_use_cookie = 0;   /* kprobe.multi: the id is the attach cookie */
const volatile __u32 vigil_syscall_regs = 0; /* kprobe on a syscall wrapper */

static __always_inline __u32 gen__id(void *ctx)
{
	return vigil_use_cookie ? (__u32)bpf_get_attach_cookie(ctx) : vigil_hook_id;
}

static __always_inline void gen__regs(struct pt_regs *ctx, __u64 *raw)
{
	raw[0] = BPF_CORE_READ(ctx, di);
	raw[1] = BPF_CORE_READ(ctx, si);
	raw[2] = BPF_CORE_READ(ctx, dx);
	raw[3] = BPF_CORE_READ(ctx, cx);
	raw[4] = BPF_CORE_READ(ctx, r8);
	raw[5] = BPF_CORE_READ(ctx, r9);
}

static __always_inline void gen__syscall_regs(struct pt_regs *ctx, __u64 *raw)
{
	struct pt_regs *regs = (struct pt_regs *)BPF_CORE_READ(ctx, di);

	raw[0] = BPF_CORE_READ(regs, di);
	raw[1] = BPF_CORE_READ(regs, si);
	raw[2] = BPF_CORE_READ(regs, dx);
	raw[3] = BPF_CORE_READ(regs, r10);
	raw[4] = BPF_CORE_READ(regs, r8);
	raw[5] = BPF_CORE_READ(regs, r9);
}

static __always_inline int gen__kprobe(struct pt_regs *ctx, __u32 hook_id)
{
	struct vigil_heap *heap;

	if (hook__is_self())
		return 0;
	heap = hook__heap();
	if (!heap)
		return 0;
	if (vigil_syscall_regs)
		gen__syscall_regs(ctx, heap->raw);
	else
		gen__regs(ctx, heap->raw);
	hook__run(heap, hook_id, 0, HOOK_AT_ENTRY);
	return 0;
}

static __always_inline int gen__kretprobe(struct pt_regs *ctx, __u32 hook_id)
{
	struct vigil_heap *heap;

	if (hook__is_self())
		return 0;
	heap = hook__heap();
	if (!heap)
		return 0;
	hook__run(heap, hook_id, (__s64)BPF_CORE_READ(ctx, ax), HOOK_AT_EXIT);
	return 0;
}

SEC("kprobe")
int vigil_kprobe(struct pt_regs *ctx)
{
	return gen__kprobe(ctx, gen__id(ctx));
}

SEC("kretprobe")
int vigil_kretprobe(struct pt_regs *ctx)
{
	return gen__kretprobe(ctx, gen__id(ctx));
}

SEC("kprobe.multi")
int vigil_kprobe_multi(struct pt_regs *ctx)
{
	return gen__kprobe(ctx, (__u32)bpf_get_attach_cookie(ctx));
}

SEC("kretprobe.multi")
int vigil_kretprobe_multi(struct pt_regs *ctx)
{
	return gen__kretprobe(ctx, (__u32)bpf_get_attach_cookie(ctx));
}

SEC("uprobe")
int vigil_uprobe(struct pt_regs *ctx)
{
	return gen__kprobe(ctx, gen__id(ctx));
}

SEC("uretprobe")
int vigil_uretprobe(struct pt_regs *ctx)
{
	return gen__kretprobe(ctx, gen__id(ctx));
}

/* Trampoline programs: arguments from the trampoline's saved copy. */
static __always_inline int gen__trampoline(__u64 *ctx, __u32 mode, int with_ret)
{
	struct vigil_heap *heap;
	__u64 ret = 0;
	__u32 i;

	if (hook__is_self())
		return 0;
	heap = hook__heap();
	if (!heap)
		return 0;
	for (i = 0; i < 6; i++) {
		__u64 v = 0;

		bpf_get_func_arg(ctx, i, &v);
		heap->raw[i] = v;
	}
	if (with_ret)
		bpf_get_func_ret(ctx, &ret);
	return hook__run(heap, vigil_hook_id, (__s64)ret, mode);
}

SEC("fentry")
int vigil_fentry(__u64 *ctx)
{
	gen__trampoline(ctx, HOOK_AT_ENTRY, 0);
	return 0;
}

SEC("fexit")
int vigil_fexit(__u64 *ctx)
{
	gen__trampoline(ctx, HOOK_AT_ONCE, 1);
	return 0;
}

/*
 * Errors an Override may return: -4095..-1, as the kernel's IS_ERR_VALUE.
 * The bounds are checked on the sign-extended 64-bit value, behind an asm
 * barrier so clang returns that register and not an unchecked copy (6.12
 * checks LSM return values: "R0 has unknown scalar value should have been
 * in [-4095, 0]").
 */
static __always_inline int gen__errno(int err)
{
	__s64 e = err;

	asm volatile("" : "+r"(e));
	if (e < -4095 || e > 0)
		return 0;
	return e;
}

/* fmod_ret on a security_ (or error-injectable) function: non-zero skips it. */
SEC("fmod_ret")
int vigil_fmod_ret(__u64 *ctx)
{
	return gen__errno(gen__trampoline(ctx, HOOK_AT_ENTRY, 0));
}

/* BPF LSM: the return value is this hook's verdict (0 allows). */
SEC("lsm")
int vigil_lsm(__u64 *ctx)
{
	return gen__errno(gen__trampoline(ctx, HOOK_AT_ENTRY, 0));
}

SEC("tracepoint")
int vigil_tracepoint(void *ctx)
{
	struct vigil_heap *heap;

	if (hook__is_self())
		return 0;
	heap = hook__heap();
	if (!heap)
		return 0;
	/*
	 * A global function takes no ctx pointer (6.18: "R5 is not a scalar"),
	 * so the record's address travels through the heap as a number; the
	 * fields are read with bpf_probe_read_kernel, not direct ctx access.
	 */
	heap->tp_ctx = (__u64)ctx;
	hook__run(heap, gen__id(ctx), 0, HOOK_AT_ONCE);
	return 0;
}

/*
 * Raw tracepoint: ctx holds the TP_PROTO arguments. Copied with a helper,
 * not read directly: the kernel refuses to attach a program whose ctx reads
 * go past the tracepoint's argument count (bpf_probe_register: EINVAL).
 */
SEC("raw_tp")
int vigil_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	struct vigil_heap *heap;

	if (hook__is_self())
		return 0;
	heap = hook__heap();
	if (!heap)
		return 0;
	bpf_probe_read_kernel(heap->raw, sizeof(heap->raw), ctx);
	hook__run(heap, vigil_hook_id, 0, HOOK_AT_ONCE);
	return 0;
}
