// SPDX-License-Identifier: GPL-2.0
/* --stats: totals per channel and pair, and percentiles from the log2 histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "stats.h"

static struct ipcd_event pipe_event(int64_t src, const char *comm, uint64_t bytes, uint64_t latency)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_PIPE, 1000);
	e.src.pid = e.src.tid = src;
	strcpy(e.src.comm, comm);
	e.dst.pid = e.dst.tid = 99;
	strcpy(e.dst.comm, "reader");
	e.ino = 7;
	e.bytes = bytes;
	e.latency_ns = latency;
	e.flags = IPCD_EF_HAS_LATENCY;
	return e;
}

static void test_quantiles_are_bucket_tops(void **state)
{
	uint64_t hist[64] = { 0 };

	(void)state;
	assert_int_equal(stats_quantile(hist, 0, 0.5), 0);
	hist[10] = 90;   /* [512, 1024) */
	hist[20] = 10;   /* [2^19, 2^20) */
	assert_int_equal(stats_quantile(hist, 100, 0.5), 1023);
	assert_int_equal(stats_quantile(hist, 100, 0.9), 1023);
	assert_int_equal(stats_quantile(hist, 100, 0.91), (1u << 20) - 1);
	assert_int_equal(stats_quantile(hist, 100, 0.99), (1u << 20) - 1);
}

static void test_report_totals_per_channel_and_pair(void **state)
{
	struct ipcd_stats *s = stats_new();
	struct ipcd_event a = pipe_event(10, "alpha", 100, 600), b = pipe_event(11, "beta", 20, 700);
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(s);
	stats_add(s, &a);
	stats_add(s, &a);
	stats_add(s, &b);
	stats_report(s, out, true, 0, 2000000000ull);
	fclose(out);
	/* one channel with all three; the busier pair first */
	assert_non_null(strstr(buf, "{\"window_s\":2.000,\"channels\":[{\"type\":\"pipe\",\"channel\":\"pipe:[7]\","
				    "\"messages\":3,\"rate\":1.500,\"bytes\":220,\"size_min\":20,\"size_avg\":73,"
				    "\"size_max\":100,\"latency_p50_ns\":700,"));
	assert_non_null(strstr(buf, "\"pairs\":[{\"type\":\"pipe\",\"pair\":\"10(alpha) > 99(reader)\",\"messages\":2,"));
	assert_non_null(strstr(buf, "{\"type\":\"pipe\",\"pair\":\"11(beta) > 99(reader)\",\"messages\":1,"));
	free(buf);
	/* a report starts a new window */
	buf = NULL;
	out = open_memstream(&buf, &size);
	stats_report(s, out, true, 0, 1000000000ull);
	fclose(out);
	assert_string_equal(buf, "{\"window_s\":1.000,\"channels\":[],\"pairs\":[]}\n");
	free(buf);
	stats_free(s);
}

/* A latency of 2^63 ns or more (only a damaged capture has one) lands in the last bucket, not past it. */
static void test_huge_latency_stays_in_the_histogram(void **state)
{
	struct ipcd_stats *s = stats_new();
	struct ipcd_event e = pipe_event(10, "alpha", 1, UINT64_MAX);
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(s);
	stats_add(s, &e);
	e.latency_ns = 1ull << 63;
	stats_add(s, &e);
	stats_report(s, out, true, 0, 2000000000ull);
	fclose(out);
	assert_non_null(strstr(buf, "alpha"));
	free(buf);
	stats_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantiles_are_bucket_tops),
		cmocka_unit_test(test_huge_latency_stays_in_the_histogram),
		cmocka_unit_test(test_report_totals_per_channel_and_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
