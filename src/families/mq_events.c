/* SPDX-License-Identifier: GPL-2.0 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "engine/grow.h"
#include "families/mq_events.h"
#include "families/channel_keys.h"

struct mq_msg {
	uint64_t ts_ns;
	struct ipcd_task task;
	int64_t type;
	uint64_t bytes;
	uint32_t flags, print_len;
	uint8_t print[IPCD_MQ_PRINT_MAX];
	int32_t fd;
	uint8_t *payload;
	uint32_t payload_len;
};

struct mq_queue_key {
	uint64_t id;        /* SysV: msqid; POSIX: inode */
	uint32_t kind;      /* enum ipcd_mq_kind */
	uint32_t pad;
};

struct mq_queue {
	struct mq_queue_key key;
	UT_hash_handle hh;
	char name[IPCD_MQ_NAME_LEN + 1];  /* POSIX name */
	int32_t sysv_key;
	bool has_sysv_key;
	struct mq_msg *sends;             /* oldest first */
	size_t nsends, cap_sends;
	struct mq_msg *recvs;             /* waiting for their send */
	size_t nrecvs, cap_recvs;
};

struct mq_events {
	struct mq_queue *queues;
	uint64_t dropped;
	char *sysvipc_msg;
	ipcd_emit_fn emit;
	void *emit_ctx;
};

struct mq_events *mq_events_new(ipcd_emit_fn emit, void *emit_ctx, const char *sysvipc_msg)
{
	struct mq_events *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->emit = emit;
	m->emit_ctx = emit_ctx;
	m->sysvipc_msg = strdup(sysvipc_msg);
	if (!m->sysvipc_msg) {
		free(m);
		return NULL;
	}
	return m;
}

static void msgs_free(struct mq_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(msgs[i].payload);
	free(msgs);
}

void mq_events_free(struct mq_events *m)
{
	struct mq_queue *q, *tmp;

	if (!m)
		return;
	HASH_ITER(hh, m->queues, q, tmp) {
		HASH_DEL(m->queues, q);
		msgs_free(q->sends, q->nsends);
		msgs_free(q->recvs, q->nrecvs);
		free(q);
	}
	free(m->sysvipc_msg);
	free(m);
}

/* The key of a SysV queue, from /proc/sysvipc/msg ("key msqid ..." per line). */
static bool sysv_key_of(const char *path, int64_t msqid, int32_t *key)
{
	FILE *f = fopen(path, "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		long long k, id;

		if (sscanf(line, "%lld %lld", &k, &id) == 2 && id == msqid) {
			*key = (int32_t)k;
			found = true;
		}
	}
	fclose(f);
	return found;
}

static struct mq_queue *queue_get(struct mq_events *m, const struct ipcd_mq_io *rec)
{
	struct mq_queue_key key = { .id = ipcd_mq_io_channel(rec), .kind = rec->kind };
	struct mq_queue *q;

	HASH_FIND(hh, m->queues, &key, sizeof(key), q);
	if (q)
		return q;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->key = key;
	if (rec->kind == IPCD_MQ_SYSV && (rec->hdr.flags & IPCD_F_MQ_KEY)) {
		q->sysv_key = rec->key;
		q->has_sysv_key = true;
	} else if (rec->kind == IPCD_MQ_SYSV) {
		q->has_sysv_key = sysv_key_of(m->sysvipc_msg, rec->id, &q->sysv_key);
	}
	HASH_ADD(hh, m->queues, key, sizeof(q->key), q);
	return q;
}

static void describe_queue(struct ipcd_event *e, const struct mq_queue *q)
{
	e->chan_key = q->key.id;
	e->mq_kind = q->key.kind;
	e->mq_id = q->key.kind == IPCD_MQ_SYSV ? (int64_t)q->key.id : -1;
	e->mq_has_key = q->has_sysv_key;
	e->mq_key = q->sysv_key;
	e->mq_name = q->name[0] ? q->name : NULL;
}

static enum ipcd_type type_of(const struct mq_queue *q)
{
	return q->key.kind == IPCD_MQ_SYSV ? IPCD_TYPE_MQ_SYSV : IPCD_TYPE_MQ_POSIX;
}

/* s (may be NULL: unknown sender) received as r (may be NULL: never received). */
static void emit_message(struct mq_events *m, const struct mq_queue *q, const struct mq_msg *s,
			 const struct mq_msg *r)
{
	struct ipcd_event e;

	ipcd_event_init(&e, type_of(q), r ? r->ts_ns : s->ts_ns);
	describe_queue(&e, q);
	if (s) {
		ipcd_endpoint_from_task(&e.src, &s->task);
		e.src_fd = q->key.kind == IPCD_MQ_POSIX ? s->fd : -1;
		e.mq_type = s->type;
		e.bytes = s->bytes;
		e.payload = s->payload;
		e.payload_len = s->payload_len;
		e.flags |= s->flags;
	} else {
		e.flags |= IPCD_EF_WRITER_UNKNOWN;
	}
	if (r) {
		ipcd_endpoint_from_task(&e.dst, &r->task);
		e.dst_fd = q->key.kind == IPCD_MQ_POSIX ? r->fd : -1;
		e.bytes = r->bytes;
		if (!s)
			e.mq_type = r->type;
		if (s && r->ts_ns >= s->ts_ns) {
			e.latency_ns = r->ts_ns - s->ts_ns;
			e.flags |= IPCD_EF_HAS_LATENCY;
		}
	} else {
		e.flags |= IPCD_EF_UNREAD;
	}
	m->emit(m->emit_ctx, &e);
}

static bool same_message(const struct mq_msg *s, const struct mq_msg *r)
{
	/* a POSIX receiver that did not ask for the priority has type -1 */
	if (r->type != -1 && s->type != r->type)
		return false;
	return s->bytes == r->bytes && s->print_len == r->print_len && !memcmp(s->print, r->print, s->print_len);
}

static void msg_from(struct mq_msg *msg, const struct ipcd_mq_io *rec, bool keep_payload)
{
	memset(msg, 0, sizeof(*msg));
	msg->ts_ns = rec->hdr.ts_ns;
	msg->task = rec->task;
	msg->type = rec->type;
	msg->bytes = rec->bytes;
	msg->flags = rec->hdr.flags & ~IPCD_F_MQ_KEY;
	msg->print_len = rec->print_len < IPCD_MQ_PRINT_MAX ? rec->print_len : IPCD_MQ_PRINT_MAX;
	memcpy(msg->print, rec->print, msg->print_len);
	msg->fd = rec->id;
	if (keep_payload && rec->payload_len && (msg->payload = malloc(rec->payload_len))) {
		memcpy(msg->payload, rec->payload, rec->payload_len);
		msg->payload_len = rec->payload_len;
	}
}

/* The oldest queued send this receive took; SIZE_MAX if not seen yet. */
static size_t match(const struct mq_queue *q, const struct mq_msg *r)
{
	for (size_t i = 0; i < q->nsends; i++)
		if (same_message(&q->sends[i], r))
			return i;
	return SIZE_MAX;
}

static void take_send(struct mq_queue *q, size_t i)
{
	free(q->sends[i].payload);
	memmove(&q->sends[i], &q->sends[i + 1], (q->nsends - i - 1) * sizeof(*q->sends));
	q->nsends--;
}

static void add_send(struct mq_events *m, struct mq_queue *q, const struct ipcd_mq_io *rec)
{
	struct mq_msg s;
	size_t out = 0;
	bool matched = false;  /* not pid 0: a damaged capture may hold one */

	msg_from(&s, rec, true);
	/* a receive that came first may be this one's */
	for (size_t i = 0; i < q->nrecvs; i++) {
		if (!matched && same_message(&s, &q->recvs[i])) {
			emit_message(m, q, &s, &q->recvs[i]);
			free(s.payload);
			matched = true;
			continue;
		}
		q->recvs[out++] = q->recvs[i];
	}
	q->nrecvs = out;
	if (matched)
		return;
	if (!grow_array((void **)&q->sends, &q->cap_sends, q->nsends + 1, sizeof(s))) {
		free(s.payload);
		m->dropped++;
		return;
	}
	q->sends[q->nsends++] = s;
}

static void add_recv(struct mq_events *m, struct mq_queue *q, const struct ipcd_mq_io *rec)
{
	struct mq_msg r;
	size_t i;

	msg_from(&r, rec, false);
	i = match(q, &r);
	if (i != SIZE_MAX) {
		emit_message(m, q, &q->sends[i], &r);
		take_send(q, i);
		return;
	}
	if (!grow_array((void **)&q->recvs, &q->cap_recvs, q->nrecvs + 1, sizeof(r))) {
		emit_message(m, q, NULL, &r);
		return;
	}
	q->recvs[q->nrecvs++] = r;
}

void mq_events_io(struct mq_events *m, const struct ipcd_mq_io *rec, size_t size)
{
	struct mq_queue *q;

	if (size < sizeof(*rec) || sizeof(*rec) + rec->payload_len > size)
		return;
	if (rec->kind != IPCD_MQ_SYSV && rec->kind != IPCD_MQ_POSIX)
		return;
	q = queue_get(m, rec);
	if (!q) {
		m->dropped++;
		return;
	}
	if (rec->kind == IPCD_MQ_POSIX && rec->name[0])
		snprintf(q->name, sizeof(q->name), "%.*s", IPCD_MQ_NAME_LEN, rec->name);
	if (rec->dir == IPCD_PIPE_WRITE)
		add_send(m, q, rec);
	else
		add_recv(m, q, rec);
}

void mq_events_op(struct mq_events *m, const struct ipcd_mq_op *rec)
{
	struct ipcd_event e;
	char name[IPCD_MQ_NAME_LEN + 1];

	ipcd_event_init(&e, IPCD_TYPE_MQ_OP, rec->hdr.ts_ns);
	ipcd_endpoint_from_task(&e.src, &rec->task);
	snprintf(name, sizeof(name), "%.*s", IPCD_MQ_NAME_LEN, rec->name);
	e.mq_op = rec->op;
	e.mq_kind = rec->op == IPCD_MQOP_MSGGET || rec->op == IPCD_MQOP_MSGRMID ? IPCD_MQ_SYSV : IPCD_MQ_POSIX;
	e.mq_has_key = rec->op == IPCD_MQOP_MSGGET;
	e.mq_key = rec->key;
	e.mq_id = rec->result;
	e.mq_name = name[0] ? name : NULL;
	m->emit(m->emit_ctx, &e);
}

void mq_events_expire(struct mq_events *m, uint64_t now_ns, uint64_t max_age_ns)
{
	struct mq_queue *q, *tmp;

	HASH_ITER(hh, m->queues, q, tmp) {
		size_t out = 0;

		for (size_t i = 0; i < q->nrecvs; i++) {
			if (now_ns > q->recvs[i].ts_ns && now_ns - q->recvs[i].ts_ns >= max_age_ns)
				emit_message(m, q, NULL, &q->recvs[i]);
			else
				q->recvs[out++] = q->recvs[i];
		}
		q->nrecvs = out;
	}
}

void mq_events_flush(struct mq_events *m)
{
	struct mq_queue *q, *tmp;

	mq_events_expire(m, UINT64_MAX, 0);
	HASH_ITER(hh, m->queues, q, tmp) {
		for (size_t i = 0; i < q->nsends; i++)
			emit_message(m, q, &q->sends[i], NULL);
		msgs_free(q->sends, q->nsends);
		q->sends = NULL;
		q->nsends = q->cap_sends = 0;
	}
}

size_t mq_events_pending(const struct mq_events *m)
{
	const struct mq_queue *q, *tmp;
	size_t n = 0;

	HASH_ITER(hh, m->queues, q, tmp)
		n += q->nsends + q->nrecvs;
	return n;
}

uint64_t mq_events_dropped(const struct mq_events *m)
{
	return m->dropped;
}
