// SPDX-License-Identifier: GPL-2.0
/*
 * JSON Lines writer: see json_writer.h for the output rules.
 */
#include "util/json_writer.h"
#include "util/put_num.h"

#include <inttypes.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void jw_init(struct json_writer *w, FILE *out)
{
	*w = (struct json_writer){ .out = out };
}

/* ---- string escaping ---- */

static bool is_continuation_byte(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length of the well-formed UTF-8 sequence at the start of s, or 0 if there
 * is none (RFC 3629, section 4).  Narrowing the range of the second byte per
 * lead byte is what rejects overlong forms (E0, F0), surrogates (ED) and
 * code points above U+10FFFF (F4); C0, C1 and F5..FF can only start
 * overlong or out-of-range forms, so they never lead.
 */
static size_t utf8_sequence_length(const uint8_t *s, size_t avail)
{
	uint8_t lead = s[0];
	uint8_t second_min = 0x80, second_max = 0xbf;
	size_t len, i;

	if (lead >= 0xc2 && lead <= 0xdf)
		len = 2;
	else if (lead >= 0xe0 && lead <= 0xef)
		len = 3;
	else if (lead >= 0xf0 && lead <= 0xf4)
		len = 4;
	else
		return 0;

	switch (lead) {
	case 0xe0: second_min = 0xa0; break;
	case 0xed: second_max = 0x9f; break;
	case 0xf0: second_min = 0x90; break;
	case 0xf4: second_max = 0x8f; break;
	}

	if (avail < len || s[1] < second_min || s[1] > second_max)
		return 0;
	for (i = 2; i < len; i++)
		if (!is_continuation_byte(s[i]))
			return 0;
	return len;
}

static bool is_verbatim_ascii(uint8_t c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* How many bytes at the start of s can be copied to the output unchanged. */
static size_t verbatim_prefix_length(const uint8_t *s, size_t len)
{
	size_t i = 0, seq;

	while (i < len) {
		if (s[i] < 0x80) {
			if (!is_verbatim_ascii(s[i]))
				break;
			i++;
			continue;
		}
		seq = utf8_sequence_length(s + i, len - i);
		if (seq == 0)
			break;
		i += seq;
	}
	return i;
}

/* The letter of c's two-character escape, or 0 if it has none. */
static char short_escape_letter(uint8_t c)
{
	switch (c) {
	case '"': return '"';
	case '\\': return '\\';
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	default: return 0;
	}
}

/* Writes one byte that may not appear as itself inside a JSON string. */
static void write_escaped_byte(FILE *out, uint8_t c)
{
	char letter = short_escape_letter(c);

	if (letter) {
		char esc[2] = { '\\', letter };

		fwrite_unlocked(esc, 1, sizeof(esc), out);
	} else {
		char esc[6] = { '\\', 'u', '0', '0',
				hex_digits[c >> 4], hex_digits[c & 0xf] };

		fwrite_unlocked(esc, 1, sizeof(esc), out);
	}
}

/* strings up to this long that need no escaping go out in one write */
#define SHORT_STRING 96

/*
 * A short string that needs no escaping, with the comma before and the
 * colon after it if any (0: none), in one write: a key, a comm.  Byte by
 * byte, the calls into stdio cost more than the bytes (the daemon's
 * profile on a flood).  False if it is not such a string.
 */
static bool write_short_verbatim(FILE *out, char before, const uint8_t *s, size_t len, char after)
{
	char buf[SHORT_STRING + 4];
	size_t n = 0;

	if (len > SHORT_STRING || verbatim_prefix_length(s, len) != len)
		return false;
	if (before)
		buf[n++] = before;
	buf[n++] = '"';
	if (len)  /* an empty string may come as NULL */
		memcpy(buf + n, s, len);
	n += len;
	buf[n++] = '"';
	if (after)
		buf[n++] = after;
	fwrite_unlocked(buf, 1, n, out);
	return true;
}

/* s as a JSON string, with before and after (0: none) around it. */
static void write_quoted(FILE *out, char before, const uint8_t *s, size_t len, char after)
{
	size_t i = 0, run;

	if (write_short_verbatim(out, before, s, len, after))
		return;
	if (before)
		fputc_unlocked(before, out);
	fputc_unlocked('"', out);
	while (i < len) {
		/* Copy in runs: most payload bytes need no escaping. */
		run = verbatim_prefix_length(s + i, len - i);
		fwrite_unlocked(s + i, 1, run, out);
		i += run;
		if (i < len)
			write_escaped_byte(out, s[i++]);
	}
	fputc_unlocked('"', out);
	if (after)
		fputc_unlocked(after, out);
}

/* ---- nesting and separators ---- */

static bool skipping(const struct json_writer *w)
{
	return w->skipped_depth > 0;
}

/* The comma that must precede a new value or key, or 0; the value or key is then due. */
static char value_separator(struct json_writer *w)
{
	struct jw_level *level;

	if (w->after_key) {
		/* The key already took the comma for this member. */
		w->after_key = false;
		return 0;
	}
	if (w->depth == 0)
		return 0;
	level = &w->stack[w->depth - 1];
	if (!level->has_members) {
		level->has_members = true;
		return 0;
	}
	return ',';
}

/* Writes the comma that must precede a new value or key, if any. */
static void start_value(struct json_writer *w)
{
	if (value_separator(w))
		fputc_unlocked(',', w->out);
}

/* A key without a value is invalid JSON, so give it one. */
static void complete_dangling_key(struct json_writer *w)
{
	if (w->after_key)
		jw_null(w);
}

static void open_container(struct json_writer *w, bool is_object)
{
	if (skipping(w)) {
		w->skipped_depth++;
		return;
	}
	if (w->depth == JW_MAX_DEPTH) {
		jw_null(w);
		w->skipped_depth = 1;
		return;
	}
	start_value(w);
	fputc_unlocked(is_object ? '{' : '[', w->out);
	w->stack[w->depth++] = (struct jw_level){ .is_object = is_object };
}

/*
 * Closes the innermost container with the bracket it was opened with, so a
 * mismatched end call cannot make the line invalid.
 */
static void close_container(struct json_writer *w)
{
	if (skipping(w)) {
		w->skipped_depth--;
		return;
	}
	if (w->depth == 0)
		return;
	complete_dangling_key(w);
	w->depth--;
	fputc_unlocked(w->stack[w->depth].is_object ? '}' : ']', w->out);
}

void jw_object_begin(struct json_writer *w)
{
	open_container(w, true);
}

void jw_object_end(struct json_writer *w)
{
	close_container(w);
}

void jw_array_begin(struct json_writer *w)
{
	open_container(w, false);
}

void jw_array_end(struct json_writer *w)
{
	close_container(w);
}

void jw_key(struct json_writer *w, const char *name)
{
	if (skipping(w))
		return;
	complete_dangling_key(w);
	write_quoted(w->out, value_separator(w), (const uint8_t *)name, strlen(name), ':');
	w->after_key = true;
}

void jw_end_line(struct json_writer *w)
{
	w->skipped_depth = 0;
	while (w->depth > 0)
		close_container(w);
	complete_dangling_key(w);
	fputc_unlocked('\n', w->out);
	jw_init(w, w->out);
}

/* ---- values ---- */

void jw_string(struct json_writer *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_string_n(w, s, strlen(s));
}

void jw_string_n(struct json_writer *w, const void *bytes, size_t len)
{
	if (skipping(w))
		return;
	write_quoted(w->out, value_separator(w), bytes, len, 0);
}

void jw_int(struct json_writer *w, int64_t value)
{
	if (skipping(w))
		return;
	start_value(w);
	put_i64(w->out, value);
}

void jw_uint(struct json_writer *w, uint64_t value)
{
	if (skipping(w))
		return;
	start_value(w);
	put_u64(w->out, value);
}

void jw_double(struct json_writer *w, double value)
{
	if (skipping(w))
		return;
	start_value(w);
	/* JSON has no NaN or infinity */
	if (value != value || value > 1e300 || value < -1e300)
		fputs("null", w->out);
	else
		fprintf(w->out, "%.3f", value);
}

static void write_literal(struct json_writer *w, const char *literal)
{
	if (skipping(w))
		return;
	start_value(w);
	fputs_unlocked(literal, w->out);
}

void jw_bool(struct json_writer *w, bool value)
{
	write_literal(w, value ? "true" : "false");
}

void jw_null(struct json_writer *w)
{
	write_literal(w, "null");
}

/* Input bytes per base64 chunk; a multiple of 3 so only the last chunk pads. */
#define BASE64_CHUNK 768

void jw_base64(struct json_writer *w, const void *bytes, size_t len)
{
	const uint8_t *in = bytes;
	char encoded[BASE64_ENCODED_SIZE(BASE64_CHUNK)];
	size_t chunk, n;

	if (skipping(w))
		return;
	start_value(w);
	fputc_unlocked('"', w->out);
	while (len > 0) {
		chunk = len < BASE64_CHUNK ? len : BASE64_CHUNK;
		n = base64_encode(in, chunk, encoded);
		fwrite_unlocked(encoded, 1, n, w->out);
		in += chunk;
		len -= chunk;
	}
	fputc_unlocked('"', w->out);
}

void jw_kv_string(struct json_writer *w, const char *key, const char *value)
{
	jw_key(w, key);
	jw_string(w, value);
}

void jw_kv_int(struct json_writer *w, const char *key, int64_t value)
{
	jw_key(w, key);
	jw_int(w, value);
}

void jw_kv_uint(struct json_writer *w, const char *key, uint64_t value)
{
	jw_key(w, key);
	jw_uint(w, value);
}

void jw_kv_bool(struct json_writer *w, const char *key, bool value)
{
	jw_key(w, key);
	jw_bool(w, value);
}

/* ---- base64 ---- */

static void encode_group(uint32_t group, char out[4])
{
	out[0] = base64_alphabet[(group >> 18) & 0x3f];
	out[1] = base64_alphabet[(group >> 12) & 0x3f];
	out[2] = base64_alphabet[(group >> 6) & 0x3f];
	out[3] = base64_alphabet[group & 0x3f];
}

size_t base64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i, written = 0, rest;
	uint32_t group;

	for (i = 0; len - i >= 3; i += 3, written += 4) {
		group = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			in[i + 2];
		encode_group(group, out + written);
	}

	rest = len - i;
	if (rest > 0) {
		group = (uint32_t)in[i] << 16;
		if (rest == 2)
			group |= (uint32_t)in[i + 1] << 8;
		encode_group(group, out + written);
		/* One input byte fills two output characters, two fill three. */
		out[written + 3] = '=';
		if (rest == 1)
			out[written + 2] = '=';
		written += 4;
	}

	out[written] = '\0';
	return written;
}
