/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A JSON Lines writer that keeps track of commas and nesting, so callers
 * only say what to write.  One record is one line: build it with the
 * begin/end, key and value calls, then finish it with jw_end_line().
 *
 * The writer lives in caller storage and never allocates, because it runs
 * once per traced event; it writes with the _unlocked stdio calls, so one
 * thread at a time may use a stream it writes to.
 *
 * Strings are arbitrary bytes, not C strings (see jw_string_n).  They are
 * written so that every line is valid JSON:
 *   - '"' and '\' are escaped; \b \f \n \r \t use their short forms;
 *   - every other byte below 0x20, and 0x7f, becomes \u00XX;
 *   - well-formed UTF-8 sequences pass through unchanged;
 *   - each byte that is not part of well-formed UTF-8 (a stray continuation
 *     or invalid lead byte, a truncated sequence, an overlong encoding, a
 *     surrogate U+D800..U+DFFF, or a code point above U+10FFFF) becomes
 *     \u00XX with XX its own value.  A reader thus sees that byte as the
 *     Latin-1 character of the same value, so no byte is lost or merged.
 */
#ifndef IPCDUMP_JSON_WRITER_H
#define IPCDUMP_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Deepest nesting of objects and arrays within one record. */
#define JW_MAX_DEPTH 16

struct jw_level {
	bool is_object;   /* picks the closing bracket */
	bool has_members; /* a comma is due before the next member */
};

/*
 * Treat the fields as private.  A container opened deeper than
 * JW_MAX_DEPTH is written as null and everything inside it is dropped,
 * so the line stays valid JSON.
 */
struct json_writer {
	FILE *out;
	unsigned int depth;          /* open containers with a stack slot */
	unsigned int skipped_depth;  /* open containers beyond the stack */
	bool after_key;              /* a key was written, its value is due */
	struct jw_level stack[JW_MAX_DEPTH];
};

void jw_init(struct json_writer *w, FILE *out);

void jw_object_begin(struct json_writer *w);
void jw_object_end(struct json_writer *w);
void jw_array_begin(struct json_writer *w);
void jw_array_end(struct json_writer *w);

/* Writes an object member name; the next value call supplies its value. */
void jw_key(struct json_writer *w, const char *name);

/* A NULL string is written as null. */
void jw_string(struct json_writer *w, const char *s);
/* Writes len bytes as a JSON string; the bytes may contain NULs. */
void jw_string_n(struct json_writer *w, const void *bytes, size_t len);
void jw_int(struct json_writer *w, int64_t value);
void jw_uint(struct json_writer *w, uint64_t value);
/* Three decimals; null for what JSON cannot hold (NaN, infinities). */
void jw_double(struct json_writer *w, double value);
void jw_bool(struct json_writer *w, bool value);
void jw_null(struct json_writer *w);
/* Writes the bytes as a JSON string in standard, padded base64. */
void jw_base64(struct json_writer *w, const void *bytes, size_t len);

void jw_kv_string(struct json_writer *w, const char *key, const char *value);
void jw_kv_int(struct json_writer *w, const char *key, int64_t value);
void jw_kv_uint(struct json_writer *w, const char *key, uint64_t value);
void jw_kv_bool(struct json_writer *w, const char *key, bool value);

/*
 * Ends the record with '\n' and readies the writer for the next one.
 * Containers still open are closed first, so a record cut short on an
 * error path still parses.
 */
void jw_end_line(struct json_writer *w);

/* Output size of base64_encode() for len input bytes, NUL included. */
#define BASE64_ENCODED_SIZE(len) (4 * (((size_t)(len) + 2) / 3) + 1)

/*
 * Standard base64 (RFC 4648, with '=' padding).  out must hold
 * BASE64_ENCODED_SIZE(len) bytes; it is NUL-terminated.  Returns the
 * number of characters written, not counting the NUL.
 */
size_t base64_encode(const uint8_t *in, size_t len, char *out);

#endif /* IPCDUMP_JSON_WRITER_H */
