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
#include "event.h"

#define ANALYZE_TOP 10

struct ipcd_analysis;

struct ipcd_analysis *analysis_new(void);
void analysis_free(struct ipcd_analysis *a);

void analysis_add(struct ipcd_analysis *a, const struct ipcd_event *e);
void analysis_report(const struct ipcd_analysis *a, FILE *out, bool json);

#endif /* IPCD_ANALYZE_H */
