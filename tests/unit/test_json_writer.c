// SPDX-License-Identifier: GPL-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/json_writer.h"

struct capture {
	char *buf;
	size_t size;
	FILE *out;
	struct json_writer w;
};

static int open_capture(struct capture *c)
{
	c->buf = NULL;
	c->size = 0;
	c->out = open_memstream(&c->buf, &c->size);
	if (!c->out)
		return -1;
	jw_init(&c->w, c->out);
	return 0;
}

static void close_capture(struct capture *c)
{
	if (c->out)
		fclose(c->out);
	c->out = NULL;
	free(c->buf);
	c->buf = NULL;
}

static int capture_setup(void **state)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c || open_capture(c) != 0) {
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int capture_teardown(void **state)
{
	struct capture *c = *state;

	close_capture(c);
	free(c);
	return 0;
}

/*
 * Compares everything written so far, then starts a fresh capture.  Call
 * it only between records: the writer is reset onto the new stream.
 */
static void assert_output(struct capture *c, const char *expected)
{
	assert_int_equal(fflush(c->out), 0);
	assert_int_equal(c->size, strlen(expected));
	assert_memory_equal(c->buf, expected, c->size);
	close_capture(c);
	assert_int_equal(open_capture(c), 0);
}

/* Writes bytes as a one-string record and checks the line. */
static void assert_string_line(struct capture *c, const void *bytes,
			       size_t len, const char *expected)
{
	jw_string_n(&c->w, bytes, len);
	jw_end_line(&c->w);
	assert_output(c, expected);
}

#define ASSERT_STRING_LINE(c, literal, expected) \
	assert_string_line((c), (literal), sizeof(literal) - 1, (expected))

/* ---- structure ---- */

static void test_empty_containers(void **state)
{
	struct capture *c = *state;

	jw_object_begin(&c->w);
	jw_object_end(&c->w);
	jw_end_line(&c->w);
	jw_array_begin(&c->w);
	jw_array_end(&c->w);
	jw_end_line(&c->w);
	assert_output(c, "{}\n[]\n");
}

static void test_nesting_and_commas(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_object_begin(w);
	jw_kv_int(w, "a", 1);
	jw_key(w, "b");
	jw_array_begin(w);
	jw_int(w, 1);
	jw_int(w, 2);
	jw_object_begin(w);
	jw_key(w, "c");
	jw_null(w);
	jw_object_end(w);
	jw_array_begin(w);
	jw_array_end(w);
	jw_array_end(w);
	jw_key(w, "d");
	jw_object_begin(w);
	jw_object_end(w);
	jw_kv_string(w, "e", "x");
	jw_object_end(w);
	jw_end_line(w);
	assert_output(c, "{\"a\":1,\"b\":[1,2,{\"c\":null},[]],\"d\":{},\"e\":\"x\"}\n");
}

static void test_scalar_values_in_array(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_array_begin(w);
	jw_bool(w, true);
	jw_bool(w, false);
	jw_null(w);
	jw_string(w, "s");
	jw_string(w, NULL);
	jw_int(w, -1);
	jw_uint(w, 2);
	jw_base64(w, "f", 1);
	jw_array_end(w);
	jw_end_line(w);
	assert_output(c, "[true,false,null,\"s\",null,-1,2,\"Zg==\"]\n");
}

static void test_kv_helpers(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_object_begin(w);
	jw_kv_string(w, "comm", "cat");
	jw_kv_int(w, "error", -32);
	jw_kv_uint(w, "pid", 4242);
	jw_kv_bool(w, "fifo", true);
	jw_kv_bool(w, "blocked", false);
	jw_kv_string(w, "path", NULL);
	jw_object_end(w);
	jw_end_line(w);
	assert_output(c, "{\"comm\":\"cat\",\"error\":-32,\"pid\":4242,"
			 "\"fifo\":true,\"blocked\":false,\"path\":null}\n");
}

static void test_lines_are_independent(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_object_begin(w);
	jw_kv_int(w, "n", 1);
	jw_object_end(w);
	jw_end_line(w);
	jw_object_begin(w);
	jw_kv_int(w, "n", 2);
	jw_object_end(w);
	jw_end_line(w);
	assert_output(c, "{\"n\":1}\n{\"n\":2}\n");
}

static void test_end_line_closes_open_containers(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_object_begin(w);
	jw_key(w, "a");
	jw_array_begin(w);
	jw_int(w, 1);
	jw_object_begin(w);
	jw_end_line(w);
	assert_output(c, "{\"a\":[1,{}]}\n");
}

static void test_dangling_key_gets_null(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_object_begin(w);
	jw_key(w, "a");
	jw_key(w, "b");
	jw_object_end(w);
	jw_end_line(w);
	jw_object_begin(w);
	jw_key(w, "c");
	jw_end_line(w);
	assert_output(c, "{\"a\":null,\"b\":null}\n{\"c\":null}\n");
}

static void test_mismatched_end_uses_open_bracket(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_array_begin(w);
	jw_object_end(w);
	jw_array_end(w);
	jw_end_line(w);
	assert_output(c, "[]\n");
}

static void test_too_deep_container_becomes_null(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;
	int i;

	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw_array_begin(w);
	/* One level too deep: written as null, its contents dropped. */
	jw_object_begin(w);
	jw_kv_int(w, "lost", 1);
	jw_array_begin(w);
	jw_string(w, "lost too");
	jw_array_end(w);
	jw_object_end(w);
	jw_int(w, 7);
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw_array_end(w);
	jw_end_line(w);
	assert_output(c, "[[[[[[[[[[[[[[[[null,7]]]]]]]]]]]]]]]]\n");
}

static void test_too_deep_state_resets_at_end_line(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;
	int i;

	for (i = 0; i <= JW_MAX_DEPTH; i++)
		jw_array_begin(w);
	jw_end_line(w);
	jw_int(w, 1);
	jw_end_line(w);
	assert_output(c, "[[[[[[[[[[[[[[[[null]]]]]]]]]]]]]]]]\n1\n");
}

/* ---- numbers ---- */

static void test_integer_limits(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_array_begin(w);
	jw_int(w, INT64_MIN);
	jw_int(w, INT64_MAX);
	jw_int(w, 0);
	jw_uint(w, UINT64_MAX);
	jw_uint(w, 0);
	jw_array_end(w);
	jw_end_line(w);
	assert_output(c, "[-9223372036854775808,9223372036854775807,0,"
			 "18446744073709551615,0]\n");
}

/* ---- string escaping ---- */

static void test_plain_ascii_passes_through(void **state)
{
	ASSERT_STRING_LINE(*state, " !#/09:@AZ[]^_`az{|}~",
			   "\" !#/09:@AZ[]^_`az{|}~\"\n");
}

static void test_quote_and_backslash(void **state)
{
	ASSERT_STRING_LINE(*state, "a\"b\\c", "\"a\\\"b\\\\c\"\n");
}

static void test_short_escapes(void **state)
{
	ASSERT_STRING_LINE(*state, "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"\n");
}

static void test_other_controls_and_del(void **state)
{
	ASSERT_STRING_LINE(*state, "\x01\x07\x0b\x0e\x1b\x1f\x7f",
			   "\"\\u0001\\u0007\\u000b\\u000e\\u001b\\u001f\\u007f\"\n");
}

static void test_embedded_nul(void **state)
{
	ASSERT_STRING_LINE(*state, "a\0b\0", "\"a\\u0000b\\u0000\"\n");
}

static void test_empty_string(void **state)
{
	struct capture *c = *state;

	assert_string_line(c, "", 0, "\"\"\n");
	assert_string_line(c, NULL, 0, "\"\"\n");
}

static void test_key_is_escaped(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;

	jw_object_begin(w);
	jw_kv_int(w, "a\"\n", 1);
	jw_object_end(w);
	jw_end_line(w);
	assert_output(c, "{\"a\\\"\\n\":1}\n");
}

/*
 * Short strings that need no escaping go out in one write with their comma
 * and colon; longer ones, or ones with an escape, byte run by byte run.
 * Either way the line is the same: keys and values of every length around
 * the cut, each after a comma.
 */
static void test_strings_around_the_one_write_length(void **state)
{
	struct capture *c = *state;
	char text[200], ks[200], expected[600];

	memset(ks, 'k', sizeof(ks));
	for (size_t len = 90; len <= 100; len++) {
		memset(text, 'k', len);
		text[len] = '\0';
		jw_object_begin(&c->w);
		jw_kv_int(&c->w, "a", 1);
		jw_kv_string(&c->w, text, text);
		text[len / 2] = '\n';
		jw_kv_string(&c->w, "b", text);
		jw_object_end(&c->w);
		jw_end_line(&c->w);
		snprintf(expected, sizeof(expected), "{\"a\":1,\"%.*s\":\"%.*s\",\"b\":\"%.*s\\n%.*s\"}\n",
			 (int)len, ks,
			 (int)len, ks,
			 (int)(len / 2), text, (int)(len - len / 2 - 1), text + len / 2 + 1);
		assert_output(c, expected);
	}
}

static void test_valid_utf8_passes_through(void **state)
{
	struct capture *c = *state;

	/* Two-, three- and four-byte forms, at their range boundaries too. */
	ASSERT_STRING_LINE(c, "\xc3\xa9", "\"\xc3\xa9\"\n");             /* é */
	ASSERT_STRING_LINE(c, "\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"\n");
	ASSERT_STRING_LINE(c, "\xe2\x82\xac", "\"\xe2\x82\xac\"\n");     /* € */
	ASSERT_STRING_LINE(c, "\xe0\xa0\x80\xef\xbf\xbf",
			   "\"\xe0\xa0\x80\xef\xbf\xbf\"\n");
	/* Just below and just above the surrogate block. */
	ASSERT_STRING_LINE(c, "\xed\x9f\xbf\xee\x80\x80",
			   "\"\xed\x9f\xbf\xee\x80\x80\"\n");
	ASSERT_STRING_LINE(c, "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"\n");
	ASSERT_STRING_LINE(c, "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
			   "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"\n");
	ASSERT_STRING_LINE(c, "x\xc3\xa9y\"", "\"x\xc3\xa9y\\\"\"\n");
}

static void test_invalid_lead_bytes(void **state)
{
	struct capture *c = *state;

	/* A lone continuation byte, the overlong-only leads, and F5..FF. */
	ASSERT_STRING_LINE(c, "\x80", "\"\\u0080\"\n");
	ASSERT_STRING_LINE(c, "\xbf", "\"\\u00bf\"\n");
	ASSERT_STRING_LINE(c, "\xc0", "\"\\u00c0\"\n");
	ASSERT_STRING_LINE(c, "\xc1", "\"\\u00c1\"\n");
	ASSERT_STRING_LINE(c, "\xf5\xfe\xff", "\"\\u00f5\\u00fe\\u00ff\"\n");
	/* A bad byte does not spoil valid text around it. */
	ASSERT_STRING_LINE(c, "a\xff\xc3\xa9",
			   "\"a\\u00ff\xc3\xa9\"\n");
}

static void test_truncated_sequences(void **state)
{
	struct capture *c = *state;

	/* Cut short by the end of the data. */
	ASSERT_STRING_LINE(c, "\xc3", "\"\\u00c3\"\n");
	ASSERT_STRING_LINE(c, "\xe2\x82", "\"\\u00e2\\u0082\"\n");
	ASSERT_STRING_LINE(c, "\xf0\x9f\x98", "\"\\u00f0\\u009f\\u0098\"\n");
	/* Cut short by a byte that is not a continuation. */
	ASSERT_STRING_LINE(c, "\xe2\x82" "A", "\"\\u00e2\\u0082A\"\n");
	ASSERT_STRING_LINE(c, "\xc3\xc3\xa9", "\"\\u00c3\xc3\xa9\"\n");
	ASSERT_STRING_LINE(c, "\xf0\x9f\x98\n", "\"\\u00f0\\u009f\\u0098\\n\"\n");
}

static void test_overlong_encodings(void **state)
{
	struct capture *c = *state;

	/* '/' in two, three and four bytes, and U+FFFF in four. */
	ASSERT_STRING_LINE(c, "\xc0\xaf", "\"\\u00c0\\u00af\"\n");
	ASSERT_STRING_LINE(c, "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"\n");
	ASSERT_STRING_LINE(c, "\xe0\x9f\xbf", "\"\\u00e0\\u009f\\u00bf\"\n");
	ASSERT_STRING_LINE(c, "\xf0\x80\x80\xaf",
			   "\"\\u00f0\\u0080\\u0080\\u00af\"\n");
	ASSERT_STRING_LINE(c, "\xf0\x8f\xbf\xbf",
			   "\"\\u00f0\\u008f\\u00bf\\u00bf\"\n");
}

static void test_surrogates(void **state)
{
	struct capture *c = *state;

	ASSERT_STRING_LINE(c, "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"\n");
	ASSERT_STRING_LINE(c, "\xed\xbf\xbf", "\"\\u00ed\\u00bf\\u00bf\"\n");
}

static void test_above_max_code_point(void **state)
{
	struct capture *c = *state;

	ASSERT_STRING_LINE(c, "\xf4\x90\x80\x80",
			   "\"\\u00f4\\u0090\\u0080\\u0080\"\n");
	ASSERT_STRING_LINE(c, "\xf7\xbf\xbf\xbf",
			   "\"\\u00f7\\u00bf\\u00bf\\u00bf\"\n");
}

/* ---- base64 ---- */

struct base64_vector {
	const char *plain;
	const char *encoded;
};

/* RFC 4648, section 10. */
static const struct base64_vector rfc4648_vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void test_base64_encode_rfc4648_vectors(void **state)
{
	char out[BASE64_ENCODED_SIZE(6)];
	size_t i, len, n;

	(void)state;
	for (i = 0; i < sizeof(rfc4648_vectors) / sizeof(rfc4648_vectors[0]); i++) {
		len = strlen(rfc4648_vectors[i].plain);
		memset(out, '#', sizeof(out));
		n = base64_encode((const uint8_t *)rfc4648_vectors[i].plain,
				  len, out);
		assert_string_equal(out, rfc4648_vectors[i].encoded);
		assert_int_equal(n, strlen(rfc4648_vectors[i].encoded));
		assert_int_equal(n + 1, BASE64_ENCODED_SIZE(len));
	}
}

static void test_base64_encode_all_byte_values(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0x10, 0x83, 0x10, 0x51, 0x87,
					 0x20, 0x92, 0x8b, 0xff, 0xfe, 0xfd };
	char out[BASE64_ENCODED_SIZE(sizeof(bytes))];

	(void)state;
	base64_encode(bytes, sizeof(bytes), out);
	assert_string_equal(out, "ABCDEFGHIJKL//79");
}

static void test_jw_base64_rfc4648_vectors(void **state)
{
	struct capture *c = *state;
	struct json_writer *w = &c->w;
	size_t i;

	jw_array_begin(w);
	for (i = 0; i < sizeof(rfc4648_vectors) / sizeof(rfc4648_vectors[0]); i++)
		jw_base64(w, rfc4648_vectors[i].plain,
			  strlen(rfc4648_vectors[i].plain));
	jw_array_end(w);
	jw_end_line(w);
	assert_output(c, "[\"\",\"Zg==\",\"Zm8=\",\"Zm9v\",\"Zm9vYg==\","
			 "\"Zm9vYmE=\",\"Zm9vYmFy\"]\n");
}

static void test_jw_base64_long_input_matches_one_shot(void **state)
{
	struct capture *c = *state;
	enum { LEN = 2000 };
	static uint8_t data[LEN];
	static char expected[1 + BASE64_ENCODED_SIZE(LEN) + 2];
	size_t i, n;

	for (i = 0; i < LEN; i++)
		data[i] = (uint8_t)(i * 131 + 7);
	expected[0] = '"';
	n = base64_encode(data, LEN, expected + 1);
	memcpy(expected + 1 + n, "\"\n", 3);

	jw_base64(&c->w, data, LEN);
	jw_end_line(&c->w);
	assert_output(c, expected);
}

#define CAPTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, capture_setup, capture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CAPTURE_TEST(test_empty_containers),
		CAPTURE_TEST(test_nesting_and_commas),
		CAPTURE_TEST(test_scalar_values_in_array),
		CAPTURE_TEST(test_kv_helpers),
		CAPTURE_TEST(test_lines_are_independent),
		CAPTURE_TEST(test_end_line_closes_open_containers),
		CAPTURE_TEST(test_dangling_key_gets_null),
		CAPTURE_TEST(test_mismatched_end_uses_open_bracket),
		CAPTURE_TEST(test_too_deep_container_becomes_null),
		CAPTURE_TEST(test_too_deep_state_resets_at_end_line),
		CAPTURE_TEST(test_integer_limits),
		CAPTURE_TEST(test_plain_ascii_passes_through),
		CAPTURE_TEST(test_quote_and_backslash),
		CAPTURE_TEST(test_short_escapes),
		CAPTURE_TEST(test_other_controls_and_del),
		CAPTURE_TEST(test_embedded_nul),
		CAPTURE_TEST(test_empty_string),
		CAPTURE_TEST(test_key_is_escaped),
		CAPTURE_TEST(test_strings_around_the_one_write_length),
		CAPTURE_TEST(test_valid_utf8_passes_through),
		CAPTURE_TEST(test_invalid_lead_bytes),
		CAPTURE_TEST(test_truncated_sequences),
		CAPTURE_TEST(test_overlong_encodings),
		CAPTURE_TEST(test_surrogates),
		CAPTURE_TEST(test_above_max_code_point),
		CAPTURE_TEST(test_base64_encode_rfc4648_vectors),
		CAPTURE_TEST(test_base64_encode_all_byte_values),
		CAPTURE_TEST(test_jw_base64_rfc4648_vectors),
		CAPTURE_TEST(test_jw_base64_long_input_matches_one_shot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
