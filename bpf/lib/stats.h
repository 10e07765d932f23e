/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VIGIL_STATS_H
#define VIGIL_STATS_H

#include "lib/maps.h"

/* BPF code never fails loudly: it counts, and userspace exports the counts. */
static __always_inline void stats__inc(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&vigil_stats, &slot);

	if (v)
		*v += 1;
}

#endif /* VIGIL_STATS_H */
