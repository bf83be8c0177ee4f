/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The queue sink: a deliberately slow (or stuck) inner sink never blocks
 * the caller; past the bound events are dropped and counted exactly; below
 * it none is lost and the order is kept, with ticks, flushes, reopens and
 * the close in their places.  The test calls the sink as the pipeline does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sinks/sinks.h"

#define MAX_SEEN 4096

/* What the inner sink saw, in order: event times, and markers for the other calls. */
enum { SEEN_TICK = 1000000, SEEN_FLUSH, SEEN_REOPEN, SEEN_CLOSE };

struct slow {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool gate_open;       /* events wait here until the test opens it */
	bool entered;         /* an event is waiting at the gate */
	unsigned delay_us;    /* each event takes this long */
	bool drop_odd;        /* odd times: "write failed"; times divisible by 10: "no memory" */
	bool fail_at_5;       /* the output is gone at time 5 */
	uint64_t seen[MAX_SEEN];
	size_t nseen;
	char payload0;        /* the first byte of the last payload seen */
	pthread_t thread;     /* the thread the callbacks ran on */
	bool other_thread;    /* a callback ran on a second thread */
};

static void saw(struct slow *w, uint64_t what)
{
	pthread_t self = pthread_self();

	pthread_mutex_lock(&w->lock);
	if (w->nseen && !pthread_equal(self, w->thread))
		w->other_thread = true;
	w->thread = self;
	if (w->nseen < MAX_SEEN)
		w->seen[w->nseen++] = what;
	pthread_mutex_unlock(&w->lock);
}

static enum ipcd_sink_result slow_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct slow *w = s->ctx;

	pthread_mutex_lock(&w->lock);
	w->entered = true;
	pthread_cond_broadcast(&w->cond);
	while (!w->gate_open)
		pthread_cond_wait(&w->cond, &w->lock);
	if (e->payload_len)
		w->payload0 = (char)e->payload[0];
	pthread_mutex_unlock(&w->lock);
	if (w->delay_us)
		usleep(w->delay_us);
	saw(w, e->ts_ns);
	if (w->fail_at_5 && e->ts_ns == 5)
		return IPCD_SINK_FAILED;
	if (w->drop_odd && e->ts_ns % 2)
		return IPCD_SINK_DROPPED_WRITE;
	if (w->drop_odd && e->ts_ns % 10 == 0)
		return IPCD_SINK_DROPPED;
	return IPCD_SINK_WRITTEN;
}

static void slow_tick(struct ipcd_sink *s, uint64_t now)
{
	(void)now;
	saw(s->ctx, SEEN_TICK);
}

static void slow_flush(struct ipcd_sink *s, uint64_t end)
{
	(void)end;
	saw(s->ctx, SEEN_FLUSH);
}

static void slow_reopen(struct ipcd_sink *s)
{
	saw(s->ctx, SEEN_REOPEN);
}

static int slow_close(struct ipcd_sink *s)
{
	saw(s->ctx, SEEN_CLOSE);
	return 3;
}

static void open_gate(struct slow *w)
{
	pthread_mutex_lock(&w->lock);
	w->gate_open = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void wait_entered(struct slow *w)
{
	pthread_mutex_lock(&w->lock);
	while (!w->entered)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

struct fixture {
	struct slow w;
	struct ipcd_sink *q;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	pthread_mutex_init(&f->w.lock, NULL);
	pthread_cond_init(&f->w.cond, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	open_gate(&f->w);  /* a failed test must not leave the worker stuck */
	ipcd_sink_free(f->q);
	pthread_cond_destroy(&f->w.cond);
	pthread_mutex_destroy(&f->w.lock);
	free(f);
	return 0;
}

/* The slow sink w behind a queue of capacity, opened as the pipeline opens it. */
static void start_with(struct fixture *f, struct slow *w, size_t capacity, bool gate_open)
{
	struct ipcd_sink *inner = ipcd_sink_new("slow");

	assert_non_null(inner);
	inner->ctx = w;
	inner->fate = "written";
	inner->event = slow_event;
	inner->tick = slow_tick;
	inner->flush = slow_flush;
	inner->reopen = slow_reopen;
	inner->close = slow_close;
	inner->payload_limit = 7;
	w->gate_open = gate_open;
	f->q = ipcd_queue_sink_new(inner, capacity);
	assert_non_null(f->q);
	assert_int_equal(f->q->open(f->q, NULL), 0);
}

static void start(struct fixture *f, size_t capacity, bool gate_open)
{
	start_with(f, &f->w, capacity, gate_open);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* One event at time ts, as the pipeline hands it (its counters kept as the pipeline keeps them). */
static enum ipcd_sink_result offer(struct ipcd_sink *q, uint64_t ts)
{
	struct ipcd_event e;
	uint8_t bytes[4] = { 'a', 'b', 'c', 'd' };
	enum ipcd_sink_result r;

	ipcd_event_init(&e, IPCD_TYPE_PIPE, ts);
	e.payload = bytes;
	e.payload_len = sizeof(bytes);
	q->counters.in++;
	r = q->event(q, &e);
	bytes[0] = 'X';  /* the queue copied it: this must not reach the sink */
	if (r == IPCD_SINK_WRITTEN)
		q->counters.written++;
	if (r == IPCD_SINK_DROPPED_FULL) {
		q->counters.dropped++;
		q->counters.dropped_by[IPCD_DROP_QUEUE_FULL]++;
	}
	return r;
}

static void test_a_stuck_sink_never_blocks_and_drops_are_exact(void **state)
{
	struct fixture *f = *state;
	struct ipcd_sink_counters c;
	uint64_t slowest = 0;

	start(f, 100, false);
	assert_int_equal(offer(f->q, 0), IPCD_SINK_WRITTEN);
	f->q->tick(f->q, 0);  /* as after each poll: what waits goes to the worker */
	wait_entered(&f->w);  /* the worker holds event 0, stuck: the queue is empty */
	for (uint64_t ts = 1; ts <= 150; ts++) {
		uint64_t t0 = now_ns(), took;

		assert_int_equal(offer(f->q, ts), ts <= 100 ? IPCD_SINK_WRITTEN : IPCD_SINK_DROPPED_FULL);
		f->q->tick(f->q, ts);
		took = now_ns() - t0;
		if (took > slowest)
			slowest = took;
	}
	/* a copy and a lock, never a wait for the sink */
	assert_true(slowest < 50ull * 1000 * 1000);
	open_gate(&f->w);
	f->q->flush(f->q, 200);
	assert_true(ipcd_queue_sink_counters(f->q, &c));
	assert_int_equal(c.in, 151);
	assert_int_equal(c.written, 101);
	assert_int_equal(c.dropped, 50);
	assert_int_equal(c.dropped_by[IPCD_DROP_QUEUE_FULL], 50);
	/* events 0..100 in order, one tick (they do not pile up), then the flush */
	size_t events = 0;
	for (size_t i = 0; i < f->w.nseen; i++)
		if (f->w.seen[i] < SEEN_TICK)
			assert_int_equal(f->w.seen[i], events++);
	assert_int_equal(events, 101);
	assert_int_equal(f->w.seen[f->w.nseen - 1], SEEN_FLUSH);
	assert_int_equal(f->w.payload0, 'a');
	assert_false(f->w.other_thread);
	assert_int_equal(f->q->close(f->q), 3);
}

static void test_below_the_bound_nothing_is_lost_and_order_is_kept(void **state)
{
	struct fixture *f = *state;
	struct ipcd_sink_counters c;

	start(f, 1000, true);
	f->w.delay_us = 100;
	for (uint64_t ts = 0; ts < 1000; ts++) {
		assert_int_equal(offer(f->q, ts), IPCD_SINK_WRITTEN);
		if (ts == 500)
			f->q->reopen(f->q);
	}
	/* the close drains the queue first */
	assert_int_equal(f->q->close(f->q), 3);
	size_t events = 0, reopen_at = 0;
	for (size_t i = 0; i < f->w.nseen; i++) {
		if (f->w.seen[i] == SEEN_REOPEN)
			reopen_at = events;
		else if (f->w.seen[i] < SEEN_TICK)
			assert_int_equal(f->w.seen[i], events++);
	}
	assert_int_equal(events, 1000);
	assert_int_equal(reopen_at, 501);  /* after event 500, before 501 */
	assert_int_equal(f->w.seen[f->w.nseen - 1], SEEN_CLOSE);
	ipcd_queue_sink_counters(f->q, &c);
	assert_int_equal(c.written, 1000);
	assert_int_equal(c.dropped, 0);
}

static void test_the_inner_sinks_drops_are_counted_per_reason(void **state)
{
	struct fixture *f = *state;
	struct ipcd_sink_counters c;

	start(f, 1000, true);
	f->w.drop_odd = true;
	for (uint64_t ts = 0; ts < 100; ts++)
		offer(f->q, ts);
	f->q->flush(f->q, 100);
	ipcd_queue_sink_counters(f->q, &c);
	assert_int_equal(c.written, 40);
	assert_int_equal(c.dropped_by[IPCD_DROP_WRITE_FAILED], 50);
	assert_int_equal(c.dropped_by[IPCD_DROP_NO_MEMORY], 10);
	assert_int_equal(c.dropped_by[IPCD_DROP_QUEUE_FULL], 0);
	assert_int_equal(c.dropped, 60);
}

static void test_an_output_gone_ends_the_run(void **state)
{
	struct fixture *f = *state;

	start(f, 1000, true);
	f->w.fail_at_5 = true;
	for (uint64_t ts = 0; ts <= 5; ts++)
		assert_int_equal(offer(f->q, ts), IPCD_SINK_WRITTEN);
	f->q->flush(f->q, 6);
	assert_int_equal(offer(f->q, 6), IPCD_SINK_FAILED);
}

static void test_the_filter_and_payload_limit_move_to_the_queue(void **state)
{
	struct fixture *f = *state;

	start(f, 10, true);
	assert_int_equal(f->q->payload_limit, 7);
	assert_ptr_equal(ipcd_queue_sink_inner(f->q)->ctx, &f->w);
	assert_int_equal(ipcd_queue_sink_inner(f->q)->payload_limit, 0);
	assert_string_equal(f->q->name, "slow");
	assert_string_equal(f->q->fate, "written");
}

/*
 * A sink stuck in a write for good outlives the test's fixture: the queue
 * leaves it behind, and its thread may come back into it long after.
 */
static struct slow stuck = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void test_a_stuck_sink_is_left_behind_after_the_drain_timeout(void **state)
{
	struct fixture *f = *state;
	struct ipcd_sink_counters c;
	uint64_t t0, took;

	start_with(f, &stuck, 100, false);
	ipcd_queue_sink_set_drain_timeout(f->q, 200ull * 1000 * 1000);
	assert_int_equal(offer(f->q, 0), IPCD_SINK_WRITTEN);
	wait_entered(&stuck);  /* the worker holds event 0 and never returns */
	for (uint64_t ts = 1; ts <= 10; ts++)
		assert_int_equal(offer(f->q, ts), IPCD_SINK_WRITTEN);
	assert_false(ipcd_queue_sink_stuck(f->q));
	t0 = now_ns();
	f->q->flush(f->q, 20);
	took = now_ns() - t0;
	/* the flush gave up once nothing moved for the timeout, not before, not forever */
	assert_true(took >= 200ull * 1000 * 1000 && took < 2000ull * 1000 * 1000);
	assert_true(ipcd_queue_sink_stuck(f->q));
	assert_true(ipcd_queue_sink_counters(f->q, &c));
	assert_int_equal(c.written, 0);
	assert_int_equal(c.dropped, 11);  /* the one in hand and the ten queued */
	assert_int_equal(c.dropped_by[IPCD_DROP_STUCK], 11);
	assert_string_equal(ipcd_drop_reason_name(IPCD_DROP_STUCK), "stuck");
	/* the close and the free return at once: the worker is not waited for again */
	t0 = now_ns();
	assert_int_equal(f->q->close(f->q), IPCD_EXIT_FAILURE);
	assert_int_equal(offer(f->q, 30), IPCD_SINK_FAILED);
	ipcd_sink_free(f->q);
	f->q = NULL;
	assert_true(now_ns() - t0 < 100ull * 1000 * 1000);
	/* the write returns at last: the worker ends without touching the counts */
	open_gate(&stuck);
	for (int i = 0; i < 100 && !stuck.nseen; i++)
		usleep(10000);
	assert_int_equal(stuck.nseen, 1);
}

static void test_a_slow_sink_that_keeps_taking_is_waited_for(void **state)
{
	struct fixture *f = *state;
	struct ipcd_sink_counters c;
	uint64_t t0;

	start(f, 100, true);
	ipcd_queue_sink_set_drain_timeout(f->q, 100ull * 1000 * 1000);
	f->w.delay_us = 30000;
	for (uint64_t ts = 0; ts < 10; ts++)
		assert_int_equal(offer(f->q, ts), IPCD_SINK_WRITTEN);
	t0 = now_ns();
	f->q->flush(f->q, 20);
	/* longer than the timeout in all, never that long without an event done */
	assert_true(now_ns() - t0 >= 200ull * 1000 * 1000);
	assert_false(ipcd_queue_sink_stuck(f->q));
	ipcd_queue_sink_counters(f->q, &c);
	assert_int_equal(c.written, 10);
	assert_int_equal(c.dropped, 0);
	assert_int_equal(f->q->close(f->q), 3);
}

static void test_an_inner_sinks_own_wait_is_not_taken_for_stuck(void **state)
{
	struct fixture *f = *state;

	start(f, 100, true);
	/* as the SQLite sink's close waits for a lock: one item longer than the drain timeout alone */
	ipcd_queue_sink_inner(f->q)->max_wait_ns = 400ull * 1000 * 1000;
	ipcd_queue_sink_set_drain_timeout(f->q, 100ull * 1000 * 1000);
	f->w.delay_us = 300000;
	assert_int_equal(offer(f->q, 0), IPCD_SINK_WRITTEN);
	f->q->flush(f->q, 1);
	assert_false(ipcd_queue_sink_stuck(f->q));
	assert_int_equal(f->q->close(f->q), 3);
}

static void test_a_queue_never_opened_frees_its_sink(void **state)
{
	struct fixture *f = *state;
	struct ipcd_sink *inner = ipcd_sink_new("slow");

	inner->ctx = &f->w;
	f->q = ipcd_queue_sink_new(inner, 0);
	assert_non_null(f->q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_stuck_sink_never_blocks_and_drops_are_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_below_the_bound_nothing_is_lost_and_order_is_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_the_inner_sinks_drops_are_counted_per_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_output_gone_ends_the_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_filter_and_payload_limit_move_to_the_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_queue_never_opened_frees_its_sink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_stuck_sink_is_left_behind_after_the_drain_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_slow_sink_that_keeps_taking_is_waited_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_inner_sinks_own_wait_is_not_taken_for_stuck, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
