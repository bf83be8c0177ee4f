// SPDX-License-Identifier: GPL-2.0
/*
 * libipcdump's public API (include/ipcdump/ipcdump.h): a capture file read
 * by iterator and by callback, through filters, each event read by its
 * accessors and formatted; the errors, each with its errno and message.
 * The file is made with the capture writer; everything after that goes
 * through the public header only.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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

/* ---- helpers -------------------------------------------------------------- */

static struct ipcdump_session *open_capture(const struct ipcdump_opts *opts)
{
	char err[256] = "";
	struct ipcdump_session *s = NULL;

	assert_int_equal(ipcdump_open_capture(&s, path, opts, err, sizeof(err)), 0);
	assert_non_null(s);
	return s;
}

/* Every event's signal number, by iterator, until the end; how many. */
static int signals_of(struct ipcdump_session *s, int *sigs, int max)
{
	const struct ipcdump_event *e;
	int n = 0, rc;

	while ((rc = ipcdump_next(s, &e, -1)) > 0) {
		if (n < max)
			sigs[n] = ipcdump_event_signal(e);
		n++;
	}
	assert_int_equal(rc, 0);
	return n;
}

/* ---- version ---------------------------------------------------------------- */

static void test_the_version_is_the_headers(void **state)
{
	char text[32];

	(void)state;
	assert_int_equal(ipcdump_version(), IPCDUMP_VERSION);
	assert_int_equal(IPCDUMP_VERSION, IPCDUMP_VERSION_NUMBER(IPCDUMP_VERSION_MAJOR, IPCDUMP_VERSION_MINOR,
								  IPCDUMP_VERSION_PATCH));
	snprintf(text, sizeof(text), "%d.%d.%d ", IPCDUMP_VERSION_MAJOR, IPCDUMP_VERSION_MINOR, IPCDUMP_VERSION_PATCH);
	assert_memory_equal(ipcdump_version_string(), text, strlen(text));
}

/* ---- reading ---------------------------------------------------------------- */

static void test_the_iterator_gives_every_event_with_its_fields(void **state)
{
	struct ipcdump_session *s = open_capture(NULL);
	const struct ipcdump_event *e;
	size_t len = 99;

	(void)state;
	assert_int_equal(ipcdump_next(s, &e, -1), 1);
	assert_string_equal(ipcdump_event_type(e), "signal");
	assert_int_equal(ipcdump_event_time_ns(e), 2000000);
	/* the capture's clock: its offset to wall time */
	assert_int_equal(ipcdump_event_wall_ns(e), 2000000 + 1000000000ll);
	assert_int_equal(ipcdump_event_pid(e, IPCDUMP_SRC), SENDER);
	assert_int_equal(ipcdump_event_tid(e, IPCDUMP_SRC), SENDER);
	assert_int_equal(ipcdump_event_ppid(e, IPCDUMP_SRC), 1);
	assert_int_equal(ipcdump_event_pid(e, IPCDUMP_DST), TARGET);
	assert_string_equal(ipcdump_event_comm(e, IPCDUMP_SRC), "sender");
	assert_string_equal(ipcdump_event_comm(e, IPCDUMP_DST), "target");
	assert_int_equal(ipcdump_event_signal(e), SIGUSR1_);
	assert_string_equal(ipcdump_event_signal_name(e), "SIGUSR1");
	assert_int_equal(ipcdump_event_bytes(e), 0);
	assert_int_equal(ipcdump_event_latency_ns(e), -1);
	assert_int_equal(ipcdump_event_lost(e), 0);
	assert_null(ipcdump_event_payload(e, &len));
	assert_int_equal(len, 0);
	assert_non_null(ipcdump_event_channel(e));
	assert_int_equal(ipcdump_next(s, &e, -1), 1);
	assert_int_equal(ipcdump_event_signal(e), SIGUSR2_);
	assert_string_equal(ipcdump_event_signal_name(e), "SIGUSR2");
	assert_int_equal(ipcdump_next(s, &e, -1), 1);
	assert_int_equal(ipcdump_event_time_ns(e), 4000000);
	/* the end, and the end again */
	assert_int_equal(ipcdump_next(s, &e, -1), 0);
	assert_null(e);
	assert_int_equal(ipcdump_next(s, &e, 0), 0);
	assert_int_equal(ipcdump_errmsg(s, NULL, 0), 0);
	ipcdump_close(s);
}

static void test_stdin_is_read_as_a_capture(void **state)
{
	char err[256] = "";
	struct ipcdump_session *s = NULL;
	int sigs[8];

	(void)state;
	assert_non_null(freopen(path, "rb", stdin));
	assert_int_equal(ipcdump_open_capture(&s, "-", NULL, err, sizeof(err)), 0);
	assert_int_equal(signals_of(s, sigs, 8), 3);
	ipcdump_close(s);
}

static void test_a_zero_timeout_polls(void **state)
{
	struct ipcdump_session *s = open_capture(NULL);
	const struct ipcdump_event *e;
	int events = 0, rc;

	(void)state;
	assert_int_equal(ipcdump_start(s), 0);
	while ((rc = ipcdump_next(s, &e, 0)) != 0) {
		assert_true(rc == 1 || rc == -EAGAIN);
		events += rc == 1;
	}
	assert_int_equal(events, 3);
	ipcdump_close(s);
}

static void test_a_session_closed_mid_read_frees_everything(void **state)
{
	struct ipcdump_session *s = open_capture(NULL);
	const struct ipcdump_event *e;

	(void)state;
	assert_int_equal(ipcdump_next(s, &e, -1), 1);
	ipcdump_close(s);
	ipcdump_close(NULL);
}

static void test_the_session_filter_types_and_window_select(void **state)
{
	IPCDUMP_OPTS(by_filter, .filter = "signal == SIGUSR1 and dst.comm == target");
	IPCDUMP_OPTS(by_type, .types = "pipe,unix");
	IPCDUMP_OPTS(by_window, .since_ns = 1000000000ll + 3000000, .until_ns = 1000000000ll + 3500000);
	struct ipcdump_session *s;
	int sigs[8];

	(void)state;
	s = open_capture(&by_filter);
	assert_int_equal(signals_of(s, sigs, 8), 2);
	assert_int_equal(sigs[1], SIGUSR1_);
	ipcdump_close(s);
	s = open_capture(&by_type);
	assert_int_equal(signals_of(s, sigs, 8), 0);
	ipcdump_close(s);
	s = open_capture(&by_window);
	assert_int_equal(signals_of(s, sigs, 8), 1);
	assert_int_equal(sigs[0], SIGUSR2_);
	ipcdump_close(s);
}

/* An older program's smaller opts read as zeros past its end. */
static void test_opts_from_an_older_header_are_read_to_their_size(void **state)
{
	IPCDUMP_OPTS(opts, .types = "pipe", .since_ns = 1);
	struct ipcdump_session *s;
	int sigs[8];

	(void)state;
	opts.sz = offsetof(struct ipcdump_opts, filter);  /* types, but not what follows */
	opts.types = "signal";
	s = open_capture(&opts);
	assert_int_equal(signals_of(s, sigs, 8), 3);
	ipcdump_close(s);
}

struct seen {
	int count;
	int64_t src_pid;
	char dst_comm[32];
	const struct ipcdump_filter *check;  /* each event handed over matches it */
	struct ipcdump_session *stop_after_first;
};

static void on_event(void *ctx, const struct ipcdump_event *e)
{
	struct seen *s = ctx;

	if (s->check)
		assert_true(ipcdump_filter_match(s->check, e));
	s->count++;
	s->src_pid = ipcdump_event_pid(e, IPCDUMP_SRC);
	snprintf(s->dst_comm, sizeof(s->dst_comm), "%s", ipcdump_event_comm(e, IPCDUMP_DST));
	if (s->stop_after_first)
		ipcdump_stop(s->stop_after_first);
}

static void test_a_callback_takes_every_event_and_a_session_reads_once(void **state)
{
	char err[256] = "";
	IPCDUMP_OPTS(opts, .filter = "signal == USR2");
	struct ipcdump_session *s = open_capture(&opts);
	struct ipcdump_filter *usr2 = NULL;
	const struct ipcdump_event *e;
	struct seen seen = { 0 };

	(void)state;
	assert_int_equal(ipcdump_filter_new(&usr2, "signal == 12", err, sizeof(err), NULL), 0);
	seen.check = usr2;
	assert_int_equal(ipcdump_run(s, on_event, &seen), 0);
	assert_int_equal(seen.count, 1);
	assert_int_equal(seen.src_pid, SENDER);
	assert_string_equal(seen.dst_comm, "target");
	assert_int_equal(ipcdump_run(s, on_event, &seen), -EALREADY);
	assert_int_equal(ipcdump_errmsg(s, err, sizeof(err)), -EALREADY);
	assert_non_null(strstr(err, "once"));
	assert_int_equal(ipcdump_next(s, &e, 0), -EINVAL);
	assert_int_equal(ipcdump_start(s), -EALREADY);
	ipcdump_filter_free(usr2);
	ipcdump_close(s);
}

static void test_a_run_after_start_reads_the_rest(void **state)
{
	struct ipcdump_session *s = open_capture(NULL);
	const struct ipcdump_event *e;
	struct seen seen = { 0 };

	(void)state;
	assert_int_equal(ipcdump_start(s), 0);
	assert_int_equal(ipcdump_start(s), -EALREADY);
	assert_int_equal(ipcdump_next(s, &e, -1), 1);
	assert_int_equal(ipcdump_run(s, on_event, &seen), 0);
	assert_int_equal(seen.count, 2);
	ipcdump_close(s);
}

static void test_a_callback_can_stop_the_run(void **state)
{
	struct ipcdump_session *s = open_capture(NULL);
	struct seen seen = { 0 };

	(void)state;
	seen.stop_after_first = s;
	assert_int_equal(ipcdump_run(s, on_event, &seen), 0);
	assert_int_equal(seen.count, 1);
	ipcdump_close(s);
}

/* ---- filters and formats ---------------------------------------------------- */

static void test_filters_match_events_and_bad_ones_name_their_column(void **state)
{
	char err[256] = "";
	size_t column = 99;
	struct ipcdump_filter *f = NULL, *none = NULL;
	struct ipcdump_session *s = open_capture(NULL);
	const struct ipcdump_event *e;
	int matched = 0;

	(void)state;
	assert_int_equal(ipcdump_filter_new(&f, "signal == SIGUSR1 and src.pid == 100", err, sizeof(err), NULL), 0);
	while (ipcdump_next(s, &e, -1) > 0) {
		matched += ipcdump_filter_match(f, e);
		assert_true(ipcdump_filter_match(NULL, e));
	}
	assert_int_equal(matched, 2);
	ipcdump_filter_free(f);
	ipcdump_filter_free(NULL);
	ipcdump_close(s);

	assert_int_equal(ipcdump_filter_new(&none, "pid == 5 and", err, sizeof(err), &column), -EINVAL);
	assert_null(none);
	assert_true(err[0] != '\0');
	assert_int_equal(column, 12);
	assert_int_equal(ipcdump_filter_new(&none, "bogus == 1", err, sizeof(err), &column), -EINVAL);
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(column, 0);
}

static void test_an_event_formats_as_text_and_json_into_a_buffer(void **state)
{
	struct ipcdump_session *s = open_capture(NULL);
	const struct ipcdump_event *e;
	char line[512], small[8];
	int n;

	(void)state;
	assert_int_equal(ipcdump_next(s, &e, -1), 1);
	n = ipcdump_event_format(e, IPCDUMP_FORMAT_TEXT, 0, line, sizeof(line));
	assert_true(n > 0 && (size_t)n == strlen(line));
	assert_non_null(strstr(line, "signal"));
	assert_non_null(strstr(line, "sender"));
	assert_null(strchr(line, '\n'));
	n = ipcdump_event_format(e, IPCDUMP_FORMAT_JSON, IPCDUMP_FORMAT_PAYLOAD, line, sizeof(line));
	assert_true(n > 0 && line[0] == '{' && line[n - 1] == '}');
	assert_non_null(strstr(line, "\"type\":\"signal\""));
	assert_non_null(strstr(line, "\"dst_comm\":\"target\""));
	/* as snprintf: cut, terminated, the whole length returned */
	assert_int_equal(ipcdump_event_format(e, IPCDUMP_FORMAT_JSON, 0, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(ipcdump_event_format(e, IPCDUMP_FORMAT_JSON, 0, NULL, 0), n);
	assert_int_equal(ipcdump_event_format(e, (enum ipcdump_format)7, 0, line, sizeof(line)), -EINVAL);
	assert_int_equal(ipcdump_event_format(e, IPCDUMP_FORMAT_TEXT, 0x80, line, sizeof(line)), -EINVAL);
	ipcdump_close(s);
}

/* ---- live ------------------------------------------------------------------- */

/* A child that runs as comm and exits with what fn returns; its pid. */
static pid_t child_as(const char *comm, int (*fn)(int fd), int fd, int other_end)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		prctl(PR_SET_NAME, comm);
		close(other_end);
		_exit(fn(fd));
	}
	return child;
}

static int write_hello(int fd)
{
	return write(fd, "hello", 5) == 5 ? 0 : 1;
}

static int read_hello(int fd)
{
	char got[5];

	return read(fd, got, sizeof(got)) == 5 && !memcmp(got, "hello", 5) ? 0 : 1;
}

/*
 * ipcd-lib-w writes "hello" into a pipe that ipcd-lib-r reads: two
 * children, as the tracer leaves out the process that traces.
 */
static void write_hello_between_children(pid_t *writer, pid_t *reader)
{
	int fds[2], status;

	assert_int_equal(pipe(fds), 0);
	*reader = child_as("ipcd-lib-r", read_hello, fds[0], fds[1]);
	*writer = child_as("ipcd-lib-w", write_hello, fds[1], fds[0]);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(waitpid(*writer, &status, 0), *writer);
	assert_int_equal(status, 0);
	assert_int_equal(waitpid(*reader, &status, 0), *reader);
	assert_int_equal(status, 0);
}

static void test_a_live_session_sees_a_pipe_written_after_its_start(void **state)
{
	char err[512] = "";
	IPCDUMP_OPTS(opts, .types = "pipe", .filter = "src.comm == ipcd-lib-w", .payload_size = 3);
	struct ipcdump_session *s = NULL;
	const struct ipcdump_event *e;
	size_t len = 0;
	pid_t writer, reader;
	int rc, seen = 0;

	(void)state;
	if (geteuid() != 0)
		skip();  /* tracing needs root */
	assert_int_equal(ipcdump_open_live(&s, &opts, err, sizeof(err)), 0);
	rc = ipcdump_start(s);
	if (rc)
		ipcdump_errmsg(s, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(rc, 0);
	write_hello_between_children(&writer, &reader);
	ipcdump_stop(s);
	while ((rc = ipcdump_next(s, &e, -1)) > 0) {
		if (ipcdump_event_pid(e, IPCDUMP_SRC) != writer)
			continue;
		seen++;
		assert_string_equal(ipcdump_event_type(e), "pipe");
		assert_string_equal(ipcdump_event_comm(e, IPCDUMP_SRC), "ipcd-lib-w");
		assert_int_equal(ipcdump_event_pid(e, IPCDUMP_DST), reader);
		assert_string_equal(ipcdump_event_comm(e, IPCDUMP_DST), "ipcd-lib-r");
		assert_int_equal(ipcdump_event_bytes(e), 5);
		assert_memory_equal(ipcdump_event_payload(e, &len), "hel", 3);
		assert_int_equal(len, 3);
		assert_true(ipcdump_event_latency_ns(e) >= 0);
		assert_memory_equal(ipcdump_event_channel(e), "pipe:[", 6);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(seen, 1);
	ipcdump_close(s);
}

/* ---- errors ------------------------------------------------------------------ */

static void test_opening_fails_with_an_errno_and_a_message(void **state)
{
	char err[512] = "", junk[] = "/tmp/ipcd-lib-junk-XXXXXX";
	IPCDUMP_OPTS(bad_type, .types = "pipe,bogus");
	IPCDUMP_OPTS(bad_filter, .filter = "bytes >");
	struct {
		struct ipcdump_opts opts;
		uint64_t from_a_newer_header;
	} newer = { .opts = { .sz = sizeof(newer) }, .from_a_newer_header = 1 };
	struct ipcdump_session *s = (struct ipcdump_session *)&s;
	int fd;

	(void)state;
	assert_int_equal(ipcdump_open_capture(&s, "/nonexistent/x.ipcd", NULL, err, sizeof(err)), -ENOENT);
	assert_null(s);
	assert_non_null(strstr(err, "/nonexistent/x.ipcd"));
	assert_int_equal(ipcdump_open_store(&s, "/nonexistent/x.db", NULL, err, sizeof(err)), -ENOENT);
	assert_int_equal(ipcdump_open_capture(&s, path, &bad_type, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(ipcdump_open_live(&s, &bad_filter, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "column"));
	assert_int_equal(ipcdump_open_capture(&s, path, &newer.opts, err, sizeof(err)), -EINVAL);
	assert_int_equal(ipcdump_open_capture(&s, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(ipcdump_errmsg(NULL, err, sizeof(err)), -EINVAL);
	/* a file that is neither */
	fd = mkstemp(junk);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a capture, not a store", 26), 26);
	close(fd);
	assert_int_equal(ipcdump_open_capture(&s, junk, NULL, err, sizeof(err)), -EBADMSG);
	assert_int_equal(ipcdump_open_store(&s, junk, NULL, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "not a SQLite store"));
	unlink(junk);
	/* a store where a capture should be: the capture reader says what it is */
	assert_int_equal(ipcdump_open_store(&s, path, NULL, err, sizeof(err)), -EBADMSG);
}

/* The events before the damage, then the damage's errno and message. */
static void test_a_damaged_capture_fails_after_its_good_events(void **state)
{
	char err[512] = "", cut[] = "/tmp/ipcd-lib-cut-XXXXXX", buf[4096];
	struct ipcdump_session *s = NULL;
	const struct ipcdump_event *e;
	int in, out, events = 0, rc;
	ssize_t n;

	(void)state;
	in = open(path, O_RDONLY);
	out = mkstemp(cut);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, n), n);
	assert_int_equal(write(out, "\1\0\0", 3), 3);  /* a record cut short */
	close(in);
	close(out);
	assert_int_equal(ipcdump_open_capture(&s, cut, NULL, err, sizeof(err)), 0);
	while ((rc = ipcdump_next(s, &e, -1)) > 0)
		events++;
	assert_int_equal(events, 3);
	assert_int_equal(rc, -EBADMSG);
	assert_int_equal(ipcdump_errmsg(s, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, cut));
	assert_null(strchr(err, '\n'));
	/* and again: the end stays the error */
	assert_int_equal(ipcdump_next(s, &e, 0), -EBADMSG);
	ipcdump_close(s);
	unlink(cut);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_version_is_the_headers),
		cmocka_unit_test(test_the_iterator_gives_every_event_with_its_fields),
		cmocka_unit_test(test_stdin_is_read_as_a_capture),
		cmocka_unit_test(test_a_zero_timeout_polls),
		cmocka_unit_test(test_a_session_closed_mid_read_frees_everything),
		cmocka_unit_test(test_the_session_filter_types_and_window_select),
		cmocka_unit_test(test_opts_from_an_older_header_are_read_to_their_size),
		cmocka_unit_test(test_a_callback_takes_every_event_and_a_session_reads_once),
		cmocka_unit_test(test_a_run_after_start_reads_the_rest),
		cmocka_unit_test(test_a_callback_can_stop_the_run),
		cmocka_unit_test(test_filters_match_events_and_bad_ones_name_their_column),
		cmocka_unit_test(test_an_event_formats_as_text_and_json_into_a_buffer),
		cmocka_unit_test(test_a_live_session_sees_a_pipe_written_after_its_start),
		cmocka_unit_test(test_opening_fails_with_an_errno_and_a_message),
		cmocka_unit_test(test_a_damaged_capture_fails_after_its_good_events),
	};

	return cmocka_run_group_tests(tests, make_capture, remove_capture);
}
