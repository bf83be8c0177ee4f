// SPDX-License-Identifier: GPL-2.0
/*
 * The filter language: what parses (and what each expression matches on
 * known events), and what does not (with the reason and the column).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/event.h"
#include "filter/filter_expr.h"

static const uint8_t get_request[] = "GET /index.html HTTP/1.0\r\n";

static void endpoint(struct ipcd_endpoint *ep, int64_t pid, const char *comm)
{
	ipcd_endpoint_unknown(ep);
	ep->pid = ep->tid = pid;
	ep->ppid = 1;
	strncpy(ep->comm, comm, sizeof(ep->comm) - 1);
}

/* nginx (10) -> python3 (20) over loopback TCP 127.0.0.1:80 -> :5555, 26 bytes of a GET. */
static struct ipcd_event tcp_event(void)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_LOOPBACK_TCP, 1000);
	endpoint(&e.src, 10, "nginx");
	endpoint(&e.dst, 20, "python3");
	e.bytes = sizeof(get_request) - 1;
	e.latency_ns = 5000;
	e.flags = IPCD_EF_HAS_LATENCY;
	e.has_inet = true;
	e.inet.saddr[10] = e.inet.saddr[11] = e.inet.daddr[10] = e.inet.daddr[11] = 0xff;
	e.inet.saddr[12] = e.inet.daddr[12] = 127;
	e.inet.saddr[15] = e.inet.daddr[15] = 1;
	e.inet.sport = 80;
	e.inet.dport = 5555;
	e.payload = get_request;
	e.payload_len = sizeof(get_request) - 1;
	return e;
}

/* kill -USR1 from bash (30) to a process whose end is unknown. */
static struct ipcd_event signal_event(void)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_SIGNAL, 2000);
	endpoint(&e.src, 30, "bash");
	e.sig = 10;
	return e;
}

static bool matches(const char *text, const struct ipcd_event *ev)
{
	char err[256];
	size_t col = 99;
	struct fexpr *e = fexpr_parse(text, err, sizeof(err), &col);
	bool hit;

	if (!e)
		fail_msg("'%s' did not parse: %s at %zu", text, err, col);
	hit = fexpr_match(e, ev);
	fexpr_free(e);
	return hit;
}

static void assert_refused(const char *text, const char *why, size_t want_col)
{
	char err[256];
	size_t col = 999;
	struct fexpr *e = fexpr_parse(text, err, sizeof(err), &col);

	assert_null(e);
	assert_string_equal(err, why);
	assert_int_equal(col, want_col);
}

static void test_fields_of_either_end(void **state)
{
	struct ipcd_event t = tcp_event();

	(void)state;
	assert_true(matches("pid == 10", &t));
	assert_true(matches("pid == 20", &t));
	assert_false(matches("pid == 30", &t));
	/* != on an either-end field: neither end */
	assert_false(matches("pid != 10", &t));
	assert_true(matches("pid != 30", &t));
	assert_true(matches("comm == nginx", &t));
	assert_true(matches("comm == \"py*\"", &t));
	assert_false(matches("comm != \"py*\"", &t));
	assert_true(matches("port == 5555 and port == 80", &t));
}

static void test_fields_of_one_end(void **state)
{
	struct ipcd_event t = tcp_event(), s = signal_event();

	(void)state;
	assert_true(matches("src.pid == 10 and dst.pid == 20", &t));
	assert_false(matches("src.pid == 20", &t));
	assert_true(matches("src.comm == nginx && dst.comm ~ \"^py\"", &t));
	assert_true(matches("src.port == 80 and dst.port >= 5000", &t));
	/* an unknown end matches no value, and every "!=" */
	assert_false(matches("dst.pid == -1", &s));
	assert_false(matches("dst.comm == \"*\"", &s));
	assert_true(matches("dst.comm != bash", &s));
}

static void test_numbers_and_text(void **state)
{
	struct ipcd_event t = tcp_event(), s = signal_event();

	(void)state;
	assert_true(matches("bytes == 26 and size > 25 and bytes < 27 and bytes <= 26 and bytes >= 26", &t));
	assert_true(matches("latency > 4999", &t));
	assert_false(matches("latency > 5000", &t));
	assert_false(matches("latency > 0", &s));  /* no latency: no match */
	assert_true(matches("bytes == 0x1a", &t));
	assert_true(matches("type == loopback-tcp", &t));
	assert_true(matches("type == \"loopback*\"", &t));
	assert_true(matches("signal == SIGUSR1 and signal == usr1 and signal == 10", &s));
	assert_false(matches("signal == 10", &t));
	assert_true(matches("channel == \"127.0.0.1:80>127.0.0.1:5555\"", &t));
	assert_true(matches("path contains \":5555\"", &t));
}

/* Real-time signals by the names kill -l prints and takes (glibc's SIGRTMIN is 34). */
static void test_real_time_signal_names(void **state)
{
	struct ipcd_event s = signal_event();

	(void)state;
	s.sig = 36;
	assert_true(matches("signal == RTMIN+2", &s));
	assert_true(matches("signal == SIGRTMIN+2", &s));
	assert_true(matches("signal == sigrtmin+2", &s));
	assert_true(matches("signal == 36", &s));
	assert_true(matches("signal == RTMAX-28", &s));
	assert_false(matches("signal == RTMIN+4", &s));
	s.sig = 34;
	assert_true(matches("signal == RTMIN and signal == SIGRTMIN+0", &s));
	s.sig = 64;
	assert_true(matches("signal == RTMAX and signal == SIGRTMAX and signal == RTMIN+30", &s));
	s.sig = 63;
	assert_true(matches("signal == SIGRTMAX-1", &s));
}

/* type == takes every -t name with its meaning: a family matches its members. */
static void test_type_names_and_families(void **state)
{
	static const struct {
		const char *expr;
		enum ipcd_type type;
		bool hit;
	} cases[] = {
		{ "type == unix", IPCD_TYPE_UNIX_STREAM, true },
		{ "type == unix", IPCD_TYPE_UNIX_DGRAM, true },
		{ "type == unix", IPCD_TYPE_UNIX_SEQPACKET, true },
		{ "type == unix", IPCD_TYPE_UNIX_CONN, true },
		{ "type == u", IPCD_TYPE_UNIX_DGRAM, true },
		{ "type == unix", IPCD_TYPE_PIPE, false },
		{ "type == us", IPCD_TYPE_UNIX_STREAM, true },
		{ "type == us", IPCD_TYPE_UNIX_DGRAM, false },
		{ "type == kill", IPCD_TYPE_SIGNAL, true },
		{ "type == k", IPCD_TYPE_SIGNAL, true },
		{ "type == fifo", IPCD_TYPE_PIPE, true },
		{ "type == loopback", IPCD_TYPE_LOOPBACK_UDP, true },
		{ "type == loopback", IPCD_TYPE_LOOPBACK_TCP_CONN, true },
		{ "type == lt", IPCD_TYPE_LOOPBACK_TCP, true },
		{ "type == lt", IPCD_TYPE_LOOPBACK_UDP, false },
		{ "type == mq", IPCD_TYPE_MQ_POSIX, true },
		{ "type == mq", IPCD_TYPE_MQ_OP, true },
		{ "type == mqs", IPCD_TYPE_MQ_POSIX, false },
		{ "type == shared-memory", IPCD_TYPE_SHM, true },
		{ "type == all", IPCD_TYPE_PTY, true },
		{ "type == unix-conn", IPCD_TYPE_UNIX_CONN, true },
		{ "type == unix-conn", IPCD_TYPE_UNIX_STREAM, false },
		{ "type == loopback-tcp-conn", IPCD_TYPE_LOOPBACK_TCP_CONN, true },
		{ "type == lost", IPCD_TYPE_LOST, true },
		{ "type != unix", IPCD_TYPE_UNIX_CONN, false },
		{ "type != unix", IPCD_TYPE_PIPE, true },
		{ "type == \"unix-*\"", IPCD_TYPE_UNIX_CONN, true },
		{ "type ~ \"^mq\"", IPCD_TYPE_MQ_OP, true },
	};
	struct ipcd_event e = signal_event();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.type = cases[i].type;
		if (matches(cases[i].expr, &e) != cases[i].hit)
			fail_msg("'%s' on a %s event: expected %s", cases[i].expr, ipcd_type_name(cases[i].type),
				 cases[i].hit ? "a match" : "none");
	}
}

static void test_unknown_type_lists_the_valid_ones(void **state)
{
	char err[1024];
	size_t col = 0;

	(void)state;
	assert_null(fexpr_parse("type == bogus", err, sizeof(err), &col));
	assert_int_equal(col, 8);
	assert_non_null(strstr(err, "unknown type 'bogus': expected all, signal, kill, unix, "));
	assert_non_null(strstr(err, ", shared-memory, unix-conn, loopback-tcp-conn, mq-op, lost"));
	assert_null(fexpr_parse("pid == 1 and type != \"nothing*\"", err, sizeof(err), &col));
	assert_int_equal(col, 21);
	assert_non_null(strstr(err, "unknown type 'nothing*': expected all, "));
}

static void test_payload(void **state)
{
	struct ipcd_event t = tcp_event(), s = signal_event();

	(void)state;
	assert_true(matches("payload contains \"GET \"", &t));
	assert_false(matches("payload contains \"POST\"", &t));
	assert_true(matches("payload ~ \"^GET /[a-z]+\\\\.html\"", &t));
	assert_true(matches("payload !~ \"^POST\"", &t));
	assert_true(matches("payload matches \"HTTP/1\\\\.[01]\"", &t));
	assert_false(matches("payload contains x", &s));
}

/* key: a SysV queue's or segment's key, as a number (0x... too). */
static void test_sysv_key(void **state)
{
	struct ipcd_event q = signal_event();

	(void)state;
	q.type = IPCD_TYPE_MQ_SYSV;
	q.mq_has_key = true;
	q.mq_key = 0x1234;
	assert_true(matches("key == 0x1234", &q));
	assert_false(matches("key == 0x1235", &q));
	q.mq_has_key = false;
	assert_false(matches("key == 0x1234", &q));
}

static void test_logic_and_precedence(void **state)
{
	struct ipcd_event t = tcp_event();

	(void)state;
	/* and binds tighter than or */
	assert_true(matches("pid == 99 and pid == 98 or pid == 10", &t));
	assert_false(matches("pid == 99 and (pid == 98 or pid == 10)", &t));
	assert_true(matches("not pid == 99", &t));
	assert_true(matches("!(pid == 99) && ! pid == 98", &t));
	assert_true(matches("not not pid == 10", &t));
	assert_true(matches("  ( ( pid == 10 ) )  ", &t));
	assert_true(matches("pid=10 and bytes>1", &t));
}

static void test_errors_name_the_column(void **state)
{
	(void)state;
	assert_refused("", "expected a field at the end", 0);
	assert_refused("foo == 1", "unknown field 'foo'", 0);
	assert_refused("pid 10", "expected an operator (==, !=, <, <=, >, >=, ~, !~, contains)", 4);
	assert_refused("pid ==", "expected a value at the end", 6);
	assert_refused("pid == ten", "expected a number, got 'ten'", 7);
	assert_refused("bytes > \"abc\"", "expected a number, got 'abc'", 8);
	assert_refused("comm < x", "text compares with ==, !=, ~, !~ or contains only", 7);
	assert_refused("pid ~ 1", "~ needs a text field, not a number", 6);
	assert_refused("comm ~ \"(\"", "invalid regular expression '(': missing closing parenthesis", 7);
	assert_refused("payload == x", "payload takes contains, ~ or !~", 11);
	assert_refused("comm == \"open", "unterminated string", 8);
	assert_refused("(pid == 1", "unbalanced parenthesis", 0);
	assert_refused("pid == 1)", "unbalanced parenthesis", 8);
	assert_refused("pid == 1 pid == 2", "expected and, or or the end", 9);
	assert_refused("pid == 1 and", "expected a field at the end", 12);
	assert_refused("signal == SIGNOPE", "expected a number, got 'SIGNOPE'", 10);
	assert_refused("signal == RTMIN+31", "expected a number, got 'RTMIN+31'", 10);
	assert_refused("signal == RTMAX+1", "expected a number, got 'RTMAX+1'", 10);
	assert_refused("signal == RTMIN+", "expected a number, got 'RTMIN+'", 10);
}

/* bytes and latency are u64: the whole range parses, and past it is an error naming the range. */
static void test_u64_fields(void **state)
{
	struct ipcd_event t = tcp_event();

	(void)state;
	t.bytes = UINT64_MAX;
	t.latency_ns = UINT64_MAX - 1;
	assert_true(matches("bytes == 18446744073709551615", &t));
	assert_true(matches("bytes > 18446744073709551614", &t));
	assert_true(matches("bytes > 9223372036854775807", &t));
	assert_true(matches("latency < 18446744073709551615 and latency >= 0xfffffffffffffffe", &t));
	assert_false(matches("bytes < 1", &t));
	assert_refused("bytes > 18446744073709551616",
		       "'18446744073709551616' is out of range (0 to 18446744073709551615)", 8);
	assert_refused("latency > -1", "'-1' is out of range (0 to 18446744073709551615)", 10);
	assert_refused("pid == 9223372036854775808",
		       "'9223372036854775808' is out of range (-9223372036854775808 to 9223372036854775807)", 7);
}

static char *repeated(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t len = strlen(head) + strlen(unit) * times + strlen(tail);
	char *out = malloc(len + 1);

	assert_non_null(out);
	strcpy(out, head);
	for (size_t i = 0; i < times; i++)
		strcat(out + strlen(head) + i * strlen(unit), unit);
	strcat(out, tail);
	return out;
}

/* The parser recurses per "(" and "not": nesting stops at 256, not at the end of the stack. */
static void test_nesting_is_bounded(void **state)
{
	struct ipcd_event t = tcp_event();
	char *deep_ok = repeated("", "(", 256, "pid == 10");
	char *closed = repeated(deep_ok, ")", 256, "");
	char *too_deep = repeated("", "(", 100000, "pid == 10");
	char *nots = repeated("", "not ", 100000, "pid == 10");
	char *many = repeated("pid == 1", " or pid == 1", 4096, "");

	(void)state;
	assert_true(matches(closed, &t));
	assert_refused(too_deep, "nested more than 256 deep (parentheses and not)", 256);
	assert_refused(nots, "nested more than 256 deep (parentheses and not)", 1024);
	assert_refused(many, "more than 4096 comparisons in one filter", 4096 * 12);
	free(deep_ok);
	free(closed);
	free(too_deep);
	free(nots);
	free(many);
}

/* Patterns that took glibc's regcomp minutes and gigabytes are refused at once, saying why. */
static void test_regex_is_bounded(void **state)
{
	char *long_pattern = repeated("comm ~ \"", "a", 1025, "\"");

	(void)state;
	assert_refused("comm ~ \"((a{255}){255}){255}\"",
		       "invalid regular expression '((a{255}){255}){255}': regular expression is too large", 7);
	assert_refused("comm ~ \"p++++++++++++++++++++++++e\"", "invalid regular expression 'p++++++++++++++++++++"
		       "++++e': quantifier does not follow a repeatable item", 7);
	assert_refused(long_pattern, "regular expression longer than 1024 bytes", 7);
	free(long_pattern);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_of_either_end),
		cmocka_unit_test(test_fields_of_one_end),
		cmocka_unit_test(test_numbers_and_text),
		cmocka_unit_test(test_real_time_signal_names),
		cmocka_unit_test(test_type_names_and_families),
		cmocka_unit_test(test_unknown_type_lists_the_valid_ones),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_sysv_key),
		cmocka_unit_test(test_logic_and_precedence),
		cmocka_unit_test(test_errors_name_the_column),
		cmocka_unit_test(test_u64_fields),
		cmocka_unit_test(test_nesting_is_bounded),
		cmocka_unit_test(test_regex_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
