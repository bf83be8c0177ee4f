/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GET /metrics (api/metrics.c): Prometheus's text format 0.0.4.  A sink in
 * the pipeline counts events, bytes, delivery latencies, active channels
 * and (when configured, up to a cap) pairs, in atomics the pipeline's
 * thread alone writes; the handler reads them, and the service's snapshot
 * (api/context.h) for losses, outputs and collectors.
 */
#ifndef IPCD_API_METRICS_H
#define IPCD_API_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct ipcda_metrics;
struct ipcd_sink;

/* pairs: per-pair series, at most pairs_max of them.  NULL if out of memory. */
struct ipcda_metrics *ipcda_metrics_new(bool pairs, uint32_t pairs_max);
/* The sink that counts into m; the pipeline owns the sink, the sink does not own m. */
struct ipcd_sink *ipcda_metrics_sink_new(struct ipcda_metrics *m);
void ipcda_metrics_free(struct ipcda_metrics *m);

/* The event count of a type (engine/event.h), for the tests. */
uint64_t ipcda_metrics_events(struct ipcda_metrics *m, unsigned type);

#endif /* IPCD_API_METRICS_H */
