/* SPDX-License-Identifier: GPL-2.0 */
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "engine/by_age.h"
#include "engine/grow.h"
#include "families/inet_events.h"
#include "families/channel_keys.h"

/* Past this many TCP directions, the half seen longest ago is forgotten. */
#define TCP_STREAMS_MAX 65536

/* One direction of a TCP connection. */
struct tcp_stream {
	uint64_t key;
	UT_hash_handle hh;
	struct ipcd_inet_tuple t;
	bool v6;
	uint64_t last;          /* the offset last given out, to widen the next sequence number */
	uint64_t seen;
};

/*
 * Connects and accepts that went out without their other half, lately: the
 * other half, when it comes, is named from them, and uses them up, so that
 * a later connection with the same addresses (a client that binds its
 * port) is not named after this one.
 */
#define RECENT_CONNECTS 256

struct recent_connect {
	struct ipcd_inet_tuple t;   /* the connector's side, local -> remote */
	struct ipcd_task task;
};

/*
 * A connect waiting for its accept, and what its connector did meanwhile
 * (a shutdown, a close), which is printed after it.
 */
#define HELD_LATER_MAX 4

struct held_connect {
	struct ipcd_inet_conn connect;
	struct ipcd_inet_conn later[HELD_LATER_MAX];
	size_t nlater;
};

struct inet_events {
	struct stream_join *streams;
	struct recent_connect connects[RECENT_CONNECTS];
	size_t next_connect;
	/* accepts seen lately (the acceptor's side, local -> remote): a connect that comes after names it */
	struct recent_connect accepted[RECENT_CONNECTS];
	size_t next_accepted;
	/* accepts whose connect has not come yet (it can return after the accept does) */
	struct ipcd_inet_conn *accepts;
	size_t naccepts, cap_accepts;
	/* connects waiting for their accept, to name the process that took the connection */
	struct held_connect *connects_held;
	size_t nheld, cap_held;
	struct msg_join *datagrams;
	struct tcp_stream *tcp;
	uint64_t clock;
	ipcd_emit_fn emit;
	void *emit_ctx;
	msg_comm_fn comm;
	void *comm_ctx;
};

uint64_t inet_tuple_key(const struct ipcd_inet_tuple *t)
{
	/* FNV-1a over the addresses and ports */
	const uint8_t *p = (const uint8_t *)t;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(*t); i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

struct inet_events *inet_events_new(struct stream_join *streams, ipcd_emit_fn emit, void *emit_ctx,
				    msg_comm_fn comm, void *comm_ctx)
{
	struct inet_events *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->streams = streams;
	n->emit = emit;
	n->emit_ctx = emit_ctx;
	n->comm = comm;
	n->comm_ctx = comm_ctx;
	n->datagrams = msg_join_new(emit, emit_ctx, comm, comm_ctx);
	if (!n->datagrams) {
		free(n);
		return NULL;
	}
	return n;
}

void inet_events_free(struct inet_events *n)
{
	struct tcp_stream *s, *tmp;

	if (!n)
		return;
	HASH_ITER(hh, n->tcp, s, tmp) {
		HASH_DEL(n->tcp, s);
		free(s);
	}
	msg_join_free(n->datagrams);
	free(n->accepts);
	free(n->connects_held);
	free(n);
}

struct msg_join *inet_events_messages(struct inet_events *n)
{
	return n->datagrams;
}

static void trim(struct inet_events *n)
{
	size_t count = HASH_COUNT(n->tcp);
	struct tcp_stream **all;

	if (count < TCP_STREAMS_MAX)
		return;
	all = (struct tcp_stream **)uthash_by_age(n->tcp, count, offsetof(struct tcp_stream, hh),
						  offsetof(struct tcp_stream, seen));
	if (!all)
		return;
	for (size_t i = 0; i < count / 2; i++) {
		HASH_DEL(n->tcp, all[i]);
		free(all[i]);
	}
	free(all);
}

static struct tcp_stream *tcp_stream_get(struct inet_events *n, const struct ipcd_inet_tuple *t, bool v6,
					 uint32_t seq)
{
	uint64_t key = inet_tuple_key(t);
	struct tcp_stream *s;

	HASH_FIND(hh, n->tcp, &key, sizeof(key), s);
	if (!s) {
		trim(n);
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->key = key;
		s->t = *t;
		s->v6 = v6;
		/* far from 0, so that bytes numbered before the first seen stay positive */
		s->last = (1ull << 40) + seq;
		HASH_ADD(hh, n->tcp, key, sizeof(s->key), s);
	}
	s->seen = ++n->clock;
	return s;
}

/* A 32-bit sequence number as a 64-bit offset, the nearest to the last one. */
static uint64_t widen(struct tcp_stream *s, uint32_t seq)
{
	uint64_t off = s->last + (int64_t)(int32_t)(seq - (uint32_t)s->last);

	s->last = off;
	return off;
}

static void tcp_io(struct inet_events *n, const struct ipcd_inet_io *rec)
{
	struct tcp_stream *s = tcp_stream_get(n, &rec->t, rec->v6, rec->seq);
	struct stream_io io = {
		.write = rec->dir == IPCD_PIPE_WRITE, .bytes = rec->bytes,
		.end_ns = rec->hdr.ts_ns, .task = &rec->task, .flags = rec->hdr.flags,
		.fd = rec->fd, .call = rec->call, .payload = rec->payload, .payload_len = rec->payload_len,
		.sock = rec->sock, .ino = rec->ino,
	};

	if (!s)
		return;
	io.key.ino = ipcd_inet_io_channel(rec);  /* s->key: the same */
	io.key.dev = (uint32_t)rec->t.sport << 16 | rec->t.dport;
	io.key.kind = IPCD_STREAM_TCP;
	io.offset = widen(s, rec->seq);
	stream_join_add(n->streams, &io);
}

static bool addr_is_unspecified(const uint8_t *a)
{
	static const uint8_t any6[16], any4[16] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, any6, 16) || !memcmp(a, any4, 16);
}

/* A UDP sender is known by its port: the address it sends from may be unbound. */
static uint64_t udp_sender(uint16_t port)
{
	return 0x5544500000000000ull | port;
}

static void udp_io(struct inet_events *n, const struct ipcd_inet_io *rec)
{
	char dest[64];
	struct msg_io io = {
		.type = IPCD_TYPE_LOOPBACK_UDP, .sender_sk = udp_sender(rec->t.sport), .chan = ipcd_inet_io_channel(rec),
		.sock = rec->sock,
		.ino = rec->ino, .bytes = rec->bytes, .end_ns = rec->hdr.ts_ns, .task = &rec->task,
		.flags = rec->hdr.flags, .fd = rec->fd, .call = rec->call, .payload = rec->payload,
		.payload_len = rec->payload_len, .inet = &rec->t, .inet_v6 = rec->v6,
	};

	/* a send and its receive name the destination alike: address and port */
	ipcd_inet_addr_format(rec->t.daddr, rec->t.dport, dest, sizeof(dest));
	if (rec->dir == IPCD_PIPE_WRITE) {
		io.dest_addr = dest;
		msg_join_send(n->datagrams, &io);
		return;
	}
	if (!rec->t.sport) {
		/* unconnected: any sender, paired by where it sent to; bound to every address: by port */
		io.sender_sk = 0;
		io.local_only = true;
		io.inet = NULL;
		if (addr_is_unspecified(rec->t.daddr))
			snprintf(dest, sizeof(dest), "*:%u", rec->t.dport);
	}
	io.own_name = dest;
	msg_join_recv(n->datagrams, &io);
}

void inet_events_io(struct inet_events *n, const struct ipcd_inet_io *rec, size_t size)
{
	if (size < sizeof(*rec) || sizeof(*rec) + rec->payload_len > size)
		return;
	if (rec->proto == IPCD_PROTO_TCP)
		tcp_io(n, rec);
	else if (rec->proto == IPCD_PROTO_UDP)
		udp_io(n, rec);
}

static void emit_conn_as(struct inet_events *n, const struct ipcd_inet_conn *rec, bool peer_is_listener)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_LOOPBACK_TCP_CONN, rec->hdr.ts_ns);
	e.src_fd = rec->fd;
	ipcd_endpoint_from_task(&e.src, &rec->task);
	if (rec->peer.pid)
		ipcd_endpoint_from_task(&e.dst, &rec->peer);
	e.dst_is_listener = peer_is_listener && rec->peer.pid;
	e.src_ino = rec->ino;
	e.conn_event = rec->event;
	e.conn_arg = rec->arg;
	e.has_inet = true;
	e.inet_v6 = rec->v6;
	e.inet_proto = IPCD_PROTO_TCP;
	e.inet = rec->t;
	n->emit(n->emit_ctx, &e);
}

static void emit_conn(struct inet_events *n, const struct ipcd_inet_conn *rec)
{
	emit_conn_as(n, rec, false);
}

/* The accepting side's tuple is the connector's reversed. */
static bool is_reverse(const struct ipcd_inet_tuple *a, const struct ipcd_inet_tuple *b)
{
	return a->sport == b->dport && a->dport == b->sport && !memcmp(a->saddr, b->daddr, 16) &&
	       !memcmp(a->daddr, b->saddr, 16);
}

static void remember(struct recent_connect *ring, size_t *next, const struct ipcd_inet_conn *rec)
{
	ring[*next].t = rec->t;
	ring[*next].task = rec->task;
	*next = (*next + 1) % RECENT_CONNECTS;
}

/* Takes out of ring the entry whose addresses are t's reversed, into task; false if none. */
static bool take_reverse(struct recent_connect *ring, const struct ipcd_inet_tuple *t, struct ipcd_task *task)
{
	for (size_t i = 0; i < RECENT_CONNECTS; i++) {
		if (ring[i].task.pid && is_reverse(&ring[i].t, t)) {
			*task = ring[i].task;
			ring[i].task.pid = 0;
			return true;
		}
	}
	return false;
}

/* An accept out before its connect: the connect, should it come, names its acceptor from it. */
static void emit_accept_alone(struct inet_events *n, const struct ipcd_inet_conn *accept)
{
	remember(n->accepted, &n->next_accepted, accept);
	emit_conn(n, accept);
}

/* A connect whose accept never came (or not yet): the kernel named who listened. */
static void emit_unaccepted(struct inet_events *n, const struct ipcd_inet_conn *connect)
{
	remember(n->connects, &n->next_connect, connect);
	emit_conn_as(n, connect, true);
}

/*
 * A connect and the accept that took it: each names the other's process
 * (the connect, the acceptor: a server's worker, not the master that
 * listened), printed in time order.
 */
static void emit_connection(struct inet_events *n, struct ipcd_inet_conn *connect, struct ipcd_inet_conn *accept)
{
	connect->peer = accept->task;
	if (!accept->peer.pid)
		accept->peer = connect->task;
	if (accept->hdr.ts_ns < connect->hdr.ts_ns) {
		emit_conn(n, accept);
		emit_conn(n, connect);
	} else {
		emit_conn(n, connect);
		emit_conn(n, accept);
	}
}

/* Removes item i of an array of n records, keeping the order. */
static void remove_conn(struct ipcd_inet_conn *all, size_t *count, size_t i)
{
	memmove(&all[i], &all[i + 1], (*count - i - 1) * sizeof(*all));
	(*count)--;
}

/* A connect meets its accept if that came first; otherwise it waits for it. */
static void on_connect(struct inet_events *n, const struct ipcd_inet_conn *rec)
{
	struct ipcd_inet_conn connect = *rec;

	if (rec->arg < 0) {
		emit_conn(n, rec);  /* failed: nobody will accept it */
		return;
	}
	for (size_t i = 0; i < n->naccepts; i++) {
		if (is_reverse(&n->accepts[i].t, &rec->t)) {
			struct ipcd_inet_conn accept = n->accepts[i];

			remove_conn(n->accepts, &n->naccepts, i);
			emit_connection(n, &connect, &accept);
			return;
		}
	}
	/* the accept's record can come first, naming this connector already */
	if (take_reverse(n->accepted, &rec->t, &connect.peer)) {
		emit_conn(n, &connect);
		return;
	}
	if (!grow_array((void **)&n->connects_held, &n->cap_held, n->nheld + 1, sizeof(*n->connects_held))) {
		emit_unaccepted(n, &connect);
		return;
	}
	n->connects_held[n->nheld].connect = connect;
	n->connects_held[n->nheld].nlater = 0;
	n->nheld++;
}

/* Prints a held connect (with its acceptor, if accept is not NULL) and what came after it. */
static void release_held(struct inet_events *n, size_t i, struct ipcd_inet_conn *accept)
{
	struct held_connect h = n->connects_held[i];

	memmove(&n->connects_held[i], &n->connects_held[i + 1], (n->nheld - i - 1) * sizeof(h));
	n->nheld--;
	if (accept)
		emit_connection(n, &h.connect, accept);
	else
		emit_unaccepted(n, &h.connect);
	for (size_t j = 0; j < h.nlater; j++)
		emit_conn(n, &h.later[j]);
}

/* An accept settles the connect waiting for it, if one is. */
static bool settle_held_connect(struct inet_events *n, const struct ipcd_inet_conn *rec)
{
	for (size_t i = 0; i < n->nheld; i++) {
		if (is_reverse(&rec->t, &n->connects_held[i].connect.t)) {
			struct ipcd_inet_conn accept = *rec;

			release_held(n, i, &accept);
			return true;
		}
	}
	return false;
}

/* The connector's shutdown or close waits behind its held connect, so as to print after it. */
static bool hold_behind_connect(struct inet_events *n, const struct ipcd_inet_conn *rec)
{
	for (size_t i = 0; i < n->nheld; i++) {
		struct held_connect *h = &n->connects_held[i];

		if (memcmp(&h->connect.t, &rec->t, sizeof(rec->t)))
			continue;
		if (h->nlater == HELD_LATER_MAX) {
			release_held(n, i, NULL);
			return false;
		}
		h->later[h->nlater++] = *rec;
		return true;
	}
	return false;
}

void inet_events_conn(struct inet_events *n, const struct ipcd_inet_conn *rec)
{
	struct ipcd_inet_conn copy;

	if (rec->event == IPCD_INET_CONNECT) {
		on_connect(n, rec);
		return;
	}
	if (rec->event != IPCD_INET_ACCEPT) {
		if (!hold_behind_connect(n, rec))
			emit_conn(n, rec);
		return;
	}
	if (settle_held_connect(n, rec))
		return;
	if (rec->peer.pid) {
		emit_accept_alone(n, rec);
		return;
	}
	/* the kernel had no connector yet: maybe a connect record already said it */
	copy = *rec;
	if (take_reverse(n->connects, &copy.t, &copy.peer)) {
		emit_conn(n, &copy);
		return;
	}
	if (grow_array((void **)&n->accepts, &n->cap_accepts, n->naccepts + 1, sizeof(copy)))
		n->accepts[n->naccepts++] = copy;
	else
		emit_accept_alone(n, &copy);
}

void inet_events_describe(const struct inet_events *n, struct ipcd_event *e)
{
	struct tcp_stream *s;

	if (e->type != IPCD_TYPE_LOOPBACK_TCP || e->has_inet)
		return;
	HASH_FIND(hh, n->tcp, &e->chan_key, sizeof(e->chan_key), s);
	if (!s)
		return;
	e->has_inet = true;
	e->inet_v6 = s->v6;
	e->inet_proto = IPCD_PROTO_TCP;
	e->inet = s->t;
}

void inet_events_expire(struct inet_events *n, uint64_t now_ns, uint64_t max_age_ns)
{
	size_t out = 0;

	msg_join_expire(n->datagrams, now_ns, max_age_ns);
	/* accepts of connects never seen (made before tracing, or by ipcdump itself) */
	for (size_t i = 0; i < n->naccepts; i++) {
		if (now_ns > n->accepts[i].hdr.ts_ns && now_ns - n->accepts[i].hdr.ts_ns >= max_age_ns)
			emit_accept_alone(n, &n->accepts[i]);
		else
			n->accepts[out++] = n->accepts[i];
	}
	n->naccepts = out;
	/* connects nobody accepted (a full backlog, a server that never does, or an accept filtered out) */
	for (size_t i = 0; i < n->nheld;) {
		uint64_t ts = n->connects_held[i].connect.hdr.ts_ns;

		if (now_ns > ts && now_ns - ts >= max_age_ns)
			release_held(n, i, NULL);
		else
			i++;
	}
}

void inet_events_flush(struct inet_events *n)
{
	inet_events_expire(n, UINT64_MAX, 0);
	msg_join_flush(n->datagrams);
}
