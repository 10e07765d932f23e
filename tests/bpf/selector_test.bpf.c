/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF_PROG_TEST_RUN harness for bpf/lib/selector.h: one raw_tp program, never
 * attached, run by user space with a case from vigil_test_input. raw_tp
 * because its test_run runs in the caller's task (matchPIDs and
 * matchNamespaces read the current task) with the tracing helpers
 * selector.h uses.
 */
#include "lib/selector.h"
#include "selector_test.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_test_in);
} vigil_test_input SEC(".maps");

SEC("raw_tp")
int vigil_selector_test(void *ctx)
{
	__u32 zero = 0;
	struct vigil_heap *heap = bpf_map_lookup_elem(&vigil_heap_map, &zero);
	struct vigil_test_in *in = bpf_map_lookup_elem(&vigil_test_input, &zero);

	if (!heap || !in)
		return -1;
	switch (in->kind) {
	case VIGIL_TEST_STR:
		bpf_probe_read_kernel(heap->rec, sel__bound(in->len), in->data);
		return sel__str_in_set(heap, in->set_id, 0, in->len, in->op);
	case VIGIL_TEST_SOCKADDR:
		bpf_probe_read_kernel(heap->rec, sizeof(in->data), in->data);
		return sel__sockaddr_match(heap, 0, in->len, in->op, in->set_id);
	case VIGIL_TEST_INT:
		return sel__int_match(&in->arg, in->value);
	case VIGIL_TEST_PIDS:
		return sel__pids_match(&in->pids);
	case VIGIL_TEST_NS:
		return sel__ns_match(in->sel_idx);
	}
	return -1;
}

char LICENSE[] SEC("license") = "GPL";
