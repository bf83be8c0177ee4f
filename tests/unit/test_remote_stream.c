/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ipcdump --remote parses (cli/remote_stream.h): server-sent events
 * and JSON Lines fed in chunks split at every place, comments, multi-line
 * data, ids, and the members of an event's object.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cli/remote_stream.h"

struct seen {
	char text[4096];   /* "id=data|" per event, or "line|" per line */
	int count;
};

static int on_event(void *ctx, const char *last_id, const char *data, size_t len)
{
	struct seen *s = ctx;
	size_t at = strlen(s->text);

	assert_int_equal(strlen(data), len);
	snprintf(s->text + at, sizeof(s->text) - at, "%s=%s|", last_id, data);
	s->count++;
	return 0;
}

static int on_line(void *ctx, const char *line, size_t len)
{
	struct seen *s = ctx;
	size_t at = strlen(s->text);

	assert_int_equal(strlen(line), len);
	snprintf(s->text + at, sizeof(s->text) - at, "%s|", line);
	s->count++;
	return 0;
}

/* The stream in two chunks, split at every place: always the same events. */
static void sse_split_everywhere(const char *stream, const char *expected)
{
	size_t len = strlen(stream);

	for (size_t cut = 0; cut <= len; cut++) {
		struct seen seen = { 0 };
		struct remote_sse s = { .on_event = on_event, .ctx = &seen };

		assert_int_equal(remote_sse_feed(&s, stream, cut), 0);
		assert_int_equal(remote_sse_feed(&s, stream + cut, len - cut), 0);
		if (strcmp(seen.text, expected))
			fail_msg("cut at %zu: %s, expected %s", cut, seen.text, expected);
		remote_sse_free(&s);
	}
}

static void test_sse_events_ids_and_comments(void **state)
{
	(void)state;
	sse_split_everywhere(": hello\n\nid: 1\nevent: pipe\ndata: {\"a\":1}\n\n: keep-alive\n\n"
			     "id: 2\ndata: {\"b\":2}\n\n",
			     "1={\"a\":1}|2={\"b\":2}|");
}

static void test_sse_multi_line_data_joins_with_lf(void **state)
{
	(void)state;
	sse_split_everywhere("id: 7\ndata: one\ndata: two\ndata:three\n\n", "7=one\ntwo\nthree|");
}

static void test_sse_line_ends_crlf_and_cr(void **state)
{
	(void)state;
	sse_split_everywhere("id: 3\r\ndata: x\r\n\r\nid: 4\rdata: y\r\r", "3=x|4=y|");
}

static void test_sse_an_event_without_data_only_moves_the_id(void **state)
{
	struct seen seen = { 0 };
	struct remote_sse s = { .on_event = on_event, .ctx = &seen };
	const char *stream = "id: 9\n\ndata: z\n\n";

	(void)state;
	assert_int_equal(remote_sse_feed(&s, stream, strlen(stream)), 0);
	assert_string_equal(seen.text, "9=z|");
	assert_string_equal(s.last_id, "9");
	remote_sse_free(&s);
}

static void test_sse_a_reset_drops_the_half_event_and_keeps_the_id(void **state)
{
	struct seen seen = { 0 };
	struct remote_sse s = { .on_event = on_event, .ctx = &seen };
	const char *first = "id: 5\ndata: a\n\nid: 6\ndata: hal", *second = "id: 6\ndata: b\n\n";

	(void)state;
	assert_int_equal(remote_sse_feed(&s, first, strlen(first)), 0);
	remote_sse_reset(&s);
	assert_string_equal(s.last_id, "6");
	assert_int_equal(remote_sse_feed(&s, second, strlen(second)), 0);
	assert_string_equal(seen.text, "5=a|6=b|");
	remote_sse_free(&s);
}

static int stop_at_first(void *ctx, const char *last_id, const char *data, size_t len)
{
	(void)ctx;
	(void)last_id;
	(void)data;
	(void)len;
	return 42;
}

static void test_sse_the_callback_stops_the_feed(void **state)
{
	struct remote_sse s = { .on_event = stop_at_first };
	const char *stream = "data: a\n\ndata: b\n\n";

	(void)state;
	assert_int_equal(remote_sse_feed(&s, stream, strlen(stream)), 42);
	remote_sse_free(&s);
}

static void test_json_lines_split_anywhere(void **state)
{
	const char *body = "{\"id\":1}\n{\"id\":2}\r\n\n{\"id\":3}";
	size_t len = strlen(body);

	(void)state;
	for (size_t a = 0; a <= len; a++)
		for (size_t b = a; b <= len; b++) {
			struct seen seen = { 0 };
			struct remote_lines l = { .on_line = on_line, .ctx = &seen };

			assert_int_equal(remote_lines_feed(&l, body, a), 0);
			assert_int_equal(remote_lines_feed(&l, body + a, b - a), 0);
			assert_int_equal(remote_lines_feed(&l, body + b, len - b), 0);
			assert_int_equal(remote_lines_end(&l), 0);
			assert_string_equal(seen.text, "{\"id\":1}|{\"id\":2}|{\"id\":3}|");
			remote_lines_free(&l);
		}
}

static void test_a_line_past_the_limit_ends_the_read(void **state)
{
	struct seen seen = { 0 };
	struct remote_lines l = { .on_line = on_line, .ctx = &seen };
	char *big = malloc(1 << 20);
	int rc = 0;

	(void)state;
	memset(big, 'x', 1 << 20);
	for (int i = 0; i < 5 && !rc; i++)
		rc = remote_lines_feed(&l, big, 1 << 20);
	assert_int_equal(rc, -1);
	free(big);
	remote_lines_free(&l);
}

static void member_is(const char *obj, const char *key, const char *expected)
{
	const char *v;
	size_t n;

	if (!expected) {
		assert_false(remote_json_member(obj, strlen(obj), key, &v, &n));
		return;
	}
	assert_true(remote_json_member(obj, strlen(obj), key, &v, &n));
	assert_int_equal(n, strlen(expected));
	assert_memory_equal(v, expected, n);
}

static void test_members_at_the_top_level_only(void **state)
{
	const char *obj = "{\"id\":42,\"time\":\"1:2\",\"src\":{\"record\":\"no\",\"x\":[1,{\"y\":2}]},"
			  "\"comm\":\"a\\\"record\\\":\\\"b\",\"record\":\"QUJD\" }";

	(void)state;
	member_is(obj, "id", "42");
	member_is(obj, "time", "1:2");
	member_is(obj, "record", "QUJD");
	member_is(obj, "src", "{\"record\":\"no\",\"x\":[1,{\"y\":2}]}");
	member_is(obj, "missing", NULL);
	member_is("[1,2]", "id", NULL);
	member_is("{\"id\":", "id", NULL);
	member_is("{\"a\":\"unterminated", "record", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse_events_ids_and_comments),
		cmocka_unit_test(test_sse_multi_line_data_joins_with_lf),
		cmocka_unit_test(test_sse_line_ends_crlf_and_cr),
		cmocka_unit_test(test_sse_an_event_without_data_only_moves_the_id),
		cmocka_unit_test(test_sse_a_reset_drops_the_half_event_and_keeps_the_id),
		cmocka_unit_test(test_sse_the_callback_stops_the_feed),
		cmocka_unit_test(test_json_lines_split_anywhere),
		cmocka_unit_test(test_a_line_past_the_limit_ends_the_read),
		cmocka_unit_test(test_members_at_the_top_level_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
