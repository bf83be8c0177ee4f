// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace filter, built from real command lines: values of one flag
 * are ORed, different flags ANDed, -p/-P match either end, an unknown end
 * matches no pid or comm, and lost-event reports always pass.
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
#include "filter/filter.h"
#include "cli/options.h"

/* Over 100 KiB of filter lists: too big for a test's stack frame. */
static struct ipcd_options opts;

#define ARGV(...) ((char *[]){ "ipcdump", __VA_ARGS__, NULL })

/* Sets opts from a command line that must be valid. */
static void use_filter(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	ipcd_options_free(&opts);
	assert_int_equal(ipcd_parse_options(argc, argv, &opts, stderr), -1);
}

static void set_endpoint(struct ipcd_endpoint *ep, int64_t pid, const char *comm)
{
	if (pid < 0) {
		ipcd_endpoint_unknown(ep);
		return;
	}
	memset(ep, 0, sizeof(*ep));
	ep->pid = pid;
	ep->tid = pid;
	ep->ppid = 1;
	strncpy(ep->comm, comm, sizeof(ep->comm) - 1);
}

/* A pipe event from (src_pid, src_comm) to (dst_pid, dst_comm); pid -1: unknown. */
static struct ipcd_event pipe_event(int64_t src_pid, const char *src_comm, int64_t dst_pid,
				    const char *dst_comm)
{
	struct ipcd_event e;

	memset(&e, 0, sizeof(e));
	e.type = IPCD_TYPE_PIPE;
	e.bytes = 1;
	set_endpoint(&e.src, src_pid, src_comm);
	set_endpoint(&e.dst, dst_pid, dst_comm);
	return e;
}

static bool passes(int64_t src_pid, const char *src_comm, int64_t dst_pid, const char *dst_comm)
{
	struct ipcd_event e = pipe_event(src_pid, src_comm, dst_pid, dst_comm);

	return ipcd_filter_match(&opts, &e);
}

static void test_no_filter_passes_everything(void **state)
{
	(void)state;
	use_filter(ARGV("-x"));
	assert_false(ipcd_filter_active(&opts));
	assert_true(passes(10, "a", 20, "b"));
	assert_true(passes(-1, "", -1, ""));
}

static void test_every_filter_flag_makes_the_filter_active(void **state)
{
	static const char *const flags[] = { "-p", "-s", "-d", "-P", "-S", "-D" };

	(void)state;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		use_filter(ARGV((char *)flags[i], "5"));
		assert_true(ipcd_filter_active(&opts));
	}
}

static void test_any_pid_matches_either_end(void **state)
{
	(void)state;
	use_filter(ARGV("-p", "10"));
	assert_true(passes(10, "a", 20, "b"));
	assert_true(passes(20, "b", 10, "a"));
	assert_true(passes(10, "a", 10, "a"));
	assert_false(passes(11, "a", 20, "b"));
}

static void test_values_of_one_flag_are_ored(void **state)
{
	(void)state;
	use_filter(ARGV("-s", "10", "-s", "11", "-s", "12"));
	assert_true(passes(10, "a", 20, "b"));
	assert_true(passes(12, "a", 20, "b"));
	assert_false(passes(13, "a", 20, "b"));

	use_filter(ARGV("-D", "sort", "-D", "uniq"));
	assert_true(passes(1, "cat", 2, "uniq"));
	assert_true(passes(1, "cat", 2, "sort"));
	assert_false(passes(1, "cat", 2, "grep"));
}

static void test_src_pid_checks_only_the_source(void **state)
{
	(void)state;
	use_filter(ARGV("-s", "10"));
	assert_true(passes(10, "a", 20, "b"));
	assert_false(passes(20, "b", 10, "a"));
}

static void test_dst_pid_checks_only_the_destination(void **state)
{
	(void)state;
	use_filter(ARGV("-d", "20"));
	assert_true(passes(10, "a", 20, "b"));
	assert_false(passes(20, "b", 10, "a"));
}

static void test_different_flags_are_anded(void **state)
{
	(void)state;
	use_filter(ARGV("-s", "10", "-d", "20"));
	assert_true(passes(10, "a", 20, "b"));
	assert_false(passes(10, "a", 21, "b"));
	assert_false(passes(11, "a", 20, "b"));

	use_filter(ARGV("-p", "10", "-S", "cat"));
	assert_true(passes(10, "cat", 20, "b"));
	assert_true(passes(30, "cat", 10, "b"));
	assert_false(passes(30, "cat", 20, "b"));
	assert_false(passes(10, "dog", 20, "b"));

	use_filter(ARGV("-P", "cat", "-D", "sort"));
	assert_true(passes(1, "cat", 2, "sort"));
	assert_false(passes(1, "cat", 2, "uniq"));
	assert_false(passes(1, "tac", 2, "sort"));
}

static void test_any_comm_matches_either_end(void **state)
{
	(void)state;
	use_filter(ARGV("-P", "cat"));
	assert_true(passes(1, "cat", 2, "sort"));
	assert_true(passes(1, "sort", 2, "cat"));
	assert_false(passes(1, "sort", 2, "uniq"));
	/* whole-comm equality, not a prefix */
	assert_false(passes(1, "cats", 2, "ca"));
}

static void test_src_and_dst_comm_check_their_own_end(void **state)
{
	(void)state;
	use_filter(ARGV("-S", "cat"));
	assert_true(passes(1, "cat", 2, "sort"));
	assert_false(passes(1, "sort", 2, "cat"));

	use_filter(ARGV("-D", "cat"));
	assert_true(passes(1, "sort", 2, "cat"));
	assert_false(passes(1, "cat", 2, "sort"));
}

/* A long name on the command line matches the 15 characters the kernel keeps. */
static void test_long_comm_matches_the_kernels_truncated_comm(void **state)
{
	(void)state;
	use_filter(ARGV("-S", "averyveryverylongname"));
	assert_true(passes(1, "averyveryverylo", 2, "b"));
	assert_false(passes(1, "averyveryverylx", 2, "b"));
}

static void test_unknown_end_matches_no_pid_or_comm(void **state)
{
	struct ipcd_event e;

	(void)state;
	use_filter(ARGV("-p", "10"));
	assert_false(passes(-1, "", 20, "b"));
	assert_true(passes(-1, "", 10, "a"));

	use_filter(ARGV("-d", "20"));
	assert_false(passes(10, "a", -1, ""));

	/* the comm left in an unknown end must not match either */
	use_filter(ARGV("-D", "cat"));
	e = pipe_event(10, "a", 20, "cat");
	e.dst.pid = -1;
	assert_false(ipcd_filter_match(&opts, &e));
	use_filter(ARGV("-P", "cat"));
	assert_false(ipcd_filter_match(&opts, &e));

	/* pid -1 read as unsigned must not hit a listed 4294967295 */
	use_filter(ARGV("-s", "1"));
	opts.src_pids.ids[0] = UINT32_MAX;
	assert_false(passes(-1, "", 20, "b"));
}

static void test_lost_events_always_pass(void **state)
{
	struct ipcd_event lost;

	(void)state;
	memset(&lost, 0, sizeof(lost));
	lost.type = IPCD_TYPE_LOST;
	lost.lost_collector = IPCD_COLL_PIPE;
	lost.lost_count = 3;
	ipcd_endpoint_unknown(&lost.src);
	ipcd_endpoint_unknown(&lost.dst);
	use_filter(ARGV("-p", "10", "-s", "11", "-d", "12", "-P", "a", "-S", "b", "-D", "c"));
	assert_true(ipcd_filter_match(&opts, &lost));
}

/* Signals go through the same filter as pipes. */
static void test_signals_are_filtered_like_pipes(void **state)
{
	struct ipcd_event e = pipe_event(10, "kill", 20, "sleep");

	(void)state;
	e.type = IPCD_TYPE_SIGNAL;
	e.bytes = 0;
	e.sig = 15;
	use_filter(ARGV("-D", "sleep"));
	assert_true(ipcd_filter_match(&opts, &e));
	use_filter(ARGV("-S", "sleep"));
	assert_false(ipcd_filter_match(&opts, &e));
}

/* The flags are sugar for the language, but their comms are literal: no wildcards, quotes or escapes. */
static void test_flag_comms_are_literal(void **state)
{
	(void)state;
	use_filter(ARGV("-P", "a*b"));
	assert_false(passes(10, "axxb", 20, "c"));
	assert_true(passes(10, "a*b", 20, "c"));
	use_filter(ARGV("-S", "q\"u\\o[t]e?"));
	assert_true(passes(10, "q\"u\\o[t]e?", 20, "c"));
	assert_false(passes(10, "q\"u\\oteX", 20, "c"));
	/* with an expression as well: both must hold */
	use_filter(ARGV("-s", "10", "dst.comm == c*"));
	assert_true(passes(10, "a", 20, "cat"));
	assert_false(passes(11, "a", 20, "cat"));
	assert_false(passes(10, "a", 20, "dog"));
	ipcd_options_free(&opts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flag_comms_are_literal),
		cmocka_unit_test(test_no_filter_passes_everything),
		cmocka_unit_test(test_every_filter_flag_makes_the_filter_active),
		cmocka_unit_test(test_any_pid_matches_either_end),
		cmocka_unit_test(test_values_of_one_flag_are_ored),
		cmocka_unit_test(test_src_pid_checks_only_the_source),
		cmocka_unit_test(test_dst_pid_checks_only_the_destination),
		cmocka_unit_test(test_different_flags_are_anded),
		cmocka_unit_test(test_any_comm_matches_either_end),
		cmocka_unit_test(test_src_and_dst_comm_check_their_own_end),
		cmocka_unit_test(test_long_comm_matches_the_kernels_truncated_comm),
		cmocka_unit_test(test_unknown_end_matches_no_pid_or_comm),
		cmocka_unit_test(test_lost_events_always_pass),
		cmocka_unit_test(test_signals_are_filtered_like_pipes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
