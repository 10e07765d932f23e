/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The floor: empty BPF programs on the attach points a syscall hook can use.
 * Whatever a probe costs beyond these is the probe's own work; these cost
 * only the kernel's dispatch to BPF.
 *
 * - tracepoint syscalls/sys_enter_write: the attach point vigild uses for a
 *   `syscall: true` hook on sys_write (bpf/progs/syscall.bpf.c), attached the
 *   same way (perf-event link). Fires only on write().
 * - raw_tp sys_enter: the alternative, one program for every syscall with a
 *   syscall-number check inside. Fires on every syscall of every process.
 *
 * No includes beyond libbpf's section macros: the programs touch nothing.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_write")
int floor_tp_write(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int floor_raw_sys_enter(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
