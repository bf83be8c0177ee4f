/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live feed's clients (api/live.c; the feed and its sink are in
 * api.h): each reads the ring of recent events at its own position.
 */
#ifndef IPCDA_LIVE_H
#define IPCDA_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include "api/api.h"
#include "api/query.h"

struct fexpr;

/* Events the ring keeps: a client this far behind is disconnected. */
#define IPCDA_LIVE_RING 8192

struct ipcda_live_client;

/*
 * A client, counted as connected, placed at the oldest event the ring
 * keeps (from_oldest: a resume) or at the next event to come.  NULL if
 * out of memory.
 */
struct ipcda_live_client *ipcda_live_join(struct ipcda_live *live, bool from_oldest);
/* Leaves (not counted as dropped), frees c. */
void ipcda_live_leave(struct ipcda_live_client *c);

/*
 * The id of the event at c's position: 0 when none has come yet, -1 when
 * the ring has moved past it (c is then placed at the oldest it keeps).
 */
int64_t ipcda_live_peek(struct ipcda_live_client *c);

/*
 * encoding=record: each event c reads ends with its record (sinks/event_record.h;
 * no payload: the feed keeps none).
 */
void ipcda_live_records(struct ipcda_live_client *c);

enum ipcda_live_next {
	IPCDA_LIVE_EVENT,     /* one event into out */
	IPCDA_LIVE_NONE,      /* none within wait_ms */
	IPCDA_LIVE_BEHIND,    /* the ring moved past c: it is disconnected and counted */
};
/*
 * The next event with an id above after_id that filter (NULL: all) passes,
 * as a server-sent event appended to out, *id set; waits up to wait_ms for
 * one to come.
 */
enum ipcda_live_next ipcda_live_next(struct ipcda_live_client *c, uint64_t after_id, const struct fexpr *filter,
				     int wait_ms, struct ipcda_buf *out, uint64_t *id);

/* How long a quiet stream waits before a keep-alive comment (15 s; tests shorten it). */
void ipcda_live_set_keepalive(struct ipcda_live *live, uint64_t ns);
uint64_t ipcda_live_keepalive(const struct ipcda_live *live);

#endif /* IPCDA_LIVE_H */
