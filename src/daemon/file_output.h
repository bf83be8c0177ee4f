/* SPDX-License-Identifier: GPL-2.0 */
/* ipcdumpd's file output (type: file, format json, csv or text): a sink that prints to its own file. */
#ifndef IPCD_DAEMON_FILE_OUTPUT_H
#define IPCD_DAEMON_FILE_OUTPUT_H

#include <stdio.h>
#include "daemon/config.h"
#include "sinks/sink.h"

/*
 * A sink printing to out's path (created with out's mode, appended to),
 * with out's format, filter (taken from out) and payload; trace_payload:
 * the bytes the trace keeps.  NULL after a one-line error on err.
 */
struct ipcd_sink *ipcdd_file_output_new(struct ipcdd_output *out, uint32_t trace_payload, FILE *err);

#endif /* IPCD_DAEMON_FILE_OUTPUT_H */
