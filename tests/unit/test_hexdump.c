// SPDX-License-Identifier: GPL-2.0
/*
 * hexdump_write() must match Go's encoding/hex.Dumper byte for byte; the
 * expected lines below are what Go's dumper produces for the same input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/hexdump.h"

/* Runs hexdump_write into memory and compares the whole output. */
static void assert_dump(const void *data, size_t len, const char *indent,
			const char *expected)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	assert_non_null(out);
	hexdump_write(out, data, len, indent);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(buf, expected);
	assert_int_equal(size, strlen(expected));
	free(buf);
}

static const char seventeen[] = "0123456789abcdefg";

static void test_empty_writes_nothing(void **state)
{
	(void)state;
	assert_dump("", 0, NULL, "");
	assert_dump("", 0, "\t", "");
}

static void test_one_byte_pads_to_ascii_column(void **state)
{
	(void)state;
	assert_dump("A", 1, NULL,
		    "00000000  41                                                |A|\n");
	assert_dump("A", 1, "\t",
		    "\t00000000  41                                                |A|\n");
}

static void test_twelve_bytes(void **state)
{
	(void)state;
	assert_dump("hello world\n", 12, "",
		    "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 0a              |hello world.|\n");
	assert_dump("hello world\n", 12, "\t",
		    "\t00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 0a              |hello world.|\n");
}

static void test_full_line(void **state)
{
	(void)state;
	assert_dump("0123456789abcdef", 16, NULL,
		    "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n");
	assert_dump("0123456789abcdef", 16, "  ",
		    "  00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n");
}

static void test_seventeen_bytes_start_second_line(void **state)
{
	(void)state;
	assert_dump(seventeen, 17, NULL,
		    "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
		    "00000010  67                                                |g|\n");
	assert_dump(seventeen, 17, "\t",
		    "\t00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
		    "\t00000010  67                                                |g|\n");
}

static void test_thirty_three_bytes(void **state)
{
	uint8_t data[33];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	assert_dump(data, sizeof(data), NULL,
		    "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n"
		    "00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|\n"
		    "00000020  20                                                | |\n");
	assert_dump(data, sizeof(data), "\t",
		    "\t00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n"
		    "\t00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|\n"
		    "\t00000020  20                                                | |\n");
}

static void test_eight_bytes_keep_middle_gap(void **state)
{
	(void)state;
	assert_dump("01234567", 8, NULL,
		    "00000000  30 31 32 33 34 35 36 37                           |01234567|\n");
	assert_dump("012345678", 9, NULL,
		    "00000000  30 31 32 33 34 35 36 37  38                       |012345678|\n");
}

static void test_printable_range_boundaries(void **state)
{
	static const uint8_t data[] = { 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff };

	(void)state;
	assert_dump(data, sizeof(data), NULL,
		    "00000000  1f 20 7e 7f 80 ff                                 |. ~...|\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_writes_nothing),
		cmocka_unit_test(test_one_byte_pads_to_ascii_column),
		cmocka_unit_test(test_twelve_bytes),
		cmocka_unit_test(test_full_line),
		cmocka_unit_test(test_seventeen_bytes_start_second_line),
		cmocka_unit_test(test_thirty_three_bytes),
		cmocka_unit_test(test_eight_bytes_keep_middle_gap),
		cmocka_unit_test(test_printable_range_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
