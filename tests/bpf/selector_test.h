/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Input of the BPF_PROG_TEST_RUN selector tests: user space writes one case
 * into map vigil_test_input, runs vigil_selector_test, reads its retval.
 * Shared by selector_test.bpf.c and selector_test.cpp.
 */
#ifndef VIGIL_SELECTOR_TEST_H
#define VIGIL_SELECTOR_TEST_H

#include "vigil/abi.h"

enum vigil_test_kind {
	VIGIL_TEST_STR = 1,  /* sel__str_in_set(data[0..len), set_id, op) */
	VIGIL_TEST_SOCKADDR, /* sel__sockaddr_match(data as struct sockaddr, len, op, set_id) */
	VIGIL_TEST_INT,      /* sel__int_match(arg, value) */
	VIGIL_TEST_PIDS,     /* sel__pids_match(pids) for the calling process */
	VIGIL_TEST_NS,       /* sel__ns_match(sel_idx) for the calling task */
};

struct vigil_test_in {
	__u32 kind; /* enum vigil_test_kind */
	__u32 op;
	__u32 set_id;
	__u32 len;
	__u64 value;
	__u32 sel_idx;
	__u32 pad;
	struct vigil_sel_arg arg;
	struct vigil_sel_pids pids;
	__u8 data[256];
};

#endif /* VIGIL_SELECTOR_TEST_H */
