/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel filters (-p/-s/-d, -P/-S/-D, a traced tree): which ends of
 * a message a pid or comm may be, and what may be dropped here knowing one
 * end or both.  Also the channels whose sends went out, so that their
 * receives go out too even when the receiver fails the filters.
 */
#ifndef IPCD_FILTER_BPF_H
#define IPCD_FILTER_BPF_H

#include "common.bpf.h"

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ipcd_comm_key);
	__type(value, __u8);
} comm_filter SEC(".maps");

static __always_inline __u8 pid_sides(__u32 pid)
{
	__u8 *sides = bpf_map_lookup_elem(&pid_filter, &pid);

	return sides ? *sides : 0;
}

static __always_inline __u8 comm_sides(const char *comm)
{
	struct ipcd_comm_key key = {};
	__u8 *sides;

	__builtin_memcpy(key.comm, comm, IPCD_COMM_LEN);
	sides = bpf_map_lookup_elem(&comm_filter, &key);
	return sides ? *sides : 0;
}

/*
 * Filters where only the source end is known yet (a write into a pipe whose
 * reader is still to come): drop only what the source alone rules out.
 * -p/-P, and a tree's "one end", may still be met by the destination, so
 * they cannot drop here.
 */
static __always_inline bool filter_may_pass_src(const struct ipcd_task *src)
{
	if (!cfg_filters)
		return true;
	if ((cfg_filters & IPCD_FILT_SRC_PID) && !(pid_sides(src->pid) & IPCD_SIDE_SRC))
		return false;
	if ((cfg_filters & IPCD_FILT_SRC_COMM) && !(comm_sides(src->comm) & IPCD_SIDE_SRC))
		return false;
	if ((cfg_filters & IPCD_FILT_TREE_BOTH) && !(pid_sides(src->pid) & IPCD_SIDE_TREE))
		return false;
	return true;
}

static __always_inline bool filter_may_pass_dst(const struct ipcd_task *dst)
{
	if (!cfg_filters)
		return true;
	if ((cfg_filters & IPCD_FILT_DST_PID) && !(pid_sides(dst->pid) & IPCD_SIDE_DST))
		return false;
	if ((cfg_filters & IPCD_FILT_DST_COMM) && !(comm_sides(dst->comm) & IPCD_SIDE_DST))
		return false;
	if ((cfg_filters & IPCD_FILT_TREE_BOTH) && !(pid_sides(dst->pid) & IPCD_SIDE_TREE))
		return false;
	return true;
}

/* Both ends known (signals): the whole IPCDump filter, decided here. */
static __always_inline bool filter_pass(const struct ipcd_task *src, const struct ipcd_task *dst)
{
	__u8 src_pid, dst_pid, src_comm, dst_comm;

	if (!cfg_filters)
		return true;
	if (!filter_may_pass_src(src) || !filter_may_pass_dst(dst))
		return false;
	if (cfg_filters & IPCD_FILT_ANY_PID) {
		src_pid = pid_sides(src->pid);
		dst_pid = pid_sides(dst->pid);
		if (!((src_pid | dst_pid) & IPCD_SIDE_ANY))
			return false;
	}
	if (cfg_filters & IPCD_FILT_ANY_COMM) {
		src_comm = comm_sides(src->comm);
		dst_comm = comm_sides(dst->comm);
		if (!((src_comm | dst_comm) & IPCD_SIDE_ANY))
			return false;
	}
	if ((cfg_filters & IPCD_FILT_TREE_ANY) && !((pid_sides(src->pid) | pid_sides(dst->pid)) & IPCD_SIDE_TREE))
		return false;
	return true;
}

/*
 * Datagrams and TCP streams have no counter userspace can read to learn
 * that a send was received unseen, so a receive goes out even when its
 * receiver fails the filters: a send that went out waits for it.
 * Channels whose sends all stayed here need no receive: sent_chans holds
 * those with a send that went out (an evicted one only makes such a send
 * be reported unread).  Keys: a unix sending socket (a kernel address),
 * a TCP sending address and port (hashed, with these top bits set).
 * Queues (message queues, unconnected UDP receivers) are paired in order,
 * so their collectors send every message up instead.
 */
#define IPCD_CHAN_INET     (4ull << 60)

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} sent_chans SEC(".maps");

static __always_inline void note_send_out(__u64 chan)
{
	__u8 one = 1;

	if (cfg_filters && !bpf_map_lookup_elem(&sent_chans, &chan))
		bpf_map_update_elem(&sent_chans, &chan, &one, BPF_ANY);
}

/* Must the receive of a message on chan by dst go out? */
static __always_inline bool message_recv_needed(const struct ipcd_task *dst, __u64 chan)
{
	return filter_may_pass_dst(dst) || bpf_map_lookup_elem(&sent_chans, &chan);
}

#endif /* IPCD_FILTER_BPF_H */
