// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: what each flag sets, and that every bad value is refused
 * with exit code 2 and a single "ipcdump: ..." line, as tcpdump does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/options.h"

/* Over 100 KiB of filter lists: too big for a test's stack frame. */
static struct ipcd_options opts;

/* An argv for ipcd_parse_options; getopt permutes it, so it must be writable. */
#define ARGV(...) ((char *[]){ "ipcdump", __VA_ARGS__, NULL })

#define UNIX_TYPES                                                                         \
	(IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM) | IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM) |        \
	 IPCD_TYPE_BIT(IPCD_TYPE_UNIX_SEQPACKET))
#define TCP_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_TCP) | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_TCP_CONN))
#define MQ_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_MQ_SYSV) | IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX))
#define ALL_TYPES                                                                          \
	(IPCD_TYPE_BIT(IPCD_TYPE_PIPE) | IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL) | UNIX_TYPES |      \
	 IPCD_TYPE_BIT(IPCD_TYPE_PTY) | TCP_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) | MQ_TYPES | \
	 IPCD_TYPE_BIT(IPCD_TYPE_SHM))

static int count_args(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return argc;
}

/* Parses argv into opts; *err_text receives what was written to err (free it). */
static int parse(char **argv, char **err_text)
{
	size_t size = 0;
	FILE *err;
	int rc;

	*err_text = NULL;
	err = open_memstream(err_text, &size);
	assert_non_null(err);
	/* what the previous parse allocated (a filter) */
	ipcd_options_free(&opts);
	rc = ipcd_parse_options(count_args(argv), argv, &opts, err);
	assert_int_equal(fclose(err), 0);
	return rc;
}

/* The command line is accepted silently and tracing may go on (-1). */
static void assert_accepted(char **argv)
{
	char *err_text;
	int rc = parse(argv, &err_text);

	assert_string_equal(err_text, "");
	assert_int_equal(rc, -1);
	free(err_text);
}

/*
 * The command line is refused with the usage exit code and exactly one line:
 * "ipcdump: <reason> (see ipcdump --help)".
 */
static void assert_refused(char **argv, const char *reason)
{
	char *expected, *err_text;
	int rc = parse(argv, &err_text);

	assert_int_equal(rc, IPCD_EXIT_USAGE);
	assert_true(asprintf(&expected, "ipcdump: %s (see ipcdump --help)\n", reason) > 0);
	assert_string_equal(err_text, expected);
	/* one line: the only newline is the last character */
	assert_ptr_equal(strchr(err_text, '\n'), err_text + strlen(err_text) - 1);
	free(expected);
	free(err_text);
}

/* Accepted (tracing goes on), with exactly this one warning line. */
static void assert_warned(char **argv, const char *warning)
{
	char *expected, *err_text;
	int rc = parse(argv, &err_text);

	assert_int_equal(rc, -1);
	assert_true(asprintf(&expected, "ipcdump: warning: %s\n", warning) > 0);
	assert_string_equal(err_text, expected);
	free(expected);
	free(err_text);
}

/* Refused as above, where only the start of the reason is pinned down. */
static void assert_refused_starting(char **argv, const char *reason_start)
{
	char *expected_start, *err_text;
	int rc = parse(argv, &err_text);

	assert_int_equal(rc, IPCD_EXIT_USAGE);
	assert_true(asprintf(&expected_start, "ipcdump: %s", reason_start) > 0);
	assert_int_equal(strncmp(err_text, expected_start, strlen(expected_start)), 0);
	assert_ptr_equal(strchr(err_text, '\n'), err_text + strlen(err_text) - 1);
	free(expected_start);
	free(err_text);
}

/* ---- defaults --------------------------------------------------------- */

static void test_no_arguments_gives_defaults(void **state)
{
	char *argv[] = { "ipcdump", NULL };

	(void)state;
	assert_accepted(argv);
	assert_int_equal(opts.types, ALL_TYPES);
	assert_int_equal(opts.format, IPCD_FORMAT_TEXT);
	assert_int_equal(opts.buffer_size, 16u << 20);
	assert_int_equal(opts.count, 0);
	assert_false(opts.dump_bytes);
	assert_int_equal(opts.max_bytes, 0);
	assert_false(opts.quiet_lost);
	assert_false(opts.kernel_signals);
	assert_false(opts.lifecycle);
	assert_false(opts.show_help);
	assert_false(opts.show_version);
	assert_int_equal(opts.any_pids.count, 0);
	assert_int_equal(opts.src_pids.count, 0);
	assert_int_equal(opts.dst_pids.count, 0);
	assert_int_equal(opts.any_comms.count, 0);
	assert_int_equal(opts.src_comms.count, 0);
	assert_int_equal(opts.dst_comms.count, 0);
}

/* A second parse must not inherit what the first one set. */
static void test_each_parse_starts_from_defaults(void **state)
{
	char *argv[] = { "ipcdump", NULL };

	(void)state;
	assert_accepted(ARGV("-p", "5", "-x", "-f", "json", "-t", "k"));
	assert_accepted(argv);
	assert_int_equal(opts.any_pids.count, 0);
	assert_false(opts.dump_bytes);
	assert_int_equal(opts.format, IPCD_FORMAT_TEXT);
	assert_int_equal(opts.types, ALL_TYPES);
}

/* ---- -t --------------------------------------------------------------- */

static const struct {
	const char *name;
	uint32_t mask;
} type_names[] = {
	{ "a", ALL_TYPES },
	{ "all", ALL_TYPES },
	{ "k", IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL) },
	{ "signal", IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL) },
	{ "kill", IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL) },
	{ "p", IPCD_TYPE_BIT(IPCD_TYPE_PIPE) },
	{ "pipe", IPCD_TYPE_BIT(IPCD_TYPE_PIPE) },
	{ "fifo", IPCD_TYPE_BIT(IPCD_TYPE_PIPE) },
	{ "u", UNIX_TYPES },
	{ "unix", UNIX_TYPES },
	{ "uq", IPCD_TYPE_BIT(IPCD_TYPE_UNIX_SEQPACKET) },
	{ "unix-seqpacket", IPCD_TYPE_BIT(IPCD_TYPE_UNIX_SEQPACKET) },
	{ "ud", IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM) },
	{ "unix-dgram", IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM) },
	{ "us", IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM) },
	{ "unix-stream", IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM) },
	{ "t", IPCD_TYPE_BIT(IPCD_TYPE_PTY) },
	{ "pty", IPCD_TYPE_BIT(IPCD_TYPE_PTY) },
	{ "lo", TCP_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) },
	{ "loopback", TCP_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) },
	{ "lt", TCP_TYPES },
	{ "loopback-tcp", TCP_TYPES },
	{ "lu", IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) },
	{ "mq", MQ_TYPES },
	{ "msgqueue", MQ_TYPES },
	{ "mqs", IPCD_TYPE_BIT(IPCD_TYPE_MQ_SYSV) },
	{ "mq-sysv", IPCD_TYPE_BIT(IPCD_TYPE_MQ_SYSV) },
	{ "mqp", IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX) },
	{ "mq-posix", IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX) },
	{ "shm", IPCD_TYPE_BIT(IPCD_TYPE_SHM) },
	{ "shared-memory", IPCD_TYPE_BIT(IPCD_TYPE_SHM) },
	{ "loopback-udp", IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) },
};

#define VALID_TYPES                                                                              \
	"valid: all, signal, kill, unix, unix-dgram, unix-stream, unix-seqpacket, pty, loopback, "    \
	"loopback-tcp, loopback-udp, pipe, fifo, msgqueue, mq-sysv, mq-posix, shared-memory"

#define TYPE_NAME_COUNT (sizeof(type_names) / sizeof(type_names[0]))

static void test_every_type_alias_selects_its_types(void **state)
{
	(void)state;
	for (size_t i = 0; i < TYPE_NAME_COUNT; i++) {
		char *name = (char *)type_names[i].name;

		assert_accepted(ARGV("-t", name));
		assert_int_equal(opts.types, type_names[i].mask);
		assert_accepted(ARGV("--type", name));
		assert_int_equal(opts.types, type_names[i].mask);
		assert_int_equal(ipcd_parse_type(name), type_names[i].mask);
	}
}

static void test_repeated_types_are_ored(void **state)
{
	(void)state;
	assert_accepted(ARGV("-t", "p", "-t", "k"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_PIPE) | IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL));
	assert_accepted(ARGV("-t", "ud", "--type", "lt", "-t", "ud"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM) | TCP_TYPES);
}

/* Lifecycle events come with the unix types asked for, and only then. */
static void test_lifecycle_joins_the_unix_types(void **state)
{
	(void)state;
	assert_accepted(ARGV("--lifecycle"));
	assert_true(opts.lifecycle);
	assert_int_equal(opts.types, ALL_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_UNIX_CONN) | IPCD_TYPE_BIT(IPCD_TYPE_MQ_OP));
	assert_accepted(ARGV("--lifecycle", "-t", "mqp"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX) | IPCD_TYPE_BIT(IPCD_TYPE_MQ_OP));
	assert_accepted(ARGV("--lifecycle", "-t", "us"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM) | IPCD_TYPE_BIT(IPCD_TYPE_UNIX_CONN));
	assert_accepted(ARGV("--lifecycle", "-t", "pipe"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_PIPE));
	assert_accepted(ARGV("-t", "unix"));
	assert_int_equal(opts.types, UNIX_TYPES);
}

static void test_unknown_type_is_refused(void **state)
{
	(void)state;
	assert_int_equal(ipcd_parse_type("tcp"), 0);
	assert_int_equal(ipcd_parse_type(""), 0);
	/* names are case-sensitive, as in IPCDump */
	assert_int_equal(ipcd_parse_type("PIPE"), 0);
	assert_refused(ARGV("-t", "tcp"), "unknown type 'tcp' (did you mean 'loopback-tcp'?); " VALID_TYPES);
	assert_refused(ARGV("-t", ""), "unknown type ''; " VALID_TYPES);
}

/* The closest name is suggested, and every valid one listed, on one line. */
static void test_unknown_type_suggests_the_closest(void **state)
{
	(void)state;
	assert_refused(ARGV("-t", "pipes"), "unknown type 'pipes' (did you mean 'pipe'?); " VALID_TYPES);
	assert_refused(ARGV("-t", "sgnal"), "unknown type 'sgnal' (did you mean 'signal'?); " VALID_TYPES);
	assert_refused(ARGV("-t", "unxi"), "unknown type 'unxi' (did you mean 'unix'?); " VALID_TYPES);
	/* nothing close: no guess */
	assert_refused(ARGV("-t", "bogus"), "unknown type 'bogus'; " VALID_TYPES);
	assert_refused(ARGV("-t", "x"), "unknown type 'x'; " VALID_TYPES);
}

static void test_comma_separated_types(void **state)
{
	(void)state;
	assert_accepted(ARGV("-t", "pipe,unix"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_PIPE) | UNIX_TYPES);
	assert_accepted(ARGV("-t", "k,p", "-t", "shm"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL) | IPCD_TYPE_BIT(IPCD_TYPE_PIPE) |
					     IPCD_TYPE_BIT(IPCD_TYPE_SHM));
	/* each name is checked: a bad one, or an empty one, is named */
	assert_refused(ARGV("-t", "pipe,pipes"), "unknown type 'pipes' (did you mean 'pipe'?); " VALID_TYPES);
	assert_refused(ARGV("-t", "pipe,,unix"), "unknown type ''; " VALID_TYPES);
	assert_refused(ARGV("-t", "pipe,"), "unknown type ''; " VALID_TYPES);
}

/* -w writes the events already: a second destination for them is a mistake to say. */
static void test_output_file_and_capture_are_refused_together(void **state)
{
	(void)state;
	assert_accepted(ARGV("-o", "events.txt"));
	assert_string_equal(opts.output_path, "events.txt");
	assert_refused(ARGV("-o", "events.txt", "-w", "cap.ipcd"),
		       "-o and -w: -w writes the events already, as a capture");
}

/* --print (and --stats, --analyze) with -w: the capture and something printed, to stdout or -o. */
static void test_print_goes_with_a_capture(void **state)
{
	(void)state;
	assert_accepted(ARGV("-w", "cap.ipcd", "--print"));
	assert_true(opts.print);
	assert_accepted(ARGV("-w", "cap.ipcd", "--print", "-o", "events.txt"));
	assert_accepted(ARGV("-w", "cap.ipcd", "--stats", "-o", "stats.txt"));
	assert_accepted(ARGV("-w", "-", "--print", "-o", "events.txt"));
	assert_refused(ARGV("-w", "-", "--print"),
		       "-w - writes the capture to stdout: --print, --stats and --analyze need -o FILE with it");
	assert_refused(ARGV("-w", "-", "--analyze"),
		       "-w - writes the capture to stdout: --print, --stats and --analyze need -o FILE with it");
}

static void test_closest_name(void **state)
{
	const char *names[] = { "text", "json", "csv" };

	(void)state;
	assert_string_equal(ipcd_closest_name("jsn", names, 3), "json");
	assert_string_equal(ipcd_closest_name("jsno", names, 3), "json");  /* a swap is one slip */
	assert_string_equal(ipcd_closest_name("CSV", names, 3), "csv");  /* case is one slip */
	assert_null(ipcd_closest_name("xml", names, 3));
	assert_null(ipcd_closest_name("", names, 3));
	assert_null(ipcd_closest_name("j", names, 3));
}

/* ---- -p -s -d --------------------------------------------------------- */

static void test_pids_accumulate_per_flag(void **state)
{
	(void)state;
	assert_accepted(ARGV("-p", "1", "-s", "20", "-p", "2147483647", "-d", "300", "-s", "21"));
	assert_int_equal(opts.any_pids.count, 2);
	assert_int_equal(opts.any_pids.ids[0], 1);
	assert_int_equal(opts.any_pids.ids[1], 2147483647);
	assert_int_equal(opts.src_pids.count, 2);
	assert_int_equal(opts.src_pids.ids[0], 20);
	assert_int_equal(opts.src_pids.ids[1], 21);
	assert_int_equal(opts.dst_pids.count, 1);
	assert_int_equal(opts.dst_pids.ids[0], 300);
}

static void test_bad_pids_are_refused(void **state)
{
	static const char *const flags[] = { "-p", "-s", "-d", "--pid", "--src-pid", "--dst-pid" };
	static const char *const bad[] = { "0", "-1", "12x", "", "99999999999", "2147483648", " 5" };
	char reason[128];

	(void)state;
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			snprintf(reason, sizeof(reason),
				 "invalid pid '%s': expected a number from 1 to 2147483647", bad[b]);
			assert_refused(ARGV((char *)flags[f], (char *)bad[b]), reason);
		}
	}
}

/* The 1025th pid of one flag is refused, naming the value that overflowed. */
static void test_more_pids_than_the_limit_are_refused(void **state)
{
	enum { PIDS = IPCD_FILTER_MAX + 1 };
	char **argv = calloc(1 + 2 * PIDS + 1, sizeof(*argv));
	char (*values)[16] = calloc(PIDS, sizeof(*values));

	(void)state;
	assert_non_null(argv);
	assert_non_null(values);
	argv[0] = "ipcdump";
	for (int i = 0; i < PIDS; i++) {
		snprintf(values[i], sizeof(values[i]), "%d", i + 1);
		argv[1 + 2 * i] = "-s";
		argv[2 + 2 * i] = values[i];
	}
	assert_refused(argv, "too many pids (the limit is 1024) at '1025'");
	assert_int_equal(opts.src_pids.count, IPCD_FILTER_MAX);
	assert_int_equal(opts.src_pids.ids[IPCD_FILTER_MAX - 1], 1024);

	/* exactly the limit is fine */
	argv[1 + 2 * IPCD_FILTER_MAX] = NULL;
	assert_accepted(argv);
	assert_int_equal(opts.src_pids.count, IPCD_FILTER_MAX);
	free(values);
	free(argv);
}

/* ---- -P -S -D --------------------------------------------------------- */

static void test_comms_accumulate_per_flag(void **state)
{
	(void)state;
	assert_accepted(ARGV("-P", "bash", "-S", "cat", "-D", "sort", "-P", "ssh"));
	assert_int_equal(opts.any_comms.count, 2);
	assert_string_equal(opts.any_comms.comms[0], "bash");
	assert_string_equal(opts.any_comms.comms[1], "ssh");
	assert_int_equal(opts.src_comms.count, 1);
	assert_string_equal(opts.src_comms.comms[0], "cat");
	assert_int_equal(opts.dst_comms.count, 1);
	assert_string_equal(opts.dst_comms.comms[0], "sort");
}

/* The kernel keeps only 15 characters of a comm, so a filter may keep no more. */
static void test_long_comms_are_cut_to_fifteen_characters(void **state)
{
	(void)state;
	assert_accepted(ARGV("-P", "averyveryverylongname", "-S", "0123456789abcdef", "-D",
			     "0123456789abcde"));
	assert_string_equal(opts.any_comms.comms[0], "averyveryverylo");
	assert_string_equal(opts.src_comms.comms[0], "0123456789abcde");
	assert_string_equal(opts.dst_comms.comms[0], "0123456789abcde");
	assert_int_equal(opts.any_comms.comms[0][IPCD_COMM_LEN - 1], '\0');
}

static void test_empty_comm_is_refused(void **state)
{
	(void)state;
	assert_refused(ARGV("-P", ""), "empty comm");
	assert_refused(ARGV("-S", ""), "empty comm");
	assert_refused(ARGV("--dst-comm", ""), "empty comm");
}

/* ---- -c -f -B --buffer-size ------------------------------------------- */

static void test_count(void **state)
{
	(void)state;
	assert_accepted(ARGV("-c", "5"));
	assert_int_equal(opts.count, 5);
	assert_accepted(ARGV("--count", "18446744073709551615"));
	assert_int_equal(opts.count, UINT64_MAX);
	assert_refused(ARGV("-c", "0"), "invalid count '0': expected a positive number");
	assert_refused(ARGV("-c", "-3"), "invalid count '-3': expected a positive number");
	assert_refused(ARGV("-c", "18446744073709551616"),
		       "invalid count '18446744073709551616': expected a positive number");
}

/* -w and -r: a file each, not both, never empty. */
static void test_capture_files(void **state)
{
	(void)state;
	assert_accepted(ARGV("-w", "out.ipcd"));
	assert_string_equal(opts.write_path, "out.ipcd");
	assert_accepted(ARGV("--read", "-"));
	assert_string_equal(opts.read_path, "-");
	assert_accepted(ARGV("-r", "a", "-w", "b", "pid == 1"));
	assert_refused(ARGV("-r", "-", "-w", "b"), "-r with -w reads its file twice: not from stdin");
	assert_refused(ARGV("-w", ""), "empty capture file name");
	assert_refused(ARGV("-r"), "option '-r' needs a value");
	assert_accepted(ARGV("-w", "f", "-C", "100M", "-G", "60"));
	assert_int_equal(opts.rotate_bytes, 100ull << 20);
	assert_int_equal(opts.rotate_secs, 60);
	assert_refused(ARGV("-C", "1M"), "-C and -G need -w with a file name");
	assert_refused(ARGV("-w", "-", "-G", "5"), "-C and -G need -w with a file name");
	assert_refused(ARGV("-w", "f", "-C", "1"), "invalid file size '1': expected 4K or more, e.g. 100M");
	assert_refused(ARGV("-w", "f", "-G", "0"), "invalid rotation '0': expected seconds, 1 or more");
	assert_accepted(ARGV("-w", "f", "-z"));
	assert_true(opts.compress);
	assert_refused(ARGV("-z"), "-z needs -w");
}

static void test_format(void **state)
{
	(void)state;
	assert_accepted(ARGV("-f", "json"));
	assert_int_equal(opts.format, IPCD_FORMAT_JSON);
	assert_accepted(ARGV("-f", "json", "--format", "text"));
	assert_int_equal(opts.format, IPCD_FORMAT_TEXT);
	assert_accepted(ARGV("-f", "csv"));
	assert_int_equal(opts.format, IPCD_FORMAT_CSV);
	assert_refused(ARGV("-f", "xml"), "unknown format 'xml'; valid: text, json, csv");
	assert_refused(ARGV("-f", "JSON"), "unknown format 'JSON' (did you mean 'json'?); valid: text, json, csv");
	assert_refused(ARGV("-f", "jsn"), "unknown format 'jsn' (did you mean 'json'?); valid: text, json, csv");
	assert_refused(ARGV("--time=epoc"), "unknown time mode 'epoc' (did you mean 'epoch'?); "
					    "valid: clock, date, epoch, delta, relative, none");
}

static void test_byte_limit(void **state)
{
	(void)state;
	assert_accepted(ARGV("-x", "-B", "0"));
	assert_int_equal(opts.max_bytes, 0);
	assert_accepted(ARGV("-B", "64", "-x"));
	assert_int_equal(opts.max_bytes, 64);
	assert_accepted(ARGV("-w", "out.ipcd", "-B", "64"));
	assert_int_equal(opts.max_bytes, 64);
	assert_accepted(ARGV("-x", "-B", "16384"));
	assert_refused(ARGV("-B", "-1"), "invalid byte count '-1': expected a number >= 0");
	assert_refused(ARGV("-B", "4294967296"),
		       "invalid byte count '4294967296': expected a number >= 0");
	assert_refused(ARGV("-B", "1k"), "invalid byte count '1k': expected a number >= 0");
}

/* -B that cannot do what it says is taken, with a warning. */
static void test_byte_limit_warnings(void **state)
{
	(void)state;
	assert_warned(ARGV("-x", "-B", "99999"), "-B 99999 is above the 16384 bytes an event can hold: keeping 16384");
	assert_int_equal(ipcd_payload_limit(&opts), 16384);
	assert_warned(ARGV("--bytes", "4294967295", "-x"),
		      "-B 4294967295 is above the 16384 bytes an event can hold: keeping 16384");
	assert_warned(ARGV("-B", "64"), "-B has no effect without -x (or -w): no payload is captured");
	assert_warned(ARGV("-B", "0"), "-B has no effect without -x (or -w): no payload is captured");
	assert_int_equal(ipcd_payload_limit(&opts), 0);
}

static void test_buffer_size(void **state)
{
	(void)state;
	assert_accepted(ARGV("--buffer-size", "16M"));
	assert_int_equal(opts.buffer_size, 16u << 20);
	assert_accepted(ARGV("--buffer-size", "512K"));
	assert_int_equal(opts.buffer_size, 512u << 10);
	assert_accepted(ARGV("--buffer-size", "4k"));
	assert_int_equal(opts.buffer_size, 4096);
	assert_accepted(ARGV("--buffer-size", "1G"));
	assert_int_equal(opts.buffer_size, 1u << 30);
	assert_accepted(ARGV("--buffer-size=65536"));
	assert_int_equal(opts.buffer_size, 65536);
}

static void test_channels(void **state)
{
	static const char *const bad[] = { "1023", "16777217", "abc", "", "-5", "128K", " 2048" };
	char reason[128];

	(void)state;
	assert_accepted(ARGV("-t", "pipe"));
	assert_int_equal(opts.max_channels, 131072);
	assert_accepted(ARGV("--channels", "1048576"));
	assert_int_equal(opts.max_channels, 1048576);
	assert_accepted(ARGV("--channels=1024"));
	assert_int_equal(opts.max_channels, 1024);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(reason, sizeof(reason), "invalid channel count '%s': expected 1024 to 16777216", bad[i]);
		assert_refused(ARGV("--channels", (char *)bad[i]), reason);
	}
}

static void test_bad_buffer_sizes_are_refused(void **state)
{
	static const char *const bad[] = { "1K", "4095", "2G", "1025M", "abc", "", "16MB", "-16M", "M" };
	char reason[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(reason, sizeof(reason), "invalid buffer size '%s': expected 4K to 1G", bad[i]);
		assert_refused(ARGV("--buffer-size", (char *)bad[i]), reason);
	}
}

/* ---- switches --------------------------------------------------------- */

static void test_switches(void **state)
{
	(void)state;
	assert_accepted(ARGV("-x", "-L", "--kernel-signals"));
	assert_true(opts.dump_bytes);
	assert_true(opts.quiet_lost);
	assert_true(opts.kernel_signals);
	assert_accepted(ARGV("--hex", "--no-lost"));
	assert_true(opts.dump_bytes);
	assert_true(opts.quiet_lost);
	assert_false(opts.kernel_signals);
	/* clustered short switches */
	assert_accepted(ARGV("-xL"));
	assert_true(opts.dump_bytes);
	assert_true(opts.quiet_lost);
}

/* Help and version are flags for main to act on, not errors. */
static void test_help_and_version(void **state)
{
	(void)state;
	assert_accepted(ARGV("-h"));
	assert_true(opts.show_help);
	assert_false(opts.show_version);
	assert_accepted(ARGV("--help"));
	assert_true(opts.show_help);
	assert_accepted(ARGV("--version"));
	assert_true(opts.show_version);
	assert_false(opts.show_help);
}

static void test_long_options(void **state)
{
	(void)state;
	assert_accepted(ARGV("--pid", "7", "--src-pid=8", "--dst-pid", "9", "--comm", "a", "--src-comm",
			     "b", "--dst-comm=c", "--count", "3", "--format=json", "--bytes", "12", "--hex",
			     "--type", "pipe"));
	assert_int_equal(opts.any_pids.count, 1);
	assert_int_equal(opts.any_pids.ids[0], 7);
	assert_int_equal(opts.src_pids.count, 1);
	assert_int_equal(opts.src_pids.ids[0], 8);
	assert_int_equal(opts.dst_pids.count, 1);
	assert_int_equal(opts.dst_pids.ids[0], 9);
	assert_string_equal(opts.any_comms.comms[0], "a");
	assert_string_equal(opts.src_comms.comms[0], "b");
	assert_string_equal(opts.dst_comms.comms[0], "c");
	assert_int_equal(opts.count, 3);
	assert_int_equal(opts.format, IPCD_FORMAT_JSON);
	assert_int_equal(opts.max_bytes, 12);
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_PIPE));
}

/* ---- malformed command lines ------------------------------------------ */

static void test_unknown_option_is_refused(void **state)
{
	(void)state;
	assert_refused(ARGV("-Z"), "unknown option '-Z'");
	assert_refused(ARGV("--bogus"), "unknown option '--bogus'");
	assert_refused(ARGV("--stas"), "unknown option '--stas' (did you mean '--stats'?)");
	assert_refused(ARGV("--hlep"), "unknown option '--hlep' (did you mean '--help'?)");
	assert_refused(ARGV("--kernel-signalz"), "unknown option '--kernel-signalz' (did you mean '--kernel-signals'?)");
	assert_refused(ARGV("--src", "5"), "ambiguous option '--src': it begins --src-pid --src-comm");
	assert_refused(ARGV("--s=5"), "ambiguous option '--s': it begins --src-pid --src-comm --stats --since");
	assert_refused(ARGV("--lifecylce"), "unknown option '--lifecylce' (did you mean '--lifecycle'?)");
	/* in a cluster: refused, whichever way the culprit is named */
	assert_refused_starting(ARGV("-xZ"), "unknown option '-");
}

static void test_missing_value_is_refused(void **state)
{
	(void)state;
	assert_refused(ARGV("-p"), "option '-p' needs a value");
	assert_refused(ARGV("-x", "-t"), "option '-t' needs a value");
	assert_refused(ARGV("--format"), "option '--format' needs a value");
	assert_refused(ARGV("--buffer-size"), "option '--buffer-size' needs a value");
}

/* What an expression requires goes to the lists the kernel filters with, if the flags left them empty. */
static void test_filter_requirements_are_pushed_down(void **state)
{
	(void)state;
	assert_accepted(ARGV("src.pid == 5 and comm == sh and type == pipe and dst.comm == \"py*\""));
	assert_int_equal(opts.src_pids.count, 1);
	assert_int_equal(opts.src_pids.ids[0], 5);
	assert_int_equal(opts.any_comms.count, 1);
	assert_string_equal(opts.any_comms.comms[0], "sh");
	assert_int_equal(opts.dst_comms.count, 0);  /* a wildcard stays in userspace */
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_PIPE));
	/* under "or" nothing is required */
	assert_accepted(ARGV("src.pid == 5 or src.pid == 6"));
	assert_int_equal(opts.src_pids.count, 0);
	assert_int_equal(opts.types, ALL_TYPES);
	/* a list the flags use is theirs */
	assert_accepted(ARGV("-s", "7", "src.pid == 5"));
	assert_int_equal(opts.src_pids.count, 1);
	assert_int_equal(opts.src_pids.ids[0], 7);
}

/* type == NAME goes down as -t NAME would; a lifecycle type takes its family's collector with it. */
static void test_filter_type_families_are_pushed_down(void **state)
{
	(void)state;
	assert_accepted(ARGV("type == unix"));
	assert_int_equal(opts.types, UNIX_TYPES);
	assert_accepted(ARGV("--lifecycle", "type == unix"));
	assert_int_equal(opts.types, UNIX_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_UNIX_CONN));
	assert_accepted(ARGV("type == kill"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL));
	assert_accepted(ARGV("type == lt"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_TCP) | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_TCP_CONN));
	assert_accepted(ARGV("--lifecycle", "type == unix-conn"));
	assert_int_equal(opts.types, UNIX_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_UNIX_CONN));
	assert_accepted(ARGV("-t", "pipe", "type == us"));
	assert_int_equal(opts.types, 0);
	/* every collector reports its losses */
	assert_accepted(ARGV("-t", "pipe", "type == lost"));
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_PIPE));
	ipcd_options_free(&opts);
}

/* Arguments after the options are a filter expression, as tcpdump takes them. */
static void test_trailing_arguments_are_a_filter(void **state)
{
	char *err_text;

	(void)state;
	assert_accepted(ARGV("-x", "pid", "==", "5", "and", "comm", "==", "sh"));
	assert_string_equal(opts.filter_text, "pid == 5 and comm == sh");
	assert_non_null(opts.filter);
	assert_accepted(ARGV("-F", "bytes > 3"));
	assert_string_equal(opts.filter_text, "bytes > 3");
	assert_int_equal(parse(ARGV("-x", "foo", "-L"), &err_text), IPCD_EXIT_USAGE);
	assert_string_equal(err_text, "ipcdump: filter: unknown field 'foo' at column 1\n  foo\n  ^\n");
	free(err_text);
	assert_refused(ARGV("-F", "pid == 1", "pid == 2"),
		       "a filter both with -F and after the options ('pid == 2')");
	ipcd_options_free(&opts);
}

/* The first bad value stops parsing: the later error is never reached. */
static void test_first_error_wins(void **state)
{
	(void)state;
	assert_refused(ARGV("-p", "0", "-f", "xml"), "invalid pid '0': expected a number from 1 to 2147483647");
}

/* ---- ipcd_payload_limit ----------------------------------------------- */

static uint32_t payload_limit_of(char **argv)
{
	assert_accepted(argv);
	return ipcd_payload_limit(&opts);
}

static void test_payload_limit(void **state)
{
	char *no_args[] = { "ipcdump", NULL };

	(void)state;
	/* without -x no payload is captured at all, whatever -B says */
	assert_int_equal(payload_limit_of(no_args), 0);
	/* -x alone and -x -B 0 mean: as much as a record holds */
	assert_int_equal(payload_limit_of(ARGV("-x")), IPCD_PAYLOAD_MAX);
	assert_int_equal(payload_limit_of(ARGV("-x", "-B", "0")), 16384);
	assert_int_equal(payload_limit_of(ARGV("-x", "-B", "64")), 64);
	assert_int_equal(payload_limit_of(ARGV("-x", "-B", "1")), 1);
	assert_int_equal(payload_limit_of(ARGV("-x", "-B", "16384")), 16384);
}

/* What follows the first "--" that is not an option's value is the command, options and all. */
static void test_command_after_dashes(void **state)
{
	(void)state;
	assert_accepted(ARGV("-t", "pipe", "--", "make", "-j2", "--", "x"));
	assert_non_null(opts.command);
	assert_string_equal(opts.command[0], "make");
	assert_string_equal(opts.command[1], "-j2");
	assert_string_equal(opts.command[2], "--");
	assert_null(opts.command[4]);
	assert_int_equal(opts.types, IPCD_TYPE_BIT(IPCD_TYPE_PIPE));
	assert_true(ipcd_tracing_tree(&opts));
	/* a filter before it, and options after the filter */
	assert_accepted(ARGV("pid", "==", "5", "-x", "--", "sh", "-c", "true"));
	assert_string_equal(opts.filter_text, "pid == 5");
	assert_true(opts.dump_bytes);
	assert_string_equal(opts.command[0], "sh");
	/* "--" as an option's value is that value */
	assert_accepted(ARGV("-w", "--", "--", "true"));
	assert_string_equal(opts.write_path, "--");
	assert_string_equal(opts.command[0], "true");
	assert_accepted(ARGV("--write", "--"));
	assert_string_equal(opts.write_path, "--");
	assert_null(opts.command);
	assert_accepted(ARGV("-xw", "--"));
	assert_null(opts.command);
	assert_accepted(ARGV("-w--", "--", "id"));
	assert_string_equal(opts.command[0], "id");
	assert_refused(ARGV("-t", "pipe", "--"), "a command to run after --");
	assert_refused(ARGV("-r", "f", "--", "id"), "-r reads a capture: it runs no command and follows no process");
}

static void test_follow_inside_and_user(void **state)
{
	(void)state;
	assert_accepted(ARGV("--follow", "10", "--follow", "11", "--inside"));
	assert_int_equal(opts.follow_pids.count, 2);
	assert_int_equal(opts.follow_pids.ids[1], 11);
	assert_true(opts.inside);
	assert_null(opts.command);
	assert_true(ipcd_tracing_tree(&opts));
	assert_accepted(ARGV("-u", "nobody", "--", "id"));
	assert_string_equal(opts.run_as_user, "nobody");
	assert_accepted(ARGV("--user=65534", "--", "id"));
	assert_string_equal(opts.run_as_user, "65534");
	assert_refused(ARGV("--follow", "x"), "invalid pid 'x': expected a number from 1 to 2147483647");
	assert_refused(ARGV("--inside"), "--inside needs a command after -- or --follow");
	assert_refused(ARGV("-u", "nobody"), "-u needs a command after --");
	assert_refused(ARGV("-u", "", "--", "id"), "empty user name");
	assert_refused(ARGV("--follow", "3", "-r", "f"),
		       "-r reads a capture: it runs no command and follows no process");
	assert_accepted(ARGV("-t", "pipe"));
	assert_false(ipcd_tracing_tree(&opts));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_arguments_gives_defaults),
		cmocka_unit_test(test_each_parse_starts_from_defaults),
		cmocka_unit_test(test_every_type_alias_selects_its_types),
		cmocka_unit_test(test_repeated_types_are_ored),
		cmocka_unit_test(test_lifecycle_joins_the_unix_types),
		cmocka_unit_test(test_capture_files),
		cmocka_unit_test(test_filter_requirements_are_pushed_down),
		cmocka_unit_test(test_filter_type_families_are_pushed_down),
		cmocka_unit_test(test_unknown_type_is_refused),
		cmocka_unit_test(test_unknown_type_suggests_the_closest),
		cmocka_unit_test(test_comma_separated_types),
		cmocka_unit_test(test_closest_name),
		cmocka_unit_test(test_output_file_and_capture_are_refused_together),
		cmocka_unit_test(test_print_goes_with_a_capture),
		cmocka_unit_test(test_byte_limit_warnings),
		cmocka_unit_test(test_pids_accumulate_per_flag),
		cmocka_unit_test(test_bad_pids_are_refused),
		cmocka_unit_test(test_more_pids_than_the_limit_are_refused),
		cmocka_unit_test(test_comms_accumulate_per_flag),
		cmocka_unit_test(test_long_comms_are_cut_to_fifteen_characters),
		cmocka_unit_test(test_empty_comm_is_refused),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_buffer_size),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_bad_buffer_sizes_are_refused),
		cmocka_unit_test(test_switches),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_long_options),
		cmocka_unit_test(test_unknown_option_is_refused),
		cmocka_unit_test(test_missing_value_is_refused),
		cmocka_unit_test(test_trailing_arguments_are_a_filter),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_payload_limit),
		cmocka_unit_test(test_command_after_dashes),
		cmocka_unit_test(test_follow_inside_and_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
