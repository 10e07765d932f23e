/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hooks object: generic kprobe, fentry, LSM, tracepoint and uprobe
 * programs for TracingPolicy hooks (progs/generic.bpf.c). A second object
 * beside vigil.bpf.c because vigild loads it once per hook, with only the
 * one program it needs and every map shared with the main object.
 */
#include "progs/generic.bpf.c"

char LICENSE[] SEC("license") = "GPL";
