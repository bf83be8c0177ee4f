// SPDX-License-Identifier: GPL-2.0
/*
 * The pipeline's sink list: every sink sees the events that pass the run's
 * filter, each through its own filter, with its own counters; -c counts an
 * event once however many sinks take it; a sink whose output is gone ends
 * the run.  The source is a small capture of signals, made here.
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

#include "engine/capture.h"
#include "engine/options.h"
#include "engine/pipeline.h"
#include "filter/filter_expr.h"
#include "sinks/sink.h"
#include "records.h"

static char path[64];

static void add_signal(struct capture_writer *w, uint64_t ts, int sig)
{
	struct ipcd_signal rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_SIGNAL;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = ts;
	rec.src.pid = rec.src.tid = 100;
	rec.dst.pid = rec.dst.tid = 200;
	rec.sig = sig;
	rec.result = IPCD_SIG_DELIVERED;
	assert_true(capture_writer_add(w, &rec, sizeof(rec)));
}

/* Signals 10, 12, 10, 12, 10, a millisecond apart. */
static int make_capture(void **state)
{
	char err[256];
	struct capture_writer *w;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/ipcd-pipeline-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	w = capture_writer_open(path, 0, false, err, sizeof(err));
	assert_non_null(w);
	for (int i = 0; i < 5; i++)
		add_signal(w, (uint64_t)(i + 1) * 1000000, i % 2 ? 12 : 10);
	assert_int_equal(capture_writer_close(w), 0);
	return 0;
}

static int remove_capture(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

struct tally {
	int events, records, ticks, flushes, closes, opens;
	int fail_after;   /* > 0: the output "closes" at this event */
	int open_rc;      /* what its open returns */
	const struct tally *closed_first;  /* its open checks that this sink has closed */
};

static enum ipcd_sink_result tally_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct tally *t = s->ctx;

	assert_int_equal(e->type, IPCD_TYPE_SIGNAL);
	t->events++;
	return t->fail_after && t->events >= t->fail_after ? IPCD_SINK_FAILED : IPCD_SINK_WRITTEN;
}

static void tally_record(struct ipcd_sink *s, const void *rec, size_t size)
{
	(void)rec;
	(void)size;
	((struct tally *)s->ctx)->records++;
}

static void tally_tick(struct ipcd_sink *s, uint64_t now)
{
	(void)now;
	((struct tally *)s->ctx)->ticks++;
}

static void tally_flush(struct ipcd_sink *s, uint64_t end_ns)
{
	/* the file's clock, as far as the run had expired (to 100 ms) */
	assert_true(end_ns >= 1000000 && end_ns <= 5000000);
	((struct tally *)s->ctx)->flushes++;
}

static int tally_close(struct ipcd_sink *s)
{
	((struct tally *)s->ctx)->closes++;
	return 0;
}

static struct ipcd_sink *tally_sink(struct tally *t, const char *filter)
{
	struct ipcd_sink *s = ipcd_sink_new("tally");
	char err[128];
	size_t col;

	assert_non_null(s);
	s->fate = "tallied";
	s->ctx = t;
	s->event = tally_event;
	s->record = tally_record;
	s->tick = tally_tick;
	s->flush = tally_flush;
	s->close = tally_close;
	if (filter)
		assert_non_null(s->filter = fexpr_parse(filter, err, sizeof(err), &col));
	return s;
}

static struct ipcd_pipeline *reader(struct ipcd_options *opts)
{
	struct ipcd_pipeline *p;

	ipcd_options_init(opts);
	opts->types = ipcd_all_types();
	opts->read_path = path;
	opts->quiet = true;
	assert_non_null(p = ipcd_pipeline_new(opts, NULL));
	return p;
}

static void test_every_sink_sees_the_events_through_its_own_filter(void **state)
{
	struct ipcd_options opts;
	struct ipcd_pipeline *p = reader(&opts);
	struct tally all = { 0 }, usr2 = { 0 };
	struct ipcd_sink *s_all = tally_sink(&all, NULL), *s_usr2 = tally_sink(&usr2, "signal == SIGUSR2");

	(void)state;
	ipcd_pipeline_add_sink(p, s_all);
	ipcd_pipeline_add_sink(p, s_usr2);
	assert_int_equal(ipcd_pipeline_run(p, NULL), 0);
	assert_int_equal(all.events, 5);
	assert_int_equal(usr2.events, 2);
	/* each offered all five, the second keeping two */
	assert_int_equal(s_all->counters.in, 5);
	assert_int_equal(s_usr2->counters.in, 5);
	assert_int_equal(s_usr2->counters.written, 2);
	assert_int_equal(all.records, 5);
	assert_true(all.ticks >= 1);
	assert_int_equal(all.flushes, 1);
	assert_int_equal(all.closes, 1);
	ipcd_pipeline_free(p);
}

static void test_count_is_of_events_not_of_deliveries(void **state)
{
	struct ipcd_options opts;
	struct ipcd_pipeline *p = reader(&opts);
	struct tally a = { 0 }, b = { 0 };

	(void)state;
	opts.count = 2;
	ipcd_pipeline_add_sink(p, tally_sink(&a, NULL));
	ipcd_pipeline_add_sink(p, tally_sink(&b, NULL));
	assert_int_equal(ipcd_pipeline_run(p, NULL), 0);
	assert_int_equal(a.events, 2);
	assert_int_equal(b.events, 2);
	ipcd_pipeline_free(p);
}

static void test_the_run_filter_comes_before_the_sinks(void **state)
{
	struct ipcd_options opts;
	struct ipcd_pipeline *p = reader(&opts);
	struct tally a = { 0 };
	char err[128];
	size_t col;
	struct ipcd_sink *s = tally_sink(&a, NULL);

	(void)state;
	assert_non_null(opts.filter = fexpr_parse("signal == SIGUSR1", err, sizeof(err), &col));
	ipcd_pipeline_add_sink(p, s);
	assert_int_equal(ipcd_pipeline_run(p, NULL), 0);
	assert_int_equal(a.events, 3);
	assert_int_equal(s->counters.in, 3);
	ipcd_pipeline_free(p);
	fexpr_free(opts.filter);
}

static int tally_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct tally *t = s->ctx;

	(void)p;
	if (t->closed_first)
		assert_int_equal(t->closed_first->closes, 1);
	t->opens++;
	return t->open_rc;
}

static void test_replacing_sinks_closes_the_leaving_before_opening_the_new(void **state)
{
	struct ipcd_options opts;
	struct ipcd_pipeline *p = reader(&opts);
	struct tally leaving = { 0 }, staying = { 0 }, arriving = { .closed_first = &leaving };
	struct tally refused = { .open_rc = 2 };
	struct ipcd_sink *s_leaving = tally_sink(&leaving, NULL), *s_staying = tally_sink(&staying, NULL);
	struct ipcd_sink *next[3];

	(void)state;
	s_leaving->flush = NULL;  /* tally_flush expects the file's clock, the swap flushes by now */
	ipcd_pipeline_add_sink(p, s_leaving);
	ipcd_pipeline_add_sink(p, s_staying);
	next[0] = tally_sink(&refused, NULL);
	next[0]->open = tally_open;
	next[1] = s_staying;
	next[2] = tally_sink(&arriving, NULL);
	next[2]->open = tally_open;
	assert_int_equal(ipcd_pipeline_replace_sinks(p, next, 3), 2);
	assert_null(next[0]);  /* could not open: freed, left out */
	assert_ptr_equal(next[1], s_staying);
	assert_int_equal(leaving.closes, 1);
	assert_int_equal(arriving.opens, 1);
	assert_int_equal(arriving.ticks, 1);
	assert_int_equal(staying.opens + staying.ticks + staying.closes, 0);
	/* (the run then opens its list, as every run does) */
	assert_int_equal(ipcd_pipeline_run(p, NULL), 0);
	assert_int_equal(staying.events, 5);
	assert_int_equal(arriving.events, 5);
	assert_int_equal(leaving.events, 0);
	assert_int_equal(refused.events, 0);
	ipcd_pipeline_free(p);
}

static void test_a_filter_set_later_replaces_the_runs(void **state)
{
	struct ipcd_options opts;
	struct ipcd_pipeline *p = reader(&opts);
	struct tally a = { 0 };
	char err[128];
	size_t col;
	struct fexpr *usr1 = fexpr_parse("signal == SIGUSR1", err, sizeof(err), &col);
	struct fexpr *usr2 = fexpr_parse("signal == SIGUSR2", err, sizeof(err), &col);

	(void)state;
	opts.filter = usr1;
	ipcd_pipeline_add_sink(p, tally_sink(&a, NULL));
	/* no collector loaded: nothing of the filter is in the kernel */
	assert_true(ipcd_pipeline_set_filter(p, usr2));
	assert_int_equal(ipcd_pipeline_run(p, NULL), 0);
	assert_int_equal(a.events, 2);
	ipcd_pipeline_free(p);
	fexpr_free(usr1);
	fexpr_free(usr2);
}

static void test_a_sink_whose_output_is_gone_ends_the_run(void **state)
{
	struct ipcd_options opts;
	struct ipcd_pipeline *p = reader(&opts);
	struct tally gone = { .fail_after = 2 }, other = { 0 };

	(void)state;
	ipcd_pipeline_add_sink(p, tally_sink(&gone, NULL));
	ipcd_pipeline_add_sink(p, tally_sink(&other, NULL));
	assert_int_equal(ipcd_pipeline_run(p, NULL), 0);
	assert_int_equal(gone.events, 2);
	/* the event that failed went no further */
	assert_int_equal(other.events, 1);
	ipcd_pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_sink_sees_the_events_through_its_own_filter),
		cmocka_unit_test(test_count_is_of_events_not_of_deliveries),
		cmocka_unit_test(test_the_run_filter_comes_before_the_sinks),
		cmocka_unit_test(test_a_sink_whose_output_is_gone_ends_the_run),
		cmocka_unit_test(test_replacing_sinks_closes_the_leaving_before_opening_the_new),
		cmocka_unit_test(test_a_filter_set_later_replaces_the_runs),
	};

	return cmocka_run_group_tests(tests, make_capture, remove_capture);
}
