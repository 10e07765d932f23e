/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VIGIL_EVENT_H
#define VIGIL_EVENT_H

#include "lib/maps.h"
#include "lib/stats.h"
#include <bpf/bpf_helpers.h>

static __always_inline void event__fill_header(struct vigil_event_header *h, __u16 type,
					       __u32 size, __u64 ktime)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	h->type = type;
	h->version = VIGIL_ABI_VERSION;
	h->size = size;
	h->ktime = ktime;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->cgroup_id = bpf_get_current_cgroup_id();
}

/* Copy a finished record into the ring buffer; a full buffer is counted. 1 if it went in. */
static __always_inline int event__submit(void *rec, __u64 size)
{
	if (bpf_ringbuf_output(&vigil_events, rec, size, 0) < 0) {
		stats__inc(VIGIL_STAT_RB_RESERVE_FAIL);
		return 0;
	}
	return 1;
}

#endif /* VIGIL_EVENT_H */
