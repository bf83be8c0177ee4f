/* SPDX-License-Identifier: GPL-2.0 */
/* --since and --until's times (wall_time.h). */
#include "util/wall_time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS 1000000000ll

/* Digits (exactly n) into *v; the text after them, or NULL. */
static const char *digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, s++) {
		if (!isdigit((unsigned char)*s))
			return NULL;
		*v = *v * 10 + (*s - '0');
	}
	return s;
}

/* ".nnn" (up to 9 digits) into ns; the text after it. */
static const char *fraction(const char *s, int64_t *ns)
{
	int64_t scale = NS / 10;

	*ns = 0;
	if (*s != '.')
		return s;
	for (s++; isdigit((unsigned char)*s); s++) {
		if (!scale)
			return NULL;
		*ns += (*s - '0') * scale;
		scale /= 10;
	}
	return s;
}

/* "HH:MM[:SS[.nnn]]" into tm and *ns; the text after it, or NULL. */
static const char *clock_time(const char *s, struct tm *tm, int64_t *ns)
{
	*ns = 0;
	if (!(s = digits(s, 2, &tm->tm_hour)) || *s++ != ':' || !(s = digits(s, 2, &tm->tm_min)))
		return NULL;
	tm->tm_sec = 0;
	if (*s == ':' && (!(s = digits(s + 1, 2, &tm->tm_sec)) || !(s = fraction(s, ns))))
		return NULL;
	if (tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
		return NULL;
	return s;
}

/* tm as local time, or as UTC after a Z; the rest must be empty. */
static int finish(const char *rest, struct tm *tm, int64_t frac, int64_t *ns)
{
	bool utc = *rest == 'Z';
	time_t t;

	if (utc)
		rest++;
	if (*rest)
		return -1;
	tm->tm_isdst = -1;
	t = utc ? timegm(tm) : mktime(tm);
	if (t == (time_t)-1)
		return -1;
	*ns = (int64_t)t * NS + frac;
	return 0;
}

static int parse_date_time(const char *s, int64_t *ns)
{
	struct tm tm = { 0 };
	int64_t frac = 0;

	if (!(s = digits(s, 4, &tm.tm_year)) || *s++ != '-' || !(s = digits(s, 2, &tm.tm_mon)) || *s++ != '-' ||
	    !(s = digits(s, 2, &tm.tm_mday)))
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((*s == 'T' || *s == ' ') && !(s = clock_time(s + 1, &tm, &frac)))
		return -1;
	return finish(s, &tm, frac, ns);
}

static int parse_today(const char *s, int64_t now_ns, int64_t *ns)
{
	time_t now = (time_t)(now_ns / NS);
	struct tm tm;
	int64_t frac;

	if (!localtime_r(&now, &tm) || !(s = clock_time(s, &tm, &frac)))
		return -1;
	return finish(s, &tm, frac, ns);
}

/* "-1h30m": the sum of number-unit pairs, before now. */
static int parse_ago(const char *s, int64_t now_ns, int64_t *ns)
{
	int64_t total = 0;

	if (!*s)
		return -1;
	while (*s) {
		char *end;
		long long n = strtoll(s, &end, 10);
		int64_t unit;

		if (end == s || n < 0 || !isdigit((unsigned char)*s))
			return -1;
		switch (*end) {
		case 's': unit = NS; break;
		case 'm': unit = 60 * NS; break;
		case 'h': unit = 3600 * NS; break;
		case 'd': unit = 86400 * NS; break;
		case 'w': unit = 7 * 86400 * NS; break;
		default: return -1;
		}
		if (n > 100ll * 365 * 86400 * NS / unit)
			return -1;
		total += n * unit;
		s = end + 1;
	}
	*ns = now_ns - total;
	return 0;
}

static int parse_epoch(const char *s, int64_t *ns)
{
	char *end;
	long long secs = strtoll(s, &end, 10);
	int64_t frac;

	if (end == s || !isdigit((unsigned char)*s) || secs > 4102444800ll || !(end = (char *)fraction(end, &frac)) ||
	    *end)
		return -1;
	*ns = secs * NS + frac;
	return 0;
}

int wall_time_parse(const char *text, int64_t now_ns, int64_t *ns)
{
	size_t len = strlen(text);

	if (!strcmp(text, "now")) {
		*ns = now_ns;
		return 0;
	}
	if (text[0] == '-')
		return parse_ago(text + 1, now_ns, ns);
	if (text[0] == '@')
		return parse_epoch(text + 1, ns);
	if (len >= 5 && text[2] == ':')
		return parse_today(text, now_ns, ns);
	return parse_date_time(text, ns);
}
