/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The message-queue collector's records made into events.  Each receive is
 * paired with the oldest send still queued on the same queue with the same
 * type (SysV mtype; POSIX priority, when the receiver asked for it), size
 * and first bytes: the message it took.  Queues keep that order for one
 * type, so the pairing is exact unless two identical messages raced.
 */
#ifndef IPCD_MQ_EVENTS_H
#define IPCD_MQ_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "engine/stream_join.h"

struct mq_events;

/* sysvipc_msg: /proc/sysvipc/msg (msqid -> key), a parameter for the tests. */
struct mq_events *mq_events_new(ipcd_emit_fn emit, void *emit_ctx, const char *sysvipc_msg);
void mq_events_free(struct mq_events *m);

/* Check the record's size against what it holds. */
void mq_events_io(struct mq_events *m, const struct ipcd_mq_io *rec, size_t size);
void mq_events_op(struct mq_events *m, const struct ipcd_mq_op *rec);

/* Receives whose send was not seen in max_age_ns: reported with an unknown sender. */
void mq_events_expire(struct mq_events *m, uint64_t now_ns, uint64_t max_age_ns);
/* At the end: waiting receives reported, sends never received reported unread. */
void mq_events_flush(struct mq_events *m);
size_t mq_events_pending(const struct mq_events *m);
uint64_t mq_events_dropped(const struct mq_events *m);

#endif /* IPCD_MQ_EVENTS_H */
