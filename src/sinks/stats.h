/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --stats: instead of every event, totals per channel and per process pair:
 * messages, rate, bytes, payload size min/avg/max and the latency
 * distribution (p50/p90/p99/max from a log2 histogram), over a window.
 * Loopback channels fold a client's ephemeral port into "addr:*", so that
 * the connections to one server make one row.
 */
#ifndef IPCD_STATS_H
#define IPCD_STATS_H

#include <stdint.h>
#include <stdio.h>
#include "engine/event.h"
#include "format/report_fmt.h"

/* log2 latency buckets: [0] is 0 ns, [i] is [2^(i-1), 2^i), [64] reaches 2^64 - 1 */
#define STATS_HIST_BUCKETS 65

struct ipcd_stats;

struct ipcd_stats *stats_new(void);
void stats_free(struct ipcd_stats *s);

void stats_add(struct ipcd_stats *s, const struct ipcd_event *e);
/*
 * Prints the window [start_ns, end_ns) as text tables (style->top rows
 * each), one JSON object or CSV tables, then starts a new one.
 */
void stats_report(struct ipcd_stats *s, FILE *out, const struct ipcd_report_style *style, uint64_t start_ns,
		  uint64_t end_ns);

/* The tables of a report. */
enum stats_table {
	STATS_CHANNELS = 1,
	STATS_PAIRS = 2,
};
/* stats_report with only the tables asked for in JSON (the API's by=); text and CSV have both. */
void stats_report_tables(struct ipcd_stats *s, FILE *out, const struct ipcd_report_style *style,
			 uint64_t start_ns, uint64_t end_ns, unsigned tables);

/*
 * The latency below which a fraction q (0..1) of the window's messages fall,
 * 0 if none: the top of its bucket of hist (STATS_HIST_BUCKETS of them).
 */
uint64_t stats_quantile(const uint64_t *hist, uint64_t count, double q);
/* The same quantile estimated inside its bucket, as if its values were spread evenly up to max. */
double stats_quantile_estimate(const uint64_t *hist, uint64_t count, double q, uint64_t max);

#endif /* IPCD_STATS_H */
