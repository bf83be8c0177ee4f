// SPDX-License-Identifier: GPL-2.0
/*
 * The pseudo-terminal join, fed with records as the pty collector sends
 * them: a write into one side is reported when the other side is next
 * read, with that reader as its destination; failing a read, with the
 * side's last user, or nobody.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "join_sink.h"
#include "families/pty_events.h"

#define MAX_AGE 1000000000ull   /* as the front end's READ_WAIT_NS */

/* The program on the slave side and the terminal emulator on the master side. */
#define SHELL_PID 30
#define SHELL "bash"
#define TERM_PID 40
#define TERM "xterm"
#define PTS 5
#define SESSION 30
#define FG_PGRP 31

struct fixture {
	struct sink sink;
	struct pty_events *ptys;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ptys = pty_events_new(sink_collect, &f->sink);
	if (!f->ptys) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	pty_events_free(f->ptys);
	sink_free(&f->sink);
	free(f);
	return 0;
}

/* A record of pid on side of /dev/pts/index; payload NULL: a read. */
static struct ipcd_pty_io *pty_rec(uint32_t index, uint8_t side, uint32_t pid, const char *comm,
				   const char *payload, uint64_t bytes, uint64_t ts)
{
	size_t len = payload ? strlen(payload) : 0;
	struct ipcd_pty_io *r = record_new(IPCD_REC_PTY_IO, sizeof(*r), payload, len, ts);

	task_set(&r->task, pid, comm);
	r->index = index;
	r->side = side;
	r->dir = payload ? IPCD_PIPE_WRITE : IPCD_PIPE_READ;
	r->call = payload ? IPCD_CALL_WRITE : IPCD_CALL_READ;
	r->session = SESSION;
	r->fg_pgrp = FG_PGRP;
	r->fd = side == IPCD_PTY_SLAVE ? 1 : 9;
	r->payload_len = (uint16_t)len;
	r->bytes = bytes;
	return r;
}

static void feed(struct fixture *f, struct ipcd_pty_io *r)
{
	pty_events_io(f->ptys, r, r->hdr.size);
	free(r);
}

static void write_on(struct fixture *f, uint32_t index, uint8_t side, uint32_t pid, const char *comm,
		     const char *payload, uint64_t ts)
{
	feed(f, pty_rec(index, side, pid, comm, payload, strlen(payload), ts));
}

static void read_on(struct fixture *f, uint32_t index, uint8_t side, uint32_t pid, const char *comm,
		    uint64_t bytes, uint64_t ts)
{
	feed(f, pty_rec(index, side, pid, comm, NULL, bytes, ts));
}

/* ---- pairing ------------------------------------------------------------ */

static void test_program_output_read_by_terminal(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	write_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "$ ", 100);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(pty_events_pending(f->ptys), 1);
	read_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, 4096, 350);

	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_int_equal(e->type, IPCD_TYPE_PTY);
	assert_int_equal(e->ts_ns, 100);
	assert_endpoint(&e->src, SHELL_PID, SHELL);
	assert_endpoint(&e->dst, TERM_PID, TERM);
	assert_int_equal(e->bytes, 2);
	assert_payload(e, "$ ");
	assert_int_equal(e->src_fd, 1);
	assert_int_equal(e->dst_fd, -1);
	assert_int_equal(e->src_call, IPCD_CALL_WRITE);
	assert_int_equal(e->dst_call, IPCD_CALL_READ);
	assert_int_equal(e->latency_ns, 250);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
	assert_int_equal(e->pty_index, PTS);
	assert_int_equal(e->chan_key, PTS);
	assert_int_equal(e->pty_writer_side, IPCD_PTY_SLAVE);
	assert_int_equal(e->pty_session, SESSION);
	assert_int_equal(e->pty_fg_pgrp, FG_PGRP);
	assert_int_equal(pty_events_pending(f->ptys), 0);
	assert_int_equal(pty_events_dropped(f->ptys), 0);
}

static void test_keyboard_input_read_by_program(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	write_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, "ls\r", 100);
	read_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, 1, 180);

	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_endpoint(&e->src, TERM_PID, TERM);
	assert_endpoint(&e->dst, SHELL_PID, SHELL);
	assert_int_equal(e->pty_writer_side, IPCD_PTY_MASTER);
	assert_int_equal(e->src_fd, 9);
	assert_int_equal(e->bytes, 3);
	assert_payload(e, "ls\r");
	assert_int_equal(e->latency_ns, 80);
}

/* A read of the side written to is another writer's reader: it takes nothing. */
static void test_read_of_the_written_side_takes_nothing(void **state)
{
	struct fixture *f = *state;

	write_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "out", 100);
	read_on(f, PTS, IPCD_PTY_SLAVE, 31, "cat", 10, 200);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(pty_events_pending(f->ptys), 1);
}

/* One read takes every write waiting: each is its own event, oldest first. */
static void test_one_read_takes_two_writes(void **state)
{
	struct fixture *f = *state;

	write_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "one", 100);
	write_on(f, PTS, IPCD_PTY_SLAVE, 32, "ls", "two!", 200);
	read_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, 7, 500);

	assert_int_equal(f->sink.count, 2);
	assert_endpoint(&f->sink.events[0].src, SHELL_PID, SHELL);
	assert_payload(&f->sink.events[0], "one");
	assert_int_equal(f->sink.events[0].latency_ns, 400);
	assert_endpoint(&f->sink.events[1].src, 32, "ls");
	assert_payload(&f->sink.events[1], "two!");
	assert_int_equal(f->sink.events[1].bytes, 4);
	assert_int_equal(f->sink.events[1].latency_ns, 300);
	assert_endpoint(&f->sink.events[1].dst, TERM_PID, TERM);
}

/* Terminals do not number bytes: the first read takes the write whole, the second nothing. */
static void test_two_reads_of_one_write(void **state)
{
	struct fixture *f = *state;

	write_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "abcdef", 100);
	read_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, 3, 200);
	read_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, 3, 300);

	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].bytes, 6);
	assert_payload(&f->sink.events[0], "abcdef");
	assert_int_equal(f->sink.events[0].latency_ns, 100);
}

/* ---- writes nobody read ------------------------------------------------ */

/* The read's record came first: the write waits, then names that reader as the side's last user. */
static void test_read_before_write_names_last_user_at_expiry(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	read_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, 2, 90);
	assert_int_equal(f->sink.count, 0);
	write_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "hi", 100);
	assert_int_equal(f->sink.count, 0);

	pty_events_expire(f->ptys, 100 + MAX_AGE - 1, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	pty_events_expire(f->ptys, 100 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_endpoint(&e->src, SHELL_PID, SHELL);
	assert_endpoint(&e->dst, TERM_PID, TERM);
	assert_int_equal(e->dst_call, 0);
	assert_int_equal(e->latency_ns, 0);
	assert_int_equal(e->flags, 0);
	assert_payload(e, "hi");
	assert_int_equal(pty_events_pending(f->ptys), 0);
}

static void test_write_never_read_has_no_reader_at_flush(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	write_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "bye", 100);
	pty_events_flush(f->ptys);

	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_endpoint(&e->src, SHELL_PID, SHELL);
	assert_endpoint_unknown(&e->dst);
	assert_int_equal(e->dst_call, 0);
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->bytes, 3);
	assert_int_equal(pty_events_pending(f->ptys), 0);
	/* reported once */
	pty_events_flush(f->ptys);
	assert_int_equal(f->sink.count, 1);
}

/* A read with nothing written is no event, now or at the end. */
static void test_read_alone_is_no_event(void **state)
{
	struct fixture *f = *state;

	read_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, 2, 100);
	pty_events_expire(f->ptys, 100 + 2 * MAX_AGE, MAX_AGE);
	pty_events_flush(f->ptys);
	assert_int_equal(f->sink.count, 0);
}

/* The oldest write decides: a younger one goes with it. */
static void test_expire_settles_the_side_by_its_oldest_write(void **state)
{
	struct fixture *f = *state;

	write_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "old", 100);
	write_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "new", 100 + MAX_AGE / 2);
	pty_events_expire(f->ptys, 100 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 2);
	assert_payload(&f->sink.events[0], "old");
	assert_payload(&f->sink.events[1], "new");
}

/* ---- several terminals ---------------------------------------------------- */

static void test_interleaved_terminals_pair_separately(void **state)
{
	struct fixture *f = *state;

	write_on(f, 1, IPCD_PTY_SLAVE, 51, "vim", "one", 100);
	write_on(f, 2, IPCD_PTY_SLAVE, 52, "top", "two", 110);
	read_on(f, 2, IPCD_PTY_MASTER, 62, "tmux", 3, 120);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].pty_index, 2);
	assert_endpoint(&f->sink.events[0].src, 52, "top");
	assert_endpoint(&f->sink.events[0].dst, 62, "tmux");

	read_on(f, 1, IPCD_PTY_MASTER, 61, "sshd", 3, 130);
	assert_int_equal(f->sink.count, 2);
	assert_int_equal(f->sink.events[1].pty_index, 1);
	assert_int_equal(f->sink.events[1].chan_key, 1);
	assert_endpoint(&f->sink.events[1].src, 51, "vim");
	assert_endpoint(&f->sink.events[1].dst, 61, "sshd");
	assert_int_equal(pty_events_pending(f->ptys), 0);
}

/* ---- records as they may arrive damaged -------------------------------- */

static void test_record_flags_are_carried(void **state)
{
	struct fixture *f = *state;
	struct ipcd_pty_io *r = pty_rec(PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "abcd", 100000, 100);

	r->hdr.flags = IPCD_F_PAYLOAD_TRUNCATED;
	feed(f, r);
	read_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, 100000, 200);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].bytes, 100000);
	assert_payload(&f->sink.events[0], "abcd");
	assert_int_equal(f->sink.events[0].flags, IPCD_F_PAYLOAD_TRUNCATED | IPCD_EF_HAS_LATENCY);
}

static void test_short_and_damaged_records_are_ignored(void **state)
{
	struct fixture *f = *state;
	struct ipcd_pty_io *r;

	/* shorter than the fixed part */
	r = pty_rec(PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "abc", 3, 100);
	pty_events_io(f->ptys, r, sizeof(*r) - 1);
	/* a payload longer than the record: one byte of it missing */
	pty_events_io(f->ptys, r, sizeof(*r) + 2);
	free(r);
	/* no such side */
	r = pty_rec(PTS, 0, SHELL_PID, SHELL, "abc", 3, 100);
	pty_events_io(f->ptys, r, r->hdr.size);
	r->side = 3;
	pty_events_io(f->ptys, r, r->hdr.size);
	free(r);
	assert_int_equal(pty_events_pending(f->ptys), 0);

	read_on(f, PTS, IPCD_PTY_MASTER, TERM_PID, TERM, 3, 200);
	read_on(f, PTS, IPCD_PTY_SLAVE, SHELL_PID, SHELL, 3, 200);
	pty_events_flush(f->ptys);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(pty_events_dropped(f->ptys), 0);
}

/* ---- memory bounds ------------------------------------------------------- */

#define PTYS_MAX 4096   /* as pty_events.c */

/* Past PTYS_MAX terminals, the half seen longest ago is settled and forgotten. */
static void test_too_many_terminals_settle_the_oldest_half(void **state)
{
	struct fixture *f = *state;

	for (uint32_t i = 0; i < PTYS_MAX; i++)
		write_on(f, i, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "x", 100 + i);
	assert_int_equal(f->sink.count, 0);
	assert_int_equal(pty_events_pending(f->ptys), PTYS_MAX);

	write_on(f, PTYS_MAX, IPCD_PTY_SLAVE, SHELL_PID, SHELL, "y", 100 + PTYS_MAX);
	assert_int_equal(f->sink.count, PTYS_MAX / 2);
	assert_int_equal(pty_events_pending(f->ptys), PTYS_MAX / 2 + 1);
	for (size_t i = 0; i < f->sink.count; i++) {
		assert_true(f->sink.events[i].pty_index < PTYS_MAX / 2);
		assert_endpoint_unknown(&f->sink.events[i].dst);
	}
	/* a terminal kept still pairs */
	read_on(f, PTYS_MAX - 1, IPCD_PTY_MASTER, TERM_PID, TERM, 1, 100000);
	assert_int_equal(f->sink.count, PTYS_MAX / 2 + 1);
	assert_int_equal(f->sink.events[PTYS_MAX / 2].pty_index, PTYS_MAX - 1);
	assert_endpoint(&f->sink.events[PTYS_MAX / 2].dst, TERM_PID, TERM);
}

#define JOIN_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		JOIN_TEST(test_program_output_read_by_terminal),
		JOIN_TEST(test_keyboard_input_read_by_program),
		JOIN_TEST(test_read_of_the_written_side_takes_nothing),
		JOIN_TEST(test_one_read_takes_two_writes),
		JOIN_TEST(test_two_reads_of_one_write),
		JOIN_TEST(test_read_before_write_names_last_user_at_expiry),
		JOIN_TEST(test_write_never_read_has_no_reader_at_flush),
		JOIN_TEST(test_read_alone_is_no_event),
		JOIN_TEST(test_expire_settles_the_side_by_its_oldest_write),
		JOIN_TEST(test_interleaved_terminals_pair_separately),
		JOIN_TEST(test_record_flags_are_carried),
		JOIN_TEST(test_short_and_damaged_records_are_ignored),
		JOIN_TEST(test_too_many_terminals_settle_the_oldest_half),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
