/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fills a BPF ring buffer with records userspace put in `records`, so the
 * pipeline benchmark can time libbpf's ring_buffer__consume on the same
 * bytes the agent decodes. Run with BPF_PROG_TEST_RUN (a "syscall"
 * program: no hook, no attach); ctx says how many records to post.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define FILL_RECORD_MAX 4096
#define FILL_RECORDS 16

struct fill_record {
	__u32 len;
	__u32 pad;
	__u8 data[FILL_RECORD_MAX];
};

struct fill_args {
	__u32 nrecords; /* records[0 .. nrecords-1] used in turn */
	__u32 count;    /* records to post */
	__u32 posted;   /* out: records posted (the ring may fill first) */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} fill_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FILL_RECORDS);
	__type(key, __u32);
	__type(value, struct fill_record);
} records SEC(".maps");

struct fill_ctx {
	__u32 nrecords;
	__u32 posted;
};

static long post_one(__u64 i, struct fill_ctx *c)
{
	__u32 key = (__u32)i % (c->nrecords ? c->nrecords : 1);
	struct fill_record *r = bpf_map_lookup_elem(&records, &key);
	__u32 len;

	if (!r)
		return 1;
	len = r->len;
	if (len == 0 || len > FILL_RECORD_MAX)
		return 1;
	if (bpf_ringbuf_output(&fill_ring, r->data, len, BPF_RB_NO_WAKEUP))
		return 1; /* ring full: stop */
	c->posted++;
	return 0;
}

SEC("syscall")
int fill(struct fill_args *args)
{
	struct fill_ctx c = {args->nrecords, 0};

	bpf_loop(args->count, post_one, &c, 0);
	args->posted = c.posted;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
