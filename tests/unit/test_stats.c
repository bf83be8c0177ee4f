// SPDX-License-Identifier: GPL-2.0
/* --stats and --analyze: totals, percentiles, units, tables a person reads, JSON and CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sinks/analyze.h"
#include "engine/event.h"
#include "format/report_fmt.h"
#include "sinks/stats.h"

static const struct ipcd_report_style text_style = { .format = IPCD_FORMAT_TEXT, .top = 10 };
static const struct ipcd_report_style json_style = { .format = IPCD_FORMAT_JSON, .top = 10 };
static const struct ipcd_report_style csv_style = { .format = IPCD_FORMAT_CSV, .top = 10 };

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

/* A loopback TCP message from 127.0.0.1:sport to 127.0.0.1:dport. */
static struct ipcd_event tcp_event(uint16_t sport, uint16_t dport, int64_t src, int64_t dst)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_LOOPBACK_TCP, 1000);
	e.src.pid = src;
	strcpy(e.src.comm, "client");
	e.dst.pid = dst;
	strcpy(e.dst.comm, "redis-server");
	e.has_inet = true;
	e.inet.saddr[10] = e.inet.saddr[11] = e.inet.daddr[10] = e.inet.daddr[11] = 0xff;
	e.inet.saddr[12] = e.inet.daddr[12] = 127;
	e.inet.saddr[15] = e.inet.daddr[15] = 1;
	e.inet.sport = sport;
	e.inet.dport = dport;
	e.bytes = 30;
	return e;
}

static char *stats_text(struct ipcd_stats *s, const struct ipcd_report_style *style, uint64_t end_ns)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	stats_report(s, out, style, 0, end_ns);
	fclose(out);
	return buf;
}

static char *analysis_text(struct ipcd_analysis *a, const struct ipcd_report_style *style)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	analysis_report(a, out, style);
	fclose(out);
	return buf;
}

/* The longest line of text, in terminal columns. */
static size_t widest_line(const char *text)
{
	size_t widest = 0;
	char *copy = strdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (display_width(line) > widest)
			widest = display_width(line);
	free(copy);
	return widest;
}

static void test_quantiles_are_bucket_tops(void **state)
{
	uint64_t hist[STATS_HIST_BUCKETS] = { 0 };

	(void)state;
	assert_int_equal(stats_quantile(hist, 0, 0.5), 0);
	hist[10] = 90;   /* [512, 1024) */
	hist[20] = 10;   /* [2^19, 2^20) */
	assert_int_equal(stats_quantile(hist, 100, 0.5), 1023);
	assert_int_equal(stats_quantile(hist, 100, 0.9), 1023);
	assert_int_equal(stats_quantile(hist, 100, 0.91), (1u << 20) - 1);
	assert_int_equal(stats_quantile(hist, 100, 0.99), (1u << 20) - 1);
}

static void test_quantile_estimates_sit_inside_their_bucket(void **state)
{
	uint64_t hist[STATS_HIST_BUCKETS] = { 0 };
	double p50;

	(void)state;
	hist[10] = 100;   /* 100 values in [512, 1024), the largest 1000 */
	p50 = stats_quantile_estimate(hist, 100, 0.5, 1000);
	assert_true(p50 > 700 && p50 < 800);
	assert_true(stats_quantile_estimate(hist, 100, 0.99, 1000) <= 1000);
	assert_true(stats_quantile_estimate(hist, 100, 0.01, 1000) >= 512);
}

static void test_a_latency_of_2_to_the_63_has_a_bucket(void **state)
{
	struct ipcd_stats *s = stats_new();
	struct ipcd_event e = pipe_event(10, "alpha", 1, UINT64_MAX);
	char *text;

	(void)state;
	stats_add(s, &e);
	text = stats_text(s, &json_style, 1000000000ull);
	assert_non_null(strstr(text, "\"latency_max_ns\":18446744073709551615"));
	free(text);
	stats_free(s);
}

static void test_units_people_read(void **state)
{
	char buf[32];

	(void)state;
	fmt_duration(buf, sizeof(buf), 850);
	assert_string_equal(buf, "850ns");
	fmt_duration(buf, sizeof(buf), 12345);
	assert_string_equal(buf, "12.3µs");
	fmt_duration(buf, sizeof(buf), 999999);
	assert_string_equal(buf, "1.00ms");
	fmt_duration(buf, sizeof(buf), 4560000000ull);
	assert_string_equal(buf, "4.56s");
	fmt_duration_approx(buf, sizeof(buf), 1234567);
	assert_string_equal(buf, "~1.2ms");
	fmt_bytes(buf, sizeof(buf), 512);
	assert_string_equal(buf, "512 B");
	fmt_bytes(buf, sizeof(buf), 1536);
	assert_string_equal(buf, "1.5 KiB");
	fmt_bytes(buf, sizeof(buf), 12900000);
	assert_string_equal(buf, "12.3 MiB");
	fmt_count(buf, sizeof(buf), 123456);
	assert_string_equal(buf, "123456");
	fmt_count(buf, sizeof(buf), 1234567);
	assert_string_equal(buf, "1.2M");
	assert_string_equal(noun_for(1, "peer", "peers"), "peer");
	assert_string_equal(noun_for(2, "peer", "peers"), "peers");
}

static void test_json_totals_per_channel_and_pair(void **state)
{
	struct ipcd_stats *s = stats_new();
	struct ipcd_event a = pipe_event(10, "alpha", 100, 600), b = pipe_event(11, "beta", 20, 700);
	char *buf;

	(void)state;
	assert_non_null(s);
	stats_add(s, &a);
	stats_add(s, &a);
	stats_add(s, &b);
	buf = stats_text(s, &json_style, 2000000000ull);
	/* one channel with all three; the busier pair first; latencies in ns */
	assert_non_null(strstr(buf, "{\"window_s\":2.000,\"start\":"));
	assert_non_null(strstr(buf, "\"channels\":[{\"type\":\"pipe\",\"channel\":\"pipe:[7]\","
				    "\"messages\":3,\"rate\":1.500,\"bytes\":220,\"size_min\":20,\"size_avg\":73,"
				    "\"size_max\":100,\"latency_p50_ns\":"));
	assert_non_null(strstr(buf, "\"pairs\":[{\"type\":\"pipe\",\"pair\":\"10(alpha) > 99(reader)\","
				    "\"src_pid\":10,\"src_comm\":\"alpha\",\"dst_pid\":99,\"dst_comm\":\"reader\","
				    "\"messages\":2,"));
	assert_non_null(strstr(buf, "{\"type\":\"pipe\",\"pair\":\"11(beta) > 99(reader)\",\"src_pid\":11,"));
	free(buf);
	/* a report starts a new window */
	buf = stats_text(s, &json_style, 1000000000ull);
	assert_non_null(strstr(buf, "\"channels\":[],\"pairs\":[]}\n"));
	free(buf);
	stats_free(s);
}

static void test_text_reads_at_a_glance(void **state)
{
	struct ipcd_stats *s = stats_new();
	struct ipcd_event e;
	char *text, line[256];

	(void)state;
	for (int i = 0; i < 5; i++) {
		e = pipe_event(10, "alpha", 1536, 1000 + i * 100);
		stats_add(s, &e);
	}
	e = pipe_event(-1, "", 10, 0);   /* the writer is unknown */
	e.ino = 8;
	e.flags = 0;
	stats_add(s, &e);
	e = tcp_event(40000, 6379, 20, 30);
	stats_add(s, &e);
	text = stats_text(s, &text_style, 2000000000ull);
	/* the window's wall-clock time, and units: KiB, µs, an estimate with ~ */
	assert_true(!strncmp(text, "# ", 2) && strstr(text, " to ") && strstr(text, "(2.000 s)"));
	snprintf(line, sizeof(line), "     5  7.5 KiB ~1.2µs ~1.4µs 1.40µs %-17s pipe:[7]\n", "pipe");
	assert_non_null(strstr(text, line));
	/* no latency: a dash in the same columns; an unknown end as events print it */
	snprintf(line, sizeof(line), "     1     10 B      -      -      - %-17s <unknown>(<unknown>) > 99(reader)\n",
		 "pipe");
	assert_non_null(strstr(text, line));
	assert_null(strstr(text, " ? "));
	assert_true(widest_line(text) <= 100);
	free(text);
	stats_free(s);
}

static void test_top_n_rows_and_how_many_more(void **state)
{
	struct ipcd_stats *s = stats_new();
	const struct ipcd_report_style top2 = { .format = IPCD_FORMAT_TEXT, .top = 2 };
	char *text;

	(void)state;
	for (int i = 0; i < 5; i++) {
		struct ipcd_event e = pipe_event(10 + i, "w", 1, 1);

		e.ino = 100 + i;
		stats_add(s, &e);
	}
	text = stats_text(s, &top2, 1000000000ull);
	assert_non_null(strstr(text, "Channels (2 of 5, busiest first)\n"));
	assert_non_null(strstr(text, "(3 more)\n"));
	free(text);
	stats_free(s);
}

static void test_ephemeral_ports_fold_into_the_server(void **state)
{
	struct ipcd_stats *s = stats_new();
	char *text;

	(void)state;
	/* 100 connections to port 6379, each from its own ephemeral port */
	for (uint16_t i = 0; i < 100; i++) {
		struct ipcd_event req = tcp_event(40000 + i, 6379, 20, 30), rep = tcp_event(6379, 40000 + i, 30, 20);

		stats_add(s, &req);
		stats_add(s, &rep);
	}
	text = stats_text(s, &csv_style, 1000000000ull);
	assert_non_null(strstr(text, "\nchannel,loopback-tcp,127.0.0.1:*>127.0.0.1:6379,100,"));
	assert_non_null(strstr(text, "\nchannel,loopback-tcp,127.0.0.1:6379>127.0.0.1:*,100,"));
	free(text);
	stats_free(s);
}

static void test_a_server_on_an_ephemeral_port_is_known_by_its_connects(void **state)
{
	struct ipcd_stats *s = stats_new();
	struct ipcd_event conn = tcp_event(45000, 41000, 20, 30), msg = tcp_event(45000, 41000, 20, 30);
	char *text;

	(void)state;
	conn.type = IPCD_TYPE_LOOPBACK_TCP_CONN;
	conn.conn_event = IPCD_INET_CONNECT;
	stats_add(s, &conn);
	stats_add(s, &msg);
	text = stats_text(s, &csv_style, 1000000000ull);
	assert_non_null(strstr(text, "\nchannel,loopback-tcp,127.0.0.1:*>127.0.0.1:41000,1,"));
	free(text);
	stats_free(s);
}

static void test_csv_has_one_table_per_section(void **state)
{
	struct ipcd_stats *s = stats_new();
	struct ipcd_event e = pipe_event(10, "al,pha", 100, 600);
	char *text;

	(void)state;
	stats_add(s, &e);
	text = stats_text(s, &csv_style, 1000000000ull);
	assert_true(!strncmp(text, "section,start,end,window_s\nwindow,", 34));
	assert_non_null(strstr(text, "\n\nsection,type,channel,messages,rate,bytes,size_min,size_avg,size_max,"
				     "latency_p50_ns,latency_p90_ns,latency_p99_ns,latency_max_ns\n"
				     "channel,pipe,pipe:[7],1,1.000,100,100,100,100,600,600,600,600\n"));
	assert_non_null(strstr(text, "\n\nsection,type,pair,src_pid,src_comm,dst_pid,dst_comm,messages,"));
	assert_non_null(strstr(text, "\npair,pipe,\"10(al,pha) > 99(reader)\",10,\"al,pha\",99,reader,1,"));
	free(text);
	stats_free(s);
}

/* A clock offset no time fits (a damaged capture): both ends of the window are "?", and nothing else. */
static void test_a_window_without_a_wall_clock_time(void **state)
{
	const struct ipcd_report_style no_clock = { .format = IPCD_FORMAT_TEXT, .top = 10,
						    .mono_to_real_ns = INT64_MIN };
	struct ipcd_stats *s = stats_new();
	struct ipcd_analysis *a = analysis_new();
	struct ipcd_event e = pipe_event(10, "alpha", 1, 1);
	char *text;

	(void)state;
	stats_add(s, &e);
	text = stats_text(s, &no_clock, 1000000000ull);
	assert_true(!strncmp(text, "# ? to ? (1.000 s);", 19));
	free(text);
	analysis_add(a, &e);
	text = analysis_text(a, &no_clock);
	assert_true(!strncmp(text, "1 event, ? to ? (", 17));
	free(text);
	analysis_free(a);
	stats_free(s);
}

static void test_analysis_in_units_and_words(void **state)
{
	struct ipcd_analysis *a = analysis_new();
	struct ipcd_event e = pipe_event(10, "alpha", 2048, 1500000);
	char *text;

	(void)state;
	analysis_add(a, &e);
	text = analysis_text(a, &text_style);
	assert_true(!strncmp(text, "1 event, ", 9));
	assert_non_null(strstr(text, "  2.0 KiB       1  10(alpha) > 99(reader)\n"));
	assert_non_null(strstr(text, " 1.50ms  "));
	assert_non_null(strstr(text, "      1 peer   10(alpha)\n"));
	assert_null(strstr(text, "1 peers"));
	free(text);
	text = analysis_text(a, &csv_style);
	assert_non_null(strstr(text, "section,pair,src_pid,src_comm,dst_pid,dst_comm,messages,bytes\n"
				     "top_talker,10(alpha) > 99(reader),10,alpha,99,reader,1,2048\n"));
	assert_non_null(strstr(text, "\nsection,type,channel,messages,bytes\nbusiest_channel,pipe,pipe:[7],1,2048\n"));
	assert_non_null(strstr(text, "\nsection,pid,comm,peers\nmost_peers,10,alpha,1\nmost_peers,99,reader,1\n"));
	free(text);
	text = analysis_text(a, &json_style);
	assert_non_null(strstr(text, "\"top_talkers\":[{\"what\":\"10(alpha) > 99(reader)\",\"src_pid\":10,"));
	assert_non_null(strstr(text, "\"slowest\":[{\"latency_ns\":1500000,"));
	free(text);
	analysis_free(a);
}

static struct ipcd_event shm_event(const char *name, bool sysv, int32_t key, int64_t shmid, uint64_t ino)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_SHM, 1000);
	e.src.pid = 10;
	strcpy(e.src.comm, "alpha");
	e.shm_op = IPCD_SHMOP_ATTACH;
	e.shm_name = name;
	e.shm_sysv = sysv;
	e.shm_has_key = sysv && key;
	e.shm_key = key;
	e.shm_id = shmid;
	e.chan_key = ino;
	return e;
}

static void test_shared_memory_channels_have_names_that_mean_something(void **state)
{
	struct ipcd_analysis *a = analysis_new();
	struct ipcd_event events[] = {
		shm_event("SYSV53480001", true, 0x53480001, 5, 70),
		shm_event("SYSV00000000", true, 0, 6, 71),        /* IPC_PRIVATE */
		shm_event("dev/zero", false, 0, -1, 77),          /* MAP_SHARED of /dev/zero or MAP_ANONYMOUS */
		shm_event("memfd:ring", false, 0, 3, 78),
		shm_event(NULL, false, 0, -1, 79),                /* mapped before tracing */
	};
	char *text;

	(void)state;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		analysis_add(a, &events[i]);
	text = analysis_text(a, &csv_style);
	assert_non_null(strstr(text, "\nbusiest_channel,shm,sysv key 0x53480001 shmid 5,1,0\n"));
	assert_non_null(strstr(text, "\nbusiest_channel,shm,sysv shmid 6,1,0\n"));
	assert_non_null(strstr(text, "\nbusiest_channel,shm,anonymous shared memory:[77],1,0\n"));
	assert_non_null(strstr(text, "\nbusiest_channel,shm,memfd:ring,1,0\n"));
	assert_non_null(strstr(text, "\nbusiest_channel,shm,shared memory:[79],1,0\n"));
	free(text);
	analysis_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantiles_are_bucket_tops),
		cmocka_unit_test(test_quantile_estimates_sit_inside_their_bucket),
		cmocka_unit_test(test_a_latency_of_2_to_the_63_has_a_bucket),
		cmocka_unit_test(test_units_people_read),
		cmocka_unit_test(test_json_totals_per_channel_and_pair),
		cmocka_unit_test(test_text_reads_at_a_glance),
		cmocka_unit_test(test_top_n_rows_and_how_many_more),
		cmocka_unit_test(test_a_window_without_a_wall_clock_time),
		cmocka_unit_test(test_ephemeral_ports_fold_into_the_server),
		cmocka_unit_test(test_a_server_on_an_ephemeral_port_is_known_by_its_connects),
		cmocka_unit_test(test_csv_has_one_table_per_section),
		cmocka_unit_test(test_analysis_in_units_and_words),
		cmocka_unit_test(test_shared_memory_channels_have_names_that_mean_something),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
