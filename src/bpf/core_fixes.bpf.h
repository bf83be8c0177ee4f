/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, each behind one helper that works on every
 * kernel we load on, with the change that made it.  A field that some
 * kernels lack is read through a local flavour of its struct (the name
 * after "___" is ignored by CO-RE), so that the build does not depend on
 * the vmlinux.h it was made with, and checked with bpf_core_field_exists.
 */
#ifndef IPCD_CORE_FIXES_BPF_H
#define IPCD_CORE_FIXES_BPF_H

#include "common.bpf.h"

/*
 * unix_sock.inq_len, the bytes queued on a stream socket, kept up to date
 * under the queue's lock since "af_unix: Use cached value for SOCK_STREAM
 * in unix_inq_len()" (Linux 6.17).  Older kernels only have the queue to
 * walk.
 */
struct unix_sock___inq_len {
	int inq_len;
} __attribute__((preserve_access_index));

/* The bytes queued on stream socket u, into *queued; false if this kernel does not keep them. */
static __always_inline bool unix_stream_inq_len(struct unix_sock *u, __u64 *queued)
{
	struct unix_sock___inq_len *q = (void *)u;

	if (!bpf_core_field_exists(q->inq_len))
		return false;
	*queued = BPF_CORE_READ(q, inq_len);
	return true;
}

#endif /* IPCD_CORE_FIXES_BPF_H */
