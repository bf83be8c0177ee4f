/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Printing events as text, JSON Lines or CSV.  The format's writer
 * (format/text.c, json.c, csv.c) prints what every event has; the event's
 * family prints its own part (src/families/NAME_print.c).
 */
#ifndef IPCD_OUTPUT_H
#define IPCD_OUTPUT_H

#include <stdio.h>
#include <time.h>
#include "engine/event.h"
#include "util/json_writer.h"
#include "engine/options.h"
#include "format/channel.h"

struct ipcd_output {
	FILE *out;
	enum ipcd_format format;
	bool dump_bytes;
	int64_t mono_to_real_ns;  /* add to CLOCK_MONOTONIC to get wall clock */
	struct json_writer jw;
	int64_t tm_sec;           /* the second tm holds: localtime once a second, not per event */
	struct tm tm;
	bool csv_header_done;
	enum ipcd_time_mode time_mode;  /* --time */
	bool ascii;               /* -A: text payloads as printable ASCII, not hex */
	bool numeric;             /* -n: no service names */
	bool printed_any;         /* first_ns and prev_ns hold times */
	uint64_t first_ns, prev_ns;  /* the first and the previous event printed, for --time */
};

void ipcd_output_init(struct ipcd_output *o, FILE *out, enum ipcd_format format, bool dump_bytes);
/* How events look beyond their format: --time, -A, -n. */
void ipcd_output_style(struct ipcd_output *o, const struct ipcd_options *opts);
void ipcd_output_event(struct ipcd_output *o, const struct ipcd_event *e);

/*
 * The syscall that moved a stream's bytes ("write", "recvmsg"); NULL for
 * none known.  The families' own names are in their headers
 * (families/signal_names.h, unix_types.h, inet_names.h).
 */
const char *ipcd_pipe_call_name(int call);

#endif /* IPCD_OUTPUT_H */
