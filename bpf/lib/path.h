/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VIGIL_PATH_H
#define VIGIL_PATH_H

#include "lib/maps.h"
#include <bpf/bpf_core_read.h>

#define VIGIL_PATH_MASK (VIGIL_PATH_MAX - 1)

struct vigil_path_result {
	__u32 start;   /* first byte of the path in heap->path */
	__u32 len;     /* bytes, no NUL */
	__u32 trunc;   /* 1 if components were dropped */
};

/*
 * A global (non-inlined) function: the verifier checks it once, on its own,
 * instead of once per caller and per loop exit (the inlined version made
 * vigil_exec exceed the 1M instruction limit on 6.18: "BPF program is too
 * large"). Kernel pointers therefore travel as __u64 scalars.
 *
 * Build the absolute path of (dentry, vfsmnt) right-aligned in heap->path by
 * walking d_parent up to the mount root, then crossing to the parent mount,
 * like the kernel's d_path but bounded: at most VIGIL_PATH_COMPONENTS
 * components and VIGIL_PATH_MAX bytes. bpf_d_path would be simpler but is
 * not allowed from tracepoints.
 */
__noinline int path__resolve(__u64 dentry_ptr, __u64 vfsmnt_ptr, struct vigil_heap *heap,
			     struct vigil_path_result *out)
{
	struct dentry *dentry = (struct dentry *)dentry_ptr;
	struct vfsmount *vfsmnt = (struct vfsmount *)vfsmnt_ptr;
	__u32 mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *mnt = (struct mount *)((void *)vfsmnt - mnt_off);
	__u32 pos;
	int i;

	if (!heap || !out)
		return 0;
	/*
	 * The write position lives in the map value, not in a register: a
	 * register would be tracked precisely, every mix of mount crossings
	 * and components would be a distinct verifier state, and the loop
	 * would not be pruned.
	 */
	heap->path_pos = VIGIL_PATH_MAX;
	out->trunc = 0;
	for (i = 0; i < VIGIL_PATH_COMPONENTS; i++) {
		struct dentry *root = BPF_CORE_READ(vfsmnt, mnt_root);
		struct dentry *parent;
		struct qstr name;
		__u32 len;

		if (dentry == root) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

			if (mnt_parent == mnt)
				break; /* the global root */
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = (struct vfsmount *)((void *)mnt + mnt_off);
			continue;
		}
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry)
			break; /* root of a filesystem with no mount (pipe, anon) */
		if (bpf_core_read(&name, sizeof(name), &dentry->d_name))
			break;
		len = name.len;
		if (len > 255)
			len = 255;
		pos = heap->path_pos;
		if (len + 1 > pos) {
			out->trunc = 1;
			break;
		}
		pos -= len + 1;
		heap->path[pos & VIGIL_PATH_MASK] = '/';
		bpf_probe_read_kernel(&heap->path[(pos + 1) & VIGIL_PATH_MASK], len, name.name);
		heap->path_pos = pos;
		dentry = parent;
	}
	if (i == VIGIL_PATH_COMPONENTS)
		out->trunc = 1;
	pos = heap->path_pos;
	if (pos >= VIGIL_PATH_MAX) {
		pos = VIGIL_PATH_MAX;
		pos--;
		heap->path[pos & VIGIL_PATH_MASK] = '/';
	}
	out->start = pos;
	out->len = VIGIL_PATH_MAX - pos;
	return 0;
}

/*
 * Append the resolved path to the record at *off; returns 0 on success.
 * The record slice gets its offset and length.
 */
static __always_inline void path__append(struct vigil_heap *heap, struct vigil_path_result *r,
					 __u32 *off, struct vigil_slice *slice)
{
	__u32 len = r->len;
	__u32 at = *off & VIGIL_HEAP_REC_MASK;

	if (len > VIGIL_PATH_MAX)
		len = VIGIL_PATH_MAX;
	bpf_probe_read_kernel(&heap->rec[at], len, &heap->path[r->start & VIGIL_PATH_MASK]);
	slice->off = at;
	slice->len = len;
	*off = at + len;
}

#endif /* VIGIL_PATH_H */
