/* SPDX-License-Identifier: GPL-2.0 */
/* The output's state (format, clock, --time references) and the choice of writer. */
#include <stdint.h>
#include <time.h>
#include "format/output.h"
#include "format/writer.h"

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void ipcd_output_init(struct ipcd_output *o, FILE *out, enum ipcd_format format, bool dump_bytes)
{
	int64_t mono1 = clock_ns(CLOCK_MONOTONIC);
	int64_t real = clock_ns(CLOCK_REALTIME);
	int64_t mono2 = clock_ns(CLOCK_MONOTONIC);

	o->out = out;
	o->format = format;
	o->dump_bytes = dump_bytes;
	o->mono_to_real_ns = real - (mono1 + (mono2 - mono1) / 2);
	o->tm_sec = INT64_MIN;
	o->csv_header_done = false;
	o->time_mode = IPCD_TIME_CLOCK;
	o->ascii = o->numeric = o->printed_any = false;
	o->first_ns = o->prev_ns = 0;
	jw_init(&o->jw, out);
}

void ipcd_output_style(struct ipcd_output *o, const struct ipcd_options *opts)
{
	o->time_mode = opts->time_mode;
	o->ascii = opts->ascii;
	o->numeric = opts->numeric;
}

void ipcd_output_event(struct ipcd_output *o, const struct ipcd_event *e)
{
	/* the first event is its own reference: delta and relative start at 0 */
	if (!o->printed_any) {
		o->first_ns = o->prev_ns = e->ts_ns;
		o->printed_any = true;
	}
	if (o->format == IPCD_FORMAT_JSON)
		ipcd_json_write(o, e);
	else if (o->format == IPCD_FORMAT_CSV)
		ipcd_csv_write(o, e);
	else
		ipcd_text_write(o, e);
	o->prev_ns = e->ts_ns;
}

/* ---- wall clock ----------------------------------------------------- */

void output_wall_time(struct ipcd_output *o, uint64_t mono_ns, struct tm *tm, long *nsec)
{
	int64_t real;
	time_t sec;

	/* a damaged capture's offset can be anything: the clock stays within 1970 .. 2262 */
	if (__builtin_add_overflow((int64_t)mono_ns, o->mono_to_real_ns, &real))
		real = o->mono_to_real_ns < 0 ? 0 : INT64_MAX;
	if (real < 0)
		real = 0;
	sec = real / NSEC_PER_SEC;

	*nsec = real % NSEC_PER_SEC;
	if (sec != o->tm_sec) {
		localtime_r(&sec, &o->tm);
		o->tm_sec = sec;
	}
	*tm = o->tm;
}

int64_t output_epoch_ns(const struct ipcd_output *o, uint64_t mono_ns)
{
	return (int64_t)(mono_ns + (uint64_t)o->mono_to_real_ns);
}

void put_padded(FILE *out, uint64_t v, int width)
{
	char buf[24];

	for (int i = width - 1; i >= 0; i--, v /= 10)
		buf[i] = (char)('0' + v % 10);
	fwrite_unlocked(buf, 1, (size_t)width, out);
}

void put_seconds(FILE *out, int64_t ns)
{
	uint64_t mag = ns < 0 ? (uint64_t)-(ns + 1) + 1 : (uint64_t)ns;

	if (ns < 0)
		fputc_unlocked('-', out);
	put_u64(out, mag / NSEC_PER_SEC);
	fputc_unlocked('.', out);
	put_padded(out, mag % NSEC_PER_SEC, 9);
}
