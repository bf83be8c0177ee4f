/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Joins pipe writes to pipe reads.  The kernel numbers the bytes of each
 * pipe (ipcdump.h, struct ipcd_pipe_io); a read of bytes [a, b) becomes one
 * event per write that produced part of them, with that write's process as
 * the source, its payload and the write-to-read latency.  Records of the
 * two sides arrive in any order; a read waits for its writes.
 */
#ifndef IPCD_PIPE_JOIN_H
#define IPCD_PIPE_JOIN_H

#include <stdbool.h>
#include <stdint.h>
#include "event.h"

struct pipe_join;

typedef void (*ipcd_emit_fn)(void *ctx, const struct ipcd_event *e);
/* The kernel's read counter of a pipe; false if it no longer knows the pipe. */
typedef bool (*pipe_read_offset_fn)(void *ctx, const struct ipcd_pipe_key *key, uint64_t *r_off);

struct pipe_join *pipe_join_new(ipcd_emit_fn emit, void *emit_ctx);
void pipe_join_free(struct pipe_join *j);

void pipe_join_io(struct pipe_join *j, const struct ipcd_pipe_io *rec);
void pipe_join_resync(struct pipe_join *j, const struct ipcd_pipe_resync *rec);
void pipe_join_fifo_path(struct pipe_join *j, const struct ipcd_fifo_path *rec);

/* Reads still missing writes after max_age_ns: report the gaps as unknown writers. */
void pipe_join_expire(struct pipe_join *j, uint64_t now_ns, uint64_t max_age_ns);
/*
 * Drops writes the kernel said, at the previous call, were read by reads
 * filtered out or lost: call it every second or so.
 */
void pipe_join_collect(struct pipe_join *j, pipe_read_offset_fn read_offset, void *ctx);
/* At the end: settle every read, report every write never read. */
void pipe_join_flush(struct pipe_join *j, pipe_read_offset_fn read_offset, void *ctx);

/*
 * Pending writes hold at most this many bytes (64 MiB by default); past it,
 * collect reports the writes of the pipes quiet for longest as unread.
 */
void pipe_join_set_pending_cap(struct pipe_join *j, uint64_t bytes);
/* Writes reported unread early that way. */
uint64_t pipe_join_evicted(const struct pipe_join *j);

/* Records dropped because memory ran out: losses too, and reported as such. */
uint64_t pipe_join_dropped(const struct pipe_join *j);

/* Writes and reads still waiting for their other half. */
size_t pipe_join_pending(const struct pipe_join *j);

#endif /* IPCD_PIPE_JOIN_H */
