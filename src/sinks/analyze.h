/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --analyze: a report of what was seen (live, or a capture with -r): the
 * top talkers (process pairs by bytes), the busiest channels, the slowest
 * deliveries, and the processes that talk to the most others.
 */
#ifndef IPCD_ANALYZE_H
#define IPCD_ANALYZE_H

#include <stdbool.h>
#include <stdio.h>
#include "engine/event.h"
#include "format/report_fmt.h"

struct ipcd_analysis;

struct ipcd_analysis *analysis_new(void);
void analysis_free(struct ipcd_analysis *a);

void analysis_add(struct ipcd_analysis *a, const struct ipcd_event *e);
/* Text tables (style->top rows each), one JSON object, or CSV tables, one per section. */
void analysis_report(const struct ipcd_analysis *a, FILE *out, const struct ipcd_report_style *style);

#endif /* IPCD_ANALYZE_H */
