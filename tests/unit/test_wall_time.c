/* SPDX-License-Identifier: GPL-2.0 */
/* --since and --until's times: each form, in UTC and local time, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <time.h>
#include "util/wall_time.h"

#define NS 1000000000ll
/* 2026-11-30T12:34:56Z */
#define NOW (1796042096ll * NS)

static int64_t parsed(const char *text)
{
	int64_t ns = -1;

	assert_int_equal(wall_time_parse(text, NOW, &ns), 0);
	return ns;
}

static int setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void test_each_form(void **state)
{
	(void)state;
	assert_int_equal(parsed("2026-11-30T12:34:56Z"), NOW);
	assert_int_equal(parsed("2026-11-30T12:34:56"), NOW);
	assert_int_equal(parsed("2026-11-30 12:34:56.5"), NOW + NS / 2);
	assert_int_equal(parsed("2026-11-30T12:34"), NOW - 56 * NS);
	assert_int_equal(parsed("2026-11-30"), NOW - (12 * 3600 + 34 * 60 + 56) * NS);
	assert_int_equal(parsed("10:00"), NOW - (2 * 3600 + 34 * 60 + 56) * NS);
	assert_int_equal(parsed("12:34:56.000000001"), NOW + 1);
	assert_int_equal(parsed("-1h"), NOW - 3600 * NS);
	assert_int_equal(parsed("-1h30m"), NOW - 5400 * NS);
	assert_int_equal(parsed("-7d"), NOW - 7 * 86400 * NS);
	assert_int_equal(parsed("@1796042096.25"), NOW + NS / 4);
	assert_int_equal(parsed("now"), NOW);
}

static void test_local_time(void **state)
{
	(void)state;
	setenv("TZ", "CET-1", 1);
	tzset();
	assert_int_equal(parsed("2026-11-30T13:34:56"), NOW);
	assert_int_equal(parsed("2026-11-30T12:34:56Z"), NOW);
	setup_utc(state);
}

static void test_what_is_refused(void **state)
{
	static const char *const bad[] = { "", "yesterday", "2026-13-01", "2026-11-30T25:00", "10", "10:0",
					   "-", "-1y", "-h", "@", "@x", "2026-11-30T12:34:56+01:00", "1h",
					   "12:34:56.1234567891" };
	int64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wall_time_parse(bad[i], NOW, &ns), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_form),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_what_is_refused),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
