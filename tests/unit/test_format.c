// SPDX-License-Identifier: GPL-2.0
/*
 * The format writers and the family printers they dispatch to: every type
 * has a printer, name tables fall back, channels are named by the family,
 * and a family's CSV can fill the fixed columns' latency and long cells.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "families/unix_types.h"
#include "format/channel.h"
#include "format/format.h"
#include "format/output.h"
#include "format/writer.h"

static const struct ipcd_tok colours[] = {
	{ 0, "red" }, { -3, "green" }, { 7, "blue" },
	{ 0, NULL }
};

static void test_tok_name_finds_and_falls_back(void **state)
{
	(void)state;
	assert_string_equal(ipcd_tok_name(colours, 0, "?"), "red");
	assert_string_equal(ipcd_tok_name(colours, -3, "?"), "green");
	assert_string_equal(ipcd_tok_name(colours, 7, NULL), "blue");
	assert_string_equal(ipcd_tok_name(colours, 8, "?"), "?");
	assert_null(ipcd_tok_name(colours, 1, NULL));
}

static void test_shutdown_how_names(void **state)
{
	(void)state;
	assert_string_equal(ipcd_shutdown_how_name(0), "read");
	assert_string_equal(ipcd_shutdown_how_name(1), "write");
	assert_string_equal(ipcd_shutdown_how_name(2), "both");
}

/* A type no family prints would print its ends and nothing of its own: none may be left out. */
static void test_every_type_has_a_whole_printer(void **state)
{
	(void)state;
	for (int t = 0; t < IPCD_TYPE_COUNT; t++) {
		const struct ipcd_printer *p = ipcd_printer_of_type((enum ipcd_type)t);

		if (t == IPCD_TYPE_LOST) {
			assert_null(p);
			continue;
		}
		assert_non_null(p);
		assert_non_null(p->text);
		assert_non_null(p->json);
		assert_non_null(p->csv);
		assert_non_null(p->channel);
	}
}

/* One printer per family: data and lifecycle types side by side. */
static void test_a_family_prints_its_lifecycle_too(void **state)
{
	(void)state;
	assert_ptr_equal(ipcd_printer_of_type(IPCD_TYPE_UNIX_CONN), ipcd_printer_of_type(IPCD_TYPE_UNIX_STREAM));
	assert_ptr_equal(ipcd_printer_of_type(IPCD_TYPE_LOOPBACK_TCP_CONN),
			 ipcd_printer_of_type(IPCD_TYPE_LOOPBACK_UDP));
	assert_ptr_equal(ipcd_printer_of_type(IPCD_TYPE_MQ_OP), ipcd_printer_of_type(IPCD_TYPE_MQ_POSIX));
	assert_ptr_not_equal(ipcd_printer_of_type(IPCD_TYPE_PIPE), ipcd_printer_of_type(IPCD_TYPE_PTY));
}

static void test_unix_data_types(void **state)
{
	(void)state;
	assert_true(ipcd_unix_is_data(IPCD_TYPE_UNIX_STREAM));
	assert_true(ipcd_unix_is_data(IPCD_TYPE_UNIX_DGRAM));
	assert_true(ipcd_unix_is_data(IPCD_TYPE_UNIX_SEQPACKET));
	assert_false(ipcd_unix_is_data(IPCD_TYPE_UNIX_CONN));
	assert_false(ipcd_unix_is_data(IPCD_TYPE_PIPE));
}

static struct ipcd_event event_of(enum ipcd_type type)
{
	struct ipcd_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.src_fd = e.dst_fd = -1;
	ipcd_endpoint_unknown(&e.src);
	ipcd_endpoint_unknown(&e.dst);
	return e;
}

static void assert_channel(const struct ipcd_event *e, const char *expected)
{
	char buf[128];

	ipcd_event_channel(e, buf, sizeof(buf));
	assert_string_equal(buf, expected);
}

static void test_each_family_names_its_channel(void **state)
{
	struct ipcd_event e;

	(void)state;
	e = event_of(IPCD_TYPE_PIPE);
	e.ino = 77;
	assert_channel(&e, "pipe:[77]");
	e = event_of(IPCD_TYPE_SIGNAL);
	e.sig = 10;
	assert_channel(&e, "SIGUSR1");
	e = event_of(IPCD_TYPE_UNIX_DGRAM);
	e.flags = IPCD_EF_SOCKETPAIR;
	assert_channel(&e, "socketpair");
	e = event_of(IPCD_TYPE_PTY);
	e.pty_index = 3;
	assert_channel(&e, "/dev/pts/3");
	e = event_of(IPCD_TYPE_MQ_SYSV);
	e.mq_id = 5;
	assert_channel(&e, "msqid:5");
	e = event_of(IPCD_TYPE_SHM);
	e.shm_op = IPCD_SHMOP_SEM_POST;
	e.shm_id = 9;
	assert_channel(&e, "sysv semid 9");
	e = event_of(IPCD_TYPE_LOST);
	assert_channel(&e, "");
}

/* Prints one event as CSV and returns its row, the header skipped (free the buffer). */
static char *csv_row_of(const struct ipcd_event *e, char **buf)
{
	struct ipcd_output o;
	size_t size = 0;
	FILE *out = open_memstream(buf, &size);

	assert_non_null(out);
	ipcd_output_init(&o, out, IPCD_FORMAT_CSV, false);
	o.time_mode = IPCD_TIME_NONE;
	ipcd_output_event(&o, e);
	assert_int_equal(fclose(out), 0);
	return strchr(*buf, '\n') + 1;
}

/* The row from its nth column (1-based) on. */
static const char *nth_column(const char *row, int n)
{
	while (--n > 0) {
		row = strchr(row, ',');
		assert_non_null(row);
		row++;
	}
	return row;
}

/* The 16th column is latency_ns: a semaphore post has one whatever its flags say. */
static void test_csv_sem_post_fills_the_latency_column(void **state)
{
	struct ipcd_event e = event_of(IPCD_TYPE_SHM);
	char *buf = NULL;

	(void)state;
	e.shm_op = IPCD_SHMOP_SEM_POST;
	e.latency_ns = 4321;
	assert_memory_equal(nth_column(csv_row_of(&e, &buf), 16), "4321,", 5);
	free(buf);

	e.shm_op = IPCD_SHMOP_ATTACH;
	assert_memory_equal(nth_column(csv_row_of(&e, &buf), 16), ",", 1);
	free(buf);
}

/* A cell the family writes itself (passed descriptors) lands in its own column, quoted. */
static void test_csv_passed_fds_cell_is_written_by_the_family(void **state)
{
	struct ipcd_sock_extra x;
	struct ipcd_event e = event_of(IPCD_TYPE_UNIX_STREAM);
	char *buf = NULL;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.nfds = x.ndesc = 1;
	x.fds[0].fd = 5;
	x.fds[0].kind = IPCD_FD_FILE;
	x.fds[0].ino = 12;
	x.fds[0].path = "/tmp/a\"b";
	e.extra = &x;
	/* 18 fixed columns, then nfds (27th meta) and fds (28th) */
	assert_memory_equal(nth_column(csv_row_of(&e, &buf), 18 + 27), "1,\"5:file:12:/tmp/a\"\"b\",", 24);
	free(buf);
}

/* Prints one event in a format, the clock left out; returns the output (free it). */
static char *render(enum ipcd_format format, const struct ipcd_event *e, bool numeric)
{
	struct ipcd_output o;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	assert_non_null(out);
	ipcd_output_init(&o, out, format, false);
	o.time_mode = IPCD_TIME_NONE;
	o.numeric = numeric;
	ipcd_output_event(&o, e);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void assert_text(const struct ipcd_event *e, bool numeric, const char *expected)
{
	char *got = render(IPCD_FORMAT_TEXT, e, numeric);

	assert_string_equal(got, expected);
	free(got);
}

/* The JSON line's "meta" object, as printed. */
static void assert_json_meta(const struct ipcd_event *e, const char *expected)
{
	char *got = render(IPCD_FORMAT_JSON, e, true);
	char *meta = strstr(got, "\"meta\":");

	assert_non_null(meta);
	assert_memory_equal(meta + 7, expected, strlen(expected));
	free(got);
}

/* More descriptors than described end in "...", credentials follow them. */
static void test_unix_text_passed_fds_and_creds(void **state)
{
	struct ipcd_sock_extra x;
	struct ipcd_event e = event_of(IPCD_TYPE_UNIX_DGRAM);

	(void)state;
	memset(&x, 0, sizeof(x));
	x.nfds = 3;
	x.ndesc = 2;
	x.fds[0].path = "/etc/hostname";
	x.creds = true;
	x.cred_pid = 7;
	x.cred_uid = 1000;
	x.cred_gid = 100;
	e.extra = &x;
	e.src_name = "/tmp/s";
	e.bytes = 4;
	assert_text(&e, false, "unix-dgram <unknown>(<unknown>) > <unknown>(<unknown>): path /tmp/s, size 4, "
		    "fds 3 (/etc/hostname ? ...), creds pid=7,uid=1000,gid=100\n");
}

static void test_unix_conn_text_and_json(void **state)
{
	struct ipcd_event e = event_of(IPCD_TYPE_UNIX_CONN);

	(void)state;
	e.conn_event = IPCD_CONN_SHUTDOWN;
	e.sock_type = IPCD_SOCK_SEQPACKET;
	e.src_ino = 5;
	e.conn_arg = 1;
	assert_text(&e, false, "unix-conn <unknown>(<unknown>) > <unknown>(<unknown>): event shutdown, "
		    "sock_type seqpacket, inode 5, how write\n");
	assert_json_meta(&e, "{\"event\":\"shutdown\",\"sock_type\":\"seqpacket\",\"inode\":5,\"path\":null,"
			 "\"how\":1}");
}

/* A refused connect names its error; -n leaves the service out. */
static void test_inet_conn_refused(void **state)
{
	struct ipcd_event e = event_of(IPCD_TYPE_LOOPBACK_TCP_CONN);

	(void)state;
	e.conn_event = IPCD_INET_CONNECT;
	e.conn_arg = -111;
	e.has_inet = true;
	e.inet.saddr[10] = e.inet.saddr[11] = e.inet.daddr[10] = e.inet.daddr[11] = 0xff;
	e.inet.saddr[12] = e.inet.daddr[12] = 127;
	e.inet.saddr[15] = e.inet.daddr[15] = 1;
	e.inet.sport = 40000;
	e.inet.dport = 22;
	assert_text(&e, true, "loopback-tcp-conn <unknown>(<unknown>) > <unknown>(<unknown>): event connect, "
		    "src 127.0.0.1:40000, dst 127.0.0.1:22, error ECONNREFUSED\n");
	assert_json_meta(&e, "{\"event\":\"connect\",\"error\":\"ECONNREFUSED\",\"dst_is_listener\":false,"
			 "\"family\":\"ipv4\",\"src_addr\":\"127.0.0.1\",\"src_port\":40000,"
			 "\"dst_addr\":\"127.0.0.1\",\"dst_port\":22,\"service\":null,\"flags\":[]}");
}

/* A detach with no sharer known says "unknown", not nobody; JSON says null. */
static void test_shm_sharers_unknown(void **state)
{
	struct ipcd_event e = event_of(IPCD_TYPE_SHM);

	(void)state;
	e.shm_op = IPCD_SHMOP_DETACH;
	e.shm_name = "memfd:x";
	e.shm_id = -1;
	e.shm_size = 4096;
	assert_text(&e, false, "shm <unknown>(<unknown>) > <unknown>(<unknown>): op detach, name memfd:x, "
		    "size 4096, sharers unknown\n");
	assert_json_meta(&e, "{\"op\":\"detach\",\"kind\":\"file\",\"key\":null,\"name\":\"memfd:x\","
			 "\"size\":4096,\"sharers_known\":false,\"sharers\":null,\"flags\":[]}");
}

static void test_mq_posix_priority(void **state)
{
	struct ipcd_event e = event_of(IPCD_TYPE_MQ_POSIX);

	(void)state;
	e.mq_kind = IPCD_MQ_POSIX;
	e.mq_id = -1;
	e.mq_name = "q";
	e.mq_type = 3;
	e.bytes = 2;
	assert_text(&e, false, "mq-posix <unknown>(<unknown>) > <unknown>(<unknown>): name /q, prio 3, size 2\n");
	assert_json_meta(&e, "{\"key\":null,\"name\":\"/q\",\"prio\":3,\"flags\":[]}");
}

static void test_pty_text(void **state)
{
	struct ipcd_event e = event_of(IPCD_TYPE_PTY);

	(void)state;
	e.pty_index = 4;
	e.pty_writer_side = IPCD_PTY_SLAVE;
	e.pty_session = 9;
	e.bytes = 6;
	assert_text(&e, false, "pty <unknown>(<unknown>) > <unknown>(<unknown>): tty /dev/pts/4, direction output, "
		    "session 9, size 6\n");
	assert_json_meta(&e, "{\"tty\":\"/dev/pts/4\",\"direction\":\"output\",\"writer_side\":\"slave\","
			 "\"session\":9,\"fg_pgrp\":0,\"flags\":[]}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tok_name_finds_and_falls_back),
		cmocka_unit_test(test_shutdown_how_names),
		cmocka_unit_test(test_every_type_has_a_whole_printer),
		cmocka_unit_test(test_a_family_prints_its_lifecycle_too),
		cmocka_unit_test(test_unix_data_types),
		cmocka_unit_test(test_each_family_names_its_channel),
		cmocka_unit_test(test_csv_sem_post_fills_the_latency_column),
		cmocka_unit_test(test_csv_passed_fds_cell_is_written_by_the_family),
		cmocka_unit_test(test_unix_text_passed_fds_and_creds),
		cmocka_unit_test(test_unix_conn_text_and_json),
		cmocka_unit_test(test_inet_conn_refused),
		cmocka_unit_test(test_shm_sharers_unknown),
		cmocka_unit_test(test_mq_posix_priority),
		cmocka_unit_test(test_pty_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
