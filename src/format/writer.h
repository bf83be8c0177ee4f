/* SPDX-License-Identifier: GPL-2.0 */
/* Inside src/format/: the three writers and what they share (the clock, the flag names). */
#ifndef IPCD_FORMAT_WRITER_H
#define IPCD_FORMAT_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "format/format.h"
#include "format/output.h"

#define NSEC_PER_SEC 1000000000ll

void ipcd_text_write(struct ipcd_output *o, const struct ipcd_event *e);
void ipcd_json_write(struct ipcd_output *o, const struct ipcd_event *e);
void ipcd_csv_write(struct ipcd_output *o, const struct ipcd_event *e);

/* The printer of an event's type; NULL for types no family prints (lost events). */
const struct ipcd_printer *ipcd_printer_of_type(enum ipcd_type type);

static inline struct ipcd_print_style output_print_style(const struct ipcd_output *o)
{
	return (struct ipcd_print_style){ .numeric = o->numeric, .ascii = o->ascii, .dump_bytes = o->dump_bytes };
}

/* The event flags by name, in the order they print. */
struct flag_name {
	uint32_t flag;
	const char *name;
};
extern const struct flag_name ipcd_flag_names[];
extern const size_t ipcd_flag_count;

/* ---- time ------------------------------------------------------------ */

/* The local date and time of a CLOCK_MONOTONIC stamp. */
void output_wall_time(struct ipcd_output *o, uint64_t mono_ns, struct tm *tm, long *nsec);
/* Nanoseconds since 1970; unsigned sums, so a capture's nonsense time wraps rather than overflows. */
int64_t output_epoch_ns(const struct ipcd_output *o, uint64_t mono_ns);
/*
 * t minus since, both CLOCK_MONOTONIC: negative when an event was stamped
 * before its reference (the unsigned difference, read as signed: no
 * overflow whatever a capture holds).
 */
static inline int64_t ns_since(uint64_t t, uint64_t since)
{
	return (int64_t)(t - since);
}

/* Zero-padded to width digits, for the clock. */
void put_padded(FILE *out, uint64_t v, int width);
/* Seconds with nanoseconds, signed: "12.000000345", "-0.000001200". */
void put_seconds(FILE *out, int64_t ns);

#endif /* IPCD_FORMAT_WRITER_H */
