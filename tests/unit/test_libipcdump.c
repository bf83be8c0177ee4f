// SPDX-License-Identifier: GPL-2.0
/*
 * libipcdump's public API (include/ipcdump/ipcdump.h): a capture file read
 * through a filter into a callback.  The file is made with the capture
 * writer; everything after that goes through the public header only.
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

#include "ipcdump/ipcdump.h"
/* to make the capture only */
#include "engine/capture.h"
#include "records.h"

#define SENDER 100
#define TARGET 200
#define SIGUSR1_ 10
#define SIGUSR2_ 12

static char path[64];

static struct ipcd_task task(uint32_t pid, const char *comm)
{
	struct ipcd_task t;

	memset(&t, 0, sizeof(t));
	t.pid = t.tid = pid;
	t.ppid = 1;
	snprintf(t.comm, sizeof(t.comm), "%s", comm);
	return t;
}

static void add_proc(struct capture_writer *w, uint64_t ts, uint32_t pid, const char *comm)
{
	struct ipcd_proc rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_PROC;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = ts;
	rec.task = task(pid, comm);
	rec.event = IPCD_PROC_FORK;
	assert_true(capture_writer_add(w, &rec, sizeof(rec)));
}

static void add_signal(struct capture_writer *w, uint64_t ts, int sig)
{
	struct ipcd_signal rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_SIGNAL;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = ts;
	rec.src = task(SENDER, "sender");
	rec.dst = task(TARGET, "target");
	rec.sig = sig;
	rec.result = IPCD_SIG_DELIVERED;
	rec.target = TARGET;
	assert_true(capture_writer_add(w, &rec, sizeof(rec)));
}

/* Two processes, then SIGUSR1, SIGUSR2, SIGUSR1 from one to the other, a millisecond apart. */
static int make_capture(void **state)
{
	char err[256];
	struct capture_writer *w;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/ipcd-lib-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	w = capture_writer_open(path, 1000000000ll, false, err, sizeof(err));
	assert_non_null(w);
	add_proc(w, 1000, SENDER, "sender");
	add_proc(w, 1000, TARGET, "target");
	add_signal(w, 2000000, SIGUSR1_);
	add_signal(w, 3000000, SIGUSR2_);
	add_signal(w, 4000000, SIGUSR1_);
	assert_int_equal(capture_writer_close(w), 0);
	return 0;
}

static int remove_capture(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

struct seen {
	int count;
	uint64_t ts[8];
	char type[8][32];
	int64_t src_pid, dst_pid;
	char src_comm[32], dst_comm[32];
	int64_t wall_ns;
	const ipcdump_filter *check;  /* each event handed over matches it */
	ipcdump_run *stop_after_first;
};

static void on_event(void *ctx, const struct ipcdump_event *e)
{
	struct seen *s = ctx;

	assert_true(e->size >= sizeof(*e));
	if (s->check)
		assert_true(ipcdump_filter_match(s->check, e));
	if (s->count < 8) {
		s->ts[s->count] = e->ts_ns;
		snprintf(s->type[s->count], sizeof(s->type[0]), "%s", e->type);
	}
	s->count++;
	s->src_pid = e->src.pid;
	s->dst_pid = e->dst.pid;
	snprintf(s->src_comm, sizeof(s->src_comm), "%s", e->src.comm);
	snprintf(s->dst_comm, sizeof(s->dst_comm), "%s", e->dst.comm);
	s->wall_ns = e->wall_ns;
	if (s->stop_after_first)
		ipcdump_run_stop(s->stop_after_first);
}

static ipcdump_run *open_run(void)
{
	char err[256] = "";
	ipcdump_run *run = ipcdump_run_new(ipcdump_source_capture(path), err, sizeof(err));

	assert_non_null(run);
	return run;
}

static void test_every_event_reaches_a_callback_without_filter(void **state)
{
	char err[256] = "";
	struct seen s = { 0 };
	ipcdump_run *run = open_run();

	(void)state;
	assert_int_equal(ipcdump_run_add_callback(run, NULL, on_event, &s), 0);
	assert_int_equal(ipcdump_run_start(run, err, sizeof(err)), 0);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.ts[0], 2000000);
	assert_int_equal(s.ts[2], 4000000);
	assert_string_equal(s.type[0], "signal");
	assert_int_equal(s.src_pid, SENDER);
	assert_int_equal(s.dst_pid, TARGET);
	assert_string_equal(s.src_comm, "sender");
	assert_string_equal(s.dst_comm, "target");
	/* the capture's clock: its offset to wall time */
	assert_int_equal(s.wall_ns, 4000000 + 1000000000ll);
	/* a run runs once */
	assert_int_equal(ipcdump_run_start(run, err, sizeof(err)), -1);
	ipcdump_run_free(run);
}

static void test_each_callback_has_its_own_filter(void **state)
{
	char err[256] = "";
	struct seen usr1 = { 0 }, usr2 = { 0 }, all = { 0 };
	ipcdump_filter *f1 = ipcdump_filter_new("signal == SIGUSR1 and dst.comm == target", err, sizeof(err), NULL);
	ipcdump_filter *f2 = ipcdump_filter_new("signal == SIGUSR2", err, sizeof(err), NULL);
	ipcdump_filter *check1 = ipcdump_filter_new("signal == SIGUSR1", err, sizeof(err), NULL);
	ipcdump_run *run = open_run();

	(void)state;
	assert_non_null(f1);
	assert_non_null(f2);
	usr1.check = check1;
	assert_int_equal(ipcdump_run_add_callback(run, f1, on_event, &usr1), 0);
	assert_int_equal(ipcdump_run_add_callback(run, f2, on_event, &usr2), 0);
	assert_int_equal(ipcdump_run_add_callback(run, NULL, on_event, &all), 0);
	assert_int_equal(ipcdump_run_start(run, err, sizeof(err)), 0);
	assert_int_equal(usr1.count, 2);
	assert_int_equal(usr2.count, 1);
	assert_int_equal(usr2.ts[0], 3000000);
	assert_int_equal(all.count, 3);
	ipcdump_run_free(run);
	ipcdump_filter_free(check1);
}

static void test_a_callback_can_stop_the_run(void **state)
{
	char err[256] = "";
	struct seen s = { 0 };
	ipcdump_run *run = open_run();

	(void)state;
	s.stop_after_first = run;
	assert_int_equal(ipcdump_run_add_callback(run, NULL, on_event, &s), 0);
	assert_int_equal(ipcdump_run_start(run, err, sizeof(err)), 0);
	assert_int_equal(s.count, 1);
	ipcdump_run_free(run);
}

static void test_a_bad_filter_names_its_column(void **state)
{
	char err[256] = "";
	size_t column = 99;

	(void)state;
	assert_null(ipcdump_filter_new("pid == 5 and", err, sizeof(err), &column));
	assert_true(err[0] != '\0');
	assert_int_equal(column, 12);
	assert_null(ipcdump_filter_new("bogus == 1", err, sizeof(err), &column));
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(column, 0);
}

static void test_a_missing_file_is_an_error_with_its_reason(void **state)
{
	char err[256] = "";
	ipcdump_run *run = ipcdump_run_new(ipcdump_source_capture("/nonexistent/x.ipcd"), err, sizeof(err));

	(void)state;
	assert_non_null(run);
	assert_int_equal(ipcdump_run_start(run, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/x.ipcd"));
	ipcdump_run_free(run);
	/* a source no run took is freed by its owner */
	ipcdump_source_free(ipcdump_source_live());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_event_reaches_a_callback_without_filter),
		cmocka_unit_test(test_each_callback_has_its_own_filter),
		cmocka_unit_test(test_a_callback_can_stop_the_run),
		cmocka_unit_test(test_a_bad_filter_names_its_column),
		cmocka_unit_test(test_a_missing_file_is_an_error_with_its_reason),
	};

	return cmocka_run_group_tests(tests, make_capture, remove_capture);
}
