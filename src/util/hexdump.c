// SPDX-License-Identifier: GPL-2.0
/*
 * Hex dump in the layout of Go's encoding/hex.Dumper: see hexdump.h.
 */
#include "util/hexdump.h"

#define BYTES_PER_LINE 16
/* "%08x  " + 16 x "xx " + gap after byte 8 + " |" + 16 chars + "|\n" */
#define LINE_MAX_CHARS (10 + BYTES_PER_LINE * 3 + 1 + 2 + BYTES_PER_LINE + 2)

static const char hex_digits[] = "0123456789abcdef";

static char printable_or_dot(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e ? (char)c : '.';
}

static char *put_offset(char *p, uint32_t offset)
{
	int shift;

	for (shift = 28; shift >= 0; shift -= 4)
		*p++ = hex_digits[(offset >> shift) & 0xf];
	*p++ = ' ';
	*p++ = ' ';
	return p;
}

/*
 * The hex column: one "xx " per byte, or three spaces where a short line
 * has no byte, so the ASCII column always starts at the same place.
 */
static char *put_hex_column(char *p, const uint8_t *bytes, size_t count)
{
	size_t i;

	for (i = 0; i < BYTES_PER_LINE; i++) {
		if (i < count) {
			*p++ = hex_digits[bytes[i] >> 4];
			*p++ = hex_digits[bytes[i] & 0xf];
		} else {
			*p++ = ' ';
			*p++ = ' ';
		}
		*p++ = ' ';
		if (i == BYTES_PER_LINE / 2 - 1)
			*p++ = ' ';
	}
	*p++ = ' ';
	return p;
}

static char *put_ascii_column(char *p, const uint8_t *bytes, size_t count)
{
	size_t i;

	*p++ = '|';
	for (i = 0; i < count; i++)
		*p++ = printable_or_dot(bytes[i]);
	*p++ = '|';
	*p++ = '\n';
	return p;
}

static void write_line(FILE *out, const uint8_t *bytes, size_t count,
		       uint32_t offset, const char *indent)
{
	char line[LINE_MAX_CHARS];
	char *end = line;

	end = put_offset(end, offset);
	end = put_hex_column(end, bytes, count);
	end = put_ascii_column(end, bytes, count);
	fputs_unlocked(indent, out);
	fwrite_unlocked(line, 1, (size_t)(end - line), out);
}

void hexdump_write(FILE *out, const uint8_t *data, size_t len,
		   const char *indent)
{
	size_t offset, count;

	if (!indent)
		indent = "";
	for (offset = 0; offset < len; offset += count) {
		count = len - offset < BYTES_PER_LINE ? len - offset
						       : BYTES_PER_LINE;
		/* Go prints only the low 32 bits of the offset. */
		write_line(out, data + offset, count, (uint32_t)offset, indent);
	}
}
