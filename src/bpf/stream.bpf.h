/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Byte streams numbered in the kernel (pipes, unix stream sockets): the
 * range of bytes send records already hold, so that a receive need not
 * copy them again, and the record that says the counters were put right.
 */
#ifndef IPCD_STREAM_BPF_H
#define IPCD_STREAM_BPF_H

#include "common.bpf.h"
#include "ring.bpf.h"

/*
 * [*from, *to): bytes of a stream (pipe, unix stream) that send records
 * hold, one after the other with no byte missing, so that a receive whose
 * first -B bytes lie within need not copy its own (*to 0: none).  After a
 * send's record, the bytes it carried, [offset, offset + copied), extend
 * the range if they start where it ends, else replace it; a send of a
 * longer run than -B leaves the rest out, so the next one starts anew.
 * Sends that overlapped another only forget the range, so that one sender
 * at a time moves the two bounds and a receiver never sees them torn.
 * copied: the payload bytes the record carried, -1 if no record went out.
 */
static __always_inline void note_send_copied(__u64 *from, __u64 *to, __u64 offset, long ret, long copied,
					     __u32 flags)
{
	if (!cfg_payload_max)
		return;
	if (copied <= 0 || copied > ret || (flags & IPCD_F_ORDER_UNCERTAIN)) {
		*to = 0;
		return;
	}
	/* extended, unless it was no range (*to 0) and this send starts the stream */
	if (__sync_val_compare_and_swap(to, offset, offset + copied) == offset && offset)
		return;
	*to = 0;
	__sync_fetch_and_add(from, 0);  /* a full barrier: orders the stores */
	*from = offset;
	__sync_fetch_and_add(from, 0);
	*to = offset + copied;
}

/*
 * Must a receive of [offset, offset + ret) copy its own bytes?  Not when
 * the send records already hold its first -B bytes: the common case of a
 * receiver that keeps up with its sender, which then costs one copy, not two.
 */
static __always_inline bool recv_needs_copy(__u64 *from, __u64 *to, __u64 offset, long ret)
{
	__u64 want = (__u64)ret < cfg_payload_max ? (__u64)ret : cfg_payload_max;
	__u64 hi = *to, lo;

	if (!cfg_payload_max)
		return false;
	__sync_fetch_and_add(from, 0);
	lo = *from;
	__sync_fetch_and_add(from, 0);
	if (!hi || hi != *to)
		return true;
	return offset < lo || offset + want > hi;
}

/*
 * Bytes [from, to) of a stream went by unseen: both counters now stand at
 * to.  ino and dev name the stream as its kind does (a pipe's inode, a unix
 * socket's cookie).
 */
static __always_inline void emit_stream_resync(__u64 ino, __u32 dev, __u32 kind, __u64 from, __u64 to,
					       enum ipcd_collector coll)
{
	struct ipcd_pipe_resync *rec = record_reserve(struct ipcd_pipe_resync, IPCD_REC_PIPE_RESYNC, coll);

	if (!rec)
		return;
	rec->ino = ino;
	rec->dev = dev;
	rec->kind = kind;
	rec->from = from;
	rec->to = to;
	bpf_ringbuf_submit(rec, ring_flags());
}

#endif /* IPCD_STREAM_BPF_H */
