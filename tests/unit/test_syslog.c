/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The syslog sink: RFC 5424 header and structured data, SD-PARAM escaping,
 * and the socket's faults (full, missing at start, replaced by a restart)
 * against a datagram socket of the test's own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "engine/pipeline.h"
#include "sinks/syslog.h"

/* 2023-11-14T22:13:20.123456789Z */
#define WALL_NS 1700000000123456789ll

static void endpoint(struct ipcd_endpoint *ep, int64_t pid, const char *comm)
{
	ep->pid = pid;
	ep->tid = pid;
	ep->ppid = 1;
	snprintf(ep->comm, sizeof(ep->comm), "%s", comm);
}

static struct ipcd_event signal_event(const char *src_comm)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_SIGNAL, 1000);
	endpoint(&e.src, 100, src_comm);
	endpoint(&e.dst, 200, "receiver");
	e.sig = 10;
	return e;
}

/* What fn writes to a FILE, as a string (freed by the caller). */
static char *captured(void (*fn)(FILE *out, const void *arg), const void *arg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	fn(out, arg);
	fclose(out);
	return text;
}

static void write_value(FILE *out, const void *arg)
{
	ipcd_sd_param_value(out, arg);
}

static void assert_escaped(const char *value, const char *expected)
{
	char *text = captured(write_value, value);

	assert_string_equal(text, expected);
	free(text);
}

static void test_param_values_escape_quote_backslash_and_bracket(void **state)
{
	(void)state;
	assert_escaped("plain text", "plain text");
	assert_escaped("a\"b\\c]d", "a\\\"b\\\\c\\]d");
	assert_escaped("[open] =", "[open\\] =");
}

static void test_control_bytes_and_bad_utf8_become_hex(void **state)
{
	(void)state;
	assert_escaped("tab\there\n", "tab\\x09here\\x0a");
	assert_escaped("del\x7f", "del\\x7f");
	assert_escaped("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");  /* UTF-8 stays */
	assert_escaped("\xff\xfe", "\\xff\\xfe");
	assert_escaped("cut\xc3", "cut\\xc3");               /* a sequence cut short */
	assert_escaped("\xc0\xaf", "\\xc0\\xaf");            /* an overlong '/' */
	assert_escaped("\xed\xa0\x80", "\\xed\\xa0\\x80");   /* a surrogate */
}

struct head_args {
	const struct ipcd_syslog_header *h;
	const struct ipcd_event *e;
	int64_t wall_ns;
};

static void write_head(FILE *out, const void *arg)
{
	const struct head_args *a = arg;

	ipcd_syslog_head(out, a->h, a->e, a->wall_ns);
}

static char *head_of(const struct ipcd_syslog_header *h, const struct ipcd_event *e, int64_t wall_ns)
{
	struct head_args a = { h, e, wall_ns };

	return captured(write_head, &a);
}

static void test_head_has_pri_time_names_and_structured_data(void **state)
{
	struct ipcd_syslog_header h = { LOG_LOCAL3, LOG_NOTICE, "box", "ipcdumpd", 42 };
	struct ipcd_event e = signal_event("sender");
	char *text = head_of(&h, &e, WALL_NS);

	(void)state;
	/* local3 (19) * 8 + notice (5) = 157 */
	assert_string_equal(text, "<157>1 2023-11-14T22:13:20.123456Z box ipcdumpd 42 signal [ipcdump@32473"
				  " type=\"signal\" src_pid=\"100\" src_comm=\"sender\" dst_pid=\"200\""
				  " dst_comm=\"receiver\" bytes=\"0\" channel=\"SIGUSR1\" signal=\"10\""
				  " signal_name=\"SIGUSR1\"] ");
	free(text);
}

static void test_comm_is_escaped_in_structured_data(void **state)
{
	struct ipcd_syslog_header h = { LOG_DAEMON, LOG_INFO, "box", "ipcdumpd", 42 };
	struct ipcd_event e = signal_event("a\"b]c\\d");
	char *text = head_of(&h, &e, WALL_NS);

	(void)state;
	assert_non_null(strstr(text, " src_comm=\"a\\\"b\\]c\\\\d\" "));
	free(text);
}

static void test_unknown_end_and_host_and_time_are_left_out(void **state)
{
	struct ipcd_syslog_header h = { LOG_DAEMON, LOG_INFO, "", "tag", 7 };
	struct ipcd_event e;
	char *text;

	(void)state;
	ipcd_event_init(&e, IPCD_TYPE_PIPE, 1000);
	endpoint(&e.src, 100, "writer");
	e.bytes = 5;
	e.ino = 77;
	e.flags |= IPCD_EF_HAS_LATENCY;
	e.latency_ns = 1500;
	text = head_of(&h, &e, -1);
	/* daemon (3) * 8 + info (6) = 30; dst unknown: no dst_pid, dst_comm; "]" escaped even in a channel */
	assert_string_equal(text, "<30>1 - - tag 7 pipe [ipcdump@32473 type=\"pipe\" src_pid=\"100\""
				  " src_comm=\"writer\" bytes=\"5\" channel=\"pipe:[77\\]\" latency_ns=\"1500\"] ");
	free(text);
}

/* ---- the sink against a socket of ours --------------------------------------- */

struct fixture {
	char dir[64];
	char path[96];
	int rx;                 /* the "syslog daemon"'s socket, -1 none */
	struct ipcd_options opts;
	struct ipcd_pipeline *p;
	struct ipcd_sink *sink;
};

static int bind_receiver(struct fixture *f, int rcvbuf)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	if (fd < 0)
		return -1;
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void close_receiver(struct fixture *f)
{
	if (f->rx >= 0)
		close(f->rx);
	f->rx = -1;
	unlink(f->path);
}

static struct fixture *fixture_new(enum ipcd_format format)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ipcd_syslog_config cfg = {
		.prog = "test", .app_name = "ipcdumpd", .facility = LOG_LOCAL3, .severity = LOG_NOTICE,
		.format = format,
	};

	assert_non_null(f);
	strcpy(f->dir, "/tmp/ipcd-syslog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/log", f->dir);
	f->rx = -1;
	cfg.socket_path = f->path;
	ipcd_options_init(&f->opts);
	assert_non_null(f->p = ipcd_pipeline_new(&f->opts, NULL));
	assert_non_null(f->sink = ipcd_syslog_sink_new(&cfg));
	return f;
}

static int setup_text(void **state)
{
	struct fixture *f = fixture_new(IPCD_FORMAT_TEXT);

	f->rx = bind_receiver(f, 0);
	*state = f;
	return f->rx < 0 ? -1 : 0;
}

static int setup_small_buffer(void **state)
{
	struct fixture *f = fixture_new(IPCD_FORMAT_JSON);

	f->rx = bind_receiver(f, 4096);
	*state = f;
	return f->rx < 0 ? -1 : 0;
}

static int setup_no_socket(void **state)
{
	*state = fixture_new(IPCD_FORMAT_JSON);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ipcd_sink_free(f->sink);
	ipcd_pipeline_free(f->p);
	close_receiver(f);
	rmdir(f->dir);
	free(f);
	return 0;
}

static enum ipcd_sink_result send_one(struct fixture *f, const char *comm)
{
	struct ipcd_event e = signal_event(comm);

	return f->sink->event(f->sink, &e);
}

/* The next datagram, as a string; "" if none is waiting. */
static char *receive(struct fixture *f, char *buf, size_t len)
{
	ssize_t n = recv(f->rx, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_a_message_carries_the_event_as_one_text_line(void **state)
{
	struct fixture *f = *state;
	char buf[4096], *msg;

	assert_int_equal(f->sink->open(f->sink, f->p), 0);
	assert_int_equal(send_one(f, "sender"), IPCD_SINK_WRITTEN);
	msg = receive(f, buf, sizeof(buf));
	assert_true(!strncmp(msg, "<157>1 ", 7));
	assert_non_null(strstr(msg, " ipcdumpd "));
	/* MSG: the text printer's line, after the structured data, with no newline */
	msg = strstr(msg, "signal_name=\"SIGUSR1\"] ");
	assert_non_null(msg);
	assert_non_null(strstr(msg, "signal 100(sender) > 200(receiver)"));
	assert_null(strchr(msg, '\n'));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_a_full_socket_drops_and_never_blocks(void **state)
{
	struct fixture *f = *state;
	uint64_t start = now_ns();
	int written = 0, dropped = 0;
	char buf[4096];

	assert_int_equal(f->sink->open(f->sink, f->p), 0);
	/* nobody reads: the receive buffer fills, and the sink must not wait for room */
	for (int i = 0; i < 2000; i++) {
		enum ipcd_sink_result r = send_one(f, "sender");

		assert_true(r == IPCD_SINK_WRITTEN || r == IPCD_SINK_DROPPED_WRITE);
		written += r == IPCD_SINK_WRITTEN;
		dropped += r == IPCD_SINK_DROPPED_WRITE;
	}
	assert_true(written > 0);
	assert_true(dropped > 0);
	assert_true(now_ns() - start < 2000000000ull);
	/* room again: messages go through again */
	while (receive(f, buf, sizeof(buf))[0])
		;
	assert_int_equal(send_one(f, "sender"), IPCD_SINK_WRITTEN);
	assert_true(receive(f, buf, sizeof(buf))[0] == '<');
}

static void test_a_missing_socket_drops_until_it_appears(void **state)
{
	struct fixture *f = *state;
	char buf[4096];

	assert_int_equal(f->sink->open(f->sink, f->p), 0);  /* a warning, not a failure */
	assert_int_equal(send_one(f, "early"), IPCD_SINK_DROPPED_WRITE);
	assert_true((f->rx = bind_receiver(f, 0)) >= 0);
	/* looked for at most ten times a second: not on every event */
	assert_int_equal(send_one(f, "early"), IPCD_SINK_DROPPED_WRITE);
	usleep(150000);
	assert_int_equal(send_one(f, "late"), IPCD_SINK_WRITTEN);
	assert_non_null(strstr(receive(f, buf, sizeof(buf)), "src_comm=\"late\""));
}

static void test_a_restarted_daemon_gets_the_next_event(void **state)
{
	struct fixture *f = *state;
	char buf[4096];

	assert_int_equal(f->sink->open(f->sink, f->p), 0);
	assert_int_equal(send_one(f, "before"), IPCD_SINK_WRITTEN);
	/* the daemon restarts: a new socket at the same path */
	close_receiver(f);
	assert_true((f->rx = bind_receiver(f, 0)) >= 0);
	assert_int_equal(send_one(f, "after"), IPCD_SINK_WRITTEN);
	assert_non_null(strstr(receive(f, buf, sizeof(buf)), "src_comm=\"after\""));
}

static void test_reopen_connects_again_by_the_path(void **state)
{
	struct fixture *f = *state;
	char buf[4096];
	int old;

	assert_int_equal(f->sink->open(f->sink, f->p), 0);
	/* a new socket at the path while the old one still lives: only a reopen finds it */
	old = f->rx;
	unlink(f->path);
	assert_true((f->rx = bind_receiver(f, 0)) >= 0);
	assert_int_equal(send_one(f, "old"), IPCD_SINK_WRITTEN);
	f->sink->reopen(f->sink);
	assert_int_equal(send_one(f, "new"), IPCD_SINK_WRITTEN);
	assert_non_null(strstr(receive(f, buf, sizeof(buf)), "src_comm=\"new\""));
	close(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_param_values_escape_quote_backslash_and_bracket),
		cmocka_unit_test(test_control_bytes_and_bad_utf8_become_hex),
		cmocka_unit_test(test_head_has_pri_time_names_and_structured_data),
		cmocka_unit_test(test_comm_is_escaped_in_structured_data),
		cmocka_unit_test(test_unknown_end_and_host_and_time_are_left_out),
		cmocka_unit_test_setup_teardown(test_a_message_carries_the_event_as_one_text_line, setup_text, teardown),
		cmocka_unit_test_setup_teardown(test_a_full_socket_drops_and_never_blocks, setup_small_buffer, teardown),
		cmocka_unit_test_setup_teardown(test_a_missing_socket_drops_until_it_appears, setup_no_socket, teardown),
		cmocka_unit_test_setup_teardown(test_a_restarted_daemon_gets_the_next_event, setup_text, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_connects_again_by_the_path, setup_text, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
