/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --stats: instead of every event, totals per channel and per process pair:
 * messages, rate, bytes, payload size min/avg/max and the latency
 * distribution (p50/p90/p99/max from a log2 histogram), over a window.
 */
#ifndef IPCD_STATS_H
#define IPCD_STATS_H

#include <stdint.h>
#include <stdio.h>
#include "event.h"

struct ipcd_stats;

struct ipcd_stats *stats_new(void);
void stats_free(struct ipcd_stats *s);

void stats_add(struct ipcd_stats *s, const struct ipcd_event *e);
/* Prints the window [start_ns, end_ns) as a text table or one JSON object, then starts a new one. */
void stats_report(struct ipcd_stats *s, FILE *out, bool json, uint64_t start_ns, uint64_t end_ns);

/* The latency below which a fraction q (0..1) of the window's messages fall, 0 if none. */
uint64_t stats_quantile(const uint64_t *hist, uint64_t count, double q);

#endif /* IPCD_STATS_H */
