// SPDX-License-Identifier: GPL-2.0
/*
 * The printed form of events, text and JSON, byte for byte.  Times are made
 * deterministic by fixing the monotonic-to-wall offset and the time zone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/event.h"
#include "format/output.h"
#include "families/inet_names.h"
#include "families/signal_names.h"
#include "families/unix_types.h"

/* Monotonic 5.000000123 s, which this offset maps to 2023-11-14 22:13:20.000000123 UTC. */
#define EVENT_TS_NS 5000000123ull
#define MONO_TO_REAL_NS 1699999995000000000ll

#define TEXT_TIME "22:13:20.000000123 "
#define JSON_TIME "{\"time\":\"2023-11-14T22:13:20.000000123+00:00\",\"ts_ns\":\"5000000123\","

static void use_time_zone(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

/* Group setup, and teardown of the tests that change zone, even when they fail. */
static int use_utc(void **state)
{
	(void)state;
	use_time_zone("UTC");
	return 0;
}

/* Prints one event as ipcdump would and returns the output (free it). */
static char *render(enum ipcd_format format, bool dump_bytes, const struct ipcd_event *e)
{
	struct ipcd_output o;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	assert_non_null(out);
	ipcd_output_init(&o, out, format, dump_bytes);
	o.mono_to_real_ns = MONO_TO_REAL_NS;
	ipcd_output_event(&o, e);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void assert_renders(enum ipcd_format format, bool dump_bytes, const struct ipcd_event *e,
			   const char *expected)
{
	char *got = render(format, dump_bytes, e);

	assert_string_equal(got, expected);
	free(got);
}

static void set_endpoint(struct ipcd_endpoint *ep, int64_t pid, int64_t tid, int64_t ppid,
			 const char *comm)
{
	memset(ep, 0, sizeof(*ep));
	ep->pid = pid;
	ep->tid = tid;
	ep->ppid = ppid;
	strncpy(ep->comm, comm, sizeof(ep->comm) - 1);
}

static const uint8_t hello[] = "hello";

/* writer 10 wrote "hello" with write(4, ...); reader 20 read it with read(3, ...) 1 us later. */
static struct ipcd_event pipe_event(void)
{
	struct ipcd_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = EVENT_TS_NS;
	e.type = IPCD_TYPE_PIPE;
	e.flags = IPCD_EF_HAS_LATENCY;
	set_endpoint(&e.src, 10, 11, 1, "writer");
	set_endpoint(&e.dst, 20, 21, 1, "reader");
	e.bytes = 5;
	e.latency_ns = 1000;
	e.ino = 77;
	e.src_fd = 4;
	e.dst_fd = 3;
	e.src_call = IPCD_CALL_WRITE;
	e.dst_call = IPCD_CALL_READ;
	e.payload = hello;
	e.payload_len = 5;
	return e;
}

/* sigqueue(2, SIGRTMIN+2, 7) from process 1 to the group of process 2. */
static struct ipcd_event signal_event(void)
{
	struct ipcd_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = EVENT_TS_NS;
	e.type = IPCD_TYPE_SIGNAL;
	set_endpoint(&e.src, 1, 1, 0, "a");
	set_endpoint(&e.dst, 2, 2, 1, "b");
	e.sig = 36;
	e.code = -1;
	e.result = IPCD_SIG_DELIVERED;
	e.sig_flags = IPCD_SIGF_HAS_VALUE | IPCD_SIGF_GROUP;
	e.value = 7;
	e.src_fd = e.dst_fd = -1;
	return e;
}

static struct ipcd_event lost_event(void)
{
	struct ipcd_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = EVENT_TS_NS;
	e.type = IPCD_TYPE_LOST;
	e.lost_collector = IPCD_COLL_PIPE;
	e.lost_count = 3;
	ipcd_endpoint_unknown(&e.src);
	ipcd_endpoint_unknown(&e.dst);
	return e;
}

/* ---- text ------------------------------------------------------------- */

static void test_text_pipe(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, size 5, latency_ns 1000\n");
}

static void test_text_pipe_without_latency_omits_it(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	e.flags = 0;
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, size 5\n");
}

/* A FIFO shows its path; its "fifo" flag is left out, the path says it. */
static void test_text_fifo_shows_its_path(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	e.flags |= IPCD_F_FIFO;
	e.path = "/tmp/f";
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, pipe_name /tmp/f, size 5, "
				 "latency_ns 1000\n");
}

/* A comm fills its 16 bytes without a NUL: no byte past them, escapes inside. */
static void test_text_comm_is_bounded_and_escaped(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	e.flags = 0;
	memcpy(e.src.comm, "abcdef\x01ghijklmnop", sizeof(e.src.comm));
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "pipe 10(abcdef\\x01ghijklmno) > 20(reader): pipe_inode 77, size 5\n");
}

/* Control characters and backslashes in a path must not break the line. */
static void test_text_path_escapes_control_characters(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	e.flags = 0;
	e.path = "/tmp/a\nb\\c\x7f";
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, pipe_name "
				 "/tmp/a\\x0ab\\x5cc\\x7f, size 5\n");
}

static void test_text_unknown_endpoint_and_flags(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	ipcd_endpoint_unknown(&e.dst);
	e.flags = IPCD_F_ORDER_UNCERTAIN | IPCD_EF_UNREAD;
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "pipe 10(writer) > <unknown>(<unknown>): pipe_inode 77, size 5, "
				 "flags order_uncertain|unread\n");
}

static void test_text_every_flag_in_fixed_order(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	ipcd_endpoint_unknown(&e.src);
	e.flags = IPCD_EF_WRITER_UNKNOWN | IPCD_EF_UNREAD | IPCD_F_FIFO | IPCD_F_BLOCKED |
		  IPCD_F_STARTED_BEFORE | IPCD_F_PAYLOAD_UNAVAILABLE | IPCD_F_PAYLOAD_TRUNCATED |
		  IPCD_F_ORDER_UNCERTAIN;
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "pipe <unknown>(<unknown>) > 20(reader): pipe_inode 77, size 5, flags "
				 "order_uncertain|truncated|payload_unavailable|started_before|blocked|"
				 "unread|writer_unknown\n");
}

static void test_text_signal(void **state)
{
	struct ipcd_event e = signal_event();

	(void)state;
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "signal 1(a) > 2(b): num 36, name SIGRTMIN+2, code SI_QUEUE, value 7, "
				 "result delivered\n");
}

/* Without a sigqueue value there is no value; blocked and kernel-sent are said. */
static void test_text_kernel_signal(void **state)
{
	struct ipcd_event e = signal_event();

	(void)state;
	e.sig = 11;
	e.code = 0x80;
	e.result = IPCD_SIG_IGNORED;
	e.sig_flags = IPCD_SIGF_BLOCKED | IPCD_SIGF_KERNEL;
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "signal 1(a) > 2(b): num 11, name SIGSEGV, code SI_KERNEL, "
				 "result ignored, blocked yes, origin kernel\n");
}

/* A send that failed: the error by name, and a target nobody could name. */
static void test_text_failed_signal(void **state)
{
	struct ipcd_event e = signal_event();

	(void)state;
	e.sig = 10;
	e.code = 0;
	e.sig_flags = 0;
	e.result = IPCD_SIG_FAILED;
	e.error = -3; /* ESRCH */
	memset(e.dst.comm, 0, sizeof(e.dst.comm));
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "signal 1(a) > 2(<unknown>): num 10, name SIGUSR1, code SI_USER, "
				 "result failed, error ESRCH\n");
}

static void test_text_lost(void **state)
{
	struct ipcd_event e = lost_event();

	(void)state;
	assert_renders(IPCD_FORMAT_TEXT, false, &e, TEXT_TIME "lost 3 pipe events\n");
	e.lost_collector = IPCD_COLL_SIGNAL;
	e.lost_count = 1;
	assert_renders(IPCD_FORMAT_TEXT, false, &e, TEXT_TIME "lost 1 signal events\n");
}

static void test_text_hexdump_follows_indented(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	assert_renders(IPCD_FORMAT_TEXT, true, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, size 5, latency_ns 1000\n"
		       "\t00000000  68 65 6c 6c 6f                                    |hello|\n");
}

static void test_text_hexdump_of_two_lines(void **state)
{
	static const uint8_t seventeen[] = "0123456789:;<=>?@";
	struct ipcd_event e = pipe_event();

	(void)state;
	e.bytes = 17;
	e.payload = seventeen;
	e.payload_len = 17;
	assert_renders(IPCD_FORMAT_TEXT, true, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, size 17, latency_ns 1000\n"
		       "\t00000000  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  |0123456789:;<=>?|\n"
		       "\t00000010  40                                                |@|\n");
}

/* Only the captured bytes are dumped, and nothing without -x or without bytes. */
static void test_text_hexdump_only_what_was_captured(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	e.bytes = 4096;
	e.payload_len = 2;
	e.flags |= IPCD_F_PAYLOAD_TRUNCATED;
	assert_renders(IPCD_FORMAT_TEXT, true, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, size 4096, latency_ns 1000, "
				 "flags truncated\n"
		       "\t00000000  68 65                                             |he|\n");
	assert_renders(IPCD_FORMAT_TEXT, false, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, size 4096, latency_ns 1000, "
				 "flags truncated\n");
	e.payload = NULL;
	e.payload_len = 0;
	assert_renders(IPCD_FORMAT_TEXT, true, &e,
		       TEXT_TIME "pipe 10(writer) > 20(reader): pipe_inode 77, size 4096, latency_ns 1000, "
				 "flags truncated\n");
}

/* ---- JSON ------------------------------------------------------------- */

#define JSON_PIPE_ENDS                                                                        \
	"\"type\":\"pipe\",\"src_pid\":10,\"src_tid\":11,\"src_ppid\":1,\"src_comm\":\"writer\",\"src_pcomm\":null," \
	"\"dst_pid\":20,\"dst_tid\":21,\"dst_ppid\":1,\"dst_comm\":\"reader\",\"dst_pcomm\":null,"
#define JSON_PIPE_META                                                                         \
	"\"meta\":{\"pipe_inode\":77,\"latency_ns\":1000,\"src_fd\":4,\"dst_fd\":3,"               \
	"\"src_call\":\"write\",\"dst_call\":\"read\",\"flags\":[]}"

static void test_json_pipe(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	assert_renders(IPCD_FORMAT_JSON, false, &e,
		       JSON_TIME JSON_PIPE_ENDS "\"size\":5," JSON_PIPE_META "}\n");
}

static void test_json_pipe_bytes_only_with_dump(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	assert_renders(IPCD_FORMAT_JSON, true, &e,
		       JSON_TIME JSON_PIPE_ENDS "\"size\":5," JSON_PIPE_META ",\"bytes\":\"aGVsbG8=\"}\n");
}

/* Bytes moved but none captured (splice): an empty string, not a missing key. */
static void test_json_pipe_bytes_empty_when_unavailable(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	e.payload = NULL;
	e.payload_len = 0;
	e.flags |= IPCD_F_PAYLOAD_UNAVAILABLE;
	assert_renders(IPCD_FORMAT_JSON, true, &e,
		       JSON_TIME JSON_PIPE_ENDS "\"size\":5,\"meta\":{\"pipe_inode\":77,\"latency_ns\":1000,"
		       "\"src_fd\":4,\"dst_fd\":3,\"src_call\":\"write\",\"dst_call\":\"read\","
		       "\"flags\":[\"payload_unavailable\"]},\"bytes\":\"\"}\n");
}

/* JSON names the fifo flag, unlike text; unknown fds and calls are left out. */
static void test_json_fifo_with_unknown_writer(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	ipcd_endpoint_unknown(&e.src);
	e.src_fd = -1;
	e.src_call = 0;
	e.flags = IPCD_F_FIFO | IPCD_EF_WRITER_UNKNOWN;
	e.path = "/tmp/f";
	e.payload = NULL;
	e.payload_len = 0;
	assert_renders(IPCD_FORMAT_JSON, false, &e,
		       JSON_TIME "\"type\":\"pipe\",\"src_pid\":-1,\"src_tid\":-1,\"src_ppid\":-1,"
		       "\"src_comm\":null,\"src_pcomm\":null,\"dst_pid\":20,\"dst_tid\":21,\"dst_ppid\":1,"
		       "\"dst_comm\":\"reader\",\"dst_pcomm\":null,\"size\":5,\"meta\":{\"pipe_inode\":77,"
		       "\"pipe_name\":\"/tmp/f\",\"dst_fd\":3,\"dst_call\":\"read\","
		       "\"flags\":[\"fifo\",\"writer_unknown\"]}}\n");
}

static void test_json_escapes_control_characters_in_comm(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	memcpy(e.src.comm, "a\tb\x01q\"\x7f", 8);
	e.flags = 0;
	assert_renders(IPCD_FORMAT_JSON, false, &e,
		       JSON_TIME "\"type\":\"pipe\",\"src_pid\":10,\"src_tid\":11,\"src_ppid\":1,"
		       "\"src_comm\":\"a\\tb\\u0001q\\\"\\u007f\",\"src_pcomm\":null,\"dst_pid\":20,\"dst_tid\":21,"
		       "\"dst_ppid\":1,\"dst_comm\":\"reader\",\"dst_pcomm\":null,\"size\":5,\"meta\":{\"pipe_inode\":77,"
		       "\"src_fd\":4,\"dst_fd\":3,\"src_call\":\"write\",\"dst_call\":\"read\","
		       "\"flags\":[]}}\n");
}

#define JSON_SIGNAL                                                                              \
	JSON_TIME "\"type\":\"signal\",\"src_pid\":1,\"src_tid\":1,\"src_ppid\":0,\"src_comm\":\"a\",\"src_pcomm\":null," \
		  "\"dst_pid\":2,\"dst_tid\":2,\"dst_ppid\":1,\"dst_comm\":\"b\",\"dst_pcomm\":null,\"size\":0,"           \
		  "\"meta\":{\"num\":36,\"name\":\"SIGRTMIN+2\",\"code\":-1,\"code_name\":\"SI_QUEUE\","  \
		  "\"value\":7,\"result\":\"delivered\",\"blocked\":false,\"group\":true,"              \
		  "\"kernel\":false,\"src_is_timer_owner\":false}}\n"

static void test_json_signal(void **state)
{
	struct ipcd_event e = signal_event();

	(void)state;
	assert_renders(IPCD_FORMAT_JSON, false, &e, JSON_SIGNAL);
}

/* A signal carries no bytes: -x adds no "bytes" key to it. */
static void test_json_signal_has_no_bytes_even_with_dump(void **state)
{
	struct ipcd_event e = signal_event();

	(void)state;
	assert_renders(IPCD_FORMAT_JSON, true, &e, JSON_SIGNAL);
}

static void test_json_kernel_signal(void **state)
{
	struct ipcd_event e = signal_event();

	(void)state;
	e.sig = 17;
	e.code = 1;
	e.result = IPCD_SIG_ALREADY_PENDING;
	e.sig_flags = IPCD_SIGF_BLOCKED | IPCD_SIGF_KERNEL;
	assert_renders(IPCD_FORMAT_JSON, false, &e,
		       JSON_TIME "\"type\":\"signal\",\"src_pid\":1,\"src_tid\":1,\"src_ppid\":0,"
		       "\"src_comm\":\"a\",\"src_pcomm\":null,\"dst_pid\":2,\"dst_tid\":2,\"dst_ppid\":1,\"dst_comm\":\"b\",\"dst_pcomm\":null,"
		       "\"size\":0,\"meta\":{\"num\":17,\"name\":\"SIGCHLD\",\"code\":1,"
		       "\"code_name\":\"kernel\",\"result\":\"already_pending\",\"blocked\":true,"
		       "\"group\":false,\"kernel\":true,\"src_is_timer_owner\":false}}\n");
}

static void test_json_lost(void **state)
{
	struct ipcd_event e = lost_event();

	(void)state;
	assert_renders(IPCD_FORMAT_JSON, true, &e,
		       JSON_TIME "\"type\":\"lost\",\"collector\":\"pipe\",\"count\":3}\n");
}

/* Consecutive events are separate lines, each a complete object. */
static void test_json_two_events_are_two_lines(void **state)
{
	struct ipcd_event lost = lost_event();
	struct ipcd_output o;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(out);
	ipcd_output_init(&o, out, IPCD_FORMAT_JSON, false);
	o.mono_to_real_ns = MONO_TO_REAL_NS;
	ipcd_output_event(&o, &lost);
	ipcd_output_event(&o, &lost);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(buf, JSON_TIME "\"type\":\"lost\",\"collector\":\"pipe\",\"count\":3}\n"
				 JSON_TIME "\"type\":\"lost\",\"collector\":\"pipe\",\"count\":3}\n");
	free(buf);
}

/* ---- time zones ------------------------------------------------------- */

/* Wall times are local; JSON gives the offset in RFC 3339 form (+hh:mm). */
static void test_local_time_east_of_utc(void **state)
{
	struct ipcd_event e = lost_event();

	(void)state;
	use_time_zone("EET-2");
	assert_renders(IPCD_FORMAT_TEXT, false, &e, "00:13:20.000000123 lost 3 pipe events\n");
	assert_renders(IPCD_FORMAT_JSON, false, &e,
		       "{\"time\":\"2023-11-15T00:13:20.000000123+02:00\",\"ts_ns\":\"5000000123\","
		       "\"type\":\"lost\",\"collector\":\"pipe\",\"count\":3}\n");
}

static void test_local_time_west_of_utc(void **state)
{
	struct ipcd_event e = lost_event();

	(void)state;
	use_time_zone("NST3:30");
	assert_renders(IPCD_FORMAT_JSON, false, &e,
		       "{\"time\":\"2023-11-14T18:43:20.000000123-03:30\",\"ts_ns\":\"5000000123\","
		       "\"type\":\"lost\",\"collector\":\"pipe\",\"count\":3}\n");
}

/* ---- names ------------------------------------------------------------ */

static void test_signal_names(void **state)
{
	char buf[24];

	(void)state;
	assert_string_equal(ipcd_signal_name(1, buf, sizeof(buf)), "SIGHUP");
	assert_string_equal(ipcd_signal_name(9, buf, sizeof(buf)), "SIGKILL");
	assert_string_equal(ipcd_signal_name(16, buf, sizeof(buf)), "SIGSTKFLT");
	assert_string_equal(ipcd_signal_name(31, buf, sizeof(buf)), "SIGSYS");
	/* real-time signals as kill -l names them: glibc's SIGRTMIN is 34 */
	assert_string_equal(ipcd_signal_name(32, buf, sizeof(buf)), "SIG32");
	assert_string_equal(ipcd_signal_name(33, buf, sizeof(buf)), "SIG33");
	assert_string_equal(ipcd_signal_name(34, buf, sizeof(buf)), "SIGRTMIN");
	assert_string_equal(ipcd_signal_name(36, buf, sizeof(buf)), "SIGRTMIN+2");
	assert_string_equal(ipcd_signal_name(49, buf, sizeof(buf)), "SIGRTMIN+15");
	assert_string_equal(ipcd_signal_name(50, buf, sizeof(buf)), "SIGRTMAX-14");
	assert_string_equal(ipcd_signal_name(63, buf, sizeof(buf)), "SIGRTMAX-1");
	assert_string_equal(ipcd_signal_name(64, buf, sizeof(buf)), "SIGRTMAX");
	assert_string_equal(ipcd_signal_name(65, buf, sizeof(buf)), "SIG65");
	assert_string_equal(ipcd_signal_name(99, buf, sizeof(buf)), "SIG99");
	assert_string_equal(ipcd_signal_name(0, buf, sizeof(buf)), "SIG0");
	assert_string_equal(ipcd_signal_name(-5, buf, sizeof(buf)), "SIG-5");
}

/* Numbered names are written into the caller's buffer; fixed names are not. */
static void test_signal_name_uses_the_buffer_only_when_needed(void **state)
{
	char buf[24] = "untouched";

	(void)state;
	assert_ptr_not_equal(ipcd_signal_name(15, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "untouched");
	assert_ptr_equal(ipcd_signal_name(40, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "SIGRTMIN+6");
}

static void test_signal_code_names(void **state)
{
	(void)state;
	assert_string_equal(ipcd_signal_code_name(0), "SI_USER");
	assert_string_equal(ipcd_signal_code_name(0x80), "SI_KERNEL");
	assert_string_equal(ipcd_signal_code_name(-1), "SI_QUEUE");
	assert_string_equal(ipcd_signal_code_name(-2), "SI_TIMER");
	assert_string_equal(ipcd_signal_code_name(-3), "SI_MESGQ");
	assert_string_equal(ipcd_signal_code_name(-4), "SI_ASYNCIO");
	assert_string_equal(ipcd_signal_code_name(-5), "SI_SIGIO");
	assert_string_equal(ipcd_signal_code_name(-6), "SI_TKILL");
	assert_string_equal(ipcd_signal_code_name(-7), "SI_DETHREAD");
	assert_string_equal(ipcd_signal_code_name(-60), "SI_ASYNCNL");
	/* positive codes are the kernel's per-signal ones (CLD_EXITED, SEGV_MAPERR...) */
	assert_string_equal(ipcd_signal_code_name(1), "kernel");
	assert_string_equal(ipcd_signal_code_name(-8), "unknown");
}

static void test_signal_result_names(void **state)
{
	(void)state;
	assert_string_equal(ipcd_signal_result_name(IPCD_SIG_DELIVERED), "delivered");
	assert_string_equal(ipcd_signal_result_name(IPCD_SIG_IGNORED), "ignored");
	assert_string_equal(ipcd_signal_result_name(IPCD_SIG_ALREADY_PENDING), "already_pending");
	assert_string_equal(ipcd_signal_result_name(IPCD_SIG_OVERFLOW_FAIL), "overflow_fail");
	assert_string_equal(ipcd_signal_result_name(IPCD_SIG_LOSE_INFO), "lose_info");
	assert_string_equal(ipcd_signal_result_name(IPCD_SIG_FAILED), "failed");
	assert_string_equal(ipcd_signal_result_name(6), "unknown");
	assert_string_equal(ipcd_signal_result_name(-1), "unknown");
}

static void test_pipe_call_names(void **state)
{
	(void)state;
	assert_null(ipcd_pipe_call_name(0));
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_READ), "read");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_WRITE), "write");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_READV), "readv");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_WRITEV), "writev");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_SPLICE), "splice");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_TEE), "tee");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_VMSPLICE), "vmsplice");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_SENDFILE), "sendfile");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_SENDTO), "sendto");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_SENDMSG), "sendmsg");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_SENDMMSG), "sendmmsg");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_RECVFROM), "recvfrom");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_RECVMSG), "recvmsg");
	assert_string_equal(ipcd_pipe_call_name(IPCD_CALL_RECVMMSG), "recvmmsg");
	/* a socket reached without a syscall of its own: no call is named */
	assert_null(ipcd_pipe_call_name(IPCD_CALL_OTHER));
	assert_null(ipcd_pipe_call_name(IPCD_CALL_OTHER + 1));
	assert_null(ipcd_pipe_call_name(-1));
}

/* ---- CSV ------------------------------------------------------------- */

#define CSV_HEADER "time,ts_ns,type,src_pid,src_tid,src_ppid,src_comm,src_pcomm,dst_pid,dst_tid,dst_ppid," \
		   "dst_comm,dst_pcomm,size,channel,latency_ns,flags,payload_hex,"                   \
		   "event,op,src_fd,dst_fd,src_call,dst_call,pipe_inode,pipe_name,num,name,code,code_name,value," \
		   "result,error,blocked,group,kernel,src_is_timer_owner,src_inode,dst_inode,path,src_path,"     \
		   "dst_path,sendto_path,"                                                                       \
		   "socketpair,nfds,fds,creds_pid,creds_uid,creds_gid,sock_type,inode,peer_inode,fd,how,family,"  \
		   "src_addr,src_port,dst_addr,dst_port,service,dst_is_listener,tty,direction,writer_side,"       \
		   "session,fg_pgrp,key,"                                                                        \
		   "msqid,mtype,prio,semid,semnum,kind,shmid,shm_size,addr,offset,sharers,sharers_known,"         \
		   "collector,count\n"
/* the 55 meta columns after pipe_name, empty for a pipe */
#define CSV_PIPE_REST ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"

static void test_csv_header_then_one_row(void **state)
{
	struct ipcd_event e = pipe_event();

	(void)state;
	assert_renders(IPCD_FORMAT_CSV, true, &e,
		       CSV_HEADER "2023-11-14T22:13:20.000000123+00:00,5000000123,pipe,10,11,1,writer,,20,21,1,reader,,"
		       "5,pipe:[77],1000,,68656c6c6f,,,4,3,write,read,77," CSV_PIPE_REST "\n");
}

/* RFC 4180: commas, quotes and line breaks quoted, quotes doubled; nothing else touched. */
static void test_csv_quotes_what_needs_it(void **state)
{
	struct ipcd_event e = pipe_event();
	char *got, *row;

	(void)state;
	set_endpoint(&e.src, 10, 11, 1, "a,b\"c");
	e.path = "/tmp/new\nline";
	e.flags |= IPCD_F_ORDER_UNCERTAIN | IPCD_EF_UNREAD;
	got = render(IPCD_FORMAT_CSV, false, &e);
	row = got + strlen(CSV_HEADER);
	assert_string_equal(row, "2023-11-14T22:13:20.000000123+00:00,5000000123,pipe,10,11,1,\"a,b\"\"c\",,20,21,1,"
			    "reader,,5,\"/tmp/new\nline\",1000,order_uncertain|unread,,,,4,3,write,read,77,"
			    "\"/tmp/new\nline\"" CSV_PIPE_REST "\n");
	free(got);
}

/* Unknown ends are empty, not "-1(<unknown>)"-like text; lost events name their collector. */
static void test_csv_unknown_end_and_lost(void **state)
{
	struct ipcd_event e = pipe_event(), lost;
	char *got;

	(void)state;
	ipcd_endpoint_unknown(&e.dst);
	e.flags = 0;
	got = render(IPCD_FORMAT_CSV, false, &e);
	assert_non_null(strstr(got, ",writer,,-1,-1,-1,,,5,pipe:[77],,,,,,4,3,write,read,77," CSV_PIPE_REST "\n"));
	free(got);
	memset(&lost, 0, sizeof(lost));
	lost.ts_ns = EVENT_TS_NS;
	lost.type = IPCD_TYPE_LOST;
	lost.lost_collector = IPCD_COLL_PIPE;
	lost.lost_count = 12;
	ipcd_endpoint_unknown(&lost.src);
	ipcd_endpoint_unknown(&lost.dst);
	got = render(IPCD_FORMAT_CSV, false, &lost);
	assert_non_null(strstr(got, ",lost,-1,-1,-1,,,-1,-1,-1,,,12,pipe,,,"
				    ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,pipe,12\n"));
	free(got);
}

/* Three pipe events 1.5 s and 0.25 s apart, printed with the options given: the output (free it). */
static char *render_three(enum ipcd_format format, const struct ipcd_options *opts)
{
	static const uint64_t at[] = { EVENT_TS_NS, EVENT_TS_NS + 1500000000ull, EVENT_TS_NS + 1750000000ull };
	struct ipcd_output o;
	struct ipcd_event e = pipe_event();
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	assert_non_null(out);
	ipcd_output_init(&o, out, format, opts->dump_bytes);
	ipcd_output_style(&o, opts);
	o.mono_to_real_ns = MONO_TO_REAL_NS;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		e.ts_ns = at[i];
		ipcd_output_event(&o, &e);
	}
	assert_int_equal(fclose(out), 0);
	return buf;
}

#define PIPE_REST "pipe 10(writer) > 20(reader): pipe_inode 77, size 5, latency_ns 1000\n"

static void assert_text_times(enum ipcd_time_mode mode, const char *t1, const char *t2, const char *t3)
{
	struct ipcd_options opts = { .time_mode = mode };
	char want[512];
	char *got = render_three(IPCD_FORMAT_TEXT, &opts);

	snprintf(want, sizeof(want), "%s" PIPE_REST "%s" PIPE_REST "%s" PIPE_REST, t1, t2, t3);
	assert_string_equal(got, want);
	free(got);
}

static void test_text_time_modes(void **state)
{
	(void)state;
	assert_text_times(IPCD_TIME_CLOCK, "22:13:20.000000123 ", "22:13:21.500000123 ", "22:13:21.750000123 ");
	assert_text_times(IPCD_TIME_DATE, "2023-11-14 22:13:20.000000123 ", "2023-11-14 22:13:21.500000123 ",
			  "2023-11-14 22:13:21.750000123 ");
	assert_text_times(IPCD_TIME_EPOCH, "1700000000.000000123 ", "1700000001.500000123 ",
			  "1700000001.750000123 ");
	assert_text_times(IPCD_TIME_DELTA, "0.000000000 ", "1.500000000 ", "0.250000000 ");
	assert_text_times(IPCD_TIME_RELATIVE, "0.000000000 ", "1.500000000 ", "1.750000000 ");
	assert_text_times(IPCD_TIME_NONE, "", "", "");
}

/* An event stamped before the one printed ahead of it: a negative delta, not a huge one. */
static void test_text_time_delta_backwards(void **state)
{
	struct ipcd_options opts = { .time_mode = IPCD_TIME_DELTA };
	struct ipcd_output o;
	struct ipcd_event e = pipe_event();
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	ipcd_output_init(&o, out, IPCD_FORMAT_TEXT, false);
	ipcd_output_style(&o, &opts);
	ipcd_output_event(&o, &e);
	e.ts_ns -= 1200;
	ipcd_output_event(&o, &e);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(buf, "0.000000000 " PIPE_REST "-0.000001200 " PIPE_REST);
	free(buf);
}

static void test_csv_time_modes(void **state)
{
	static const struct {
		enum ipcd_time_mode mode;
		const char *third;
	} cases[] = {
		{ IPCD_TIME_CLOCK, "\n2023-11-14T22:13:21.750000123+00:00,6750000123,pipe," },
		{ IPCD_TIME_DATE, "\n2023-11-14T22:13:21.750000123+00:00,6750000123,pipe," },
		{ IPCD_TIME_EPOCH, "\n1700000001.750000123,6750000123,pipe," },
		{ IPCD_TIME_DELTA, "\n0.250000000,6750000123,pipe," },
		{ IPCD_TIME_RELATIVE, "\n1.750000000,6750000123,pipe," },
		{ IPCD_TIME_NONE, "\n,6750000123,pipe," },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipcd_options opts = { .time_mode = cases[i].mode };
		char *got = render_three(IPCD_FORMAT_CSV, &opts);

		if (!strstr(got, cases[i].third))
			fail_msg("mode %d: no '%s' in:\n%s", cases[i].mode, cases[i].third, got);
		free(got);
	}
}

/* -A: tcpdump -A's printable ASCII, line breaks kept, CR before LF dropped, the rest dots. */
static void test_text_ascii_payload(void **state)
{
	static const uint8_t data[] = "GET / HTTP/1.0\r\nHost: a\tb\x01\xff\r\n\r\nbody";
	struct ipcd_event e = pipe_event();
	struct ipcd_output o;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	e.payload = data;
	e.payload_len = sizeof(data) - 1;
	ipcd_output_init(&o, out, IPCD_FORMAT_TEXT, true);
	o.mono_to_real_ns = MONO_TO_REAL_NS;
	o.ascii = true;
	ipcd_output_event(&o, &e);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(buf, TEXT_TIME PIPE_REST "\tGET / HTTP/1.0\n\tHost: a.b..\n\t\n\tbody\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_header_then_one_row),
		cmocka_unit_test(test_csv_quotes_what_needs_it),
		cmocka_unit_test(test_csv_unknown_end_and_lost),
		cmocka_unit_test(test_text_pipe),
		cmocka_unit_test(test_text_pipe_without_latency_omits_it),
		cmocka_unit_test(test_text_fifo_shows_its_path),
		cmocka_unit_test(test_text_comm_is_bounded_and_escaped),
		cmocka_unit_test(test_text_path_escapes_control_characters),
		cmocka_unit_test(test_text_unknown_endpoint_and_flags),
		cmocka_unit_test(test_text_every_flag_in_fixed_order),
		cmocka_unit_test(test_text_signal),
		cmocka_unit_test(test_text_kernel_signal),
		cmocka_unit_test(test_text_failed_signal),
		cmocka_unit_test(test_text_lost),
		cmocka_unit_test(test_text_hexdump_follows_indented),
		cmocka_unit_test(test_text_hexdump_of_two_lines),
		cmocka_unit_test(test_text_hexdump_only_what_was_captured),
		cmocka_unit_test(test_json_pipe),
		cmocka_unit_test(test_json_pipe_bytes_only_with_dump),
		cmocka_unit_test(test_json_pipe_bytes_empty_when_unavailable),
		cmocka_unit_test(test_json_fifo_with_unknown_writer),
		cmocka_unit_test(test_json_escapes_control_characters_in_comm),
		cmocka_unit_test(test_json_signal),
		cmocka_unit_test(test_json_signal_has_no_bytes_even_with_dump),
		cmocka_unit_test(test_json_kernel_signal),
		cmocka_unit_test(test_json_lost),
		cmocka_unit_test(test_json_two_events_are_two_lines),
		cmocka_unit_test_teardown(test_local_time_east_of_utc, use_utc),
		cmocka_unit_test_teardown(test_local_time_west_of_utc, use_utc),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_signal_name_uses_the_buffer_only_when_needed),
		cmocka_unit_test(test_signal_code_names),
		cmocka_unit_test(test_signal_result_names),
		cmocka_unit_test(test_pipe_call_names),
		cmocka_unit_test(test_text_time_modes),
		cmocka_unit_test(test_text_time_delta_backwards),
		cmocka_unit_test(test_csv_time_modes),
		cmocka_unit_test(test_text_ascii_payload),
	};

	return cmocka_run_group_tests(tests, use_utc, NULL);
}
