// SPDX-License-Identifier: GPL-2.0
/*
 * The write-to-read join, fed with synthetic kernel records: which events
 * come out, when, and with which source, destination, bytes and payload.
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
#include "engine/stream_join.h"

#define PIPE_INO 77
#define PIPE_DEV 5
#define MAX_EVENTS 16

/* ---- collecting emitted events ---------------------------------------- */

/*
 * The join's events point into its own buffers, which later records may
 * free: keep private copies of the payload and path.
 */
struct sink {
	struct ipcd_event events[MAX_EVENTS];
	size_t count;
};

static void collect_event(void *ctx, const struct ipcd_event *e)
{
	struct sink *s = ctx;
	struct ipcd_event *copy;

	assert_true(s->count < MAX_EVENTS);
	copy = &s->events[s->count++];
	*copy = *e;
	if (e->payload_len) {
		uint8_t *payload = malloc(e->payload_len);

		assert_non_null(payload);
		memcpy(payload, e->payload, e->payload_len);
		copy->payload = payload;
	}
	if (e->path) {
		copy->path = strdup(e->path);
		assert_non_null(copy->path);
	}
}

static void sink_free(struct sink *s)
{
	for (size_t i = 0; i < s->count; i++) {
		if (s->events[i].payload_len)
			free((void *)s->events[i].payload);
		free((void *)s->events[i].path);
	}
}

/* Each test gets a join that emits into a fresh sink. */
struct fixture {
	struct sink sink;
	struct stream_join *join;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->join = stream_join_new(collect_event, &f->sink);
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

	stream_join_free(f->join);
	sink_free(&f->sink);
	free(f);
	return 0;
}

/* ---- synthetic records ------------------------------------------------ */

/* One pipe_io record; the task's tid is pid + 1000 and its ppid 1. */
struct io {
	uint8_t dir;
	uint32_t pid;
	const char *comm;
	uint64_t offset, bytes;
	uint64_t start_ns, ts_ns;
	uint64_t base;
	uint32_t flags;
	const char *payload;    /* NULL: none */
	size_t payload_len;     /* 0: strlen(payload) */
	int32_t fd;
	uint64_t ino;           /* 0: PIPE_INO */
};

static void feed(struct stream_join *j, const struct io *io)
{
	size_t payload_len = io->payload ? (io->payload_len ? io->payload_len : strlen(io->payload)) : 0;
	size_t size = sizeof(struct ipcd_pipe_io) + payload_len;
	struct ipcd_pipe_io *rec = calloc(1, size);

	assert_non_null(rec);
	rec->hdr.kind = IPCD_REC_PIPE_IO;
	rec->hdr.size = (uint16_t)size;
	rec->hdr.flags = io->flags;
	rec->hdr.ts_ns = io->ts_ns;
	rec->task.pid = io->pid;
	rec->task.tid = io->pid + 1000;
	rec->task.ppid = 1;
	strncpy(rec->task.comm, io->comm, IPCD_COMM_LEN - 1);
	rec->ino = io->ino ? io->ino : PIPE_INO;
	rec->dev = PIPE_DEV;
	rec->dir = io->dir;
	rec->call = io->dir == IPCD_PIPE_WRITE ? IPCD_CALL_WRITE : IPCD_CALL_READ;
	rec->payload_len = (uint16_t)payload_len;
	rec->offset = io->offset;
	rec->bytes = io->bytes;
	rec->start_ns = io->start_ns;
	rec->base = io->base;
	rec->fd = io->fd;
	if (payload_len)
		memcpy(rec->payload, io->payload, payload_len);
	stream_join_io(j, rec);
	free(rec);
}

/* pid wrote payload (all of it) at offset, entering the syscall at start_ns. */
static void feed_write(struct stream_join *j, uint32_t pid, const char *comm, uint64_t offset,
		       const char *payload, uint64_t start_ns)
{
	struct io w = {
		.dir = IPCD_PIPE_WRITE, .pid = pid, .comm = comm, .offset = offset,
		.bytes = strlen(payload), .start_ns = start_ns, .ts_ns = start_ns + 50,
		.payload = payload, .fd = 4,
	};

	feed(j, &w);
}

/* pid read bytes [offset, offset + bytes), returning at ts_ns. */
static void feed_read(struct stream_join *j, uint32_t pid, const char *comm, uint64_t offset,
		      uint64_t bytes, uint64_t ts_ns)
{
	struct io r = {
		.dir = IPCD_PIPE_READ, .pid = pid, .comm = comm, .offset = offset,
		.bytes = bytes, .start_ns = ts_ns - 10, .ts_ns = ts_ns, .fd = 3,
	};

	feed(j, &r);
}

static void feed_resync(struct stream_join *j, uint64_t from, uint64_t to)
{
	struct ipcd_pipe_resync rec = {
		.hdr = { .kind = IPCD_REC_PIPE_RESYNC, .size = sizeof(rec), .ts_ns = 9000 },
		.ino = PIPE_INO, .dev = PIPE_DEV, .from = from, .to = to,
	};

	stream_join_resync(j, &rec);
}

/* ---- the kernel's read counter, as stream_join_collect/flush ask it ------ */

struct read_counter {
	bool known;        /* false: the kernel no longer knows the pipe */
	uint64_t r_off;
	unsigned calls;
};

static bool report_read_offset(void *ctx, const struct ipcd_pipe_key *key, uint64_t *r_off)
{
	struct read_counter *rc = ctx;

	assert_int_equal(key->ino, PIPE_INO);
	assert_int_equal(key->dev, PIPE_DEV);
	rc->calls++;
	if (rc->known)
		*r_off = rc->r_off;
	return rc->known;
}

/* ---- assertions -------------------------------------------------------- */

static void assert_endpoint(const struct ipcd_endpoint *ep, int64_t pid, const char *comm)
{
	assert_int_equal(ep->pid, pid);
	if (pid < 0) {
		assert_int_equal(ep->tid, -1);
		assert_int_equal(ep->ppid, -1);
		assert_string_equal(ep->comm, "");
		return;
	}
	assert_int_equal(ep->tid, pid + 1000);
	assert_int_equal(ep->ppid, 1);
	assert_string_equal(ep->comm, comm);
}

static void assert_payload(const struct ipcd_event *e, const char *expected)
{
	if (!expected) {
		assert_int_equal(e->payload_len, 0);
		assert_null(e->payload);
		return;
	}
	assert_int_equal(e->payload_len, strlen(expected));
	assert_memory_equal(e->payload, expected, strlen(expected));
}

/* bytes from writer (pid -1: unknown) to reader (pid -1: nobody read them). */
static void assert_transfer(const struct ipcd_event *e, int64_t src_pid, const char *src_comm,
			    int64_t dst_pid, const char *dst_comm, uint64_t bytes, const char *payload)
{
	assert_int_equal(e->type, IPCD_TYPE_PIPE);
	assert_int_equal(e->ino, PIPE_INO);
	assert_endpoint(&e->src, src_pid, src_comm);
	assert_endpoint(&e->dst, dst_pid, dst_comm);
	assert_int_equal(e->bytes, bytes);
	assert_payload(e, payload);
}

/* ---- joining ----------------------------------------------------------- */

static void test_write_then_read(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->join), 1);
	feed_read(f->join, 20, "reader", 0, 5, 1100);

	assert_int_equal(f->sink.count, 1);
	assert_transfer(e, 10, "writer", 20, "reader", 5, "hello");
	assert_int_equal(e->ts_ns, 1100);
	assert_int_equal(e->latency_ns, 1000);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_null(e->path);
	assert_int_equal(e->src_fd, 4);
	assert_int_equal(e->dst_fd, 3);
	assert_int_equal(e->src_call, IPCD_CALL_WRITE);
	assert_int_equal(e->dst_call, IPCD_CALL_READ);
	assert_int_equal(stream_join_pending(f->join), 0);
}

static void test_read_waits_for_its_write(void **state)
{
	struct fixture *f = *state;

	feed_read(f->join, 20, "reader", 0, 5, 1100);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->join), 1);

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], 10, "writer", 20, "reader", 5, "hello");
	assert_int_equal(f->sink.events[0].latency_ns, 1000);
	assert_int_equal(stream_join_pending(f->join), 0);
}

static void test_one_read_of_three_writers(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_write(f->join, 10, "first", 0, "abc", 100);
	feed_write(f->join, 11, "second", 3, "de", 200);
	feed_write(f->join, 12, "third", 5, "fghi", 300);
	feed_read(f->join, 20, "reader", 0, 9, 1000);

	assert_int_equal(f->sink.count, 3);
	assert_transfer(&e[0], 10, "first", 20, "reader", 3, "abc");
	assert_transfer(&e[1], 11, "second", 20, "reader", 2, "de");
	assert_transfer(&e[2], 12, "third", 20, "reader", 4, "fghi");
	assert_int_equal(e[0].latency_ns, 900);
	assert_int_equal(e[1].latency_ns, 800);
	assert_int_equal(e[2].latency_ns, 700);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/* Writes may arrive out of offset order; the read still comes out in byte order. */
static void test_writes_out_of_order_join_in_byte_order(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_read(f->join, 20, "reader", 0, 9, 1000);
	feed_write(f->join, 12, "third", 5, "fghi", 300);
	feed_write(f->join, 10, "first", 0, "abc", 100);
	assert_int_equal(f->sink.count, 0);
	feed_write(f->join, 11, "second", 3, "de", 200);

	assert_int_equal(f->sink.count, 3);
	assert_transfer(&e[0], 10, "first", 20, "reader", 3, "abc");
	assert_transfer(&e[1], 11, "second", 20, "reader", 2, "de");
	assert_transfer(&e[2], 12, "third", 20, "reader", 4, "fghi");
}

static void test_one_write_read_twice(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_write(f->join, 10, "writer", 0, "0123456789", 100);
	feed_read(f->join, 20, "head", 0, 4, 500);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(stream_join_pending(f->join), 1);
	feed_read(f->join, 21, "tail", 4, 6, 700);

	assert_int_equal(f->sink.count, 2);
	assert_transfer(&e[0], 10, "writer", 20, "head", 4, "0123");
	assert_transfer(&e[1], 10, "writer", 21, "tail", 6, "456789");
	assert_int_equal(e[0].latency_ns, 400);
	assert_int_equal(e[1].latency_ns, 600);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/* Records of one pipe never join with another pipe's at the same offsets. */
static void test_pipes_are_joined_separately(void **state)
{
	struct fixture *f = *state;
	struct io other_write = {
		.dir = IPCD_PIPE_WRITE, .pid = 30, .comm = "other", .offset = 0, .bytes = 5,
		.start_ns = 100, .ts_ns = 150, .payload = "OTHER", .fd = 4, .ino = PIPE_INO + 1,
	};

	feed(f->join, &other_write);
	feed_read(f->join, 20, "reader", 0, 5, 1100);
	assert_int_equal(f->sink.count, 0);
	feed_write(f->join, 10, "writer", 0, "hello", 100);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], 10, "writer", 20, "reader", 5, "hello");
	assert_int_equal(stream_join_pending(f->join), 1);
}

/* Records of calls that moved nothing (EAGAIN, EOF) are no part of the stream. */
static void test_zero_byte_records_are_ignored(void **state)
{
	struct fixture *f = *state;

	feed_read(f->join, 20, "reader", 0, 0, 1100);
	feed_write(f->join, 10, "writer", 0, "", 100);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/* ---- bytes of unknown origin ------------------------------------------ */

/* Bytes already in the pipe when tracing began have no known writer. */
static void test_read_below_base_has_unknown_writer(void **state)
{
	struct fixture *f = *state;
	struct io early_read = {
		.dir = IPCD_PIPE_READ, .pid = 20, .comm = "reader", .offset = 0, .bytes = 4,
		.start_ns = 990, .ts_ns = 1000, .base = 4, .fd = 3,
	};
	const struct ipcd_event *e = &f->sink.events[0];

	feed(f->join, &early_read);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(e, -1, NULL, 20, "reader", 4, NULL);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(e->latency_ns, 0);
	assert_int_equal(e->src_fd, -1);
	assert_int_equal(e->src_call, 0);
	assert_int_equal(e->ts_ns, 1000);
}

/* A read across base: the old bytes from nobody known, the rest from their writer. */
static void test_read_across_base_splits(void **state)
{
	struct fixture *f = *state;
	struct io write_after_base = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 4, .bytes = 2,
		.start_ns = 100, .ts_ns = 150, .base = 4, .payload = "xy", .fd = 4,
	};
	const struct ipcd_event *e = f->sink.events;

	feed(f->join, &write_after_base);
	feed_read(f->join, 20, "reader", 0, 6, 1000);

	assert_int_equal(f->sink.count, 2);
	assert_transfer(&e[0], -1, NULL, 20, "reader", 4, NULL);
	assert_int_equal(e[0].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_transfer(&e[1], 10, "writer", 20, "reader", 2, "xy");
	assert_int_equal(e[1].flags, IPCD_EF_HAS_LATENCY);
	assert_int_equal(stream_join_pending(f->join), 0);
}

static void test_read_without_write_waits_until_expired(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = &f->sink.events[0];

	feed_read(f->join, 20, "reader", 0, 5, 1000);
	stream_join_expire(f->join, 1499, 500);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->join), 1);

	stream_join_expire(f->join, 1500, 500);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(e, -1, NULL, 20, "reader", 5, NULL);
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(e->ts_ns, 1000);
	assert_int_equal(stream_join_pending(f->join), 0);

	/* settled once: expiring again reports nothing more */
	stream_join_expire(f->join, 5000, 500);
	assert_int_equal(f->sink.count, 1);
}

/* An expired read reports the writers it has, and unknown writers for the gaps. */
static void test_expired_read_reports_gaps_between_writes(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e = f->sink.events;

	feed_write(f->join, 10, "first", 0, "ab", 100);
	feed_write(f->join, 11, "third", 4, "ef", 200);
	feed_read(f->join, 20, "reader", 0, 8, 1000);
	assert_int_equal(f->sink.count, 0);

	stream_join_expire(f->join, 2000, 1000);
	assert_int_equal(f->sink.count, 4);
	assert_transfer(&e[0], 10, "first", 20, "reader", 2, "ab");
	assert_transfer(&e[1], -1, NULL, 20, "reader", 2, NULL);
	assert_int_equal(e[1].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_transfer(&e[2], 11, "third", 20, "reader", 2, "ef");
	assert_transfer(&e[3], -1, NULL, 20, "reader", 2, NULL);
	assert_int_equal(e[3].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/* ---- writes nobody was seen reading ----------------------------------- */

static void test_flush_reports_unread_write(void **state)
{
	struct fixture *f = *state;
	struct read_counter pipe_gone = { .known = false };
	const struct ipcd_event *e = &f->sink.events[0];

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	stream_join_flush(f->join, report_read_offset, &pipe_gone);

	assert_int_equal(pipe_gone.calls, 1);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(e, 10, "writer", -1, NULL, 5, "hello");
	assert_int_equal(e->flags, IPCD_EF_UNREAD);
	assert_int_equal(e->ts_ns, 150);
	assert_int_equal(e->dst_fd, -1);
	assert_int_equal(e->dst_call, 0);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/* The kernel's counter passed the write: a reader filtered out took it. */
static void test_flush_drops_write_read_by_unseen_reader(void **state)
{
	struct fixture *f = *state;
	struct read_counter read_all = { .known = true, .r_off = 7 };

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	stream_join_flush(f->join, report_read_offset, &read_all);
	assert_int_equal(read_all.calls, 1);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/* Only the part of a write no traced read consumed is reported unread. */
static void test_flush_reports_rest_of_partly_read_write(void **state)
{
	struct fixture *f = *state;
	struct read_counter pipe_gone = { .known = false };
	const struct ipcd_event *e = f->sink.events;

	feed_write(f->join, 10, "writer", 0, "0123456789", 100);
	feed_read(f->join, 20, "reader", 0, 4, 500);
	stream_join_flush(f->join, report_read_offset, &pipe_gone);

	assert_int_equal(f->sink.count, 2);
	assert_transfer(&e[0], 10, "writer", 20, "reader", 4, "0123");
	assert_transfer(&e[1], 10, "writer", -1, NULL, 6, "456789");
	assert_int_equal(e[1].flags, IPCD_EF_UNREAD);
}

/* At the end every read is settled, whether or not its writes came. */
static void test_flush_settles_waiting_reads(void **state)
{
	struct fixture *f = *state;
	struct read_counter never_asked = { .known = false };

	feed_read(f->join, 20, "reader", 0, 5, 1000);
	stream_join_flush(f->join, report_read_offset, &never_asked);

	/* no write pending: the kernel's counter was not needed */
	assert_int_equal(never_asked.calls, 0);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], -1, NULL, 20, "reader", 5, NULL);
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/*
 * Collecting forgets writes the kernel said were read, and reports nothing;
 * only one collect later, since the reads it counted may still be on their way.
 */
/* A read still on its way when the counter was read finds its write kept. */
static void test_collect_keeps_writes_whose_reads_are_on_their_way(void **state)
{
	struct fixture *f = *state;
	struct read_counter counter = { .known = true, .r_off = 5 };

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	stream_join_collect(f->join, report_read_offset, &counter);
	feed_read(f->join, 20, "reader", 0, 5, 300);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], 10, "writer", 20, "reader", 5, "hello");
}

static void test_collect_drops_only_writes_read_unseen(void **state)
{
	struct fixture *f = *state;
	struct read_counter counter = { .known = true, .r_off = 5 };
	struct read_counter pipe_gone = { .known = false };

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	feed_write(f->join, 11, "later", 5, "world", 200);
	stream_join_collect(f->join, report_read_offset, &counter);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->join), 2);
	stream_join_collect(f->join, report_read_offset, &counter);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->join), 1);

	stream_join_flush(f->join, report_read_offset, &pipe_gone);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], 11, "later", -1, NULL, 5, "world");
}

/* The kernel has forgotten every pipe. */
static bool no_read_offset(void *ctx, const struct ipcd_pipe_key *key, uint64_t *r_off)
{
	(void)ctx;
	(void)key;
	(void)r_off;
	return false;
}

/* A 1000-byte write of one letter by pid into pipe ino at offset, at ts_ns. */
static void feed_kilobyte(struct stream_join *j, uint64_t ino, uint32_t pid, uint64_t offset,
			  char letter, uint64_t ts_ns)
{
	char data[1000];
	struct io w = {
		.dir = IPCD_PIPE_WRITE, .pid = pid, .comm = "writer", .offset = offset,
		.bytes = sizeof(data), .start_ns = ts_ns - 50, .ts_ns = ts_ns,
		.payload = data, .payload_len = sizeof(data), .fd = 4, .ino = ino,
	};

	memset(data, letter, sizeof(data));
	feed(j, &w);
}

/*
 * Past the memory cap, the writes of the pipe quiet for longest are
 * reported unread, down to half the cap; the busier pipe keeps its own.
 */
static void test_cap_reports_the_quietest_pipe_unread(void **state)
{
	struct fixture *f = *state;

	stream_join_set_pending_cap(f->join, 3000);
	for (int i = 0; i < 3; i++)
		feed_kilobyte(f->join, 100, 10, 1000 * i, 'o', 100 + i);
	feed_kilobyte(f->join, 200, 11, 0, 'n', 900);
	stream_join_collect(f->join, no_read_offset, NULL);
	assert_int_equal(f->sink.count, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(f->sink.events[i].src.pid, 10);
		assert_int_equal(f->sink.events[i].ino, 100);
		assert_int_equal(f->sink.events[i].flags, IPCD_EF_UNREAD);
		assert_int_equal(f->sink.events[i].bytes, 1000);
	}
	assert_int_equal(stream_join_evicted(f->join), 3);
	assert_int_equal(stream_join_pending(f->join), 1);
}

/* Under the cap nothing moves. */
static void test_cap_not_reached_keeps_everything(void **state)
{
	struct fixture *f = *state;
	struct read_counter unknown = { .known = false };

	feed_write(f->join, 10, "old", 0, "stale", 100);
	stream_join_collect(f->join, report_read_offset, &unknown);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_evicted(f->join), 0);
	assert_int_equal(stream_join_pending(f->join), 1);
}

/* Bytes gone from the pipe with no traced read: the reader is unknown, not "unread". */
static void test_resync_reports_pending_write_reader_unknown(void **state)
{
	struct fixture *f = *state;

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	feed_resync(f->join, 0, 5);

	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], 10, "writer", -1, NULL, 5, "hello");
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_READER_UNKNOWN);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/* Below the resync's start the kernel saw the bytes read: nothing to report there. */
static void test_resync_reports_only_from_its_start(void **state)
{
	struct fixture *f = *state;

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	feed_write(f->join, 11, "later", 5, "abc", 110);
	feed_resync(f->join, 5, 8);

	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], 11, "later", -1, NULL, 3, "abc");
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_READER_UNKNOWN);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/*
 * Reads of bytes no traced write produced are settled by the resync that
 * covers them (the kernel sends [w_off, r_off) when reads ran ahead), and
 * not by one that ends before them.
 */
static void test_resync_settles_waiting_read(void **state)
{
	struct fixture *f = *state;

	feed_read(f->join, 20, "reader", 5, 5, 1000);
	feed_resync(f->join, 0, 5);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(stream_join_pending(f->join), 1);

	feed_resync(f->join, 5, 10);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], -1, NULL, 20, "reader", 5, NULL);
	assert_int_equal(f->sink.events[0].flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(stream_join_pending(f->join), 0);
}

/* Writes at or past the resync's end stay, to be joined with later reads. */
static void test_resync_keeps_later_writes(void **state)
{
	struct fixture *f = *state;

	feed_write(f->join, 10, "writer", 0, "hello", 100);
	feed_write(f->join, 11, "later", 5, "world", 200);
	feed_resync(f->join, 0, 5);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(stream_join_pending(f->join), 1);

	feed_read(f->join, 20, "reader", 5, 5, 1000);
	assert_int_equal(f->sink.count, 2);
	assert_transfer(&f->sink.events[1], 11, "later", 20, "reader", 5, "world");
}

/* ---- FIFO paths --------------------------------------------------------- */

static void feed_fifo_path(struct stream_join *j, const char *const *names, uint16_t depth)
{
	struct ipcd_fifo_path *rec = calloc(1, sizeof(*rec));

	assert_non_null(rec);
	rec->hdr.kind = IPCD_REC_FIFO_PATH;
	rec->hdr.size = sizeof(*rec);
	rec->ino = PIPE_INO;
	rec->dev = PIPE_DEV;
	rec->path.depth = depth;
	for (uint16_t i = 0; i < depth; i++)
		strncpy(rec->path.names[i], names[i], IPCD_NAME_LEN);
	stream_join_fifo_path(j, rec);
	free(rec);
}

static void test_fifo_events_carry_the_path(void **state)
{
	static const char *const leaf_first[] = { "fifo", "tmp" };
	struct fixture *f = *state;
	struct io fifo_write = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 0, .bytes = 5,
		.start_ns = 100, .ts_ns = 150, .flags = IPCD_F_FIFO, .payload = "hello", .fd = 4,
	};

	feed_fifo_path(f->join, leaf_first, 2);
	feed(f->join, &fifo_write);
	feed_read(f->join, 20, "reader", 0, 5, 1100);

	assert_int_equal(f->sink.count, 1);
	assert_string_equal(f->sink.events[0].path, "/tmp/fifo");
	assert_int_equal(f->sink.events[0].flags, IPCD_F_FIFO | IPCD_EF_HAS_LATENCY);
}

/* A FIFO in the root directory, and one whose path record came with no names. */
static void test_fifo_path_edge_depths(void **state)
{
	static const char *const at_root[] = { "fifo" };
	struct fixture *f = *state;

	feed_fifo_path(f->join, at_root, 1);
	feed_write(f->join, 10, "writer", 0, "a", 100);
	feed_read(f->join, 20, "reader", 0, 1, 1100);
	assert_int_equal(f->sink.count, 1);
	assert_string_equal(f->sink.events[0].path, "/fifo");

	feed_fifo_path(f->join, NULL, 0);
	feed_write(f->join, 10, "writer", 1, "b", 200);
	feed_read(f->join, 20, "reader", 1, 1, 1200);
	assert_int_equal(f->sink.count, 2);
	assert_string_equal(f->sink.events[1].path, "/");
}

/* The longest path the kernel can send: 16 names of 63 characters, all kept. */
static void test_fifo_path_of_greatest_depth(void **state)
{
	struct fixture *f = *state;
	char names[IPCD_PATH_DEPTH][IPCD_NAME_LEN];
	const char *name_ptrs[IPCD_PATH_DEPTH];
	const char *path;

	for (int i = 0; i < IPCD_PATH_DEPTH; i++) {
		/* names[0] is the leaf: letter 'a' + depth, so the order shows */
		memset(names[i], 'a' + i, IPCD_NAME_LEN - 1);
		names[i][IPCD_NAME_LEN - 1] = '\0';
		name_ptrs[i] = names[i];
	}
	feed_fifo_path(f->join, name_ptrs, IPCD_PATH_DEPTH);
	feed_write(f->join, 10, "writer", 0, "a", 100);
	feed_read(f->join, 20, "reader", 0, 1, 1100);

	assert_int_equal(f->sink.count, 1);
	path = f->sink.events[0].path;
	assert_int_equal(strlen(path), IPCD_PATH_DEPTH * IPCD_NAME_LEN);
	for (int i = 0; i < IPCD_PATH_DEPTH; i++) {
		const char *component = path + i * IPCD_NAME_LEN;

		assert_int_equal(component[0], '/');
		assert_memory_equal(component + 1, names[IPCD_PATH_DEPTH - 1 - i], IPCD_NAME_LEN - 1);
	}
}

/* ---- flags -------------------------------------------------------------- */

/*
 * A write of 10 bytes of which 4 were captured: a read within the captured
 * part has its whole payload, so it is not truncated; the others are.
 */
static void test_truncated_only_when_the_slice_is_short(void **state)
{
	struct fixture *f = *state;
	struct io short_capture = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 0, .bytes = 10,
		.start_ns = 100, .ts_ns = 150, .flags = IPCD_F_PAYLOAD_TRUNCATED,
		.payload = "0123", .fd = 4,
	};
	const struct ipcd_event *e = f->sink.events;

	feed(f->join, &short_capture);
	feed_read(f->join, 20, "reader", 0, 3, 500);
	feed_read(f->join, 20, "reader", 3, 2, 600);
	feed_read(f->join, 20, "reader", 5, 5, 700);

	assert_int_equal(f->sink.count, 3);
	assert_transfer(&e[0], 10, "writer", 20, "reader", 3, "012");
	assert_int_equal(e[0].flags, IPCD_EF_HAS_LATENCY);
	assert_transfer(&e[1], 10, "writer", 20, "reader", 2, "3");
	assert_int_equal(e[1].flags, IPCD_EF_HAS_LATENCY | IPCD_F_PAYLOAD_TRUNCATED);
	assert_transfer(&e[2], 10, "writer", 20, "reader", 5, NULL);
	assert_int_equal(e[2].flags, IPCD_EF_HAS_LATENCY | IPCD_F_PAYLOAD_TRUNCATED);
}

static void test_order_uncertain_from_either_side(void **state)
{
	struct fixture *f = *state;
	struct io uncertain_write = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 0, .bytes = 2,
		.start_ns = 100, .ts_ns = 150, .flags = IPCD_F_ORDER_UNCERTAIN, .payload = "ab", .fd = 4,
	};
	struct io uncertain_read = {
		.dir = IPCD_PIPE_READ, .pid = 20, .comm = "reader", .offset = 2, .bytes = 2,
		.start_ns = 600, .ts_ns = 700, .flags = IPCD_F_ORDER_UNCERTAIN, .fd = 3,
	};
	const struct ipcd_event *e = f->sink.events;

	feed(f->join, &uncertain_write);
	feed_read(f->join, 20, "reader", 0, 2, 500);
	feed_write(f->join, 11, "writer", 2, "cd", 200);
	feed(f->join, &uncertain_read);
	feed_write(f->join, 12, "writer", 4, "ef", 300);
	feed_read(f->join, 20, "reader", 4, 2, 800);

	assert_int_equal(f->sink.count, 3);
	assert_int_equal(e[0].flags, IPCD_F_ORDER_UNCERTAIN | IPCD_EF_HAS_LATENCY);
	assert_int_equal(e[1].flags, IPCD_F_ORDER_UNCERTAIN | IPCD_EF_HAS_LATENCY);
	assert_int_equal(e[2].flags, IPCD_EF_HAS_LATENCY);
}

/*
 * Flags describing either call pass to the event; the reader's own
 * truncation and error flags do not, since the event's payload is the writer's.
 */
static void test_carried_and_dropped_record_flags(void **state)
{
	struct fixture *f = *state;
	struct io spliced_write = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 0, .bytes = 3,
		.start_ns = 100, .ts_ns = 150, .flags = IPCD_F_PAYLOAD_UNAVAILABLE | IPCD_F_BLOCKED,
		.fd = 4,
	};
	struct io odd_read = {
		.dir = IPCD_PIPE_READ, .pid = 20, .comm = "reader", .offset = 0, .bytes = 3,
		.start_ns = 0, .ts_ns = 700,
		.flags = IPCD_F_STARTED_BEFORE | IPCD_F_PAYLOAD_TRUNCATED | IPCD_F_ERROR, .fd = 3,
	};

	feed(f->join, &spliced_write);
	feed(f->join, &odd_read);
	assert_int_equal(f->sink.count, 1);
	assert_transfer(&f->sink.events[0], 10, "writer", 20, "reader", 3, NULL);
	assert_int_equal(f->sink.events[0].flags, IPCD_F_PAYLOAD_UNAVAILABLE | IPCD_F_BLOCKED |
							   IPCD_F_STARTED_BEFORE | IPCD_EF_HAS_LATENCY);
}

/*
 * -B keeps the first bytes of each write; a read of a later piece of it
 * brings its own first bytes, and those are the event's payload.
 */
static void test_read_of_a_later_piece_has_its_own_payload(void **state)
{
	struct fixture *f = *state;
	struct io long_write = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 0, .bytes = 10,
		.start_ns = 100, .ts_ns = 150, .flags = IPCD_F_PAYLOAD_TRUNCATED, .payload = "0123", .fd = 4,
	};
	struct io later_piece = {
		.dir = IPCD_PIPE_READ, .pid = 20, .comm = "reader", .offset = 6, .bytes = 4,
		.start_ns = 600, .ts_ns = 700, .payload = "6789", .fd = 3,
	};
	struct io clipped_piece = {
		.dir = IPCD_PIPE_READ, .pid = 20, .comm = "reader", .offset = 3, .bytes = 3,
		.start_ns = 400, .ts_ns = 500, .flags = IPCD_F_PAYLOAD_TRUNCATED, .payload = "34", .fd = 3,
	};
	const struct ipcd_event *e = f->sink.events;

	feed(f->join, &long_write);
	feed(f->join, &clipped_piece);
	feed(f->join, &later_piece);

	assert_int_equal(f->sink.count, 2);
	assert_transfer(&e[0], 10, "writer", 20, "reader", 3, "34");
	assert_int_equal(e[0].flags, IPCD_EF_HAS_LATENCY | IPCD_F_PAYLOAD_TRUNCATED);
	assert_transfer(&e[1], 10, "writer", 20, "reader", 4, "6789");
	assert_int_equal(e[1].flags, IPCD_EF_HAS_LATENCY);
}

/* A read that waits for its write keeps its bytes: the record it came in is gone by then. */
static void test_waiting_read_keeps_its_payload(void **state)
{
	struct fixture *f = *state;
	struct io early_read = {
		.dir = IPCD_PIPE_READ, .pid = 20, .comm = "reader", .offset = 4, .bytes = 4,
		.start_ns = 600, .ts_ns = 700, .payload = "4567", .fd = 3,
	};
	struct io long_write = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 0, .bytes = 8,
		.start_ns = 100, .ts_ns = 800, .flags = IPCD_F_PAYLOAD_TRUNCATED, .payload = "01", .fd = 4,
	};

	feed_read(f->join, 20, "reader", 0, 4, 650);
	feed(f->join, &early_read);
	assert_int_equal(f->sink.count, 0);
	feed(f->join, &long_write);

	assert_int_equal(f->sink.count, 2);
	assert_transfer(&f->sink.events[0], 10, "writer", 20, "reader", 4, "01");
	assert_transfer(&f->sink.events[1], 10, "writer", 20, "reader", 4, "4567");
}

/*
 * A read across two writes: each event takes the copy that holds more of
 * its bytes, the read's for the first write, the second write's own where
 * the read's copy ends early.  Bytes no traced write produced take the read's.
 */
static void test_each_segment_takes_the_longer_copy(void **state)
{
	struct fixture *f = *state;
	struct io first = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 2, .bytes = 4,
		.start_ns = 100, .ts_ns = 150, .flags = IPCD_F_PAYLOAD_TRUNCATED, .payload = "2", .fd = 4,
		.base = 2,
	};
	struct io across = {
		.dir = IPCD_PIPE_READ, .pid = 20, .comm = "reader", .offset = 0, .bytes = 9,
		.start_ns = 600, .ts_ns = 700, .flags = IPCD_F_PAYLOAD_TRUNCATED, .payload = "012345ab",
		.fd = 3, .base = 2,
	};
	const struct ipcd_event *e = f->sink.events;

	feed(f->join, &first);
	feed_write(f->join, 11, "writer", 6, "abc", 200);
	feed(f->join, &across);

	assert_int_equal(f->sink.count, 3);
	assert_transfer(&e[0], -1, "", 20, "reader", 2, "01");
	assert_transfer(&e[1], 10, "writer", 20, "reader", 4, "2345");
	assert_int_equal(e[1].flags & IPCD_F_PAYLOAD_TRUNCATED, 0);
	assert_transfer(&e[2], 11, "writer", 20, "reader", 3, "abc");
	assert_int_equal(e[2].flags & IPCD_F_PAYLOAD_TRUNCATED, 0);
}

/* ---- latency ------------------------------------------------------------ */

/* A write begun before tracing has no entry time: latency counts from its return. */
static void test_latency_from_write_return_when_entry_unknown(void **state)
{
	struct fixture *f = *state;
	struct io old_write = {
		.dir = IPCD_PIPE_WRITE, .pid = 10, .comm = "writer", .offset = 0, .bytes = 2,
		.start_ns = 0, .ts_ns = 400, .flags = IPCD_F_STARTED_BEFORE, .payload = "ab", .fd = 4,
	};

	feed(f->join, &old_write);
	feed_read(f->join, 20, "reader", 0, 2, 1000);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].latency_ns, 600);
	assert_int_equal(f->sink.events[0].flags, IPCD_F_STARTED_BEFORE | IPCD_EF_HAS_LATENCY);
}

/* Clocks of different CPUs may disagree: no negative latency is made up. */
static void test_no_latency_when_read_returns_before_write_began(void **state)
{
	struct fixture *f = *state;

	feed_write(f->join, 10, "writer", 0, "ab", 2000);
	feed_read(f->join, 20, "reader", 0, 2, 1500);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].latency_ns, 0);
	assert_int_equal(f->sink.events[0].flags, 0);
}

#define JOIN_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		JOIN_TEST(test_write_then_read),
		JOIN_TEST(test_read_waits_for_its_write),
		JOIN_TEST(test_one_read_of_three_writers),
		JOIN_TEST(test_writes_out_of_order_join_in_byte_order),
		JOIN_TEST(test_one_write_read_twice),
		JOIN_TEST(test_pipes_are_joined_separately),
		JOIN_TEST(test_zero_byte_records_are_ignored),
		JOIN_TEST(test_read_below_base_has_unknown_writer),
		JOIN_TEST(test_read_across_base_splits),
		JOIN_TEST(test_read_without_write_waits_until_expired),
		JOIN_TEST(test_expired_read_reports_gaps_between_writes),
		JOIN_TEST(test_flush_reports_unread_write),
		JOIN_TEST(test_flush_drops_write_read_by_unseen_reader),
		JOIN_TEST(test_flush_reports_rest_of_partly_read_write),
		JOIN_TEST(test_flush_settles_waiting_reads),
		JOIN_TEST(test_collect_drops_only_writes_read_unseen),
		JOIN_TEST(test_cap_reports_the_quietest_pipe_unread),
		JOIN_TEST(test_cap_not_reached_keeps_everything),
		JOIN_TEST(test_collect_keeps_writes_whose_reads_are_on_their_way),
		JOIN_TEST(test_resync_reports_pending_write_reader_unknown),
		JOIN_TEST(test_resync_reports_only_from_its_start),
		JOIN_TEST(test_resync_settles_waiting_read),
		JOIN_TEST(test_resync_keeps_later_writes),
		JOIN_TEST(test_fifo_events_carry_the_path),
		JOIN_TEST(test_fifo_path_edge_depths),
		JOIN_TEST(test_fifo_path_of_greatest_depth),
		JOIN_TEST(test_truncated_only_when_the_slice_is_short),
		JOIN_TEST(test_order_uncertain_from_either_side),
		JOIN_TEST(test_carried_and_dropped_record_flags),
		JOIN_TEST(test_read_of_a_later_piece_has_its_own_payload),
		JOIN_TEST(test_waiting_read_keeps_its_payload),
		JOIN_TEST(test_each_segment_takes_the_longer_copy),
		JOIN_TEST(test_latency_from_write_return_when_entry_unknown),
		JOIN_TEST(test_no_latency_when_read_returns_before_write_began),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
