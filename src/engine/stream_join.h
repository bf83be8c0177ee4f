/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Joins writes to reads on byte streams: pipes, FIFOs and unix stream
 * sockets.  The kernel numbers the bytes of each stream (records.h); a read
 * of bytes [a, b) becomes one event per write that produced part of them,
 * with that write's process as the source, its payload and the
 * write-to-read latency.  Records of the two sides arrive in any order; a
 * read waits for its writes.
 */
#ifndef IPCD_STREAM_JOIN_H
#define IPCD_STREAM_JOIN_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/event.h"

struct stream_join;

typedef void (*ipcd_emit_fn)(void *ctx, const struct ipcd_event *e);
/* The kernel's read counter of a pipe; false if it no longer knows the pipe. */
typedef bool (*pipe_read_offset_fn)(void *ctx, const struct ipcd_pipe_key *key, uint64_t *r_off);

struct stream_join *stream_join_new(ipcd_emit_fn emit, void *emit_ctx);
void stream_join_free(struct stream_join *j);

/* One write into, or read out of, a byte stream, of whatever kind. */
struct stream_io {
	struct ipcd_pipe_key key;   /* the stream; kind says which key space */
	bool write;
	uint64_t offset, bytes;     /* the bytes [offset, offset + bytes) of the stream */
	uint64_t base;              /* bytes below this were in the stream before tracing */
	uint64_t start_ns, end_ns;  /* the call (start 0: unknown) */
	const struct ipcd_task *task;
	uint32_t flags;             /* record flags */
	int32_t fd;
	uint8_t call;               /* enum ipcd_pipe_call */
	const uint8_t *payload;     /* copied by the join */
	uint32_t payload_len;
	uint64_t sock, ino;         /* unix: this side's socket cookie and inode */
	struct ipcd_sock_extra *extra;  /* a write's passed fds: the join owns it after */
};

void stream_join_add(struct stream_join *j, const struct stream_io *io);
/* A pipe or FIFO record. */
void stream_join_io(struct stream_join *j, const struct ipcd_pipe_io *rec);
void stream_join_resync(struct stream_join *j, const struct ipcd_pipe_resync *rec);
void stream_join_fifo_path(struct stream_join *j, const struct ipcd_fifo_path *rec);

/* Reads still missing writes after max_age_ns: report the gaps as unknown writers. */
void stream_join_expire(struct stream_join *j, uint64_t now_ns, uint64_t max_age_ns);
/*
 * Drops writes the kernel said, at the previous call, were read by reads
 * filtered out or lost: call it every second or so.
 */
void stream_join_collect(struct stream_join *j, pipe_read_offset_fn read_offset, void *ctx);
/* At the end: settle every read, report every write never read. */
void stream_join_flush(struct stream_join *j, pipe_read_offset_fn read_offset, void *ctx);

/*
 * Pending writes hold at most this many bytes (64 MiB by default); past it,
 * collect reports the writes of the pipes quiet for longest as unread.
 */
void stream_join_set_pending_cap(struct stream_join *j, uint64_t bytes);
/* Writes reported unread early that way. */
uint64_t stream_join_evicted(const struct stream_join *j);

/* Records dropped because memory ran out: losses too, and reported as such. */
uint64_t stream_join_dropped(const struct stream_join *j);

/* Writes and reads still waiting for their other half. */
size_t stream_join_pending(const struct stream_join *j);

#endif /* IPCD_STREAM_JOIN_H */
