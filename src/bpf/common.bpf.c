/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one definition of the maps and globals that the collectors share
 * (declared in common, ring, filter and sockcall.bpf.h), and of the two
 * global functions they call: the payload copy and the path walk.
 */
#define IPCD_DEFINE_SHARED
#include "common.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "sockcall.bpf.h"
#include "task.bpf.h"

const volatile __u32 cfg_self_tgid = 0;
const volatile __u32 cfg_payload_max = 0;
const volatile __u32 cfg_filters = 0;
const volatile __u32 cfg_kernel_signals = 0;
const volatile __u64 cfg_wakeup_bytes = 0;
const volatile struct ipcd_syscall_nrs cfg_nr = {};

struct ipcd_counters counters = {};
volatile __u32 tracing_state = IPCD_TRACING_ATTACHING;

struct iov_copy {
	struct ipcd_scratch *s;
	const struct iovec *iov;
	__u64 count;
	__u64 want;
	__u32 copied;
};

static long iov_copy_step(__u32 i, struct iov_copy *c)
{
	struct ipcd_scratch *s = c->s;
	struct iovec iov;
	__u64 chunk;
	__u32 copied = c->copied;

	if (i >= c->count || copied >= c->want)
		return 1;
	if (bpf_probe_read_user(&iov, sizeof(iov), c->iov + i))
		return 1;
	chunk = iov.iov_len;
	if (chunk > c->want - copied)
		chunk = c->want - copied;
	if (chunk > IPCD_PAYLOAD_MAX)
		chunk = IPCD_PAYLOAD_MAX;
	if (bpf_probe_read_user(&s->data[copied & (IPCD_PAYLOAD_MAX - 1)], chunk, iov.iov_base))
		return 1;
	c->copied = copied + chunk;
	return 0;
}

__noinline __u32 copy_user_payload(__u64 buf, __u64 count, int is_iov, __u64 bytes)
{
	struct ipcd_scratch *s = this_cpu_scratch();
	__u64 want = bytes < cfg_payload_max ? bytes : cfg_payload_max;
	struct iov_copy copy = {};

	if (!s)
		return 0;
	if (want > IPCD_PAYLOAD_MAX)
		want = IPCD_PAYLOAD_MAX;
	if (!is_iov) {
		if (bpf_probe_read_user(s->data, want, (void *)buf))
			return 0;
		return want;
	}
	copy.s = s;
	copy.iov = (const struct iovec *)buf;
	copy.count = count;
	copy.want = want;
	/* under bpf_loop: the verifier checks the step once, not per iovec */
	bpf_loop(IPCD_IOV_MAX, iov_copy_step, &copy, 0);
	return copy.copied;
}

/* Zeroes to clear scratch memory with, so no stale bytes leave in a record. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipcd_path);
} zeroes SEC(".maps");

struct path_walk {
	struct ipcd_path *path;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 depth;
};

/* One step up the dentry tree, crossing mount points, towards the root. */
static long path_step(__u32 i, struct path_walk *w)
{
	/* locals: CO-RE reads must not go through fields of our own structs */
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	struct ipcd_path *path = w->path;
	__u32 depth = w->depth;

	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt)
			return 1;
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = (void *)up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	if (dentry == parent && depth > 0)
		return 1;
	if (depth >= IPCD_PATH_DEPTH) {
		path->truncated = 1;
		return 1;
	}
	bpf_probe_read_kernel_str(path->names[depth & (IPCD_PATH_DEPTH - 1)], IPCD_NAME_LEN,
				  BPF_CORE_READ(dentry, d_name.name));
	w->depth = depth + 1;
	if (dentry == parent)
		return 1;
	w->dentry = parent;
	return 0;
}

__noinline int fill_path(struct ipcd_path *path, __u64 file_ptr)
{
	struct file *file = (struct file *)file_ptr;
	struct path_walk w = {};
	__u32 zero_key = 0;
	void *zero = bpf_map_lookup_elem(&zeroes, &zero_key);

	if (!path || !zero)
		return 0;
	bpf_probe_read_kernel(path, sizeof(*path), zero);
	w.path = path;
	w.dentry = BPF_CORE_READ(file, f_path.dentry);
	w.vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	w.mnt = (void *)w.vfsmnt - bpf_core_field_offset(struct mount, mnt);
	bpf_loop(IPCD_PATH_DEPTH + 8, path_step, &w, 0);
	path->depth = w.depth;
	return w.depth;
}

char LICENSE[] SEC("license") = "GPL";
