/* SPDX-License-Identifier: GPL-2.0 */
/* ipcdumpd's SQLite output (type: sqlite): the SQLite sink with the output's retention, filter and payload. */
#ifndef IPCD_DAEMON_SQLITE_OUTPUT_H
#define IPCD_DAEMON_SQLITE_OUTPUT_H

#include <stdio.h>
#include "daemon/config.h"
#include "sinks/sink.h"

/*
 * A sink storing into out's path, with out's retention, filter (taken from
 * out) and payload; trace_payload: the bytes the trace keeps.  NULL after
 * a one-line error on err.
 */
struct ipcd_sink *ipcdd_sqlite_output_new(struct ipcdd_output *out, uint32_t trace_payload, FILE *err);

#endif /* IPCD_DAEMON_SQLITE_OUTPUT_H */
