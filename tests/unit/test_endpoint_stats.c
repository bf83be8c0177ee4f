/* SPDX-License-Identifier: GPL-2.0 */
/* GET /api/v1/stats and /api/v1/graph through the test driver, against a store of known events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_driver.h"
#include "api_store.h"

#define SECOND 1000000000ull

struct fixture {
	struct test_store store;
	struct ipcda_context *ctx;
};

/*
 * Ten seconds ago: alpha (100) sent reader (101) ten messages of 10..100
 * bytes, latency 1 us per byte; beta (200) sent reader (201) five of 5
 * bytes.  Two hours ago: one more from alpha, outside every window asked.
 */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ipcd_event e;

	store_open(&f->store);
	f->store.ts_ns = ipcd_monotonic_ns() - 7200 * SECOND;
	store_add(&f->store, 100, "alpha", 1000);
	f->store.ts_ns = ipcd_monotonic_ns() - 10 * SECOND;
	for (int i = 1; i <= 10; i++)
		store_add(&f->store, 100, "alpha", 10 * (uint64_t)i);
	for (int i = 0; i < 5; i++) {
		e = store_event(&f->store, 200, "beta", 5);
		e.type = IPCD_TYPE_UNIX_STREAM;
		store_put(&f->store, &e);
	}
	store_commit(&f->store);
	f->ctx = api_context_new(f->store.path, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	api_context_free(f->ctx);
	store_close(&f->store);
	free(f);
	return 0;
}

static struct ipcda_request *get(struct ipcda_context *ctx, void (*handler)(struct ipcda_request *), ...)
{
	struct ipcda_request *rq = api_request_new(ctx);
	const char *name;
	va_list ap;

	va_start(ap, handler);
	while ((name = va_arg(ap, const char *)))
		api_request_arg(rq, name, va_arg(ap, const char *));
	va_end(ap);
	handler(rq);
	return rq;
}

static void assert_has(struct ipcda_request *rq, const char *text)
{
	if (!strstr(api_reply_body(rq, NULL), text))
		fail_msg("%s not in %s", text, api_reply_body(rq, NULL));
}

static void test_stats_by_channel_over_the_window(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq = get(f->ctx, ipcda_get_stats, NULL);

	assert_int_equal(api_reply_status(rq), 200);
	assert_string_equal(api_reply_content_type(rq), "application/json");
	assert_has(rq, "{\"window_s\":60");
	assert_has(rq, "\"channels\":[");
	assert_has(rq, "\"messages\":10,\"rate\":0.1");
	assert_has(rq, "\"bytes\":550,\"size_min\":10,\"size_avg\":55,\"size_max\":100");
	assert_has(rq, "\"latency_max_ns\":100000");
	assert_has(rq, "\"messages\":5,");
	assert_null(strstr(api_reply_body(rq, NULL), "\"pairs\""));
	assert_null(strstr(api_reply_body(rq, NULL), "\"bytes\":1550"));
	api_request_free(rq);
}

static void test_stats_by_pair_and_comm(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq = get(f->ctx, ipcda_get_stats, "by", "pair", "window", "5m", NULL);

	assert_has(rq, "{\"window_s\":300");
	assert_has(rq, "\"pairs\":[");
	assert_has(rq, "\"src_pid\":100,\"src_comm\":\"alpha\",\"dst_pid\":101,\"dst_comm\":\"reader\","
		       "\"messages\":10");
	api_request_free(rq);
	rq = get(f->ctx, ipcda_get_stats, "by", "comm", NULL);
	assert_int_equal(api_reply_status(rq), 200);
	assert_has(rq, "\"comms\":[{\"comm\":\"alpha\",\"messages\":10,\"rate\":0.1");
	assert_has(rq, "{\"comm\":\"reader\",\"messages\":0,");
	assert_has(rq, "\"messages_received\":15,\"bytes_received\":575}");
	assert_has(rq, "\"latency_p50_ns\":");
	api_request_free(rq);
	/* the filter narrows it, as everywhere */
	rq = get(f->ctx, ipcda_get_stats, "by", "comm", "filter", "comm == beta", NULL);
	assert_null(strstr(api_reply_body(rq, NULL), "alpha"));
	assert_has(rq, "\"messages_received\":5,");
	api_request_free(rq);
}

static void test_stats_refuses_bad_arguments(void **state)
{
	struct fixture *f = *state;
	const char *bad[][2] = { { "window", "0s" }, { "window", "8d" }, { "window", "1y" }, { "by", "type" },
				 { "filter", "pid ==" } };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipcda_request *rq = get(f->ctx, ipcda_get_stats, bad[i][0], bad[i][1], NULL);

		assert_int_equal(api_reply_status(rq), 400);
		api_request_free(rq);
	}
}

static void test_graph_groups_by_comm_and_by_pid(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq = get(f->ctx, ipcda_get_graph, NULL);

	assert_int_equal(api_reply_status(rq), 200);
	assert_has(rq, "{\"group\":\"comm\",\"nodes\":[{\"id\":\"comm:alpha\",\"comm\":\"alpha\",\"container\":null,"
		       "\"pids\":[100],\"more_pids\":false,\"messages_sent\":10,\"bytes_sent\":550,"
		       "\"messages_received\":0,\"bytes_received\":0}");
	assert_has(rq, "{\"id\":\"comm:reader\",\"comm\":\"reader\",\"container\":null,\"pids\":[101,201],"
		       "\"more_pids\":false,\"messages_sent\":0,\"bytes_sent\":0,\"messages_received\":15,"
		       "\"bytes_received\":575}");
	assert_has(rq, "\"edges\":[{\"src\":\"comm:alpha\",\"dst\":\"comm:reader\",\"type\":\"pipe\","
		       "\"messages\":10,\"bytes\":550,\"size_min\":10,\"size_avg\":55,\"size_max\":100,");
	assert_has(rq, "{\"src\":\"comm:beta\",\"dst\":\"comm:reader\",\"type\":\"unix-stream\",\"messages\":5,");
	api_request_free(rq);
	rq = get(f->ctx, ipcda_get_graph, "group", "pid", "since", "-3h", NULL);
	assert_has(rq, "{\"id\":\"pid:101\",\"comm\":\"reader\"");
	assert_has(rq, "{\"src\":\"pid:100\",\"dst\":\"pid:101\",\"type\":\"pipe\",\"messages\":11,\"bytes\":1550,");
	api_request_free(rq);
	rq = get(f->ctx, ipcda_get_graph, "group", "host", NULL);
	assert_int_equal(api_reply_status(rq), 400);
	api_request_free(rq);
}

static void test_no_store_is_404(void **state)
{
	struct ipcda_context *ctx = api_context_new(NULL, NULL);
	struct ipcda_request *rq = get(ctx, ipcda_get_stats, NULL);

	(void)state;
	assert_int_equal(api_reply_status(rq), 404);
	api_request_free(rq);
	rq = get(ctx, ipcda_get_graph, NULL);
	assert_int_equal(api_reply_status(rq), 404);
	api_request_free(rq);
	api_context_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stats_by_channel_over_the_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_by_pair_and_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_refuses_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graph_groups_by_comm_and_by_pid, setup, teardown),
		cmocka_unit_test(test_no_store_is_404),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
