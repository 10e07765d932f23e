/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The single BPF compilation unit: one object, one skeleton, embedded in
 * vigild. Each hook family lives in its own file under progs/.
 */
#include "progs/exec.bpf.c"
#include "progs/fork.bpf.c"
#include "progs/exit.bpf.c"
#include "progs/syscall.bpf.c"

char LICENSE[] SEC("license") = "GPL";
