// SPDX-License-Identifier: GPL-2.0
/*
 * The unix socket join, fed with records as the unix collector sends them:
 * stream sends and receives joined by their byte offsets in the receiving
 * socket's stream, datagrams and seqpackets by the sending socket, passed
 * descriptors and credentials attached to their send, sockets named by
 * their name records, and connection lifecycle events.
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
#include "families/unix_events.h"

#define MAX_AGE 1000000000ull

/* One socket and the process using it. */
struct sock {
	uint32_t pid;
	const char *comm;
	uint64_t cookie;
	uint64_t ino;
	uint64_t sk;        /* its kernel address */
	const char *name;   /* bound name as sun_path holds it ("" unbound; "\0x" abstract) */
	size_t name_len;
};

static const struct sock client = { 10, "client", 101, 1001, 0xffff888000001000ull, "", 0 };
static const struct sock server = { 20, "server", 201, 2001, 0xffff888000002000ull, "/run/srv.sock", 13 };
static const struct sock other = { 30, "other", 301, 3001, 0xffff888000003000ull, "", 0 };
static const struct sock peer2 = { 40, "peer2", 401, 4001, 0xffff888000004000ull, "", 0 };
static const struct sock logd = { 50, "logd", 501, 5001, 0xffff888000005000ull, "\0log", 4 };

struct fixture {
	struct sink sink;
	struct stream_join *streams;
	struct unix_events *unix;
};

static const char *comm_of(void *ctx, uint32_t pid)
{
	static const struct sock *const all[] = { &client, &server, &other, &peer2, &logd };

	(void)ctx;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->pid == pid)
			return all[i]->comm;
	return NULL;
}

/* As the front end does: a unix data event gets its sockets' names. */
static void describe(void *ctx, struct ipcd_event *e)
{
	if (e->type == IPCD_TYPE_UNIX_STREAM || e->type == IPCD_TYPE_UNIX_DGRAM ||
	    e->type == IPCD_TYPE_UNIX_SEQPACKET)
		unix_events_describe(ctx, e);
}

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->streams = stream_join_new(sink_collect, &f->sink);
	f->unix = f->streams ? unix_events_new(f->streams, sink_collect, &f->sink, comm_of, f) : NULL;
	if (!f->unix) {
		stream_join_free(f->streams);
		free(f);
		return -1;
	}
	f->sink.describe = describe;
	f->sink.describe_ctx = f->unix;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	unix_events_free(f->unix);
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

static void name_sock(struct fixture *f, const struct sock *s, const struct sock *peer, uint8_t type)
{
	struct ipcd_unix_name *r = record_new(IPCD_REC_UNIX_NAME, sizeof(*r), NULL, 0, 1);

	r->sock = s->cookie;
	r->ino = s->ino;
	r->peer = peer ? peer->cookie : 0;
	r->sock_type = type;
	r->name_len = (uint16_t)s->name_len;
	memcpy(r->name, s->name, s->name_len);
	unix_events_name(f->unix, r);
	free(r);
}

/*
 * A send from s to peer (NULL: unconnected, to the name addr, addr_len
 * bytes of sun_path) of payload, or with payload NULL a receive on s of
 * bytes from sender (NULL: a stream).
 */
static struct ipcd_unix_io *io_rec(uint8_t type, const struct sock *s, const struct sock *peer,
				   const struct sock *sender, const char *payload, uint64_t bytes,
				   uint64_t offset, const char *addr, size_t addr_len, uint64_t ts)
{
	size_t payload_len = payload ? strlen(payload) : 0, sockaddr_len = addr ? 2 + addr_len : 0;
	struct ipcd_unix_io *r = record_new(IPCD_REC_UNIX_IO, sizeof(*r), NULL, payload_len + sockaddr_len, ts);

	task_set(&r->task, s->pid, s->comm);
	r->sock = s->cookie;
	r->ino = s->ino;
	r->dir = payload ? IPCD_PIPE_WRITE : IPCD_PIPE_READ;
	r->call = payload ? IPCD_CALL_SENDMSG : IPCD_CALL_RECVMSG;
	r->fd = payload ? 4 : 3;
	r->sock_type = type;
	r->offset = offset;
	r->bytes = bytes;
	r->payload_len = (uint16_t)payload_len;
	if (payload) {
		memcpy(r->data, payload, payload_len);
		r->peer = peer ? peer->cookie : 0;
		r->sender_sk = s->sk;
	} else if (sender) {
		r->sender_sk = sender->sk;
		r->sender_pid = sender->pid;
	}
	if (addr) {
		/* sockaddr_un: the family, then the name */
		r->data[payload_len] = 1;   /* AF_UNIX */
		memcpy(r->data + payload_len + 2, addr, addr_len);
		r->addr_len = (uint8_t)sockaddr_len;
	}
	return r;
}

static void feed(struct fixture *f, struct ipcd_unix_io *r)
{
	unix_events_io(f->unix, r, r->hdr.size);
	free(r);
}

static void stream_send(struct fixture *f, const struct sock *s, const struct sock *peer, const char *payload,
			uint64_t offset, uint64_t ts)
{
	feed(f, io_rec(IPCD_SOCK_STREAM, s, peer, NULL, payload, strlen(payload), offset, NULL, 0, ts));
}

static void stream_recv(struct fixture *f, const struct sock *s, uint64_t bytes, uint64_t offset, uint64_t ts)
{
	feed(f, io_rec(IPCD_SOCK_STREAM, s, NULL, NULL, NULL, bytes, offset, NULL, 0, ts));
}

static void dgram_send(struct fixture *f, const struct sock *s, const struct sock *peer, const char *payload,
		       uint64_t ts)
{
	feed(f, io_rec(IPCD_SOCK_DGRAM, s, peer, NULL, payload, strlen(payload), 0, NULL, 0, ts));
}

static void dgram_recv(struct fixture *f, const struct sock *s, const struct sock *sender, uint64_t bytes,
		       uint64_t ts)
{
	feed(f, io_rec(IPCD_SOCK_DGRAM, s, NULL, sender, NULL, bytes, 0, NULL, 0, ts));
}

/* The connection of client to server, both named. */
static void name_connection(struct fixture *f, uint8_t type)
{
	name_sock(f, &client, &server, type);
	name_sock(f, &server, &client, type);
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

/* ---- stream sockets ------------------------------------------------------- */

static void test_stream_send_then_receive(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	name_connection(f, IPCD_SOCK_STREAM);
	stream_send(f, &client, &server, "hello", 0, 100);
	assert_int_equal(f->sink.count, 0);
	stream_recv(f, &server, 5, 0, 250);

	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->type, IPCD_TYPE_UNIX_STREAM);
	assert_int_equal(e->ts_ns, 250);
	assert_ends(e, &client, &server);
	assert_null(e->src_name);
	assert_string_equal(e->dst_name, "/run/srv.sock");
	/* a stream is numbered in its receiving socket */
	assert_int_equal(e->chan_key, server.cookie);
	assert_int_equal(e->bytes, 5);
	assert_payload(e, "hello");
	assert_int_equal(e->src_fd, 4);
	assert_int_equal(e->dst_fd, 3);
	assert_int_equal(e->src_call, IPCD_CALL_SENDMSG);
	assert_int_equal(e->dst_call, IPCD_CALL_RECVMSG);
	assert_int_equal(e->latency_ns, 150);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_null(e->extra);
	assert_int_equal(stream_join_pending(f->streams), 0);
}

static void test_stream_receive_of_two_sends(void **state)
{
	struct fixture *f = *state;

	name_connection(f, IPCD_SOCK_STREAM);
	stream_send(f, &client, &server, "abc", 0, 100);
	stream_send(f, &client, &server, "defg", 3, 200);
	stream_recv(f, &server, 7, 0, 300);

	assert_int_equal(f->sink.count, 2);
	assert_payload(&f->sink.events[0], "abc");
	assert_int_equal(f->sink.events[0].latency_ns, 200);
	assert_payload(&f->sink.events[1], "defg");
	assert_int_equal(f->sink.events[1].bytes, 4);
	assert_int_equal(f->sink.events[1].latency_ns, 100);
	assert_ends(&f->sink.events[1], &client, &server);
}

static void test_stream_two_receives_of_one_send(void **state)
{
	struct fixture *f = *state;

	name_connection(f, IPCD_SOCK_STREAM);
	stream_send(f, &client, &server, "abcdef", 0, 100);
	stream_recv(f, &server, 4, 0, 200);
	assert_int_equal(f->sink.count, 1);
	assert_payload(last_event(f), "abcd");
	stream_recv(f, &server, 2, 4, 300);
	assert_int_equal(f->sink.count, 2);
	assert_payload(last_event(f), "ef");
	assert_int_equal(last_event(f)->bytes, 2);
	assert_int_equal(last_event(f)->latency_ns, 200);
	assert_int_equal(stream_join_pending(f->streams), 0);
}

/* The receive's record came first: it waits for the send of its bytes. */
static void test_stream_receive_before_send(void **state)
{
	struct fixture *f = *state;

	name_connection(f, IPCD_SOCK_STREAM);
	stream_recv(f, &server, 2, 0, 300);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->streams), 1);
	stream_send(f, &client, &server, "hi", 0, 100);
	assert_int_equal(f->sink.count, 1);
	assert_ends(last_event(f), &client, &server);
	assert_int_equal(last_event(f)->latency_ns, 200);
}

static void test_stream_receive_alone_expires_with_unknown_sender(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	name_connection(f, IPCD_SOCK_STREAM);
	stream_recv(f, &server, 2, 0, 300);
	stream_join_expire(f->streams, 300 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_endpoint_unknown(&e->src);
	assert_endpoint(&e->dst, server.pid, server.comm);
	assert_int_equal(e->dst_sock, server.cookie);
	assert_string_equal(e->dst_name, "/run/srv.sock");
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
}

static void test_stream_send_never_received_is_unread_at_flush(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	name_connection(f, IPCD_SOCK_STREAM);
	stream_send(f, &client, &server, "bye", 0, 100);
	unix_events_expire(f->unix, 100 + 2 * MAX_AGE, MAX_AGE);
	stream_join_expire(f->streams, 100 + 2 * MAX_AGE, MAX_AGE);
	unix_events_flush(f->unix);
	assert_int_equal(f->sink.count, 0);
	stream_join_flush(f->streams, no_read_offset, NULL);

	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->ts_ns, 100);
	assert_endpoint(&e->src, client.pid, client.comm);
	assert_endpoint_unknown(&e->dst);
	assert_int_equal(e->src_sock, client.cookie);
	assert_int_equal(e->dst_sock, 0);
	assert_int_equal(e->flags, IPCD_EF_UNREAD);
	assert_payload(e, "bye");
}

/* Neither socket bound: only socketpair(2) makes that. */
static void test_stream_of_unnamed_sockets_is_a_socketpair(void **state)
{
	struct fixture *f = *state;

	name_sock(f, &client, &other, IPCD_SOCK_STREAM);
	name_sock(f, &other, &client, IPCD_SOCK_STREAM);
	stream_send(f, &client, &other, "x", 0, 100);
	stream_recv(f, &other, 1, 0, 200);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(last_event(f)->flags, IPCD_EF_HAS_LATENCY | IPCD_EF_SOCKETPAIR);
	assert_null(last_event(f)->src_name);
	assert_null(last_event(f)->dst_name);
}

/* Two connections, both ways, their records interleaved. */
static void test_interleaved_streams_pair_separately(void **state)
{
	struct fixture *f = *state;

	name_connection(f, IPCD_SOCK_STREAM);
	stream_send(f, &client, &server, "request", 0, 100);
	stream_send(f, &other, &peer2, "to peer2", 0, 110);
	stream_send(f, &server, &client, "reply", 0, 120);
	stream_recv(f, &client, 5, 0, 130);
	stream_recv(f, &peer2, 8, 0, 140);
	stream_recv(f, &server, 7, 0, 150);

	assert_int_equal(f->sink.count, 3);
	assert_ends(&f->sink.events[0], &server, &client);
	assert_payload(&f->sink.events[0], "reply");
	assert_int_equal(f->sink.events[0].chan_key, client.cookie);
	assert_string_equal(f->sink.events[0].src_name, "/run/srv.sock");
	assert_ends(&f->sink.events[1], &other, &peer2);
	assert_payload(&f->sink.events[1], "to peer2");
	assert_ends(&f->sink.events[2], &client, &server);
	assert_payload(&f->sink.events[2], "request");
}

/* Bytes queued before tracing began have no known sender; the rest pair as usual. */
static void test_stream_bytes_queued_before_tracing(void **state)
{
	struct fixture *f = *state;
	struct ipcd_unix_io *r = io_rec(IPCD_SOCK_STREAM, &client, &server, NULL, "new", 3, 10, NULL, 0, 100);

	name_connection(f, IPCD_SOCK_STREAM);
	r->base = 10;
	feed(f, r);
	stream_recv(f, &server, 13, 0, 200);
	assert_int_equal(f->sink.count, 2);
	assert_endpoint_unknown(&f->sink.events[0].src);
	assert_endpoint(&f->sink.events[0].dst, server.pid, server.comm);
	assert_int_equal(f->sink.events[0].bytes, 10);
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_ends(&f->sink.events[1], &client, &server);
	assert_payload(&f->sink.events[1], "new");
}

/* The collector's doubt about the order of overlapping sends reaches the event. */
static void test_stream_order_uncertain_is_carried(void **state)
{
	struct fixture *f = *state;
	struct ipcd_unix_io *r = io_rec(IPCD_SOCK_STREAM, &client, &server, NULL, "ab", 2, 0, NULL, 0, 100);

	name_connection(f, IPCD_SOCK_STREAM);
	r->hdr.flags = IPCD_F_ORDER_UNCERTAIN;
	feed(f, r);
	stream_recv(f, &server, 2, 0, 200);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(last_event(f)->flags, IPCD_F_ORDER_UNCERTAIN | IPCD_EF_HAS_LATENCY);
}

/* A stream send that names no receiving socket has no stream to join. */
static void test_stream_send_without_peer_is_ignored(void **state)
{
	struct fixture *f = *state;

	stream_send(f, &client, NULL, "lost", 0, 100);
	stream_recv(f, &(struct sock){ 99, "x", 0, 9, 0, "", 0 }, 4, 0, 100);
	assert_int_equal(stream_join_pending(f->streams), 0);
	stream_join_flush(f->streams, no_read_offset, NULL);
	assert_int_equal(f->sink.count, 0);
}

/* ---- datagrams and seqpackets -------------------------------------------- */

static void test_datagram_send_then_receive(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	name_connection(f, IPCD_SOCK_DGRAM);
	dgram_send(f, &client, &server, "ping", 100);
	assert_int_equal(f->sink.count, 0);
	dgram_recv(f, &server, &client, 4, 180);

	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->type, IPCD_TYPE_UNIX_DGRAM);
	assert_int_equal(e->ts_ns, 180);
	assert_ends(e, &client, &server);
	assert_string_equal(e->dst_name, "/run/srv.sock");
	assert_int_equal(e->chan_key, client.sk);
	assert_int_equal(e->bytes, 4);
	assert_payload(e, "ping");
	assert_int_equal(e->latency_ns, 80);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_null(e->dest_addr);
}

static void test_seqpacket_keeps_its_type(void **state)
{
	struct fixture *f = *state;

	name_connection(f, IPCD_SOCK_SEQPACKET);
	feed(f, io_rec(IPCD_SOCK_SEQPACKET, &client, &server, NULL, "pkt", 3, 0, NULL, 0, 100));
	feed(f, io_rec(IPCD_SOCK_SEQPACKET, &server, NULL, &client, NULL, 3, 0, NULL, 0, 200));
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(last_event(f)->type, IPCD_TYPE_UNIX_SEQPACKET);
	assert_ends(last_event(f), &client, &server);
}

/* An unconnected send names where it went: a path, or an abstract name as '@'. */
static void test_unconnected_sends_name_their_destination(void **state)
{
	struct fixture *f = *state;

	name_sock(f, &logd, NULL, IPCD_SOCK_DGRAM);
	name_sock(f, &server, NULL, IPCD_SOCK_DGRAM);
	feed(f, io_rec(IPCD_SOCK_DGRAM, &client, NULL, NULL, "to log", 6, 0, "\0log", 4, 100));
	feed(f, io_rec(IPCD_SOCK_DGRAM, &client, NULL, NULL, "to srv", 6, 0, "/run/srv.sock", 14, 110));
	dgram_recv(f, &server, &client, 6, 200);
	dgram_recv(f, &logd, &client, 6, 210);

	assert_int_equal(f->sink.count, 2);
	assert_endpoint(&f->sink.events[0].dst, server.pid, server.comm);
	assert_payload(&f->sink.events[0], "to srv");
	assert_string_equal(f->sink.events[0].dest_addr, "/run/srv.sock");
	assert_endpoint(&f->sink.events[1].dst, logd.pid, logd.comm);
	assert_payload(&f->sink.events[1], "to log");
	assert_string_equal(f->sink.events[1].dest_addr, "@log");
	assert_string_equal(f->sink.events[1].dst_name, "@log");
}

static void test_datagram_receive_before_send(void **state)
{
	struct fixture *f = *state;

	dgram_recv(f, &server, &client, 4, 180);
	assert_int_equal(f->sink.count, 0);
	dgram_send(f, &client, &server, "ping", 100);
	assert_int_equal(f->sink.count, 1);
	assert_ends(last_event(f), &client, &server);
	assert_int_equal(last_event(f)->latency_ns, 80);
}

/* The message names its sending process: a receive alone reports it, named by the comm callback. */
static void test_datagram_receive_alone_names_the_stamped_sender(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	dgram_recv(f, &server, &client, 4, 180);
	unix_events_expire(f->unix, 180 + MAX_AGE - 1, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	unix_events_expire(f->unix, 180 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->src.pid, client.pid);
	assert_string_equal(e->src.comm, client.comm);
	assert_endpoint(&e->dst, server.pid, server.comm);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(e->payload_len, 0);
}

static void test_datagram_never_received_is_unread_at_flush(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	dgram_send(f, &client, &server, "lost", 100);
	unix_events_flush(f->unix);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_endpoint(&e->src, client.pid, client.comm);
	assert_endpoint_unknown(&e->dst);
	assert_int_equal(e->dst_sock, server.cookie);
	assert_int_equal(e->flags, IPCD_EF_UNREAD);
	assert_payload(e, "lost");
}

static void test_interleaved_senders_pair_separately(void **state)
{
	struct fixture *f = *state;

	dgram_send(f, &client, &server, "from client", 100);
	dgram_send(f, &other, &server, "from other", 110);
	dgram_recv(f, &server, &other, 10, 120);
	dgram_recv(f, &server, &client, 11, 130);
	assert_int_equal(f->sink.count, 2);
	assert_ends(&f->sink.events[0], &other, &server);
	assert_payload(&f->sink.events[0], "from other");
	assert_ends(&f->sink.events[1], &client, &server);
	assert_payload(&f->sink.events[1], "from client");
}

/* Past the pending cap, the oldest sends are reported unread. */
static void test_pending_datagrams_are_capped(void **state)
{
	struct fixture *f = *state;
	struct msg_join *messages = unix_events_messages(f->unix);

	msg_join_set_pending_cap(messages, 1);
	dgram_send(f, &client, &server, "one", 100);
	dgram_send(f, &client, &server, "two", 200);
	assert_true(f->sink.count >= 1);
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_UNREAD);
	assert_payload(&f->sink.events[0], "one");
	assert_true(msg_join_evicted(messages) >= 1);
}

/* ---- passed descriptors and credentials ---------------------------------- */

static void pass_fd(struct fixture *f, const struct sock *s, uint16_t index, uint16_t kind, int32_t fd,
		    uint64_t ino, const char *leaf, const char *dir, uint64_t ts)
{
	struct ipcd_passed_fd *r = record_new(IPCD_REC_PASSED_FD, sizeof(*r), NULL, 0, ts);

	r->tid = s->pid + 1000;
	r->index = index;
	r->kind = kind;
	r->fd = fd;
	r->ino = ino;
	if (leaf) {
		strcpy(r->path.names[0], leaf);
		r->path.depth = 1;
	}
	if (dir) {
		strcpy(r->path.names[1], dir);
		r->path.depth = 2;
	}
	unix_events_passed_fd(f->unix, r);
	free(r);
}

static void test_passed_descriptors_come_with_their_send(void **state)
{
	struct fixture *f = *state;
	struct ipcd_unix_io *r;
	const struct ipcd_sock_extra *x;
	static const char *const paths[] = { "/etc/passwd", "pipe:[555]", "socket:[777]", "memfd:ring",
					     "anon_inode:[eventfd]", "/dev/null" };

	name_connection(f, IPCD_SOCK_DGRAM);
	pass_fd(f, &client, 0, IPCD_FD_FILE, 5, 11, "passwd", "etc", 90);
	pass_fd(f, &client, 1, IPCD_FD_PIPE, 6, 555, NULL, NULL, 91);
	pass_fd(f, &client, 2, IPCD_FD_SOCKET, 7, 777, NULL, NULL, 92);
	pass_fd(f, &client, 3, IPCD_FD_MEMFD, 8, 12, "memfd:ring", NULL, 93);
	pass_fd(f, &client, 4, IPCD_FD_ANON, 9, 13, "[eventfd]", NULL, 94);
	pass_fd(f, &client, 5, IPCD_FD_OTHER, 10, 14, "null", "dev", 95);
	r = io_rec(IPCD_SOCK_DGRAM, &client, &server, NULL, "fds", 3, 0, NULL, 0, 100);
	r->nfds = 9;
	r->hdr.flags = IPCD_F_CREDS;
	r->cred_pid = 10;
	r->cred_uid = 1000;
	r->cred_gid = 100;
	feed(f, r);
	dgram_recv(f, &server, &client, 3, 200);

	assert_int_equal(f->sink.count, 1);
	assert_int_equal(last_event(f)->flags, IPCD_F_CREDS | IPCD_EF_HAS_LATENCY);
	x = last_event(f)->extra;
	assert_non_null(x);
	assert_int_equal(x->nfds, 9);
	assert_int_equal(x->ndesc, 6);
	for (uint32_t i = 0; i < 6; i++) {
		assert_int_equal(x->fds[i].fd, 5 + i);
		assert_string_equal(x->fds[i].path, paths[i]);
	}
	assert_int_equal(x->fds[0].kind, IPCD_FD_FILE);
	assert_int_equal(x->fds[1].ino, 555);
	assert_true(x->creds);
	assert_int_equal(x->cred_pid, 10);
	assert_int_equal(x->cred_uid, 1000);
	assert_int_equal(x->cred_gid, 100);
}

/* On a stream, what came with a send comes with its first byte. */
static void test_stream_send_carries_its_descriptors_once(void **state)
{
	struct fixture *f = *state;
	struct ipcd_unix_io *r;

	name_connection(f, IPCD_SOCK_STREAM);
	pass_fd(f, &client, 0, IPCD_FD_PIPE, 5, 555, NULL, NULL, 90);
	r = io_rec(IPCD_SOCK_STREAM, &client, &server, NULL, "abcd", 4, 0, NULL, 0, 100);
	r->nfds = 1;
	feed(f, r);
	stream_recv(f, &server, 2, 0, 200);
	stream_recv(f, &server, 2, 2, 300);

	assert_int_equal(f->sink.count, 2);
	assert_non_null(f->sink.events[0].extra);
	assert_int_equal(f->sink.events[0].extra->nfds, 1);
	assert_string_equal(f->sink.events[0].extra->fds[0].path, "pipe:[555]");
	assert_null(f->sink.events[1].extra);
}

/* Descriptors out of order, of another thread, or staged too long ago are not the send's. */
static void test_descriptors_that_are_not_the_sends(void **state)
{
	struct fixture *f = *state;
	struct ipcd_unix_io *r;

	pass_fd(f, &client, 1, IPCD_FD_PIPE, 5, 555, NULL, NULL, 90);            /* index 0 missing */
	pass_fd(f, &client, IPCD_PASSED_FDS_MAX, IPCD_FD_PIPE, 5, 1, NULL, NULL, 90);
	pass_fd(f, &other, 0, IPCD_FD_PIPE, 6, 666, NULL, NULL, 90);             /* another thread */
	r = io_rec(IPCD_SOCK_DGRAM, &client, &server, NULL, "a", 1, 0, NULL, 0, 100);
	r->nfds = 2;
	feed(f, r);
	dgram_recv(f, &server, &client, 1, 110);
	assert_int_equal(f->sink.count, 1);
	assert_non_null(last_event(f)->extra);
	assert_int_equal(last_event(f)->extra->nfds, 2);
	assert_int_equal(last_event(f)->extra->ndesc, 0);

	/* staged a second and more before: dropped at the next expiry */
	pass_fd(f, &peer2, 0, IPCD_FD_PIPE, 6, 666, NULL, NULL, 200);
	unix_events_expire(f->unix, 200 + MAX_AGE + 1, MAX_AGE);
	r = io_rec(IPCD_SOCK_DGRAM, &peer2, &server, NULL, "b", 1, 0, NULL, 0, 300);
	r->nfds = 1;
	feed(f, r);
	dgram_recv(f, &server, &peer2, 1, 310);
	assert_int_equal(f->sink.count, 2);
	assert_int_equal(last_event(f)->extra->nfds, 1);
	assert_int_equal(last_event(f)->extra->ndesc, 0);

	/* a send with no descriptors and no credentials carries nothing, and takes the staged away */
	pass_fd(f, &peer2, 0, IPCD_FD_PIPE, 6, 666, NULL, NULL, 400);
	dgram_send(f, &peer2, &server, "c", 410);
	dgram_recv(f, &server, &peer2, 1, 420);
	assert_null(last_event(f)->extra);
	r = io_rec(IPCD_SOCK_DGRAM, &peer2, &server, NULL, "d", 1, 0, NULL, 0, 430);
	r->nfds = 1;
	feed(f, r);
	dgram_recv(f, &server, &peer2, 1, 440);
	assert_int_equal(last_event(f)->extra->ndesc, 0);
}

/* ---- connection lifecycle ------------------------------------------------- */

static void feed_conn(struct fixture *f, const struct sock *s, uint32_t event, int32_t arg, uint32_t peer_pid,
		      const char *name, size_t name_len)
{
	struct ipcd_unix_conn *r = record_new(IPCD_REC_UNIX_CONN, sizeof(*r), NULL, 0, 500);

	task_set(&r->task, s->pid, s->comm);
	r->ino = s->ino;
	r->peer_ino = 9999;
	r->event = event;
	r->arg = arg;
	r->fd = 6;
	r->sock_type = IPCD_SOCK_STREAM;
	r->name_len = (uint16_t)name_len;
	memcpy(r->name, name, name_len < sizeof(r->name) ? name_len : sizeof(r->name));
	r->peer_pid = peer_pid;
	unix_events_conn(f->unix, r);
	free(r);
}

static void test_connection_lifecycle_events(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	feed_conn(f, &client, IPCD_CONN_CONNECT, 0, server.pid, server.name, server.name_len);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->type, IPCD_TYPE_UNIX_CONN);
	assert_int_equal(e->ts_ns, 500);
	assert_int_equal(e->conn_event, IPCD_CONN_CONNECT);
	assert_endpoint(&e->src, client.pid, client.comm);
	/* the listener as the kernel recorded it: a pid, its comm from the process table */
	assert_int_equal(e->dst.pid, server.pid);
	assert_string_equal(e->dst.comm, server.comm);
	assert_int_equal(e->src_fd, 6);
	assert_int_equal(e->src_ino, client.ino);
	assert_int_equal(e->dst_ino, 9999);
	assert_string_equal(e->src_name, "/run/srv.sock");
	assert_int_equal(e->sock_type, IPCD_SOCK_STREAM);

	feed_conn(f, &server, IPCD_CONN_SHUTDOWN, 1, 0, "\0log", 4);
	e = last_event(f);
	assert_int_equal(e->conn_event, IPCD_CONN_SHUTDOWN);
	assert_int_equal(e->conn_arg, 1);
	assert_endpoint_unknown(&e->dst);
	assert_string_equal(e->src_name, "@log");

	feed_conn(f, &server, IPCD_CONN_CLOSE, 0, 77, "", 0);
	e = last_event(f);
	assert_int_equal(e->conn_event, IPCD_CONN_CLOSE);
	assert_null(e->src_name);
	assert_int_equal(e->dst.pid, 77);   /* a pid the process table does not know */
	assert_string_equal(e->dst.comm, "");
}

/* ---- records as they may arrive damaged -------------------------------- */

static void test_short_and_damaged_records_are_ignored(void **state)
{
	struct fixture *f = *state;
	struct ipcd_unix_io *r = io_rec(IPCD_SOCK_DGRAM, &client, NULL, NULL, "abc", 3, 0, "/x", 2, 100);
	char longname[sizeof(((struct ipcd_unix_conn *)0)->name)];

	unix_events_io(f->unix, r, sizeof(*r) - 1);
	unix_events_io(f->unix, r, r->hdr.size - 1);   /* the address one byte short */
	r->addr_len = 0;
	r->payload_len = 6;                             /* the payload three bytes short */
	unix_events_io(f->unix, r, sizeof(*r) + 5);
	free(r);
	assert_int_equal(msg_join_pending(unix_events_messages(f->unix)), 0);

	/* an address of the family alone names nothing */
	r = io_rec(IPCD_SOCK_DGRAM, &client, NULL, NULL, "abc", 3, 0, "", 0, 100);
	feed(f, r);
	unix_events_flush(f->unix);
	assert_int_equal(f->sink.count, 1);
	assert_null(last_event(f)->dest_addr);

	/* a conn record whose name overruns its field is cut at it */
	memset(longname, 'n', sizeof(longname));
	feed_conn(f, &client, IPCD_CONN_CONNECT, 0, 0, longname, 60000);
	assert_int_equal(strlen(last_event(f)->src_name), sizeof(longname));
}

#define JOIN_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		JOIN_TEST(test_stream_send_then_receive),
		JOIN_TEST(test_stream_receive_of_two_sends),
		JOIN_TEST(test_stream_two_receives_of_one_send),
		JOIN_TEST(test_stream_receive_before_send),
		JOIN_TEST(test_stream_receive_alone_expires_with_unknown_sender),
		JOIN_TEST(test_stream_send_never_received_is_unread_at_flush),
		JOIN_TEST(test_stream_of_unnamed_sockets_is_a_socketpair),
		JOIN_TEST(test_interleaved_streams_pair_separately),
		JOIN_TEST(test_stream_bytes_queued_before_tracing),
		JOIN_TEST(test_stream_order_uncertain_is_carried),
		JOIN_TEST(test_stream_send_without_peer_is_ignored),
		JOIN_TEST(test_datagram_send_then_receive),
		JOIN_TEST(test_seqpacket_keeps_its_type),
		JOIN_TEST(test_unconnected_sends_name_their_destination),
		JOIN_TEST(test_datagram_receive_before_send),
		JOIN_TEST(test_datagram_receive_alone_names_the_stamped_sender),
		JOIN_TEST(test_datagram_never_received_is_unread_at_flush),
		JOIN_TEST(test_interleaved_senders_pair_separately),
		JOIN_TEST(test_pending_datagrams_are_capped),
		JOIN_TEST(test_passed_descriptors_come_with_their_send),
		JOIN_TEST(test_stream_send_carries_its_descriptors_once),
		JOIN_TEST(test_descriptors_that_are_not_the_sends),
		JOIN_TEST(test_connection_lifecycle_events),
		JOIN_TEST(test_short_and_damaged_records_are_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
