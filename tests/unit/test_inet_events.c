// SPDX-License-Identifier: GPL-2.0
/*
 * The loopback TCP and UDP join, fed with records as the inet collector
 * sends them: TCP sends and receives joined by their sequence numbers
 * (widened to 64 bits), UDP datagrams by their sender's port and
 * destination, and connects paired with their accepts, each naming the
 * other's process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "join_sink.h"
#include "families/inet_events.h"

#define MAX_AGE 1000000000ull

/* One socket and the process using it, on 127.0.0.1 (or ::1). */
struct sock {
	uint32_t pid;
	const char *comm;
	uint64_t cookie, ino;
	uint16_t port;
	bool v6;
};

static const struct sock client = { 10, "curl", 101, 1001, 40000, false };
static const struct sock server = { 20, "nginx", 201, 2001, 8080, false };
static const struct sock client2 = { 11, "wget", 102, 1002, 40001, false };
static const struct sock client6 = { 12, "curl6", 103, 1003, 40002, true };
static const struct sock server6 = { 22, "nginx6", 203, 2003, 8443, true };

struct fixture {
	struct sink sink;
	struct stream_join *streams;
	struct inet_events *inet;
};

static const char *comm_of(void *ctx, uint32_t pid)
{
	(void)ctx;
	return pid == client.pid ? client.comm : NULL;
}

/* As the front end does: a TCP event gets its addresses from its stream. */
static void describe(void *ctx, struct ipcd_event *e)
{
	inet_events_describe(ctx, e);
}

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->streams = stream_join_new(sink_collect, &f->sink);
	f->inet = f->streams ? inet_events_new(f->streams, sink_collect, &f->sink, comm_of, f) : NULL;
	if (!f->inet) {
		stream_join_free(f->streams);
		free(f);
		return -1;
	}
	f->sink.describe = describe;
	f->sink.describe_ctx = f->inet;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	inet_events_free(f->inet);
	stream_join_free(f->streams);
	sink_free(&f->sink);
	free(f);
	return 0;
}

static const struct ipcd_event *last_event(const struct fixture *f)
{
	assert_true(f->sink.count > 0);
	return &f->sink.events[f->sink.count - 1];
}

static bool no_read_offset(void *ctx, const struct ipcd_pipe_key *key, uint64_t *r_off)
{
	(void)ctx;
	(void)key;
	(void)r_off;
	return false;
}

/* ---- records ------------------------------------------------------------- */

/* 127.0.0.1 v4-mapped, or ::1 */
static void loopback(uint8_t *addr, bool v6)
{
	memset(addr, 0, 16);
	if (v6) {
		addr[15] = 1;
		return;
	}
	addr[10] = addr[11] = 0xff;
	addr[12] = 127;
	addr[15] = 1;
}

/* The bytes' direction: from's port to to's (to's port alone if from is NULL). */
static struct ipcd_inet_tuple tuple(const struct sock *from, const struct sock *to)
{
	struct ipcd_inet_tuple t = { .sport = from ? from->port : 0, .dport = to->port };

	loopback(t.saddr, to->v6);
	loopback(t.daddr, to->v6);
	return t;
}

/* s sends payload along t, or with payload NULL receives bytes that came along t. */
static struct ipcd_inet_io *io_rec(uint8_t proto, const struct sock *s, struct ipcd_inet_tuple t,
				   const char *payload, uint64_t bytes, uint32_t seq, uint64_t ts)
{
	size_t len = payload ? strlen(payload) : 0;
	struct ipcd_inet_io *r = record_new(IPCD_REC_INET_IO, sizeof(*r), payload, len, ts);

	task_set(&r->task, s->pid, s->comm);
	r->t = t;
	r->proto = proto;
	r->dir = payload ? IPCD_PIPE_WRITE : IPCD_PIPE_READ;
	r->call = payload ? IPCD_CALL_SENDTO : IPCD_CALL_RECVFROM;
	r->v6 = s->v6;
	r->seq = seq;
	r->bytes = bytes;
	r->sock = s->cookie;
	r->ino = s->ino;
	r->fd = payload ? 4 : 5;
	r->payload_len = (uint16_t)len;
	return r;
}

static void feed(struct fixture *f, struct ipcd_inet_io *r)
{
	inet_events_io(f->inet, r, r->hdr.size);
	free(r);
}

static void tcp_send(struct fixture *f, const struct sock *from, const struct sock *to, const char *payload,
		     uint32_t seq, uint64_t ts)
{
	feed(f, io_rec(IPCD_PROTO_TCP, from, tuple(from, to), payload, strlen(payload), seq, ts));
}

static void tcp_recv(struct fixture *f, const struct sock *from, const struct sock *to, uint64_t bytes,
		     uint32_t seq, uint64_t ts)
{
	feed(f, io_rec(IPCD_PROTO_TCP, to, tuple(from, to), NULL, bytes, seq, ts));
}

static void udp_send(struct fixture *f, const struct sock *from, const struct sock *to, const char *payload,
		     uint64_t ts)
{
	feed(f, io_rec(IPCD_PROTO_UDP, from, tuple(from, to), payload, strlen(payload), 0, ts));
}

/* from NULL: an unconnected receiver that does not know the sender. */
static void udp_recv(struct fixture *f, const struct sock *from, const struct sock *to, uint64_t bytes,
		     uint64_t ts)
{
	feed(f, io_rec(IPCD_PROTO_UDP, to, tuple(from, to), NULL, bytes, 0, ts));
}

static void assert_ends(const struct ipcd_event *e, const struct sock *from, const struct sock *to)
{
	assert_endpoint(&e->src, from->pid, from->comm);
	assert_endpoint(&e->dst, to->pid, to->comm);
	assert_int_equal(e->src_sock, from->cookie);
	assert_int_equal(e->dst_sock, to->cookie);
	assert_int_equal(e->src_ino, from->ino);
	assert_int_equal(e->dst_ino, to->ino);
}

static void assert_tuple(const struct ipcd_event *e, uint8_t proto, const struct sock *from, const struct sock *to)
{
	struct ipcd_inet_tuple t = tuple(from, to);

	assert_true(e->has_inet);
	assert_int_equal(e->inet_proto, proto);
	assert_int_equal(e->inet_v6, to->v6);
	assert_memory_equal(&e->inet, &t, sizeof(t));
}

/* ---- TCP ------------------------------------------------------------------ */

static void test_tcp_send_then_receive(void **state)
{
	struct fixture *f = *state;
	struct ipcd_inet_tuple t = tuple(&client, &server);
	const struct ipcd_event *e;

	tcp_send(f, &client, &server, "GET /", 1000, 100);
	assert_int_equal(f->sink.count, 0);
	tcp_recv(f, &client, &server, 5, 1000, 170);

	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->type, IPCD_TYPE_LOOPBACK_TCP);
	assert_int_equal(e->ts_ns, 170);
	assert_ends(e, &client, &server);
	assert_tuple(e, IPCD_PROTO_TCP, &client, &server);
	assert_int_equal(e->chan_key, inet_tuple_key(&t));
	assert_int_equal(e->bytes, 5);
	assert_payload(e, "GET /");
	assert_int_equal(e->src_fd, 4);
	assert_int_equal(e->dst_fd, 5);
	assert_int_equal(e->src_call, IPCD_CALL_SENDTO);
	assert_int_equal(e->dst_call, IPCD_CALL_RECVFROM);
	assert_int_equal(e->latency_ns, 70);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_int_equal(stream_join_pending(f->streams), 0);
}

static void test_tcp_receive_of_two_sends(void **state)
{
	struct fixture *f = *state;

	tcp_send(f, &client, &server, "abc", 1000, 100);
	tcp_send(f, &client, &server, "defg", 1003, 200);
	tcp_recv(f, &client, &server, 7, 1000, 300);
	assert_int_equal(f->sink.count, 2);
	assert_payload(&f->sink.events[0], "abc");
	assert_int_equal(f->sink.events[0].latency_ns, 200);
	assert_payload(&f->sink.events[1], "defg");
	assert_int_equal(f->sink.events[1].latency_ns, 100);
}

static void test_tcp_two_receives_of_one_send(void **state)
{
	struct fixture *f = *state;

	tcp_send(f, &client, &server, "abcdef", 1000, 100);
	tcp_recv(f, &client, &server, 4, 1000, 200);
	tcp_recv(f, &client, &server, 2, 1004, 300);
	assert_int_equal(f->sink.count, 2);
	assert_payload(&f->sink.events[0], "abcd");
	assert_payload(&f->sink.events[1], "ef");
	assert_int_equal(f->sink.events[1].bytes, 2);
	assert_int_equal(stream_join_pending(f->streams), 0);
}

/* Sequence numbers wrap at 2^32; the join's offsets do not. */
static void test_tcp_sequence_numbers_wrap(void **state)
{
	struct fixture *f = *state;

	tcp_send(f, &client, &server, "abcdefgh", 0xfffffffcu, 100);
	tcp_recv(f, &client, &server, 4, 0xfffffffcu, 200);
	tcp_recv(f, &client, &server, 4, 0, 300);
	tcp_send(f, &client, &server, "ij", 4, 400);
	tcp_recv(f, &client, &server, 2, 4, 500);
	assert_int_equal(f->sink.count, 3);
	assert_payload(&f->sink.events[0], "abcd");
	assert_payload(&f->sink.events[1], "efgh");
	assert_payload(&f->sink.events[2], "ij");
	assert_int_equal(stream_join_pending(f->streams), 0);
}

static void test_tcp_receive_before_send(void **state)
{
	struct fixture *f = *state;

	tcp_recv(f, &client, &server, 2, 1000, 300);
	assert_int_equal(f->sink.count, 0);
	tcp_send(f, &client, &server, "hi", 1000, 100);
	assert_int_equal(f->sink.count, 1);
	assert_ends(last_event(f), &client, &server);
	assert_int_equal(last_event(f)->latency_ns, 200);
}

static void test_tcp_receive_alone_expires_with_unknown_sender(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	tcp_recv(f, &client, &server, 2, 1000, 300);
	stream_join_expire(f->streams, 300 + MAX_AGE, MAX_AGE);
	inet_events_expire(f->inet, 300 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_endpoint_unknown(&e->src);
	assert_endpoint(&e->dst, server.pid, server.comm);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	/* the stream still names the connection */
	assert_tuple(e, IPCD_PROTO_TCP, &client, &server);
}

static void test_tcp_send_never_received_is_unread_at_flush(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	tcp_send(f, &client, &server, "bye", 1000, 100);
	inet_events_flush(f->inet);
	assert_int_equal(f->sink.count, 0);
	stream_join_flush(f->streams, no_read_offset, NULL);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->ts_ns, 100);
	assert_endpoint(&e->src, client.pid, client.comm);
	assert_endpoint_unknown(&e->dst);
	assert_int_equal(e->flags, IPCD_EF_UNREAD);
	assert_payload(e, "bye");
	assert_tuple(e, IPCD_PROTO_TCP, &client, &server);
}

/* Both directions of a connection and another connection, records interleaved. */
static void test_tcp_interleaved_directions_pair_separately(void **state)
{
	struct fixture *f = *state;

	tcp_send(f, &client, &server, "request", 1000, 100);
	tcp_send(f, &server, &client, "response", 5000, 110);
	tcp_send(f, &client2, &server, "other", 1000, 120);
	tcp_recv(f, &server, &client, 8, 5000, 130);
	tcp_recv(f, &client2, &server, 5, 1000, 140);
	tcp_recv(f, &client, &server, 7, 1000, 150);

	assert_int_equal(f->sink.count, 3);
	assert_ends(&f->sink.events[0], &server, &client);
	assert_payload(&f->sink.events[0], "response");
	assert_tuple(&f->sink.events[0], IPCD_PROTO_TCP, &server, &client);
	assert_ends(&f->sink.events[1], &client2, &server);
	assert_payload(&f->sink.events[1], "other");
	assert_ends(&f->sink.events[2], &client, &server);
	assert_payload(&f->sink.events[2], "request");
	assert_int_not_equal(f->sink.events[0].chan_key, f->sink.events[2].chan_key);
}

static void test_tcp_over_ipv6(void **state)
{
	struct fixture *f = *state;

	tcp_send(f, &client6, &server6, "v6", 7, 100);
	tcp_recv(f, &client6, &server6, 2, 7, 200);
	assert_int_equal(f->sink.count, 1);
	assert_ends(last_event(f), &client6, &server6);
	assert_tuple(last_event(f), IPCD_PROTO_TCP, &client6, &server6);
	assert_true(last_event(f)->inet_v6);
}

/* ---- UDP ------------------------------------------------------------------- */

static void test_udp_send_then_receive(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	udp_send(f, &client, &server, "query", 100);
	assert_int_equal(f->sink.count, 0);
	udp_recv(f, &client, &server, 5, 160);

	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->type, IPCD_TYPE_LOOPBACK_UDP);
	assert_int_equal(e->ts_ns, 160);
	assert_ends(e, &client, &server);
	assert_tuple(e, IPCD_PROTO_UDP, &client, &server);
	assert_int_equal(e->chan_key, server.port);
	assert_string_equal(e->dest_addr, "127.0.0.1:8080");
	assert_payload(e, "query");
	assert_int_equal(e->latency_ns, 60);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
}

/* A receiver bound to every address, not knowing its sender: paired by port. */
static void test_udp_unconnected_receiver_pairs_by_destination(void **state)
{
	struct fixture *f = *state;
	struct ipcd_inet_tuple any = tuple(NULL, &server);
	const struct ipcd_event *e;

	memset(any.daddr, 0, sizeof(any.daddr));
	any.daddr[10] = any.daddr[11] = 0xff;   /* 0.0.0.0 */
	udp_send(f, &client, &server, "one", 100);
	udp_send(f, &client2, &server, "two", 110);
	feed(f, io_rec(IPCD_PROTO_UDP, &server, any, NULL, 3, 0, 200));

	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_ends(e, &client, &server);
	assert_payload(e, "one");
	/* two senders had sent to it: which came first is a guess */
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY | IPCD_F_ORDER_UNCERTAIN);
	/* the datagram's addresses are the send's */
	assert_tuple(e, IPCD_PROTO_UDP, &client, &server);
}

/* An unconnected receive that no local send explains was no IPC: nothing is said. */
static void test_udp_unconnected_receive_alone_is_no_event(void **state)
{
	struct fixture *f = *state;

	udp_recv(f, NULL, &server, 3, 100);
	inet_events_expire(f->inet, 100 + MAX_AGE, MAX_AGE);
	inet_events_flush(f->inet);
	assert_int_equal(f->sink.count, 0);
}

static void test_udp_receive_before_send(void **state)
{
	struct fixture *f = *state;

	udp_recv(f, &client, &server, 5, 160);
	assert_int_equal(f->sink.count, 0);
	udp_send(f, &client, &server, "query", 100);
	assert_int_equal(f->sink.count, 1);
	assert_ends(last_event(f), &client, &server);
	assert_int_equal(last_event(f)->latency_ns, 60);
}

static void test_udp_receive_alone_expires_with_unknown_sender(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	udp_recv(f, &client, &server, 5, 160);
	inet_events_expire(f->inet, 160 + MAX_AGE - 1, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	inet_events_expire(f->inet, 160 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_endpoint_unknown(&e->src);
	assert_endpoint(&e->dst, server.pid, server.comm);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_tuple(e, IPCD_PROTO_UDP, &client, &server);
}

static void test_udp_send_never_received_is_unread_at_flush(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	udp_send(f, &client, &server, "lost", 100);
	inet_events_expire(f->inet, 100 + 2 * MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	inet_events_flush(f->inet);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_endpoint(&e->src, client.pid, client.comm);
	assert_endpoint_unknown(&e->dst);
	assert_int_equal(e->flags, IPCD_EF_UNREAD);
	assert_string_equal(e->dest_addr, "127.0.0.1:8080");
	assert_payload(e, "lost");
}

static void test_udp_interleaved_senders_pair_separately(void **state)
{
	struct fixture *f = *state;

	udp_send(f, &client, &server, "from curl", 100);
	udp_send(f, &client2, &server, "from wget", 110);
	udp_recv(f, &client2, &server, 9, 120);
	udp_recv(f, &client, &server, 9, 130);
	assert_int_equal(f->sink.count, 2);
	assert_ends(&f->sink.events[0], &client2, &server);
	assert_payload(&f->sink.events[0], "from wget");
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_HAS_LATENCY);
	assert_ends(&f->sink.events[1], &client, &server);
	assert_payload(&f->sink.events[1], "from curl");
}

/* ---- TCP connections ------------------------------------------------------ */

/* task's connect (or accept) of the connection along t; peer: who the kernel named at the other end. */
static void feed_conn(struct fixture *f, uint32_t event, const struct sock *task, const struct sock *peer,
		      struct ipcd_inet_tuple t, int32_t arg, uint64_t ts)
{
	struct ipcd_inet_conn *r = record_new(IPCD_REC_INET_CONN, sizeof(*r), NULL, 0, ts);

	task_set(&r->task, task->pid, task->comm);
	if (peer)
		task_set(&r->peer, peer->pid, peer->comm);
	r->t = t;
	r->event = event;
	r->fd = 3;
	r->ino = task->ino;
	r->v6 = task->v6;
	r->arg = arg;
	inet_events_conn(f->inet, r);
	free(r);
}

static void connect_(struct fixture *f, const struct sock *listener, uint64_t ts)
{
	feed_conn(f, IPCD_INET_CONNECT, &client, listener, tuple(&client, &server), 0, ts);
}

static void accept_(struct fixture *f, const struct sock *connector, uint64_t ts)
{
	feed_conn(f, IPCD_INET_ACCEPT, &server, connector, tuple(&server, &client), 0, ts);
}

static void assert_conn(const struct ipcd_event *e, uint32_t event, const struct sock *actor,
			const struct sock *other, uint64_t ts)
{
	assert_int_equal(e->type, IPCD_TYPE_LOOPBACK_TCP_CONN);
	assert_int_equal(e->conn_event, event);
	assert_int_equal(e->ts_ns, ts);
	assert_endpoint(&e->src, actor->pid, actor->comm);
	if (other)
		assert_endpoint(&e->dst, other->pid, other->comm);
	else
		assert_endpoint_unknown(&e->dst);
	assert_int_equal(e->src_ino, actor->ino);
	assert_int_equal(e->src_fd, 3);
	assert_true(e->has_inet);
	assert_int_equal(e->inet_proto, IPCD_PROTO_TCP);
}

/* The connect waits for its accept, which names the process that took the connection. */
static void test_connect_then_accept_name_each_other(void **state)
{
	struct fixture *f = *state;

	connect_(f, NULL, 100);
	assert_int_equal(f->sink.count, 0);
	accept_(f, NULL, 150);
	assert_int_equal(f->sink.count, 2);
	assert_conn(&f->sink.events[0], IPCD_INET_CONNECT, &client, &server, 100);
	assert_tuple(&f->sink.events[0], IPCD_PROTO_TCP, &client, &server);
	assert_false(f->sink.events[0].dst_is_listener);
	assert_conn(&f->sink.events[1], IPCD_INET_ACCEPT, &server, &client, 150);
	assert_tuple(&f->sink.events[1], IPCD_PROTO_TCP, &server, &client);
}

/* The accept's record came first, the kernel not knowing the connector yet. */
static void test_accept_then_connect_in_time_order(void **state)
{
	struct fixture *f = *state;

	accept_(f, NULL, 150);
	assert_int_equal(f->sink.count, 0);
	connect_(f, NULL, 100);
	assert_int_equal(f->sink.count, 2);
	assert_conn(&f->sink.events[0], IPCD_INET_CONNECT, &client, &server, 100);
	assert_conn(&f->sink.events[1], IPCD_INET_ACCEPT, &server, &client, 150);
}

/* A connect can return after the accept did: the two are printed in time order, whichever record came first. */
static void test_connect_returning_after_its_accept(void **state)
{
	struct fixture *f = *state;

	accept_(f, NULL, 120);
	connect_(f, NULL, 150);
	assert_int_equal(f->sink.count, 2);
	assert_conn(&f->sink.events[0], IPCD_INET_ACCEPT, &server, &client, 120);
	assert_conn(&f->sink.events[1], IPCD_INET_CONNECT, &client, &server, 150);

	/* another connection, the connect's record first */
	feed_conn(f, IPCD_INET_CONNECT, &client2, NULL, tuple(&client2, &server), 0, 250);
	feed_conn(f, IPCD_INET_ACCEPT, &server, NULL, tuple(&server, &client2), 0, 220);
	assert_int_equal(f->sink.count, 4);
	assert_conn(&f->sink.events[2], IPCD_INET_ACCEPT, &server, &client2, 220);
	assert_conn(&f->sink.events[3], IPCD_INET_CONNECT, &client2, &server, 250);
}

/* An accept that names its connector goes out at once; a later connect finds its acceptor. */
static void test_accept_naming_its_connector_is_not_held(void **state)
{
	struct fixture *f = *state;

	accept_(f, &client, 150);
	assert_int_equal(f->sink.count, 1);
	assert_conn(&f->sink.events[0], IPCD_INET_ACCEPT, &server, &client, 150);
	connect_(f, NULL, 100);
	assert_int_equal(f->sink.count, 2);
	assert_conn(&f->sink.events[1], IPCD_INET_CONNECT, &client, &server, 100);
}

/* Nobody accepted: at expiry the connect names the listener the kernel knew, as such. */
static void test_unaccepted_connect_names_the_listener(void **state)
{
	struct fixture *f = *state;

	connect_(f, &server, 100);
	feed_conn(f, IPCD_INET_CLOSE, &client, NULL, tuple(&client, &server), 0, 200);
	assert_int_equal(f->sink.count, 0);
	inet_events_expire(f->inet, 100 + MAX_AGE - 1, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	inet_events_expire(f->inet, 100 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 2);
	assert_conn(&f->sink.events[0], IPCD_INET_CONNECT, &client, &server, 100);
	assert_true(f->sink.events[0].dst_is_listener);
	/* what the connector did meanwhile comes after its connect */
	assert_conn(&f->sink.events[1], IPCD_INET_CLOSE, &client, NULL, 200);
}

/* A failed connect is reported at once: nobody will accept it. */
static void test_failed_connect_is_not_held(void **state)
{
	struct fixture *f = *state;

	feed_conn(f, IPCD_INET_CONNECT, &client, NULL, tuple(&client, &server), -111, 100);
	assert_int_equal(f->sink.count, 1);
	assert_conn(last_event(f), IPCD_INET_CONNECT, &client, NULL, 100);
	assert_int_equal(last_event(f)->conn_arg, -111);
	assert_false(last_event(f)->dst_is_listener);
}

/* Past HELD_LATER_MAX records behind it, a held connect goes out unaccepted. */
static void test_connect_holds_a_bounded_number_of_later_records(void **state)
{
	struct fixture *f = *state;

	connect_(f, &server, 100);
	for (int i = 0; i < 4; i++)
		feed_conn(f, IPCD_INET_SHUTDOWN, &client, NULL, tuple(&client, &server), i, 200 + i);
	assert_int_equal(f->sink.count, 0);
	feed_conn(f, IPCD_INET_CLOSE, &client, NULL, tuple(&client, &server), 0, 300);
	assert_int_equal(f->sink.count, 6);
	assert_conn(&f->sink.events[0], IPCD_INET_CONNECT, &client, &server, 100);
	for (int i = 0; i < 4; i++) {
		assert_conn(&f->sink.events[1 + i], IPCD_INET_SHUTDOWN, &client, NULL, 200 + i);
		assert_int_equal(f->sink.events[1 + i].conn_arg, i);
	}
	assert_conn(&f->sink.events[5], IPCD_INET_CLOSE, &client, NULL, 300);
	/* the accept after it all still names its connector */
	accept_(f, NULL, 400);
	inet_events_flush(f->inet);
	assert_int_equal(f->sink.count, 7);
	assert_conn(last_event(f), IPCD_INET_ACCEPT, &server, &client, 400);
}

/*
 * A client that binds its port connects twice to a preforked server: the
 * second connection has the first one's addresses and another worker.
 * What paired the first connection must not name the second one's ends.
 */
static const struct sock worker2 = { 21, "nginx-2", 211, 2011, 8080, false };

static void test_reused_addresses_name_the_new_acceptor(void **state)
{
	struct fixture *f = *state;

	connect_(f, NULL, 100);
	accept_(f, NULL, 150);
	assert_int_equal(f->sink.count, 2);

	connect_(f, NULL, 1000);
	assert_int_equal(f->sink.count, 2);
	feed_conn(f, IPCD_INET_ACCEPT, &worker2, NULL, tuple(&worker2, &client), 0, 1050);
	assert_int_equal(f->sink.count, 4);
	assert_conn(&f->sink.events[2], IPCD_INET_CONNECT, &client, &worker2, 1000);
	assert_conn(&f->sink.events[3], IPCD_INET_ACCEPT, &worker2, &client, 1050);
}

/* The same, the first accept out before its connect: the connect uses it up. */
static void test_reused_addresses_after_an_accept_that_came_first(void **state)
{
	struct fixture *f = *state;

	accept_(f, &client, 150);
	connect_(f, NULL, 100);
	assert_int_equal(f->sink.count, 2);
	assert_conn(&f->sink.events[1], IPCD_INET_CONNECT, &client, &server, 100);

	connect_(f, NULL, 1000);
	assert_int_equal(f->sink.count, 2);
	feed_conn(f, IPCD_INET_ACCEPT, &worker2, NULL, tuple(&worker2, &client), 0, 1050);
	assert_int_equal(f->sink.count, 4);
	assert_conn(&f->sink.events[2], IPCD_INET_CONNECT, &client, &worker2, 1000);
	assert_conn(&f->sink.events[3], IPCD_INET_ACCEPT, &worker2, &client, 1050);
}

static void test_reused_addresses_name_the_new_connector(void **state)
{
	struct fixture *f = *state;
	static const struct sock again = { 13, "curl-again", 104, 1004, 40000, false };

	connect_(f, NULL, 100);
	accept_(f, NULL, 150);
	assert_int_equal(f->sink.count, 2);

	/* the accept's record first, the kernel not naming the connector */
	accept_(f, NULL, 1050);
	assert_int_equal(f->sink.count, 2);
	feed_conn(f, IPCD_INET_CONNECT, &again, NULL, tuple(&again, &server), 0, 1000);
	assert_int_equal(f->sink.count, 4);
	assert_conn(&f->sink.events[2], IPCD_INET_CONNECT, &again, &server, 1000);
	assert_conn(&f->sink.events[3], IPCD_INET_ACCEPT, &server, &again, 1050);
}

/* An accept whose connect never came (made before tracing) is reported alone at expiry. */
static void test_accept_alone_expires(void **state)
{
	struct fixture *f = *state;

	feed_conn(f, IPCD_INET_ACCEPT, &server, NULL, tuple(&server, &client2), 0, 100);
	inet_events_expire(f->inet, 100 + MAX_AGE - 1, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	inet_events_flush(f->inet);
	assert_int_equal(f->sink.count, 1);
	assert_conn(last_event(f), IPCD_INET_ACCEPT, &server, NULL, 100);
	inet_events_flush(f->inet);
	assert_int_equal(f->sink.count, 1);
}

/* ---- records as they may arrive damaged -------------------------------- */

static void test_short_and_damaged_records_are_ignored(void **state)
{
	struct fixture *f = *state;
	struct ipcd_inet_io *r = io_rec(IPCD_PROTO_TCP, &client, tuple(&client, &server), "abc", 3, 1, 100);

	inet_events_io(f->inet, r, sizeof(*r) - 1);
	inet_events_io(f->inet, r, sizeof(*r) + 2);
	r->proto = 1;   /* ICMP */
	inet_events_io(f->inet, r, r->hdr.size);
	free(r);
	assert_int_equal(stream_join_pending(f->streams), 0);
	assert_int_equal(msg_join_pending(inet_events_messages(f->inet)), 0);
	inet_events_flush(f->inet);
	stream_join_flush(f->streams, no_read_offset, NULL);
	assert_int_equal(f->sink.count, 0);
}

#define JOIN_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		JOIN_TEST(test_tcp_send_then_receive),
		JOIN_TEST(test_tcp_receive_of_two_sends),
		JOIN_TEST(test_tcp_two_receives_of_one_send),
		JOIN_TEST(test_tcp_sequence_numbers_wrap),
		JOIN_TEST(test_tcp_receive_before_send),
		JOIN_TEST(test_tcp_receive_alone_expires_with_unknown_sender),
		JOIN_TEST(test_tcp_send_never_received_is_unread_at_flush),
		JOIN_TEST(test_tcp_interleaved_directions_pair_separately),
		JOIN_TEST(test_tcp_over_ipv6),
		JOIN_TEST(test_udp_send_then_receive),
		JOIN_TEST(test_udp_unconnected_receiver_pairs_by_destination),
		JOIN_TEST(test_udp_unconnected_receive_alone_is_no_event),
		JOIN_TEST(test_udp_receive_before_send),
		JOIN_TEST(test_udp_receive_alone_expires_with_unknown_sender),
		JOIN_TEST(test_udp_send_never_received_is_unread_at_flush),
		JOIN_TEST(test_udp_interleaved_senders_pair_separately),
		JOIN_TEST(test_connect_then_accept_name_each_other),
		JOIN_TEST(test_accept_then_connect_in_time_order),
		JOIN_TEST(test_connect_returning_after_its_accept),
		JOIN_TEST(test_accept_naming_its_connector_is_not_held),
		JOIN_TEST(test_unaccepted_connect_names_the_listener),
		JOIN_TEST(test_failed_connect_is_not_held),
		JOIN_TEST(test_connect_holds_a_bounded_number_of_later_records),
		JOIN_TEST(test_reused_addresses_name_the_new_acceptor),
		JOIN_TEST(test_reused_addresses_after_an_accept_that_came_first),
		JOIN_TEST(test_reused_addresses_name_the_new_connector),
		JOIN_TEST(test_accept_alone_expires),
		JOIN_TEST(test_short_and_damaged_records_are_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
