/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The channel a data record belongs to, keyed as the events made of it name
 * theirs (struct ipcd_event.chan_key).  One function per record kind, which
 * the join uses to key its events and the registry gives the capture code
 * (a filtered capture keeps the records of the channels with a matching
 * event): they cannot disagree.
 */
#ifndef IPCD_FAMILIES_CHANNEL_KEYS_H
#define IPCD_FAMILIES_CHANNEL_KEYS_H

#include <stdint.h>
#include "records.h"
#include "families/inet_events.h"

static inline uint64_t ipcd_pipe_io_channel(const struct ipcd_pipe_io *rec)
{
	return rec->ino;
}

static inline uint64_t ipcd_pipe_resync_channel(const struct ipcd_pipe_resync *rec)
{
	return rec->ino;
}

/* Streams: the receiving socket (the stream is numbered in it); messages: the sending one. */
static inline uint64_t ipcd_unix_io_channel(const struct ipcd_unix_io *rec)
{
	if (rec->sock_type == IPCD_SOCK_STREAM)
		return rec->dir == IPCD_PIPE_WRITE ? rec->peer : rec->sock;
	return rec->sender_sk;
}

/* TCP: one direction of the connection; UDP: the destination port. */
static inline uint64_t ipcd_inet_io_channel(const struct ipcd_inet_io *rec)
{
	return rec->proto == IPCD_PROTO_TCP ? inet_tuple_key(&rec->t) : rec->t.dport;
}

static inline uint64_t ipcd_pty_io_channel(const struct ipcd_pty_io *rec)
{
	return rec->index;
}

static inline uint64_t ipcd_mq_io_channel(const struct ipcd_mq_io *rec)
{
	return rec->kind == IPCD_MQ_SYSV ? (uint64_t)(uint32_t)rec->id : rec->ino;
}

static inline uint64_t ipcd_futex_channel(const struct ipcd_futex *rec)
{
	return rec->obj.ino;
}

static inline uint64_t ipcd_semop_channel(const struct ipcd_semop *rec)
{
	return (uint32_t)rec->semid;
}

/* Each signal is a channel of its own. */
static inline uint64_t ipcd_signal_channel(const struct ipcd_record_header *hdr)
{
	return hdr->ts_ns;
}

#endif /* IPCD_FAMILIES_CHANNEL_KEYS_H */
