// SPDX-License-Identifier: GPL-2.0
/*
 * The message-queue join, fed with records as the mq collector sends them:
 * a receive pairs with the oldest send still queued on the same queue with
 * the same type (or priority), size and first bytes; queue lifecycle
 * records become events of their own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "join_sink.h"
#include "families/mq_events.h"

#define MAX_AGE 1000000000ull
#define NO_SYSVIPC "/nonexistent/sysvipc/msg"

#define SENDER_PID 10
#define SENDER "producer"
#define RECEIVER_PID 20
#define RECEIVER "consumer"

#define MSQID 7
#define MQ_INO 7      /* a POSIX queue whose inode is the SysV queue's id */
#define MQ_NAME "jobs"

struct fixture {
	struct sink sink;
	struct mq_events *mqs;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->mqs = mq_events_new(sink_collect, &f->sink, NO_SYSVIPC);
	if (!f->mqs) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	mq_events_free(f->mqs);
	sink_free(&f->sink);
	free(f);
	return 0;
}

/* A message of text sent (with its payload) or received on a SysV queue. */
static struct ipcd_mq_io *sysv_rec(int32_t msqid, bool send, uint32_t pid, const char *comm, int64_t type,
				   const char *text, uint64_t ts)
{
	size_t len = strlen(text), payload_len = send ? len : 0;
	struct ipcd_mq_io *r = record_new(IPCD_REC_MQ_IO, sizeof(*r), text, payload_len, ts);

	task_set(&r->task, pid, comm);
	r->kind = IPCD_MQ_SYSV;
	r->dir = send ? IPCD_PIPE_WRITE : IPCD_PIPE_READ;
	r->payload_len = (uint16_t)payload_len;
	r->id = msqid;
	r->type = type;
	r->bytes = len;
	r->print_len = len < IPCD_MQ_PRINT_MAX ? (uint32_t)len : IPCD_MQ_PRINT_MAX;
	memcpy(r->print, text, r->print_len);
	return r;
}

/* The same on a POSIX queue: the descriptor fd, priority prio (-1: the receiver did not ask). */
static struct ipcd_mq_io *posix_rec(uint64_t ino, bool send, uint32_t pid, const char *comm, int32_t fd,
				    int64_t prio, const char *text, uint64_t ts)
{
	struct ipcd_mq_io *r = sysv_rec(fd, send, pid, comm, prio, text, ts);

	r->kind = IPCD_MQ_POSIX;
	r->ino = ino;
	strcpy(r->name, MQ_NAME);
	return r;
}

static void feed(struct fixture *f, struct ipcd_mq_io *r)
{
	mq_events_io(f->mqs, r, r->hdr.size);
	free(r);
}

static void sysv_send(struct fixture *f, uint32_t pid, const char *comm, int64_t type, const char *text,
		      uint64_t ts)
{
	feed(f, sysv_rec(MSQID, true, pid, comm, type, text, ts));
}

static void sysv_recv(struct fixture *f, uint32_t pid, const char *comm, int64_t type, const char *text,
		      uint64_t ts)
{
	feed(f, sysv_rec(MSQID, false, pid, comm, type, text, ts));
}

/* ---- pairing ------------------------------------------------------------ */

static void test_sysv_send_then_receive(void **state)
{
	struct fixture *f = *state;
	struct ipcd_mq_io *r = sysv_rec(MSQID, true, SENDER_PID, SENDER, 2, "hello", 100);
	const struct ipcd_event *e;

	r->hdr.flags = IPCD_F_MQ_KEY;
	r->key = 0x1234;
	feed(f, r);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(mq_events_pending(f->mqs), 1);
	sysv_recv(f, RECEIVER_PID, RECEIVER, 2, "hello", 400);

	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_int_equal(e->type, IPCD_TYPE_MQ_SYSV);
	assert_int_equal(e->ts_ns, 400);
	assert_endpoint(&e->src, SENDER_PID, SENDER);
	assert_endpoint(&e->dst, RECEIVER_PID, RECEIVER);
	assert_int_equal(e->src_fd, -1);
	assert_int_equal(e->dst_fd, -1);
	assert_int_equal(e->bytes, 5);
	assert_payload(e, "hello");
	assert_int_equal(e->latency_ns, 300);
	/* the key flag says what the record holds, not what the event is */
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_int_equal(e->chan_key, MSQID);
	assert_int_equal(e->mq_kind, IPCD_MQ_SYSV);
	assert_int_equal(e->mq_id, MSQID);
	assert_true(e->mq_has_key);
	assert_int_equal(e->mq_key, 0x1234);
	assert_null(e->mq_name);
	assert_int_equal(e->mq_type, 2);
	assert_int_equal(mq_events_pending(f->mqs), 0);
	assert_int_equal(mq_events_dropped(f->mqs), 0);
}

static void test_posix_receive_without_priority_pairs(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	feed(f, posix_rec(MQ_INO, true, SENDER_PID, SENDER, 3, 5, "job", 100));
	feed(f, posix_rec(MQ_INO, false, RECEIVER_PID, RECEIVER, 4, -1, "job", 150));

	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_int_equal(e->type, IPCD_TYPE_MQ_POSIX);
	assert_endpoint(&e->src, SENDER_PID, SENDER);
	assert_endpoint(&e->dst, RECEIVER_PID, RECEIVER);
	assert_int_equal(e->src_fd, 3);
	assert_int_equal(e->dst_fd, 4);
	assert_int_equal(e->mq_kind, IPCD_MQ_POSIX);
	assert_int_equal(e->mq_id, -1);
	assert_false(e->mq_has_key);
	assert_string_equal(e->mq_name, MQ_NAME);
	assert_int_equal(e->mq_type, 5);
	assert_int_equal(e->chan_key, MQ_INO);
	assert_int_equal(e->latency_ns, 50);
	assert_payload(e, "job");
}

/* A receive takes the message of its type, size and first bytes, not merely the oldest. */
static void test_receive_pairs_by_type_size_and_print(void **state)
{
	struct fixture *f = *state;

	sysv_send(f, 11, "type1", 1, "aaaa", 100);
	sysv_send(f, 12, "longer", 2, "aaaaa", 110);
	sysv_send(f, 13, "other", 2, "bbbb", 120);
	sysv_send(f, 14, "wanted", 2, "aaaa", 130);
	sysv_recv(f, RECEIVER_PID, RECEIVER, 2, "aaaa", 200);

	assert_int_equal(f->sink.count, 1);
	assert_endpoint(&f->sink.events[0].src, 14, "wanted");
	assert_int_equal(mq_events_pending(f->mqs), 3);
}

/* Identical messages are received in the order sent. */
static void test_identical_messages_pair_oldest_first(void **state)
{
	struct fixture *f = *state;

	sysv_send(f, 11, "first", 1, "same", 100);
	sysv_send(f, 12, "second", 1, "same", 200);
	sysv_recv(f, RECEIVER_PID, RECEIVER, 1, "same", 300);
	sysv_recv(f, RECEIVER_PID, RECEIVER, 1, "same", 400);

	assert_int_equal(f->sink.count, 2);
	assert_endpoint(&f->sink.events[0].src, 11, "first");
	assert_int_equal(f->sink.events[0].latency_ns, 200);
	assert_endpoint(&f->sink.events[1].src, 12, "second");
	assert_int_equal(f->sink.events[1].latency_ns, 200);
}

/* The receive's record came first: it waits for its send. */
static void test_receive_before_send(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	sysv_recv(f, RECEIVER_PID, RECEIVER, 2, "early", 300);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(mq_events_pending(f->mqs), 1);
	sysv_send(f, SENDER_PID, SENDER, 2, "early", 100);

	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_int_equal(e->ts_ns, 300);
	assert_endpoint(&e->src, SENDER_PID, SENDER);
	assert_endpoint(&e->dst, RECEIVER_PID, RECEIVER);
	assert_payload(e, "early");
	assert_int_equal(e->latency_ns, 200);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_int_equal(mq_events_pending(f->mqs), 0);
}

/* One send settles one of the receives waiting for it: the oldest. */
static void test_send_settles_one_waiting_receive(void **state)
{
	struct fixture *f = *state;

	sysv_recv(f, 21, "first", 1, "same", 300);
	sysv_recv(f, 22, "second", 1, "same", 400);
	sysv_send(f, SENDER_PID, SENDER, 1, "same", 100);
	assert_int_equal(f->sink.count, 1);
	assert_endpoint(&f->sink.events[0].dst, 21, "first");
	assert_int_equal(mq_events_pending(f->mqs), 1);
	sysv_send(f, 11, "later", 1, "same", 200);
	assert_int_equal(f->sink.count, 2);
	assert_endpoint(&f->sink.events[1].src, 11, "later");
	assert_endpoint(&f->sink.events[1].dst, 22, "second");
	assert_int_equal(mq_events_pending(f->mqs), 0);
}

/* A receive stamped before its send (clocks of two CPUs) has no latency. */
static void test_receive_stamped_before_send_has_no_latency(void **state)
{
	struct fixture *f = *state;

	sysv_recv(f, RECEIVER_PID, RECEIVER, 2, "x", 90);
	sysv_send(f, SENDER_PID, SENDER, 2, "x", 100);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].latency_ns, 0);
	assert_int_equal(f->sink.events[0].flags, 0);
}

/* ---- one side alone ------------------------------------------------------ */

static void test_receive_alone_expires_with_unknown_sender(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	sysv_recv(f, RECEIVER_PID, RECEIVER, 3, "orphan", 100);
	mq_events_expire(f->mqs, 100 + MAX_AGE - 1, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	mq_events_expire(f->mqs, 100 + MAX_AGE, MAX_AGE);

	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_int_equal(e->ts_ns, 100);
	assert_endpoint_unknown(&e->src);
	assert_endpoint(&e->dst, RECEIVER_PID, RECEIVER);
	assert_int_equal(e->bytes, 6);
	assert_int_equal(e->payload_len, 0);
	assert_int_equal(e->mq_type, 3);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(mq_events_pending(f->mqs), 0);
	/* its send, late after all, is a message of its own */
	sysv_send(f, SENDER_PID, SENDER, 3, "orphan", 50);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(mq_events_pending(f->mqs), 1);
}

/* A send waits for its receive however long: only the end reports it unread. */
static void test_send_never_received_is_unread_at_flush(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	sysv_send(f, SENDER_PID, SENDER, 4, "lost", 100);
	mq_events_expire(f->mqs, 100 + 10 * MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	mq_events_flush(f->mqs);

	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_int_equal(e->ts_ns, 100);
	assert_endpoint(&e->src, SENDER_PID, SENDER);
	assert_endpoint_unknown(&e->dst);
	assert_int_equal(e->dst_fd, -1);
	assert_int_equal(e->bytes, 4);
	assert_payload(e, "lost");
	assert_int_equal(e->mq_type, 4);
	assert_int_equal(e->flags, IPCD_EF_UNREAD);
	assert_int_equal(mq_events_pending(f->mqs), 0);
	mq_events_flush(f->mqs);
	assert_int_equal(f->sink.count, 1);
}

static void test_flush_reports_waiting_receives_too(void **state)
{
	struct fixture *f = *state;

	sysv_recv(f, RECEIVER_PID, RECEIVER, 1, "in", 100);
	sysv_send(f, SENDER_PID, SENDER, 1, "out", 200);
	mq_events_flush(f->mqs);
	assert_int_equal(f->sink.count, 2);
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_endpoint(&f->sink.events[0].dst, RECEIVER_PID, RECEIVER);
	assert_int_equal(f->sink.events[1].flags, IPCD_EF_UNREAD);
	assert_endpoint(&f->sink.events[1].src, SENDER_PID, SENDER);
}

/* ---- several queues ------------------------------------------------------ */

/* SysV queue 7, SysV queue 8 and the POSIX queue of inode 7 are three queues. */
static void test_interleaved_queues_pair_separately(void **state)
{
	struct fixture *f = *state;

	feed(f, sysv_rec(MSQID, true, 11, "to7", 1, "msg", 100));
	feed(f, sysv_rec(MSQID + 1, true, 12, "to8", 1, "msg", 110));
	feed(f, posix_rec(MQ_INO, true, 13, "toposix", 3, 1, "msg", 120));
	feed(f, posix_rec(MQ_INO, false, 23, "fromposix", 4, 1, "msg", 130));
	feed(f, sysv_rec(MSQID + 1, false, 22, "from8", 1, "msg", 140));
	feed(f, sysv_rec(MSQID, false, 21, "from7", 1, "msg", 150));

	assert_int_equal(f->sink.count, 3);
	assert_int_equal(f->sink.events[0].type, IPCD_TYPE_MQ_POSIX);
	assert_endpoint(&f->sink.events[0].src, 13, "toposix");
	assert_endpoint(&f->sink.events[0].dst, 23, "fromposix");
	assert_int_equal(f->sink.events[1].mq_id, MSQID + 1);
	assert_endpoint(&f->sink.events[1].src, 12, "to8");
	assert_endpoint(&f->sink.events[1].dst, 22, "from8");
	assert_int_equal(f->sink.events[2].mq_id, MSQID);
	assert_endpoint(&f->sink.events[2].src, 11, "to7");
	assert_endpoint(&f->sink.events[2].dst, 21, "from7");
}

/* ---- the SysV key ---------------------------------------------------------- */

/* Without the key in the record, it comes from /proc/sysvipc/msg. */
static void test_sysv_key_from_sysvipc(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/test_mq_events.XXXXXX";
	int fd = mkstemp(path);
	FILE *file;
	struct mq_events *mqs;

	assert_true(fd >= 0);
	file = fdopen(fd, "w");
	assert_non_null(file);
	fprintf(file, "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid\n");
	fprintf(file, "      4660          6   600           0          0     0     0     0     0\n");
	fprintf(file, "      4661          7   600           0          0     0     0     0     0\n");
	fclose(file);
	mqs = mq_events_new(sink_collect, &f->sink, path);
	assert_non_null(mqs);
	{
		/* the file is read when a queue is first seen */
		struct ipcd_mq_io *r = sysv_rec(MSQID, false, RECEIVER_PID, RECEIVER, 1, "k", 100);

		mq_events_io(mqs, r, r->hdr.size);
		free(r);
	}
	unlink(path);
	mq_events_flush(mqs);
	mq_events_free(mqs);
	assert_int_equal(f->sink.count, 1);
	assert_true(f->sink.events[0].mq_has_key);
	assert_int_equal(f->sink.events[0].mq_key, 4661);
}

static void test_sysv_key_unknown_without_sysvipc(void **state)
{
	struct fixture *f = *state;

	sysv_recv(f, RECEIVER_PID, RECEIVER, 1, "k", 100);
	mq_events_flush(f->mqs);
	assert_int_equal(f->sink.count, 1);
	assert_false(f->sink.events[0].mq_has_key);
	assert_int_equal(f->sink.events[0].mq_id, MSQID);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void feed_op(struct fixture *f, uint32_t op, int32_t key, int64_t result, const char *name)
{
	struct ipcd_mq_op *r = record_new(IPCD_REC_MQ_OP, sizeof(*r), NULL, 0, 500);

	task_set(&r->task, SENDER_PID, SENDER);
	r->op = op;
	r->key = key;
	r->result = result;
	if (name)
		memcpy(r->name, name, strnlen(name, sizeof(r->name)));
	mq_events_op(f->mqs, r);
	free(r);
}

static void test_queue_lifecycle_events(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	feed_op(f, IPCD_MQOP_MSGGET, 0x1234, MSQID, NULL);
	feed_op(f, IPCD_MQOP_MSGRMID, 0, MSQID, NULL);
	feed_op(f, IPCD_MQOP_MQ_OPEN, 0, 3, MQ_NAME);
	feed_op(f, IPCD_MQOP_MQ_UNLINK, 0, -2, MQ_NAME);

	assert_int_equal(f->sink.count, 4);
	e = f->sink.events;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(e[i].type, IPCD_TYPE_MQ_OP);
		assert_int_equal(e[i].ts_ns, 500);
		assert_endpoint(&e[i].src, SENDER_PID, SENDER);
		assert_endpoint_unknown(&e[i].dst);
	}
	assert_int_equal(e[0].mq_op, IPCD_MQOP_MSGGET);
	assert_int_equal(e[0].mq_kind, IPCD_MQ_SYSV);
	assert_true(e[0].mq_has_key);
	assert_int_equal(e[0].mq_key, 0x1234);
	assert_int_equal(e[0].mq_id, MSQID);
	assert_null(e[0].mq_name);
	assert_int_equal(e[1].mq_op, IPCD_MQOP_MSGRMID);
	assert_int_equal(e[1].mq_kind, IPCD_MQ_SYSV);
	assert_false(e[1].mq_has_key);
	assert_int_equal(e[2].mq_op, IPCD_MQOP_MQ_OPEN);
	assert_int_equal(e[2].mq_kind, IPCD_MQ_POSIX);
	assert_int_equal(e[2].mq_id, 3);
	assert_string_equal(e[2].mq_name, MQ_NAME);
	assert_int_equal(e[3].mq_op, IPCD_MQOP_MQ_UNLINK);
	assert_int_equal(e[3].mq_id, -2);
}

/* ---- records as they may arrive damaged -------------------------------- */

static void test_short_and_damaged_records_are_ignored(void **state)
{
	struct fixture *f = *state;
	struct ipcd_mq_io *r = sysv_rec(MSQID, true, SENDER_PID, SENDER, 1, "abc", 100);

	mq_events_io(f->mqs, r, sizeof(*r) - 1);
	mq_events_io(f->mqs, r, sizeof(*r) + 2);   /* one byte of the payload missing */
	r->kind = 0;
	mq_events_io(f->mqs, r, r->hdr.size);
	r->kind = 3;
	mq_events_io(f->mqs, r, r->hdr.size);
	free(r);
	assert_int_equal(mq_events_pending(f->mqs), 0);
	mq_events_flush(f->mqs);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(mq_events_dropped(f->mqs), 0);
}

/* A print longer than the record holds is cut to it; a name filling its field is cut at it. */
static void test_overlong_print_and_unterminated_name(void **state)
{
	struct fixture *f = *state;
	struct ipcd_mq_io *s = posix_rec(MQ_INO, true, SENDER_PID, SENDER, 3, 0, "p", 100);
	struct ipcd_mq_io *r = posix_rec(MQ_INO, false, RECEIVER_PID, RECEIVER, 4, 0, "p", 200);

	memset(s->name, 'n', sizeof(s->name));
	memset(r->name, 'n', sizeof(r->name));
	memset(s->print, 'p', sizeof(s->print));
	memset(r->print, 'p', sizeof(r->print));
	s->print_len = r->print_len = 100000;
	feed(f, s);
	feed(f, r);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(strlen(f->sink.events[0].mq_name), IPCD_MQ_NAME_LEN);
	assert_endpoint(&f->sink.events[0].dst, RECEIVER_PID, RECEIVER);
}

#define JOIN_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		JOIN_TEST(test_sysv_send_then_receive),
		JOIN_TEST(test_posix_receive_without_priority_pairs),
		JOIN_TEST(test_receive_pairs_by_type_size_and_print),
		JOIN_TEST(test_identical_messages_pair_oldest_first),
		JOIN_TEST(test_receive_before_send),
		JOIN_TEST(test_send_settles_one_waiting_receive),
		JOIN_TEST(test_receive_stamped_before_send_has_no_latency),
		JOIN_TEST(test_receive_alone_expires_with_unknown_sender),
		JOIN_TEST(test_send_never_received_is_unread_at_flush),
		JOIN_TEST(test_flush_reports_waiting_receives_too),
		JOIN_TEST(test_interleaved_queues_pair_separately),
		JOIN_TEST(test_sysv_key_from_sysvipc),
		JOIN_TEST(test_sysv_key_unknown_without_sysvipc),
		JOIN_TEST(test_queue_lifecycle_events),
		JOIN_TEST(test_short_and_damaged_records_are_ignored),
		JOIN_TEST(test_overlong_print_and_unterminated_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
