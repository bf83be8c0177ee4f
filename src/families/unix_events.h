/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unix collector's records made into events: stream sends and receives
 * go to the stream join, messages to the message join, socket names to the
 * socket table, and passed descriptors wait for the send they came with.
 */
#ifndef IPCD_UNIX_EVENTS_H
#define IPCD_UNIX_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "engine/msg_join.h"
#include "families/sock_table.h"
#include "engine/stream_join.h"

struct unix_events;

/* streams: where stream sends and receives go; emit: for messages and lifecycle events. */
struct unix_events *unix_events_new(struct stream_join *streams, ipcd_emit_fn emit, void *emit_ctx,
				    msg_comm_fn comm, void *comm_ctx);
void unix_events_free(struct unix_events *u);

/* Each checks the record's size against what it holds. */
void unix_events_io(struct unix_events *u, const struct ipcd_unix_io *rec, size_t size);
void unix_events_name(struct unix_events *u, const struct ipcd_unix_name *rec);
void unix_events_passed_fd(struct unix_events *u, const struct ipcd_passed_fd *rec);
void unix_events_conn(struct unix_events *u, const struct ipcd_unix_conn *rec);

/* Names both sockets of a unix event. */
void unix_events_describe(const struct unix_events *u, struct ipcd_event *e);

void unix_events_expire(struct unix_events *u, uint64_t now_ns, uint64_t max_age_ns);
void unix_events_flush(struct unix_events *u);
struct msg_join *unix_events_messages(struct unix_events *u);

#endif /* IPCD_UNIX_EVENTS_H */
