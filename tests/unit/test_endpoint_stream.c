/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GET /api/v1/events/stream and the live feed, through the test driver:
 * events after subscribing, Last-Event-ID from the store then the feed
 * with no gap or duplicate, a client that does not read is disconnected
 * and counted, keep-alive comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_driver.h"
#include "api_store.h"
#include "api/live.h"

struct fixture {
	struct test_store store;
	struct ipcda_live *live;
	struct ipcd_sink *feed;
	struct ipcda_context *ctx, *no_store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	store_open(&f->store);
	f->live = ipcda_live_new();
	f->feed = ipcda_live_sink_new(f->live);
	assert_int_equal(f->feed->open(f->feed, f->store.p), 0);
	f->ctx = api_context_new(f->store.path, f->live);
	f->no_store = api_context_new(NULL, f->live);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->feed->close(f->feed);
	ipcd_sink_free(f->feed);
	ipcda_live_free(f->live);
	api_context_free(f->ctx);
	api_context_free(f->no_store);
	store_close(&f->store);
	free(f);
	return 0;
}

/* The pipeline's view: the event goes to the store (in_store) and to the live feed. */
static void emit(struct fixture *f, int64_t pid, const char *comm, bool in_store)
{
	struct ipcd_event e = store_event(&f->store, pid, comm, 1);

	if (in_store)
		store_put(&f->store, &e);
	f->feed->event(f->feed, &e);
}

/* The feed's thread has taken every event given to it. */
static void feed_sync(struct fixture *f)
{
	f->feed->flush(f->feed, f->store.ts_ns);
}

static struct ipcda_request *subscribe(struct ipcda_context *ctx, const char *last_event_id, const char *filter)
{
	struct ipcda_request *rq = api_request_new(ctx);

	if (last_event_id)
		api_request_header(rq, "Last-Event-ID", last_event_id);
	if (filter)
		api_request_arg(rq, "filter", filter);
	ipcda_get_events_stream(rq);
	assert_int_equal(api_reply_status(rq), 200);
	assert_string_equal(api_reply_content_type(rq), "text/event-stream");
	return rq;
}

/* Pumps until the body has n events or the stream is idle; the ids, which must be "id: N" and data's "id":N alike. */
static size_t read_ids(struct ipcda_request *rq, uint64_t *ids, size_t n)
{
	size_t got = 0;
	const char *p;

	for (int calls = 0; calls < 100000; calls++) {
		api_reply_pump(rq, 1 << 16, 1);
		got = 0;
		for (p = api_reply_body(rq, NULL); (p = strstr(p, "id: ")); p++, got++)
			;
		if (got >= n || api_reply_idle(rq))
			break;
	}
	got = 0;
	for (p = api_reply_body(rq, NULL); (p = strstr(p, "id: ")) && got < n; p++) {
		char data[64];
		uint64_t id = strtoull(p + 4, NULL, 10);

		snprintf(data, sizeof(data), "\ndata: {\"id\":%" PRIu64 ",", id);
		assert_non_null(strstr(p, data));
		ids[got++] = id;
	}
	api_reply_consume(rq);
	return got;
}

static void test_a_subscriber_gets_the_events_after_it_came(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq;
	uint64_t ids[8];

	emit(f, 100, "before", true);
	feed_sync(f);
	rq = subscribe(f->ctx, NULL, NULL);
	for (int i = 0; i < 3; i++)
		emit(f, 100, "after", true);
	feed_sync(f);
	assert_int_equal(read_ids(rq, ids, 8), 3);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 3);
	assert_int_equal(ids[2], 4);
	api_request_free(rq);
}

static void test_the_stream_has_sse_fields_and_the_filter(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq = subscribe(f->ctx, NULL, "comm == keep");
	const char *body;

	emit(f, 100, "drop", true);
	emit(f, 100, "keep", true);
	feed_sync(f);
	api_reply_pump(rq, 4096, 1);
	body = api_reply_body(rq, NULL);
	assert_true(!strncmp(body, "id: 2\nevent: pipe\ndata: {\"id\":2,\"time\":", 39));
	assert_non_null(strstr(body, "\"src_comm\":\"keep\""));
	assert_true(!strcmp(body + strlen(body) - 3, "}\n\n"));
	api_request_free(rq);
}

/*
 * The store has 1..1050 committed and 1051..1080 still in its batch; the
 * feed keeps 1061..1100 only.  From Last-Event-ID 500: the store's rows,
 * a wait until it commits what the feed has, then the feed: 501..1110,
 * each once, in order.
 */
static void test_last_event_id_resumes_from_the_store_then_live(void **state)
{
	struct fixture *f = *state;
	static uint64_t ids[1000];
	struct ipcda_request *rq;
	size_t n = 0;

	for (int i = 0; i < 1050; i++) {   /* before the feed started */
		struct ipcd_event e = store_event(&f->store, 100 + i % 7, "old", 1);

		store_put(&f->store, &e);
	}
	store_commit(&f->store);
	for (int i = 0; i < 10; i++) {   /* before the feed started */
		struct ipcd_event e = store_event(&f->store, 100, "lag", 1);

		store_put(&f->store, &e);
	}
	/* the feed, started later, keeps only these */
	for (int i = 0; i < 40; i++) {
		struct ipcd_event e = store_event(&f->store, 100, "lag", 1);

		if (e.id <= 1080)
			store_put(&f->store, &e);
		f->feed->event(f->feed, &e);
	}
	feed_sync(f);
	rq = subscribe(f->ctx, "500", NULL);
	n += read_ids(rq, ids + n, 550);
	assert_int_equal(n, 550);   /* 501..1050: the feed's 1061.. wait for the store */
	api_reply_pump(rq, 1 << 16, 2);
	assert_string_equal(api_reply_body(rq, NULL), "");
	store_commit(&f->store);
	for (int i = 0; i < 10; i++)
		emit(f, 100, "new", true);
	feed_sync(f);
	n += read_ids(rq, ids + n, 1000 - n);
	assert_int_equal(n, 610);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ids[i], 501 + i);
	api_request_free(rq);
}

static void test_a_resume_with_a_filter_skips_what_it_does_not_pass(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq;
	uint64_t ids[64];
	size_t n;

	for (int i = 0; i < 20; i++)
		emit(f, 100, i % 2 ? "odd" : "even", true);
	store_commit(&f->store);
	for (int i = 20; i < 30; i++)
		emit(f, 100, i % 2 ? "odd" : "even", false);
	feed_sync(f);
	rq = subscribe(f->ctx, "10", "comm == odd");
	n = read_ids(rq, ids, 64);
	assert_int_equal(n, 10);   /* 12, 14, .. 30 */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ids[i], 12 + 2 * i);
	api_request_free(rq);
}

static void test_without_a_store_resume_uses_the_feed(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq;
	uint64_t ids[64];

	for (int i = 0; i < 30; i++)
		emit(f, 100, "x", false);
	feed_sync(f);
	rq = subscribe(f->no_store, "25", NULL);
	assert_int_equal(read_ids(rq, ids, 64), 5);
	assert_int_equal(ids[0], 26);
	assert_int_equal(ids[4], 30);
	api_request_free(rq);
}

static void test_a_client_that_does_not_read_is_disconnected_and_counted(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *slow = subscribe(f->ctx, NULL, NULL), *quick = subscribe(f->ctx, NULL, NULL);
	uint64_t clients, dropped, ids[16];

	ipcda_live_counts(f->live, &clients, &dropped);
	assert_int_equal(clients, 2);
	for (int i = 0; i < IPCDA_LIVE_RING + 10; i++) {
		emit(f, 100, "flood", false);
		if (i % 1000 == 0) {   /* the quick one keeps up */
			feed_sync(f);
			while (read_ids(quick, ids, 16))
				;
		}
	}
	feed_sync(f);
	assert_true(api_reply_pump(slow, 4096, 3));
	assert_non_null(strstr(api_reply_body(slow, NULL), ": disconnected: this client fell behind"));
	ipcda_live_counts(f->live, &clients, &dropped);
	assert_int_equal(dropped, 1);
	api_request_free(slow);
	ipcda_live_counts(f->live, &clients, &dropped);
	assert_int_equal(clients, 1);
	api_request_free(quick);
	ipcda_live_counts(f->live, &clients, &dropped);
	assert_int_equal(clients, 0);
	assert_int_equal(dropped, 1);
}

static void test_a_quiet_stream_gets_keep_alive_comments(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq;

	ipcda_live_set_keepalive(f->live, 1000000);   /* 1 ms instead of 15 s */
	rq = subscribe(f->ctx, NULL, NULL);
	api_reply_pump(rq, 4096, 1);
	assert_string_equal(api_reply_body(rq, NULL), ": keep-alive\n\n");
	api_request_free(rq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_subscriber_gets_the_events_after_it_came, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_stream_has_sse_fields_and_the_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_event_id_resumes_from_the_store_then_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_resume_with_a_filter_skips_what_it_does_not_pass, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_without_a_store_resume_uses_the_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_client_that_does_not_read_is_disconnected_and_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_quiet_stream_gets_keep_alive_comments, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
