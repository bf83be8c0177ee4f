/* SPDX-License-Identifier: GPL-2.0 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "engine/by_age.h"
#include "engine/grow.h"
#include "families/pty_events.h"
#include "families/channel_keys.h"

/* Past this many terminals, the half seen longest ago is forgotten. */
#define PTYS_MAX 4096

struct pty_write {
	uint64_t ts_ns;
	struct ipcd_task task;
	uint32_t session, fg_pgrp, flags;
	int32_t fd;
	uint8_t call, side;
	uint64_t bytes;
	uint8_t *payload;
	uint32_t payload_len;
};

/* Writes into one side, waiting for a read of the other. */
struct pty_queue {
	struct pty_write *writes;
	size_t n, cap;
};

struct pty {
	uint32_t index;
	UT_hash_handle hh;
	struct pty_queue to[3];         /* by the side the bytes go to */
	struct ipcd_task last[3];       /* the last task seen on each side (pid 0: none) */
	uint64_t seen;
};

struct pty_events {
	struct pty *ptys;
	uint64_t clock, dropped;
	ipcd_emit_fn emit;
	void *emit_ctx;
};

struct pty_events *pty_events_new(ipcd_emit_fn emit, void *emit_ctx)
{
	struct pty_events *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->emit = emit;
	p->emit_ctx = emit_ctx;
	return p;
}

static void queue_clear(struct pty_queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->writes[i].payload);
	q->n = 0;
}

static void pty_free(struct pty *t)
{
	for (int s = 0; s < 3; s++) {
		queue_clear(&t->to[s]);
		free(t->to[s].writes);
	}
	free(t);
}

void pty_events_free(struct pty_events *p)
{
	struct pty *t, *tmp;

	if (!p)
		return;
	HASH_ITER(hh, p->ptys, t, tmp) {
		HASH_DEL(p->ptys, t);
		pty_free(t);
	}
	free(p);
}

static int other_side(int side)
{
	return side == IPCD_PTY_MASTER ? IPCD_PTY_SLAVE : IPCD_PTY_MASTER;
}

static void emit_write(struct pty_events *p, const struct pty *t, const struct pty_write *w,
		       const struct ipcd_task *reader, uint8_t read_call, uint64_t read_ts)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_PTY, w->ts_ns);
	ipcd_endpoint_from_task(&e.src, &w->task);
	e.src_fd = w->fd;
	e.src_call = w->call;
	if (reader && reader->pid) {
		ipcd_endpoint_from_task(&e.dst, reader);
		e.dst_call = read_call;
		if (read_ts >= w->ts_ns) {
			e.latency_ns = read_ts - w->ts_ns;
			e.flags |= IPCD_EF_HAS_LATENCY;
		}
	}
	e.flags |= w->flags;
	e.bytes = w->bytes;
	e.payload = w->payload;
	e.payload_len = w->payload_len;
	e.pty_index = t->index;
	e.chan_key = t->index;
	e.pty_writer_side = w->side;
	e.pty_session = w->session;
	e.pty_fg_pgrp = w->fg_pgrp;
	p->emit(p->emit_ctx, &e);
}

/* The writes waiting for side to be read: now reported, with reader (NULL: its last user). */
static void settle(struct pty_events *p, struct pty *t, int side, const struct ipcd_task *reader,
		   uint8_t call, uint64_t ts)
{
	struct pty_queue *q = &t->to[side];

	for (size_t i = 0; i < q->n; i++)
		emit_write(p, t, &q->writes[i], reader ? reader : &t->last[side], reader ? call : 0,
			   reader ? ts : 0);
	queue_clear(q);
}

static void trim(struct pty_events *p)
{
	size_t n = HASH_COUNT(p->ptys);
	struct pty **all;

	if (n < PTYS_MAX)
		return;
	all = (struct pty **)uthash_by_age(p->ptys, n, offsetof(struct pty, hh), offsetof(struct pty, seen));
	if (!all)
		return;
	for (size_t i = 0; i < n / 2; i++) {
		settle(p, all[i], IPCD_PTY_MASTER, NULL, 0, 0);
		settle(p, all[i], IPCD_PTY_SLAVE, NULL, 0, 0);
		HASH_DEL(p->ptys, all[i]);
		pty_free(all[i]);
	}
	free(all);
}

static struct pty *pty_get(struct pty_events *p, uint32_t index)
{
	struct pty *t;

	HASH_FIND(hh, p->ptys, &index, sizeof(index), t);
	if (!t) {
		trim(p);
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		t->index = index;
		HASH_ADD(hh, p->ptys, index, sizeof(t->index), t);
	}
	t->seen = ++p->clock;
	return t;
}

static void add_write(struct pty_events *p, struct pty *t, const struct ipcd_pty_io *rec)
{
	struct pty_queue *q = &t->to[other_side(rec->side)];
	struct pty_write w = {
		.ts_ns = rec->hdr.ts_ns, .task = rec->task, .session = rec->session, .fg_pgrp = rec->fg_pgrp,
		.flags = rec->hdr.flags, .fd = rec->fd, .call = rec->call, .side = rec->side, .bytes = rec->bytes,
	};

	if (rec->payload_len && (w.payload = malloc(rec->payload_len))) {
		memcpy(w.payload, rec->payload, rec->payload_len);
		w.payload_len = rec->payload_len;
	} else if (rec->payload_len) {
		w.flags |= IPCD_F_PAYLOAD_TRUNCATED;
	}
	if (!grow_array((void **)&q->writes, &q->cap, q->n + 1, sizeof(w))) {
		free(w.payload);
		p->dropped++;
		return;
	}
	q->writes[q->n++] = w;
}

void pty_events_io(struct pty_events *p, const struct ipcd_pty_io *rec, size_t size)
{
	struct pty *t;

	if (size < sizeof(*rec) || sizeof(*rec) + rec->payload_len > size)
		return;
	if (rec->side != IPCD_PTY_MASTER && rec->side != IPCD_PTY_SLAVE)
		return;
	t = pty_get(p, ipcd_pty_io_channel(rec));  /* events take their key from t->index */
	if (!t) {
		p->dropped++;
		return;
	}
	t->last[rec->side] = rec->task;
	if (rec->dir == IPCD_PIPE_WRITE)
		add_write(p, t, rec);
	else
		settle(p, t, rec->side, &rec->task, rec->call, rec->hdr.ts_ns);
}

void pty_events_expire(struct pty_events *p, uint64_t now_ns, uint64_t max_age_ns)
{
	struct pty *t, *tmp;

	HASH_ITER(hh, p->ptys, t, tmp) {
		for (int side = IPCD_PTY_MASTER; side <= IPCD_PTY_SLAVE; side++) {
			struct pty_queue *q = &t->to[side];

			/* writes queue in time order: the oldest decides */
			if (q->n && now_ns > q->writes[0].ts_ns && now_ns - q->writes[0].ts_ns >= max_age_ns)
				settle(p, t, side, NULL, 0, 0);
		}
	}
}

void pty_events_flush(struct pty_events *p)
{
	pty_events_expire(p, UINT64_MAX, 0);
}

size_t pty_events_pending(const struct pty_events *p)
{
	const struct pty *t, *tmp;
	size_t n = 0;

	HASH_ITER(hh, p->ptys, t, tmp)
		n += t->to[IPCD_PTY_MASTER].n + t->to[IPCD_PTY_SLAVE].n;
	return n;
}

uint64_t pty_events_dropped(const struct pty_events *p)
{
	return p->dropped;
}
