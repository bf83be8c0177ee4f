/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live feed (api.h, live.h): a sink that keeps the last
 * IPCDA_LIVE_RING events, each formatted once (the JSON object with its
 * id) with a copy of the event for the clients' filters.  The sink sits
 * behind its own queue (sinks/queue.c): the pipeline only copies an event
 * in, so no client, however slow, can hold up the tracer; the queue's
 * thread formats and writes the ring.  Each client reads the ring at its
 * own position; one the ring overtakes is disconnected and counted, and
 * may resume with Last-Event-ID (from the store, when there is one).
 */
#include "api/live.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/pipeline.h"
#include "filter/filter_expr.h"
#include "sinks/event_record.h"
#include "sinks/sinks.h"

/* events waiting for the feed's thread: past this the feed drops them (counted as the queue's) */
#define LIVE_QUEUE 65536
#define KEEPALIVE_NS (15ull * 1000 * 1000 * 1000)
/* ring entries one call looks at while it holds the lock, at most */
#define SCAN_MAX 1024

struct slot {
	struct ipcd_event e;   /* an owned copy (ipcd_event_copy) */
	char *json;
	size_t len;
	bool used;
};

struct ipcda_live {
	pthread_mutex_t lock;
	pthread_cond_t more;        /* head moved */
	struct slot *ring;
	uint64_t head;              /* events ever written; event n is in ring[n % IPCDA_LIVE_RING] */
	uint64_t clients, dropped_slow;
	uint64_t keepalive_ns;
	/* the feed's thread's alone */
	struct ipcda_json json;
	int64_t mono_to_real_ns;
};

struct ipcda_live_client {
	struct ipcda_live *live;
	uint64_t pos;               /* the next event it reads */
	bool records;               /* encoding=record */
};

struct ipcda_live *ipcda_live_new(void)
{
	struct ipcda_live *live = calloc(1, sizeof(*live));
	pthread_condattr_t attr;

	if (!live || !(live->ring = calloc(IPCDA_LIVE_RING, sizeof(*live->ring))) || !ipcda_json_init(&live->json, false)) {
		if (live)
			free(live->ring);
		free(live);
		return NULL;
	}
	pthread_mutex_init(&live->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&live->more, &attr);
	pthread_condattr_destroy(&attr);
	live->keepalive_ns = KEEPALIVE_NS;
	return live;
}

static void clear_slot(struct slot *s)
{
	if (!s->used)
		return;
	ipcd_event_copy_free(&s->e);
	free(s->json);
	s->json = NULL;
	s->used = false;
}

void ipcda_live_free(struct ipcda_live *live)
{
	if (!live)
		return;
	for (size_t i = 0; i < IPCDA_LIVE_RING; i++)
		clear_slot(&live->ring[i]);
	free(live->ring);
	ipcda_json_free(&live->json);
	pthread_mutex_destroy(&live->lock);
	pthread_cond_destroy(&live->more);
	free(live);
}

void ipcda_live_counts(struct ipcda_live *live, uint64_t *clients, uint64_t *dropped_slow)
{
	pthread_mutex_lock(&live->lock);
	*clients = live->clients;
	*dropped_slow = live->dropped_slow;
	pthread_mutex_unlock(&live->lock);
}

void ipcda_live_set_keepalive(struct ipcda_live *live, uint64_t ns)
{
	pthread_mutex_lock(&live->lock);
	live->keepalive_ns = ns;
	pthread_mutex_unlock(&live->lock);
}

uint64_t ipcda_live_keepalive(const struct ipcda_live *live)
{
	return live->keepalive_ns;
}

/* ---- the sink (in the queue's thread) ------------------------------------------- */

static int live_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct ipcda_live *live = s->ctx;

	/* under the lock: the clients' records read it (live.h) */
	pthread_mutex_lock(&live->lock);
	live->mono_to_real_ns = ipcd_pipeline_clock(p);
	pthread_mutex_unlock(&live->lock);
	return 0;
}

/* Formatted and copied before the lock: the clients wait only for the slot's swap. */
static enum ipcd_sink_result live_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct ipcda_live *live = s->ctx;
	struct slot fresh = { .used = true };
	const char *json = ipcda_json_event(&live->json, e, live->mono_to_real_ns, &fresh.len);
	struct slot *slot;

	if (!json || !(fresh.json = malloc(fresh.len)))
		return IPCD_SINK_DROPPED;
	memcpy(fresh.json, json, fresh.len);
	if (!ipcd_event_copy(&fresh.e, e)) {
		free(fresh.json);
		return IPCD_SINK_DROPPED;
	}
	pthread_mutex_lock(&live->lock);
	slot = &live->ring[live->head % IPCDA_LIVE_RING];
	clear_slot(slot);
	*slot = fresh;
	live->head++;
	pthread_cond_broadcast(&live->more);
	pthread_mutex_unlock(&live->lock);
	return IPCD_SINK_WRITTEN;
}

struct ipcd_sink *ipcda_live_sink_new(struct ipcda_live *live)
{
	struct ipcd_sink *s = ipcd_sink_new("api-live");

	if (!s)
		return NULL;
	s->ctx = live;
	s->fate = "streamed";
	s->open = live_open;
	s->event = live_event;
	/* the API's objects carry no payload: none is copied (0 per type is none) */
	s->payload_by_type = true;
	memset(s->payload_limit_of, 0, sizeof(s->payload_limit_of));
	return ipcd_queue_sink_new(s, LIVE_QUEUE);
}

/* ---- the clients ------------------------------------------------------------------ */

static uint64_t oldest(const struct ipcda_live *live)
{
	return live->head > IPCDA_LIVE_RING ? live->head - IPCDA_LIVE_RING : 0;
}

struct ipcda_live_client *ipcda_live_join(struct ipcda_live *live, bool from_oldest)
{
	struct ipcda_live_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->live = live;
	pthread_mutex_lock(&live->lock);
	c->pos = from_oldest ? oldest(live) : live->head;
	live->clients++;
	pthread_mutex_unlock(&live->lock);
	return c;
}

void ipcda_live_leave(struct ipcda_live_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->live->lock);
	c->live->clients--;
	pthread_mutex_unlock(&c->live->lock);
	free(c);
}

void ipcda_live_records(struct ipcda_live_client *c)
{
	c->records = true;
}

/* The slot's object as a server-sent event, with the event's record last for a client that asked (under the lock). */
static bool add_slot(const struct ipcda_live_client *c, const struct slot *slot, struct ipcda_buf *out)
{
	ssize_t n;
	char *json;
	bool ok;

	if (!c->records)
		return ipcda_sse_event(out, slot->e.id, ipcd_type_name(slot->e.type), slot->json, slot->len);
	/* the object less its '}', then ",record}" written in place */
	if (!slot->len || slot->json[slot->len - 1] != '}' ||
	    !(json = malloc(slot->len + 1 + IPCD_EVENT_RECORD_JSON_MAX)))
		return false;
	memcpy(json, slot->json, slot->len - 1);
	json[slot->len - 1] = ',';
	n = ipcd_event_record_member(&slot->e, c->live->mono_to_real_ns, false, json + slot->len,
				     IPCD_EVENT_RECORD_JSON_MAX);
	if (n < 0) {
		free(json);
		return false;
	}
	json[slot->len + (size_t)n] = '}';
	ok = ipcda_sse_event(out, slot->e.id, ipcd_type_name(slot->e.type), json, slot->len + (size_t)n + 1);
	free(json);
	return ok;
}

int64_t ipcda_live_peek(struct ipcda_live_client *c)
{
	struct ipcda_live *live = c->live;
	int64_t id;

	pthread_mutex_lock(&live->lock);
	if (c->pos < oldest(live)) {
		c->pos = oldest(live);
		id = -1;
	} else {
		id = c->pos == live->head ? 0 : (int64_t)live->ring[c->pos % IPCDA_LIVE_RING].e.id;
	}
	pthread_mutex_unlock(&live->lock);
	return id;
}

static struct timespec deadline_after(int wait_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

enum ipcda_live_next ipcda_live_next(struct ipcda_live_client *c, uint64_t after_id, const struct fexpr *filter,
				     int wait_ms, struct ipcda_buf *out, uint64_t *id)
{
	struct ipcda_live *live = c->live;
	struct timespec deadline = deadline_after(wait_ms);
	enum ipcda_live_next rc = IPCDA_LIVE_NONE;
	unsigned scanned = 0;

	pthread_mutex_lock(&live->lock);
	while (scanned < SCAN_MAX) {
		const struct slot *slot;

		if (c->pos < oldest(live)) {
			live->dropped_slow++;
			rc = IPCDA_LIVE_BEHIND;
			break;
		}
		if (c->pos == live->head) {
			if (pthread_cond_timedwait(&live->more, &live->lock, &deadline))
				break;
			continue;
		}
		slot = &live->ring[c->pos++ % IPCDA_LIVE_RING];
		scanned++;
		/* what the client has (from the store, or before) and what it did not ask for */
		if (slot->e.id <= after_id || (filter && !fexpr_match(filter, &slot->e)))
			continue;
		if (!add_slot(c, slot, out)) {
			c->pos--;   /* out of memory: tried again next time */
			break;
		}
		*id = slot->e.id;
		rc = IPCDA_LIVE_EVENT;
		break;
	}
	pthread_mutex_unlock(&live->lock);
	return rc;
}
