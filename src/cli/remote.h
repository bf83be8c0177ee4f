/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdump --remote URL: an ipcdumpd's events through its API, into the
 * run's sinks as a store's are (ipcd_pipeline_run_events): the live stream
 * (GET /api/v1/events/stream, resumed with Last-Event-ID after a dropped
 * connection), or with --since/--until its store (GET /api/v1/events,
 * page after page by cursor).  Each event comes as its full record
 * (encoding=record, sinks/event_record.h), so the output is a local run's.
 */
#ifndef IPCD_CLI_REMOTE_H
#define IPCD_CLI_REMOTE_H

#include "engine/pipeline.h"

/* The run of p's events from opts->remote_url; the exit code (2: a URL that is none). */
int ipcd_remote_read(struct ipcd_pipeline *p);

#endif /* IPCD_CLI_REMOTE_H */
