/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The loopback collector's records made into events: TCP sends and
 * receives go to the stream join (numbered by TCP's own sequence numbers,
 * widened to 64 bits here), UDP datagrams to a message join, and TCP
 * connects, accepts and closes become lifecycle events.
 */
#ifndef IPCD_INET_EVENTS_H
#define IPCD_INET_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "engine/msg_join.h"
#include "engine/stream_join.h"

struct inet_events;

struct inet_events *inet_events_new(struct stream_join *streams, ipcd_emit_fn emit, void *emit_ctx,
				    msg_comm_fn comm, void *comm_ctx);
void inet_events_free(struct inet_events *n);

/* Each checks the record's size against what it holds. */
void inet_events_io(struct inet_events *n, const struct ipcd_inet_io *rec, size_t size);
void inet_events_conn(struct inet_events *n, const struct ipcd_inet_conn *rec);

/* Fills in the addresses of a TCP event from its stream. */
void inet_events_describe(const struct inet_events *n, struct ipcd_event *e);

void inet_events_expire(struct inet_events *n, uint64_t now_ns, uint64_t max_age_ns);
void inet_events_flush(struct inet_events *n);
struct msg_join *inet_events_messages(struct inet_events *n);

/* The 64-bit key of one direction of a TCP connection. */
uint64_t inet_tuple_key(const struct ipcd_inet_tuple *t);

#endif /* IPCD_INET_EVENTS_H */
