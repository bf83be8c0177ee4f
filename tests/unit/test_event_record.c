/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event's wire record (sinks/event_record.h): every event of the
 * golden captures, encoded and decoded, prints the same text and JSON
 * (with its bytes) as before; damaged records are refused; base64 both
 * ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "engine/pipeline.h"
#include "format/output.h"
#include "sinks/event_record.h"
#include "util/base64.h"

#define CAPTURES "tests/golden/captures/"

struct compare {
	struct ipcd_pipeline *p;
	uint64_t events, different;
	char first_difference[4096];
};

/* e as the format prints it (-x), into a malloc'd string. */
static char *printed(const struct ipcd_event *e, enum ipcd_format format, int64_t clock)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	struct ipcd_output o;

	assert_non_null(mem);
	ipcd_output_init(&o, mem, format, true);
	o.mono_to_real_ns = clock;
	ipcd_output_event(&o, e);
	assert_int_equal(fclose(mem), 0);
	return text;
}

static void note_difference(struct compare *c, const char *before, const char *after)
{
	if (!c->different++)
		snprintf(c->first_difference, sizeof(c->first_difference), "before: %s\nafter:  %s", before, after);
}

static enum ipcd_sink_result compare_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	static uint8_t record[IPCD_EVENT_RECORD_MAX];
	struct compare *c = s->ctx;
	int64_t clock = ipcd_pipeline_clock(c->p), wall;
	struct ipcd_detail_store *st = calloc(1, sizeof(*st));
	size_t len = ipcd_event_record_encode(e, clock, record, sizeof(record));
	struct ipcd_event back;

	assert_non_null(st);
	assert_true(len > 0);
	assert_true(ipcd_event_record_decode(record, len, &back, &wall, st));
	assert_true(back.ts_ns == e->ts_ns);
	assert_true(wall == (int64_t)(e->ts_ns + (uint64_t)clock));
	for (int f = 0; f < 2; f++) {
		enum ipcd_format format = f ? IPCD_FORMAT_JSON : IPCD_FORMAT_TEXT;
		char *before = printed(e, format, clock), *after = printed(&back, format, clock);

		if (strcmp(before, after))
			note_difference(c, before, after);
		free(before);
		free(after);
	}
	free(st);
	c->events++;
	return IPCD_SINK_WRITTEN;
}

static void check_capture(const char *name)
{
	struct ipcd_options opts;
	struct compare c = { 0 };
	struct ipcd_sink *s = ipcd_sink_new("compare");
	char path[256];

	snprintf(path, sizeof(path), CAPTURES "%s", name);
	ipcd_options_init(&opts);
	opts.types = ipcd_all_types();
	opts.lifecycle = true;
	opts.kernel_signals = true;
	opts.read_path = path;
	opts.quiet = true;
	opts.dump_bytes = true;
	assert_non_null(s);
	assert_non_null(c.p = ipcd_pipeline_new(&opts, NULL));
	s->ctx = &c;
	s->fate = "compared";
	s->event = compare_event;
	ipcd_pipeline_add_sink(c.p, s);
	assert_int_equal(ipcd_pipeline_run(c.p, NULL), 0);
	ipcd_pipeline_free(c.p);
	if (c.different)
		fail_msg("%s: %llu of %llu events print differently; the first:\n%s", name,
			 (unsigned long long)c.different, (unsigned long long)c.events, c.first_difference);
	assert_true(c.events > 0);
}

static void test_pipes(void **state) { (void)state; check_capture("pipes.ipcd"); }
static void test_signals(void **state) { (void)state; check_capture("signals.ipcd"); }
static void test_unix(void **state) { (void)state; check_capture("unix.ipcd"); }
static void test_pty(void **state) { (void)state; check_capture("pty.ipcd"); }
static void test_mq(void **state) { (void)state; check_capture("mq.ipcd"); }
static void test_shm(void **state) { (void)state; check_capture("shm.ipcd"); }
static void test_tree(void **state) { (void)state; check_capture("tree.ipcd"); }
static void test_loopback(void **state) { (void)state; check_capture("loopback.ipcd.zst"); }

static struct ipcd_event sample(void)
{
	static const uint8_t payload[] = "hello";
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_PIPE, 123456789);
	e.src.pid = 10;
	e.src.tid = 10;
	e.src.ppid = 1;
	strcpy(e.src.comm, "writer");
	e.bytes = 5;
	e.payload = payload;
	e.payload_len = 5;
	e.path = "/tmp/fifo";
	return e;
}

static void test_a_damaged_record_is_refused(void **state)
{
	static uint8_t record[IPCD_EVENT_RECORD_MAX];
	struct ipcd_event e = sample(), back;
	struct ipcd_detail_store st;
	size_t len = ipcd_event_record_encode(&e, 1000, record, sizeof(record));
	int64_t wall;

	(void)state;
	assert_true(len > 0);
	assert_true(ipcd_event_record_decode(record, len, &back, &wall, &st));
	assert_int_equal(wall, 123456789 + 1000);
	assert_string_equal(back.path, "/tmp/fifo");
	assert_memory_equal(back.payload, "hello", 5);
	/* every cut short of the detail's end is refused, never read past */
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, record, cut);
		assert_false(ipcd_event_record_decode(copy, cut, &back, &wall, &st));
		free(copy);
	}
	record[0] = IPCD_EVENT_RECORD_VERSION + 1;
	assert_false(ipcd_event_record_decode(record, len, &back, &wall, &st));
	/* too small a buffer: 0, not a cut record */
	assert_int_equal(ipcd_event_record_encode(&e, 1000, record, 8), 0);
}

static void test_the_json_member_is_the_record_in_base64(void **state)
{
	static uint8_t record[IPCD_EVENT_RECORD_MAX], decoded[IPCD_EVENT_RECORD_MAX];
	static char member[IPCD_EVENT_RECORD_JSON_MAX];
	struct ipcd_event e = sample();
	size_t len = ipcd_event_record_encode(&e, 7, record, sizeof(record));
	ssize_t n = ipcd_event_record_member(&e, 7, true, member, sizeof(member));
	size_t head = strlen("\"record\":\"");

	(void)state;
	assert_true(n > 0);
	assert_int_equal(strncmp(member, "\"record\":\"", head), 0);
	assert_int_equal(member[n - 1], '"');
	assert_int_equal(ipcd_base64_decode(member + head, (size_t)n - head - 1, decoded, sizeof(decoded)), (ssize_t)len);
	assert_memory_equal(decoded, record, len);
	assert_int_equal(ipcd_event_record_member(&e, 7, true, member, 20), -1);
}

static void test_the_writer_member_equals_the_text_one_and_bytes_are_asked_for(void **state)
{
	static char member[IPCD_EVENT_RECORD_JSON_MAX], expected[IPCD_EVENT_RECORD_JSON_MAX + 4];
	static uint8_t decoded[IPCD_EVENT_RECORD_MAX];
	struct ipcd_event e = sample(), back;
	struct ipcd_detail_store st;
	struct json_writer w;
	char *text = NULL;
	size_t len = 0, head = strlen("\"record\":\"");
	FILE *mem = open_memstream(&text, &len);
	ssize_t n = ipcd_event_record_member(&e, 7, false, member, sizeof(member)), m;
	int64_t wall;

	(void)state;
	assert_true(n > 0);
	jw_init(&w, mem);
	jw_object_begin(&w);
	ipcd_event_record_json(&e, 7, false, &w);
	jw_object_end(&w);
	jw_end_line(&w);
	fclose(mem);
	snprintf(expected, sizeof(expected), "{%s}\n", member);
	assert_string_equal(text, expected);
	free(text);
	/* without bytes=1, no payload: the record says the size alone */
	m = ipcd_base64_decode(member + head, (size_t)n - head - 1, decoded, sizeof(decoded));
	assert_true(m > 0);
	assert_true(ipcd_event_record_decode(decoded, (size_t)m, &back, &wall, &st));
	assert_null(back.payload);
	assert_int_equal(back.bytes, 5);
}

static void test_base64_both_ways(void **state)
{
	static const char *const cases[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char enc[32], dec[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i][0]);

		assert_int_equal(ipcd_base64_encode(cases[i][0], n, enc, sizeof(enc)), (ssize_t)strlen(cases[i][1]));
		assert_string_equal(enc, cases[i][1]);
		assert_int_equal(ipcd_base64_decode(enc, strlen(enc), dec, sizeof(dec)), (ssize_t)n);
		assert_memory_equal(dec, cases[i][0], n);
	}
	assert_int_equal(ipcd_base64_decode("Zm9", 3, dec, sizeof(dec)), -1);
	assert_int_equal(ipcd_base64_decode("Z=9v", 4, dec, sizeof(dec)), -1);
	assert_int_equal(ipcd_base64_decode("Zg==Zg==", 8, dec, sizeof(dec)), -1);
	assert_int_equal(ipcd_base64_decode("Zm9v", 4, dec, 2), -1);
	assert_int_equal(ipcd_base64_encode("foo", 3, enc, 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipes),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_pty),
		cmocka_unit_test(test_mq),
		cmocka_unit_test(test_shm),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_a_damaged_record_is_refused),
		cmocka_unit_test(test_the_json_member_is_the_record_in_base64),
		cmocka_unit_test(test_the_writer_member_equals_the_text_one_and_bytes_are_asked_for),
		cmocka_unit_test(test_base64_both_ways),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

