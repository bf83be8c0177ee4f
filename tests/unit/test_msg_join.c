// SPDX-License-Identifier: GPL-2.0
/*
 * The send-to-receive join of unix datagrams and seqpackets, fed with
 * synthetic sends and receives: which events come out, when, and with which
 * source, destination, sockets, bytes, payload, latency and passed fds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/event.h"
#include "records.h"
#include "engine/msg_join.h"

#define MAX_EVENTS 16

/* ---- the sockets and processes of the tests --------------------------- */

/* One socket and the process using it; its task's tid is pid + 1000, ppid 1. */
struct peer {
	uint32_t pid;
	const char *comm;
	uint64_t sk;        /* the socket's kernel address */
	uint64_t sock;      /* its cookie */
	uint64_t ino;
	const char *name;   /* its bound name, NULL unbound */
};

/* Senders: unbound client sockets. */
static const struct peer alice = { 10, "alice", 0xffff888000001000ull, 101, 1001, NULL };
static const struct peer bob = { 11, "bob", 0xffff888000002000ull, 102, 1002, NULL };
static const struct peer carol = { 12, "carol", 0xffff888000003000ull, 103, 1003, NULL };
/* Receivers, bound to abstract names. */
static const struct peer srv_a = { 20, "srv-a", 0xffff888000004000ull, 201, 2001, "@a" };
static const struct peer srv_b = { 21, "srv-b", 0xffff888000005000ull, 202, 2002, "@b" };

#define LONG_COMM_PID 99
#define LONG_COMM "a-process-with-a-long-name"

/* ---- collecting emitted events ---------------------------------------- */

/*
 * An event points into the join's buffers (payload, dest_addr, extra), which
 * it frees once the event is out: keep private deep copies.
 */
struct sink {
	struct ipcd_event events[MAX_EVENTS];
	uintptr_t extra_addr[MAX_EVENTS];   /* the extra each event pointed to */
	size_t count;
};

static struct ipcd_sock_extra *extra_copy(const struct ipcd_sock_extra *x)
{
	struct ipcd_sock_extra *copy = malloc(sizeof(*copy));

	assert_non_null(copy);
	*copy = *x;
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++) {
		if (x->fds[i].path) {
			copy->fds[i].path = strdup(x->fds[i].path);
			assert_non_null(copy->fds[i].path);
		}
	}
	return copy;
}

static void collect_event(void *ctx, const struct ipcd_event *e)
{
	struct sink *s = ctx;
	struct ipcd_event *copy;

	assert_true(s->count < MAX_EVENTS);
	s->extra_addr[s->count] = (uintptr_t)e->extra;
	copy = &s->events[s->count++];
	*copy = *e;
	if (e->payload_len) {
		uint8_t *payload = malloc(e->payload_len);

		assert_non_null(e->payload);
		assert_non_null(payload);
		memcpy(payload, e->payload, e->payload_len);
		copy->payload = payload;
	}
	if (e->dest_addr) {
		copy->dest_addr = strdup(e->dest_addr);
		assert_non_null(copy->dest_addr);
	}
	if (e->extra)
		copy->extra = extra_copy(e->extra);
}

static void sink_free(struct sink *s)
{
	for (size_t i = 0; i < s->count; i++) {
		struct ipcd_event *e = &s->events[i];

		if (e->payload_len)
			free((void *)e->payload);
		free((void *)e->dest_addr);
		ipcd_sock_extra_free((struct ipcd_sock_extra *)e->extra);
	}
}

/* Each test gets a join that emits into a fresh sink and names pids as the peers do. */
struct fixture {
	struct sink sink;
	struct msg_join *join;
	unsigned comm_calls;
	uint32_t comm_pid;   /* the pid last asked about */
};

static const char *comm_of(void *ctx, uint32_t pid)
{
	static const struct peer *const peers[] = { &alice, &bob, &carol, &srv_a, &srv_b };
	struct fixture *f = ctx;

	f->comm_calls++;
	f->comm_pid = pid;
	if (pid == LONG_COMM_PID)
		return LONG_COMM;
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		if (peers[i]->pid == pid)
			return peers[i]->comm;
	}
	return NULL;
}

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->join = msg_join_new(collect_event, &f->sink, comm_of, f);
	if (!f->join) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	msg_join_free(f->join);
	sink_free(&f->sink);
	free(f);
	return 0;
}

/* ---- synthetic sends and receives ------------------------------------- */

/* A msg_io and the task it points to. */
struct msg {
	struct ipcd_task task;
	struct msg_io io;
};

static void task_of(struct ipcd_task *task, const struct peer *p)
{
	memset(task, 0, sizeof(*task));
	task->pid = p->pid;
	task->tid = p->pid + 1000;
	task->ppid = 1;
	strncpy(task->comm, p->comm, IPCD_COMM_LEN - 1);
}

/*
 * from sends the datagram payload (all of it), returning at end_ns: to the
 * socket it is connected to, or with to NULL unconnected, to the name addr.
 */
static void make_send(struct msg *m, const struct peer *from, const struct peer *to,
		      const char *addr, const char *payload, uint64_t end_ns)
{
	memset(m, 0, sizeof(*m));
	task_of(&m->task, from);
	m->io.type = IPCD_TYPE_UNIX_DGRAM;
	m->io.sender_sk = from->sk;
	m->io.sock = from->sock;
	m->io.ino = from->ino;
	m->io.dest = to ? to->sock : 0;
	m->io.dest_addr = addr;
	m->io.bytes = strlen(payload);
	m->io.end_ns = end_ns;
	m->io.task = &m->task;
	m->io.fd = 4;
	m->io.call = IPCD_CALL_SENDMSG;
	m->io.payload = (const uint8_t *)payload;
	m->io.payload_len = (uint32_t)strlen(payload);
}

/* to receives bytes of a message from's socket sent, returning at end_ns. */
static void make_recv(struct msg *m, const struct peer *from, const struct peer *to,
		      uint64_t bytes, uint64_t end_ns)
{
	memset(m, 0, sizeof(*m));
	task_of(&m->task, to);
	m->io.type = IPCD_TYPE_UNIX_DGRAM;
	m->io.sender_sk = from->sk;
	m->io.sock = to->sock;
	m->io.ino = to->ino;
	m->io.own_name = to->name;
	m->io.sender_pid = from->pid;
	m->io.bytes = bytes;
	m->io.end_ns = end_ns;
	m->io.task = &m->task;
	m->io.fd = 3;
	m->io.call = IPCD_CALL_RECVMSG;
}

static void feed_send(struct msg_join *j, const struct peer *from, const struct peer *to,
		      const char *payload, uint64_t end_ns)
{
	struct msg m;

	make_send(&m, from, to, NULL, payload, end_ns);
	msg_join_send(j, &m.io);
}

static void feed_sendto(struct msg_join *j, const struct peer *from, const char *addr,
			const char *payload, uint64_t end_ns)
{
	struct msg m;

	make_send(&m, from, NULL, addr, payload, end_ns);
	msg_join_send(j, &m.io);
}

static void feed_recv(struct msg_join *j, const struct peer *from, const struct peer *to,
		      uint64_t bytes, uint64_t end_ns)
{
	struct msg m;

	make_recv(&m, from, to, bytes, end_ns);
	msg_join_recv(j, &m.io);
}

/* Passed fds as the unix collector describes them: the join takes ownership. */
static struct ipcd_sock_extra *new_extra(uint32_t nfds, const char *path)
{
	struct ipcd_sock_extra *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->nfds = nfds;
	x->ndesc = 2;
	x->fds[0].fd = 7;
	x->fds[0].kind = IPCD_FD_FILE;
	x->fds[0].ino = 4242;
	x->fds[0].path = strdup(path);
	assert_non_null(x->fds[0].path);
	x->fds[1].fd = 8;
	x->fds[1].kind = IPCD_FD_PIPE;
	x->fds[1].ino = 555;
	x->creds = true;
	x->cred_pid = 10;
	x->cred_uid = 1000;
	x->cred_gid = 100;
	return x;
}

/* ---- assertions -------------------------------------------------------- */

/* The endpoint of p's task, or an unknown one for NULL. */
static void assert_endpoint(const struct ipcd_endpoint *ep, const struct peer *p)
{
	if (!p) {
		assert_int_equal(ep->pid, -1);
		assert_int_equal(ep->tid, -1);
		assert_int_equal(ep->ppid, -1);
		assert_string_equal(ep->comm, "");
		return;
	}
	assert_int_equal(ep->pid, p->pid);
	assert_int_equal(ep->tid, p->pid + 1000);
	assert_int_equal(ep->ppid, 1);
	assert_string_equal(ep->comm, p->comm);
}

static void assert_payload(const struct ipcd_event *e, const char *expected)
{
	assert_int_equal(e->payload_len, strlen(expected));
	if (e->payload_len)
		assert_memory_equal(e->payload, expected, strlen(expected));
}

/* A whole message from's socket sent and to's socket received. */
static void assert_message(const struct ipcd_event *e, const struct peer *from,
			   const struct peer *to, const char *payload)
{
	assert_endpoint(&e->src, from);
	assert_endpoint(&e->dst, to);
	assert_int_equal(e->src_sock, from->sock);
	assert_int_equal(e->src_ino, from->ino);
	assert_int_equal(e->dst_sock, to->sock);
	assert_int_equal(e->dst_ino, to->ino);
	assert_int_equal(e->bytes, strlen(payload));
	assert_payload(e, payload);
}

/* A message from's socket sent that no traced receive took. */
static void assert_unread(const struct ipcd_event *e, const struct peer *from, const char *payload)
{
	assert_endpoint(&e->src, from);
	assert_endpoint(&e->dst, NULL);
	assert_int_equal(e->src_sock, from->sock);
	assert_int_equal(e->src_ino, from->ino);
	assert_int_equal(e->dst_fd, -1);
	assert_int_equal(e->dst_call, 0);
	assert_int_equal(e->dst_ino, 0);
	assert_int_equal(e->bytes, strlen(payload));
	assert_payload(e, payload);
	assert_true(e->flags & IPCD_EF_UNREAD);
	assert_false(e->flags & IPCD_EF_HAS_LATENCY);
	assert_int_equal(e->latency_ns, 0);
}

/* ---- pairing ------------------------------------------------------------ */

static void test_send_then_receive_is_one_event(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];

	feed_send(f->join, &alice, &srv_a, "hello", 100);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_pending(f->join), 1);
	feed_recv(f->join, &alice, &srv_a, 5, 1100);

	assert_int_equal(f->sink.count, 1);
	assert_int_equal(e->type, IPCD_TYPE_UNIX_DGRAM);
	assert_message(e, &alice, &srv_a, "hello");
	assert_int_equal(e->ts_ns, 1100);
	assert_int_equal(e->latency_ns, 1000);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_int_equal(e->src_fd, 4);
	assert_int_equal(e->dst_fd, 3);
	assert_int_equal(e->src_call, IPCD_CALL_SENDMSG);
	assert_int_equal(e->dst_call, IPCD_CALL_RECVMSG);
	assert_null(e->dest_addr);
	assert_null(e->extra);
	assert_int_equal(msg_join_pending(f->join), 0);
}

static void test_receive_waits_for_its_send(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];

	feed_recv(f->join, &alice, &srv_a, 5, 1100);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_pending(f->join), 1);

	feed_send(f->join, &alice, &srv_a, "hello", 100);
	assert_int_equal(f->sink.count, 1);
	assert_message(e, &alice, &srv_a, "hello");
	assert_int_equal(e->ts_ns, 1100);
	assert_int_equal(e->latency_ns, 1000);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_int_equal(msg_join_pending(f->join), 0);
	/* the comm callback is for receives whose send never came */
	assert_int_equal(f->comm_calls, 0);
}

/* A seqpacket message keeps its type. */
static void test_seqpacket_message_keeps_its_type(void **state)
{
	struct fixture *f = *state;
	struct msg send, recv;

	make_send(&send, &alice, &srv_a, NULL, "packet", 100);
	send.io.type = IPCD_TYPE_UNIX_SEQPACKET;
	make_recv(&recv, &alice, &srv_a, 6, 300);
	recv.io.type = IPCD_TYPE_UNIX_SEQPACKET;
	msg_join_send(f->join, &send.io);
	msg_join_recv(f->join, &recv.io);

	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].type, IPCD_TYPE_UNIX_SEQPACKET);
	assert_message(&f->sink.events[0], &alice, &srv_a, "packet");
}

/* Messages of one socket to one receiver are received in the order sent. */
static void test_messages_of_one_sender_pair_oldest_first(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_send(f->join, &alice, &srv_a, "one", 100);
	feed_send(f->join, &alice, &srv_a, "two", 200);
	feed_send(f->join, &alice, &srv_a, "three", 300);
	assert_int_equal(msg_join_pending(f->join), 3);
	feed_recv(f->join, &alice, &srv_a, 3, 1000);
	feed_recv(f->join, &alice, &srv_a, 3, 1100);
	feed_recv(f->join, &alice, &srv_a, 5, 1200);

	assert_int_equal(f->sink.count, 3);
	assert_message(&e[0], &alice, &srv_a, "one");
	assert_message(&e[1], &alice, &srv_a, "two");
	assert_message(&e[2], &alice, &srv_a, "three");
	assert_int_equal(e[0].latency_ns, 900);
	assert_int_equal(e[1].latency_ns, 900);
	assert_int_equal(e[2].latency_ns, 900);
	assert_int_equal(msg_join_pending(f->join), 0);
}

/* Three sockets send to one receiver; records come in mixed order. */
static void test_interleaved_senders_each_pair_with_their_own(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_send(f->join, &alice, &srv_a, "a1", 100);
	feed_send(f->join, &bob, &srv_a, "b-1", 110);
	feed_send(f->join, &alice, &srv_a, "a-two", 120);
	feed_send(f->join, &carol, &srv_a, "c-one!", 130);
	feed_send(f->join, &bob, &srv_a, "b-second", 140);
	assert_int_equal(msg_join_pending(f->join), 5);

	feed_recv(f->join, &bob, &srv_a, 3, 1000);
	feed_recv(f->join, &carol, &srv_a, 6, 1010);
	feed_recv(f->join, &alice, &srv_a, 2, 1020);
	feed_recv(f->join, &bob, &srv_a, 8, 1030);
	feed_recv(f->join, &alice, &srv_a, 5, 1040);

	assert_int_equal(f->sink.count, 5);
	assert_message(&e[0], &bob, &srv_a, "b-1");
	assert_message(&e[1], &carol, &srv_a, "c-one!");
	assert_message(&e[2], &alice, &srv_a, "a1");
	assert_message(&e[3], &bob, &srv_a, "b-second");
	assert_message(&e[4], &alice, &srv_a, "a-two");
	assert_int_equal(e[0].latency_ns, 890);
	assert_int_equal(e[4].latency_ns, 920);
	assert_int_equal(msg_join_pending(f->join), 0);
}

/* Receives of several senders all come first; each send settles its own. */
static void test_waiting_receives_of_several_senders_pair_with_their_own(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_recv(f->join, &bob, &srv_a, 3, 1000);
	feed_recv(f->join, &alice, &srv_a, 2, 1010);
	feed_recv(f->join, &bob, &srv_a, 8, 1020);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_pending(f->join), 3);

	feed_send(f->join, &alice, &srv_a, "a1", 100);
	assert_int_equal(f->sink.count, 1);
	assert_message(&e[0], &alice, &srv_a, "a1");
	assert_int_equal(e[0].ts_ns, 1010);

	feed_send(f->join, &bob, &srv_a, "b-1", 110);
	feed_send(f->join, &bob, &srv_a, "b-second", 120);
	assert_int_equal(f->sink.count, 3);
	assert_message(&e[1], &bob, &srv_a, "b-1");
	assert_int_equal(e[1].ts_ns, 1000);
	assert_message(&e[2], &bob, &srv_a, "b-second");
	assert_int_equal(e[2].ts_ns, 1020);
	assert_int_equal(msg_join_pending(f->join), 0);
}

/*
 * One unconnected socket sends to "@a" then to "@b"; "@b" receives first.
 * Each receive takes the message sent to its own name.
 */
static void test_unconnected_sends_pair_by_name(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_sendto(f->join, &alice, "@a", "to-a", 100);
	feed_sendto(f->join, &alice, "@b", "to-bb", 200);
	feed_recv(f->join, &alice, &srv_b, 5, 1000);
	feed_recv(f->join, &alice, &srv_a, 4, 1100);

	assert_int_equal(f->sink.count, 2);
	assert_message(&e[0], &alice, &srv_b, "to-bb");
	assert_string_equal(e[0].dest_addr, "@b");
	assert_int_equal(e[0].latency_ns, 800);
	assert_message(&e[1], &alice, &srv_a, "to-a");
	assert_string_equal(e[1].dest_addr, "@a");
	assert_int_equal(e[1].latency_ns, 1000);
	assert_int_equal(msg_join_pending(f->join), 0);
}

/* The same, with both receives waiting before the sends arrive. */
static void test_waiting_receives_of_unconnected_sends_pair_by_name(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_recv(f->join, &alice, &srv_b, 5, 1000);
	feed_recv(f->join, &alice, &srv_a, 4, 1100);
	feed_sendto(f->join, &alice, "@a", "to-a", 100);
	assert_int_equal(f->sink.count, 1);
	assert_message(&e[0], &alice, &srv_a, "to-a");
	assert_string_equal(e[0].dest_addr, "@a");

	feed_sendto(f->join, &alice, "@b", "to-bb", 200);
	assert_int_equal(f->sink.count, 2);
	assert_message(&e[1], &alice, &srv_b, "to-bb");
	assert_string_equal(e[1].dest_addr, "@b");
	assert_int_equal(msg_join_pending(f->join), 0);
}

/*
 * Receives waiting for sends to paths: a send goes to the receive bound at
 * its path before one that only may have been its destination.
 */
static void test_waiting_receives_of_sends_to_paths_pair_by_name(void **state)
{
	static const struct peer srv_pa = { 21, "srv-pa", 0xffff888000007000ull, 301, 3001, "/p/a" };
	static const struct peer srv_pb = { 22, "srv-pb", 0xffff888000008000ull, 302, 3002, "/p/b" };
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_recv(f->join, &alice, &srv_pb, 4, 1000);
	feed_recv(f->join, &alice, &srv_pa, 4, 1100);
	feed_sendto(f->join, &alice, "/p/a", "to-a", 100);
	feed_sendto(f->join, &alice, "/p/b", "to-b", 200);
	assert_int_equal(f->sink.count, 2);
	assert_message(&e[0], &alice, &srv_pa, "to-a");
	assert_message(&e[1], &alice, &srv_pb, "to-b");
	assert_int_equal(msg_join_pending(f->join), 0);
}

/* A path may be spelled another way than the receiver bound it (relative, a link). */
static void test_unconnected_send_to_path_pairs_with_other_spelling(void **state)
{
	static const struct peer srv_path = { 22, "srv-path", 0xffff888000006000ull, 203, 2003,
					      "/run/app/sock" };
	struct fixture *f = *state;

	feed_sendto(f->join, &alice, "app/sock", "hi", 100);
	feed_recv(f->join, &alice, &srv_path, 2, 400);

	assert_int_equal(f->sink.count, 1);
	assert_message(&f->sink.events[0], &alice, &srv_path, "hi");
	assert_string_equal(f->sink.events[0].dest_addr, "app/sock");
}

/* Abstract names are exact: a send to "@a" is not what "@b" received. */
static void test_unconnected_send_to_other_abstract_name_never_pairs(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_sendto(f->join, &alice, "@a", "to-a", 100);
	feed_recv(f->join, &alice, &srv_b, 4, 1000);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_pending(f->join), 2);

	msg_join_flush(f->join);
	assert_int_equal(f->sink.count, 2);
	assert_int_equal(e[0].src.pid, alice.pid);
	assert_string_equal(e[0].src.comm, "alice");
	assert_endpoint(&e[0].dst, &srv_b);
	assert_int_equal(e[0].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_unread(&e[1], &alice, "to-a");
	assert_string_equal(e[1].dest_addr, "@a");
}

/*
 * A socket connected to srv_a sends; srv_b receives a message of that same
 * socket address.  The send was not to srv_b: the receive waits for its
 * own send, expires without one, and srv_a's receive still gets the message.
 */
static void test_send_to_connected_socket_never_pairs_with_another(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_send(f->join, &alice, &srv_a, "for-a", 100);
	feed_recv(f->join, &alice, &srv_b, 5, 1000);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_pending(f->join), 2);

	msg_join_expire(f->join, 3000, 2000);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(e[0].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_endpoint(&e[0].dst, &srv_b);
	assert_int_equal(e[0].dst_sock, srv_b.sock);
	assert_int_equal(e[0].src.pid, alice.pid);
	assert_int_equal(e[0].bytes, 5);
	assert_int_equal(e[0].payload_len, 0);
	assert_int_equal(msg_join_pending(f->join), 1);

	feed_recv(f->join, &alice, &srv_a, 5, 3100);
	assert_int_equal(f->sink.count, 2);
	assert_message(&e[1], &alice, &srv_a, "for-a");
	assert_int_equal(msg_join_pending(f->join), 0);
}

/* ---- receives whose send never came ------------------------------------ */

static void test_expired_receive_names_sender_from_message(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];

	feed_recv(f->join, &bob, &srv_a, 7, 1000);
	msg_join_expire(f->join, 1499, 500);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_pending(f->join), 1);

	msg_join_expire(f->join, 1500, 500);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(e->type, IPCD_TYPE_UNIX_DGRAM);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(e->src.pid, bob.pid);
	assert_string_equal(e->src.comm, "bob");
	assert_int_equal(e->src.tid, -1);
	assert_int_equal(e->src_fd, -1);
	assert_int_equal(e->src_call, 0);
	assert_int_equal(e->src_sock, 0);
	assert_int_equal(e->src_ino, 0);
	assert_endpoint(&e->dst, &srv_a);
	assert_int_equal(e->dst_sock, srv_a.sock);
	assert_int_equal(e->dst_ino, srv_a.ino);
	assert_int_equal(e->dst_fd, 3);
	assert_int_equal(e->dst_call, IPCD_CALL_RECVMSG);
	assert_int_equal(e->bytes, 7);
	assert_int_equal(e->payload_len, 0);
	assert_int_equal(e->latency_ns, 0);
	assert_int_equal(e->ts_ns, 1000);
	assert_int_equal(f->comm_calls, 1);
	assert_int_equal(f->comm_pid, bob.pid);
	assert_int_equal(msg_join_pending(f->join), 0);

	/* reported once: expiring again reports nothing more */
	msg_join_expire(f->join, 9000, 500);
	assert_int_equal(f->sink.count, 1);
}

/* A message stamped with no process: the source stays unknown, nobody is asked. */
static void test_expired_receive_without_sender_pid(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];
	struct msg recv;

	make_recv(&recv, &bob, &srv_a, 7, 1000);
	recv.io.sender_pid = 0;
	msg_join_recv(f->join, &recv.io);
	msg_join_expire(f->join, 2000, 500);

	assert_int_equal(f->sink.count, 1);
	assert_endpoint(&e->src, NULL);
	assert_endpoint(&e->dst, &srv_a);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(f->comm_calls, 0);
}

/* A sender whose name is not known, and one whose name is longer than a comm. */
static void test_expired_receive_comm_unknown_or_long(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;
	struct msg recv;

	make_recv(&recv, &bob, &srv_a, 1, 1000);
	recv.io.sender_pid = 4242;
	msg_join_recv(f->join, &recv.io);
	make_recv(&recv, &carol, &srv_a, 2, 1001);
	recv.io.sender_pid = LONG_COMM_PID;
	msg_join_recv(f->join, &recv.io);
	msg_join_expire(f->join, 5000, 500);

	assert_int_equal(f->sink.count, 2);
	assert_int_equal(e[0].src.pid, 4242);
	assert_string_equal(e[0].src.comm, "");
	assert_int_equal(e[1].src.pid, LONG_COMM_PID);
	assert_int_equal(strlen(e[1].src.comm), IPCD_COMM_LEN - 1);
	assert_memory_equal(e[1].src.comm, LONG_COMM, IPCD_COMM_LEN - 1);
	assert_int_equal(f->comm_calls, 2);
}

/* Only receives old enough expire; younger ones keep waiting for their send. */
static void test_expire_reports_only_old_receives(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_recv(f->join, &bob, &srv_a, 3, 1000);
	feed_recv(f->join, &alice, &srv_a, 2, 1800);
	msg_join_expire(f->join, 2000, 500);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(e[0].src.pid, bob.pid);
	assert_int_equal(e[0].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(msg_join_pending(f->join), 1);

	feed_send(f->join, &alice, &srv_a, "a1", 100);
	assert_int_equal(f->sink.count, 2);
	assert_message(&e[1], &alice, &srv_a, "a1");
	assert_int_equal(e[1].flags, IPCD_EF_HAS_LATENCY);
}

/* ---- sends nobody was seen receiving ----------------------------------- */

static void test_flush_reports_unread_sends(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_send(f->join, &alice, &srv_a, "hello", 100);
	feed_sendto(f->join, &bob, "@b", "named", 200);
	assert_int_equal(msg_join_pending(f->join), 2);
	msg_join_flush(f->join);

	assert_int_equal(f->sink.count, 2);
	assert_unread(&e[0], &alice, "hello");
	assert_int_equal(e[0].flags, IPCD_EF_UNREAD);
	assert_int_equal(e[0].type, IPCD_TYPE_UNIX_DGRAM);
	assert_int_equal(e[0].ts_ns, 100);
	assert_int_equal(e[0].dst_sock, srv_a.sock);
	assert_int_equal(e[0].src_fd, 4);
	assert_int_equal(e[0].src_call, IPCD_CALL_SENDMSG);
	assert_null(e[0].dest_addr);
	assert_unread(&e[1], &bob, "named");
	assert_int_equal(e[1].flags, IPCD_EF_UNREAD);
	assert_int_equal(e[1].ts_ns, 200);
	assert_int_equal(e[1].dst_sock, 0);
	assert_string_equal(e[1].dest_addr, "@b");
	assert_int_equal(msg_join_pending(f->join), 0);

	/* flushed once: nothing is left to report */
	msg_join_flush(f->join);
	assert_int_equal(f->sink.count, 2);
}

/* At the end every waiting receive is reported too, with its sender unknown. */
static void test_flush_reports_waiting_receives(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];

	feed_recv(f->join, &carol, &srv_b, 9, 5000);
	msg_join_flush(f->join);

	assert_int_equal(f->sink.count, 1);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(e->src.pid, carol.pid);
	assert_string_equal(e->src.comm, "carol");
	assert_endpoint(&e->dst, &srv_b);
	assert_int_equal(e->bytes, 9);
	assert_int_equal(msg_join_pending(f->join), 0);
}

#define BIG_PAYLOAD 10000

/*
 * Past the cap, the oldest sends of any socket are reported unread until
 * half of it is left.  Each pending send costs its payload and some
 * bookkeeping (well under 2000 bytes here): two fit under 25000, three do
 * not, and one is all that fits under half of it.
 */
static void test_pending_cap_reports_oldest_sends_unread(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;
	static char first[BIG_PAYLOAD + 1], second[BIG_PAYLOAD + 1], third[BIG_PAYLOAD + 1];
	struct ipcd_sock_extra *extra = new_extra(2, "/tmp/evicted");
	uintptr_t extra_addr = (uintptr_t)extra;
	struct msg send;

	memset(first, '1', BIG_PAYLOAD);
	memset(second, '2', BIG_PAYLOAD);
	memset(third, '3', BIG_PAYLOAD);
	msg_join_set_pending_cap(f->join, 25000);

	make_send(&send, &alice, &srv_a, NULL, first, 100);
	send.io.extra = extra;
	msg_join_send(f->join, &send.io);
	feed_send(f->join, &bob, &srv_a, second, 200);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_evicted(f->join), 0);
	assert_int_equal(msg_join_pending(f->join), 2);

	feed_send(f->join, &alice, &srv_a, third, 300);
	assert_int_equal(f->sink.count, 2);
	assert_int_equal(msg_join_evicted(f->join), 2);
	assert_int_equal(msg_join_pending(f->join), 1);
	assert_unread(&e[0], &alice, first);
	assert_int_equal(f->sink.extra_addr[0], extra_addr);
	assert_int_equal(e[0].extra->nfds, 2);
	assert_string_equal(e[0].extra->fds[0].path, "/tmp/evicted");
	assert_unread(&e[1], &bob, second);

	/* what is left still pairs */
	feed_recv(f->join, &alice, &srv_a, BIG_PAYLOAD, 1000);
	assert_int_equal(f->sink.count, 3);
	assert_message(&e[2], &alice, &srv_a, third);
	assert_int_equal(msg_join_evicted(f->join), 2);
	assert_int_equal(msg_join_dropped(f->join), 0);
}

/* ---- payload, flags and passed fds ------------------------------------- */

/* A receive into a short buffer got the start of the message only. */
static void test_short_receive_limits_payload(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];
	struct msg recv;

	feed_send(f->join, &alice, &srv_a, "hello world", 100);
	make_recv(&recv, &alice, &srv_a, 5, 600);
	recv.io.flags = IPCD_F_MSG_TRUNCATED;
	msg_join_recv(f->join, &recv.io);

	assert_int_equal(f->sink.count, 1);
	assert_endpoint(&e->src, &alice);
	assert_endpoint(&e->dst, &srv_a);
	assert_int_equal(e->bytes, 5);
	assert_payload(e, "hello");
	assert_int_equal(e->flags, IPCD_F_MSG_TRUNCATED | IPCD_EF_HAS_LATENCY);
}

/*
 * A send of 10 bytes of which 4 were captured: a receive of all of it has a
 * payload shorter than its bytes and says so; a receive of 3 bytes has its
 * whole payload.
 */
static void test_payload_truncated_only_when_shorter_than_received(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;
	struct msg send;

	for (int i = 0; i < 2; i++) {
		make_send(&send, &alice, &srv_a, NULL, "0123", 100 + i);
		send.io.bytes = 10;
		send.io.flags = IPCD_F_PAYLOAD_TRUNCATED;
		msg_join_send(f->join, &send.io);
	}
	feed_recv(f->join, &alice, &srv_a, 10, 500);
	feed_recv(f->join, &alice, &srv_a, 3, 600);

	assert_int_equal(f->sink.count, 2);
	assert_int_equal(e[0].bytes, 10);
	assert_payload(&e[0], "0123");
	assert_int_equal(e[0].flags, IPCD_F_PAYLOAD_TRUNCATED | IPCD_EF_HAS_LATENCY);
	assert_int_equal(e[1].bytes, 3);
	assert_payload(&e[1], "012");
	assert_int_equal(e[1].flags, IPCD_EF_HAS_LATENCY);
}

/* Flags that describe the message pass to the event from either side. */
static void test_message_flags_carried_from_both_sides(void **state)
{
	struct fixture *f = *state;
	struct msg send, recv;

	make_send(&send, &alice, &srv_a, NULL, "", 100);
	send.io.bytes = 64;
	send.io.flags = IPCD_F_PAYLOAD_UNAVAILABLE;
	make_recv(&recv, &alice, &srv_a, 64, 900);
	recv.io.flags = IPCD_F_MSG_TRUNCATED;
	msg_join_send(f->join, &send.io);
	msg_join_recv(f->join, &recv.io);

	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].bytes, 64);
	assert_int_equal(f->sink.events[0].payload_len, 0);
	assert_int_equal(f->sink.events[0].flags,
			 IPCD_F_PAYLOAD_UNAVAILABLE | IPCD_F_MSG_TRUNCATED | IPCD_EF_HAS_LATENCY);
}

/*
 * A receive that returns before its send (sends are seen only at their
 * return) took the message as the send returned: latency 0, never negative.
 */
static void test_zero_latency_when_receive_ends_before_send(void **state)
{
	struct fixture *f = *state;

	feed_send(f->join, &alice, &srv_a, "ab", 2000);
	feed_recv(f->join, &alice, &srv_a, 2, 1500);

	assert_int_equal(f->sink.count, 1);
	assert_message(&f->sink.events[0], &alice, &srv_a, "ab");
	assert_int_equal(f->sink.events[0].latency_ns, 0);
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_HAS_LATENCY);
}

/* Descriptors and credentials sent with a message appear on its event. */
static void test_passed_fds_and_creds_travel_with_the_message(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];
	struct ipcd_sock_extra *extra = new_extra(3, "/etc/hosts");
	uintptr_t extra_addr = (uintptr_t)extra;
	struct msg send;

	make_send(&send, &alice, &srv_a, NULL, "fds", 100);
	send.io.flags = IPCD_F_CREDS;
	send.io.extra = extra;
	msg_join_send(f->join, &send.io);
	/* the join owns extra now */
	extra = NULL;
	feed_recv(f->join, &alice, &srv_a, 3, 700);

	assert_int_equal(f->sink.count, 1);
	assert_message(e, &alice, &srv_a, "fds");
	assert_int_equal(e->flags, IPCD_F_CREDS | IPCD_EF_HAS_LATENCY);
	assert_int_equal(f->sink.extra_addr[0], extra_addr);
	assert_non_null(e->extra);
	assert_int_equal(e->extra->nfds, 3);
	assert_int_equal(e->extra->ndesc, 2);
	assert_int_equal(e->extra->fds[0].fd, 7);
	assert_int_equal(e->extra->fds[0].kind, IPCD_FD_FILE);
	assert_string_equal(e->extra->fds[0].path, "/etc/hosts");
	assert_int_equal(e->extra->fds[1].kind, IPCD_FD_PIPE);
	assert_int_equal(e->extra->fds[1].ino, 555);
	assert_null(e->extra->fds[1].path);
	assert_true(e->extra->creds);
	assert_int_equal(e->extra->cred_pid, 10);
	assert_int_equal(e->extra->cred_uid, 1000);
	assert_int_equal(e->extra->cred_gid, 100);
}

/* A message with descriptors nobody received: reported unread with them. */
static void test_unread_send_carries_its_passed_fds(void **state)
{
	struct fixture *f = *state;
	struct ipcd_sock_extra *extra = new_extra(1, "/dev/null");
	uintptr_t extra_addr = (uintptr_t)extra;
	struct msg send;

	make_send(&send, &alice, &srv_a, NULL, "x", 100);
	send.io.extra = extra;
	msg_join_send(f->join, &send.io);
	msg_join_flush(f->join);

	assert_int_equal(f->sink.count, 1);
	assert_unread(&f->sink.events[0], &alice, "x");
	assert_int_equal(f->sink.extra_addr[0], extra_addr);
	assert_int_equal(f->sink.events[0].extra->nfds, 1);
	assert_string_equal(f->sink.events[0].extra->fds[0].path, "/dev/null");
}

/* Descriptors of a send still pending go with the join. */
static void test_pending_send_fds_freed_with_the_join(void **state)
{
	struct fixture *f = *state;
	struct msg send;

	make_send(&send, &alice, &srv_a, NULL, "x", 100);
	send.io.extra = new_extra(2, "/tmp/pending");
	msg_join_send(f->join, &send.io);
	feed_recv(f->join, &bob, &srv_a, 4, 200);

	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_pending(f->join), 2);
	/* the teardown frees the join with both still pending */
}

/* ---- counting and empty messages --------------------------------------- */

static void test_pending_counts_what_waits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(msg_join_pending(f->join), 0);
	feed_send(f->join, &alice, &srv_a, "a1", 100);
	feed_send(f->join, &alice, &srv_a, "a2", 110);
	feed_send(f->join, &bob, &srv_a, "b1", 120);
	assert_int_equal(msg_join_pending(f->join), 3);
	feed_recv(f->join, &carol, &srv_a, 1, 200);
	assert_int_equal(msg_join_pending(f->join), 4);
	feed_recv(f->join, &alice, &srv_a, 2, 210);
	assert_int_equal(msg_join_pending(f->join), 3);
	feed_send(f->join, &carol, &srv_a, "c", 150);
	assert_int_equal(msg_join_pending(f->join), 2);
	assert_int_equal(f->sink.count, 2);
	msg_join_flush(f->join);
	assert_int_equal(msg_join_pending(f->join), 0);
	assert_int_equal(f->sink.count, 4);
	assert_int_equal(msg_join_evicted(f->join), 0);
	assert_int_equal(msg_join_dropped(f->join), 0);
}

/* An empty datagram is a message too, and keeps its place in the order. */
static void test_zero_length_datagrams_pair(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_send(f->join, &alice, &srv_a, "", 100);
	feed_send(f->join, &alice, &srv_a, "after", 200);
	assert_int_equal(msg_join_pending(f->join), 2);
	feed_recv(f->join, &alice, &srv_a, 0, 300);
	assert_int_equal(f->sink.count, 1);
	assert_message(&e[0], &alice, &srv_a, "");
	assert_null(e[0].payload);
	assert_int_equal(e[0].latency_ns, 200);
	assert_int_equal(e[0].flags, IPCD_EF_HAS_LATENCY);

	feed_recv(f->join, &alice, &srv_a, 5, 400);
	assert_int_equal(f->sink.count, 2);
	assert_message(&e[1], &alice, &srv_a, "after");
	assert_int_equal(msg_join_pending(f->join), 0);
}

/* An empty datagram received before its send waits for it like any other. */
static void test_zero_length_receive_waits_for_its_send(void **state)
{
	struct fixture *f = *state;

	feed_recv(f->join, &alice, &srv_a, 0, 300);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(msg_join_pending(f->join), 1);
	feed_send(f->join, &alice, &srv_a, "", 100);

	assert_int_equal(f->sink.count, 1);
	assert_message(&f->sink.events[0], &alice, &srv_a, "");
	assert_int_equal(msg_join_pending(f->join), 0);
}

#define JOIN_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		JOIN_TEST(test_send_then_receive_is_one_event),
		JOIN_TEST(test_receive_waits_for_its_send),
		JOIN_TEST(test_seqpacket_message_keeps_its_type),
		JOIN_TEST(test_messages_of_one_sender_pair_oldest_first),
		JOIN_TEST(test_interleaved_senders_each_pair_with_their_own),
		JOIN_TEST(test_waiting_receives_of_several_senders_pair_with_their_own),
		JOIN_TEST(test_unconnected_sends_pair_by_name),
		JOIN_TEST(test_waiting_receives_of_unconnected_sends_pair_by_name),
		JOIN_TEST(test_waiting_receives_of_sends_to_paths_pair_by_name),
		JOIN_TEST(test_unconnected_send_to_path_pairs_with_other_spelling),
		JOIN_TEST(test_unconnected_send_to_other_abstract_name_never_pairs),
		JOIN_TEST(test_send_to_connected_socket_never_pairs_with_another),
		JOIN_TEST(test_expired_receive_names_sender_from_message),
		JOIN_TEST(test_expired_receive_without_sender_pid),
		JOIN_TEST(test_expired_receive_comm_unknown_or_long),
		JOIN_TEST(test_expire_reports_only_old_receives),
		JOIN_TEST(test_flush_reports_unread_sends),
		JOIN_TEST(test_flush_reports_waiting_receives),
		JOIN_TEST(test_pending_cap_reports_oldest_sends_unread),
		JOIN_TEST(test_short_receive_limits_payload),
		JOIN_TEST(test_payload_truncated_only_when_shorter_than_received),
		JOIN_TEST(test_message_flags_carried_from_both_sides),
		JOIN_TEST(test_zero_latency_when_receive_ends_before_send),
		JOIN_TEST(test_passed_fds_and_creds_travel_with_the_message),
		JOIN_TEST(test_unread_send_carries_its_passed_fds),
		JOIN_TEST(test_pending_send_fds_freed_with_the_join),
		JOIN_TEST(test_pending_counts_what_waits),
		JOIN_TEST(test_zero_length_datagrams_pair),
		JOIN_TEST(test_zero_length_receive_waits_for_its_send),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
