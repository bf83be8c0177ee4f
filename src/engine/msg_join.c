/* SPDX-License-Identifier: GPL-2.0 */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "engine/grow.h"
#include "engine/msg_join.h"

#define MSG_JOIN_PENDING_CAP (64ull << 20)

/* Flags an event carries over from its records (order_uncertain: settle_by_destination's guess). */
#define CARRIED_FLAGS (IPCD_F_PAYLOAD_UNAVAILABLE | IPCD_F_CREDS | IPCD_F_MSG_TRUNCATED | IPCD_F_ORDER_UNCERTAIN)

struct pending_send {
	enum ipcd_type type;
	uint64_t chan;
	uint64_t sock, ino, dest;
	char *dest_addr;
	uint64_t bytes, end_ns, order;
	struct ipcd_task task;
	uint32_t flags;
	int32_t fd;
	uint8_t call;
	uint8_t *payload;
	uint32_t payload_len;
	struct ipcd_sock_extra *extra;
	bool has_inet, inet_v6;
	struct ipcd_inet_tuple inet;
};

struct pending_recv {
	enum ipcd_type type;
	uint64_t chan;
	uint64_t sender_sk, sock, ino;
	char *own_name;
	uint32_t sender_pid;
	uint64_t bytes, end_ns;
	struct ipcd_task task;
	uint32_t flags;
	int32_t fd;
	uint8_t call;
	bool has_inet, inet_v6;
	bool local_only;        /* never paired: not from this host, say nothing */
	struct ipcd_inet_tuple inet;
};

/* The sends of one socket not yet received, oldest first. */
struct sender {
	uint64_t sk;
	UT_hash_handle hh;
	struct pending_send *sends;
	size_t nsends, cap;
};

struct msg_join {
	struct sender *senders;
	struct pending_recv *recvs;   /* waiting for their send, in arrival order */
	size_t nrecvs, cap_recvs;
	uint64_t pending_bytes, pending_cap, order;
	uint64_t evicted, dropped;
	ipcd_emit_fn emit;
	void *emit_ctx;
	msg_comm_fn comm;
	void *comm_ctx;
};

struct msg_join *msg_join_new(ipcd_emit_fn emit, void *emit_ctx, msg_comm_fn comm, void *comm_ctx)
{
	struct msg_join *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->emit = emit;
	j->emit_ctx = emit_ctx;
	j->comm = comm;
	j->comm_ctx = comm_ctx;
	j->pending_cap = MSG_JOIN_PENDING_CAP;
	return j;
}

void msg_join_set_pending_cap(struct msg_join *j, uint64_t bytes)
{
	j->pending_cap = bytes;
}

static uint64_t send_cost(const struct pending_send *s)
{
	return sizeof(*s) + s->payload_len;
}

static void send_free(struct pending_send *s)
{
	free(s->dest_addr);
	free(s->payload);
	ipcd_sock_extra_free(s->extra);
}

static void sender_free(struct sender *snd)
{
	for (size_t i = 0; i < snd->nsends; i++)
		send_free(&snd->sends[i]);
	free(snd->sends);
	free(snd);
}

void msg_join_free(struct msg_join *j)
{
	struct sender *snd, *tmp;

	if (!j)
		return;
	HASH_ITER(hh, j->senders, snd, tmp) {
		HASH_DEL(j->senders, snd);
		sender_free(snd);
	}
	for (size_t i = 0; i < j->nrecvs; i++)
		free(j->recvs[i].own_name);
	free(j->recvs);
	free(j);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- events ---------------------------------------------------------- */

static void event_set_inet(struct ipcd_event *e, bool has, bool v6, const struct ipcd_inet_tuple *t)
{
	if (!has)
		return;
	e->has_inet = true;
	e->inet_v6 = v6;
	e->inet_proto = IPCD_PROTO_UDP;
	e->inet = *t;
}

static void event_set_send(struct ipcd_event *e, const struct pending_send *s, uint64_t bytes)
{
	e->chan_key = s->chan;
	event_set_inet(e, s->has_inet, s->inet_v6, &s->inet);
	ipcd_endpoint_from_task(&e->src, &s->task);
	e->src_fd = s->fd;
	e->src_call = s->call;
	e->src_sock = s->sock;
	e->src_ino = s->ino;
	e->dst_sock = s->dest;
	e->dest_addr = s->dest_addr;
	e->extra = s->extra;
	e->flags |= s->flags & CARRIED_FLAGS;
	e->payload = s->payload;
	e->payload_len = s->payload_len < bytes ? s->payload_len : (uint32_t)bytes;
	if (e->payload_len < bytes && (s->flags & IPCD_F_PAYLOAD_TRUNCATED))
		e->flags |= IPCD_F_PAYLOAD_TRUNCATED;
}

static void event_set_recv(struct ipcd_event *e, const struct pending_recv *r)
{
	e->chan_key = r->chan;
	/* the datagram's own headers: the truth about where it went */
	event_set_inet(e, r->has_inet, r->inet_v6, &r->inet);
	ipcd_endpoint_from_task(&e->dst, &r->task);
	e->dst_fd = r->fd;
	e->dst_call = r->call;
	e->dst_sock = r->sock;
	e->dst_ino = r->ino;
	e->flags |= r->flags & CARRIED_FLAGS;
}

static void emit_pair(struct msg_join *j, const struct pending_send *s, const struct pending_recv *r)
{
	struct ipcd_event e;

	ipcd_event_init(&e, r->type, r->end_ns);
	e.bytes = r->bytes;
	event_set_send(&e, s, r->bytes);
	event_set_recv(&e, r);
	/*
	 * From the send's return (its start is not seen); a receive that
	 * returned first took the message while the send was returning.
	 */
	e.latency_ns = r->end_ns > s->end_ns ? r->end_ns - s->end_ns : 0;
	e.flags |= IPCD_EF_HAS_LATENCY;
	j->emit(j->emit_ctx, &e);
}

/* A receive whose send was never seen: the message still names its sending process. */
static void emit_recv_alone(struct msg_join *j, const struct pending_recv *r)
{
	struct ipcd_event e;
	const char *comm = r->sender_pid && j->comm ? j->comm(j->comm_ctx, r->sender_pid) : NULL;

	ipcd_event_init(&e, r->type, r->end_ns);
	e.bytes = r->bytes;
	event_set_recv(&e, r);
	e.flags |= IPCD_EF_WRITER_UNKNOWN;
	if (r->sender_pid) {
		e.src.pid = r->sender_pid;
		if (comm)
			strncpy(e.src.comm, comm, sizeof(e.src.comm) - 1);
	}
	j->emit(j->emit_ctx, &e);
}

static void emit_unread(struct msg_join *j, const struct pending_send *s)
{
	struct ipcd_event e;

	ipcd_event_init(&e, s->type, s->end_ns);
	e.bytes = s->bytes;
	event_set_send(&e, s, s->bytes);
	e.flags |= IPCD_EF_UNREAD;
	j->emit(j->emit_ctx, &e);
}

/* ---- the join -------------------------------------------------------- */

static struct sender *sender_find(const struct msg_join *j, uint64_t sk)
{
	struct sender *snd;

	HASH_FIND(hh, j->senders, &sk, sizeof(sk), snd);
	return snd;
}

/*
 * Does the name a send went to name the receiving socket?  A receiving
 * name "*:PORT" (a socket bound to every address) takes any address with
 * that port.
 */
static bool name_eq(const char *dest, const char *own)
{
	const char *port;

	if (!dest || !own)
		return false;
	if (own[0] == '*' && own[1] == ':')
		return (port = strrchr(dest, ':')) && !strcmp(port, own + 1);
	return !strcmp(dest, own);
}

/*
 * Could this unconnected send have been to the socket named own?  Abstract
 * names are exact; a path may name it another way (relative, a link).
 */
static bool may_be_sent_to(const struct pending_send *s, const char *own)
{
	if (!s->dest_addr || !own)
		return true;
	if (s->dest_addr[0] == '@' || own[0] == '@')
		return !strcmp(s->dest_addr, own);
	return true;
}

/*
 * The send a receive took: the oldest to this receiver, by socket or by
 * the name it was sent to; else, unless exact, the oldest unconnected send
 * that may have gone to it.  A send to another socket never matches: its
 * receive is still to come, and so may this one's send.
 */
static size_t match_send(const struct sender *snd, const struct pending_recv *r, bool exact)
{
	size_t maybe = SIZE_MAX;

	for (size_t i = 0; i < snd->nsends; i++) {
		const struct pending_send *s = &snd->sends[i];

		if (s->dest == r->sock || (!s->dest && name_eq(s->dest_addr, r->own_name)))
			return i;
		if (!s->dest && maybe == SIZE_MAX && may_be_sent_to(s, r->own_name))
			maybe = i;
	}
	return exact ? SIZE_MAX : maybe;
}

static void sender_remove(struct msg_join *j, struct sender *snd, size_t i)
{
	j->pending_bytes -= send_cost(&snd->sends[i]);
	send_free(&snd->sends[i]);
	memmove(&snd->sends[i], &snd->sends[i + 1], (snd->nsends - i - 1) * sizeof(*snd->sends));
	snd->nsends--;
	if (!snd->nsends) {
		HASH_DEL(j->senders, snd);
		sender_free(snd);
	}
}

/*
 * A receive that does not know its sender (an unconnected UDP socket): the
 * oldest send to its name, from any sender; uncertain if more than one
 * sender had sent it one.
 */
static bool settle_by_destination(struct msg_join *j, const struct pending_recv *r)
{
	struct sender *snd, *tmp, *best_snd = NULL;
	size_t best = SIZE_MAX;
	unsigned int senders = 0;

	HASH_ITER(hh, j->senders, snd, tmp) {
		for (size_t i = 0; i < snd->nsends; i++) {
			const struct pending_send *s = &snd->sends[i];

			if (s->dest || !name_eq(s->dest_addr, r->own_name))
				continue;
			senders++;
			if (!best_snd || s->order < best_snd->sends[best].order) {
				best_snd = snd;
				best = i;
			}
			break;
		}
	}
	if (!best_snd)
		return false;
	if (senders > 1) {
		struct pending_recv uncertain = *r;

		uncertain.flags |= IPCD_F_ORDER_UNCERTAIN;
		emit_pair(j, &best_snd->sends[best], &uncertain);
	} else {
		emit_pair(j, &best_snd->sends[best], r);
	}
	sender_remove(j, best_snd, best);
	return true;
}

/* Reports r if its send is known; false if it must wait. */
static bool settle_recv(struct msg_join *j, const struct pending_recv *r, bool exact)
{
	struct sender *snd;
	size_t i;

	if (!r->sender_sk)
		return settle_by_destination(j, r);
	snd = sender_find(j, r->sender_sk);
	if (!snd || (i = match_send(snd, r, exact)) == SIZE_MAX)
		return false;
	emit_pair(j, &snd->sends[i], r);
	sender_remove(j, snd, i);
	return true;
}

/*
 * A send came: the receives waiting for it, those it certainly went to
 * first, so that a receive that only may match does not take another's.
 */
static void settle_waiting(struct msg_join *j, uint64_t sender_sk)
{
	for (int pass = 0; pass < 2; pass++) {
		size_t out = 0;

		for (size_t i = 0; i < j->nrecvs; i++) {
			struct pending_recv *r = &j->recvs[i];

			if ((r->sender_sk == sender_sk || !r->sender_sk) && settle_recv(j, r, pass == 0)) {
				free(r->own_name);
				continue;
			}
			j->recvs[out++] = *r;
		}
		j->nrecvs = out;
	}
}

static struct pending_send *oldest_send(struct msg_join *j, struct sender **owner)
{
	struct pending_send *best = NULL;
	struct sender *snd, *tmp;

	HASH_ITER(hh, j->senders, snd, tmp) {
		if (snd->nsends && (!best || snd->sends[0].order < best->order)) {
			best = &snd->sends[0];
			*owner = snd;
		}
	}
	return best;
}

/*
 * Nothing tells userspace that a socket died with messages queued: past the
 * cap, the oldest sends are reported unread, down to half of it.
 */
static void bound_pending(struct msg_join *j)
{
	struct sender *owner = NULL;
	struct pending_send *s;

	if (j->pending_bytes <= j->pending_cap)
		return;
	while (j->pending_bytes > j->pending_cap / 2 && (s = oldest_send(j, &owner))) {
		emit_unread(j, s);
		j->evicted++;
		sender_remove(j, owner, 0);
	}
}

void msg_join_send(struct msg_join *j, const struct msg_io *io)
{
	struct sender *snd = sender_find(j, io->sender_sk);
	struct pending_send s = {
		.type = io->type, .chan = io->chan, .sock = io->sock, .ino = io->ino, .dest = io->dest,
		.dest_addr = dup_or_null(io->dest_addr), .bytes = io->bytes, .end_ns = io->end_ns,
		.order = ++j->order, .task = *io->task, .flags = io->flags, .fd = io->fd, .call = io->call,
		.extra = io->extra, .has_inet = io->inet != NULL, .inet_v6 = io->inet_v6,
	};

	if (io->inet)
		s.inet = *io->inet;
	if (io->payload_len && (s.payload = malloc(io->payload_len))) {
		memcpy(s.payload, io->payload, io->payload_len);
		s.payload_len = io->payload_len;
	} else if (io->payload_len) {
		s.flags |= IPCD_F_PAYLOAD_TRUNCATED;
	}
	if (!snd && (snd = calloc(1, sizeof(*snd)))) {
		snd->sk = io->sender_sk;
		HASH_ADD(hh, j->senders, sk, sizeof(snd->sk), snd);
	}
	if (!snd || !grow_array((void **)&snd->sends, &snd->cap, snd->nsends + 1, sizeof(s))) {
		send_free(&s);
		j->dropped++;
		return;
	}
	snd->sends[snd->nsends++] = s;
	j->pending_bytes += send_cost(&s);
	settle_waiting(j, io->sender_sk);
	bound_pending(j);
}

void msg_join_recv(struct msg_join *j, const struct msg_io *io)
{
	struct pending_recv r = {
		.type = io->type, .chan = io->chan, .sender_sk = io->sender_sk, .sock = io->sock, .ino = io->ino,
		.own_name = dup_or_null(io->own_name), .sender_pid = io->sender_pid, .bytes = io->bytes,
		.end_ns = io->end_ns, .task = *io->task, .flags = io->flags, .fd = io->fd, .call = io->call,
		.has_inet = io->inet != NULL, .inet_v6 = io->inet_v6, .local_only = io->local_only,
	};

	if (io->inet)
		r.inet = *io->inet;
	if (settle_recv(j, &r, false)) {
		free(r.own_name);
		return;
	}
	if (!grow_array((void **)&j->recvs, &j->cap_recvs, j->nrecvs + 1, sizeof(r))) {
		if (!r.local_only)
			emit_recv_alone(j, &r);
		free(r.own_name);
		return;
	}
	j->recvs[j->nrecvs++] = r;
}

void msg_join_expire(struct msg_join *j, uint64_t now_ns, uint64_t max_age_ns)
{
	size_t out = 0;

	for (size_t i = 0; i < j->nrecvs; i++) {
		struct pending_recv *r = &j->recvs[i];

		if (now_ns > r->end_ns && now_ns - r->end_ns >= max_age_ns) {
			if (!r->local_only)
				emit_recv_alone(j, r);
			free(r->own_name);
			continue;
		}
		j->recvs[out++] = *r;
	}
	j->nrecvs = out;
}

void msg_join_flush(struct msg_join *j)
{
	struct sender *snd, *tmp;

	msg_join_expire(j, UINT64_MAX, 0);
	HASH_ITER(hh, j->senders, snd, tmp) {
		for (size_t i = 0; i < snd->nsends; i++)
			emit_unread(j, &snd->sends[i]);
		HASH_DEL(j->senders, snd);
		sender_free(snd);
	}
	j->pending_bytes = 0;
}

uint64_t msg_join_evicted(const struct msg_join *j)
{
	return j->evicted;
}

uint64_t msg_join_dropped(const struct msg_join *j)
{
	return j->dropped;
}

size_t msg_join_pending(const struct msg_join *j)
{
	const struct sender *snd, *tmp;
	size_t n = j->nrecvs;

	HASH_ITER(hh, j->senders, snd, tmp)
		n += snd->nsends;
	return n;
}
