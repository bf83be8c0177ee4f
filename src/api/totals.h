/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Totals of a group of events for the stats and graph endpoints
 * (api/stats.c, graph.c): messages, bytes, sizes, and latency percentiles
 * from the same log2 histogram as --stats (sinks/stats.h).
 */
#ifndef IPCDA_TOTALS_H
#define IPCDA_TOTALS_H

#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "sinks/stats.h"
#include "util/json_writer.h"

struct ipcda_totals {
	uint64_t messages, bytes, size_min, size_max;
	uint64_t lat_count, lat_max;
	uint64_t hist[STATS_HIST_BUCKETS];
};

void ipcda_totals_add(struct ipcda_totals *t, const struct ipcd_event *e);
/* Its members into the object jw has open: messages, rate (secs > 0), bytes, size_*, latency_* (when known). */
void ipcda_totals_json(struct json_writer *jw, const struct ipcda_totals *t, double secs);

#endif /* IPCDA_TOTALS_H */
