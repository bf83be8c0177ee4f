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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
