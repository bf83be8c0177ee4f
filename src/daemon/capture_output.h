/* SPDX-License-Identifier: GPL-2.0 */
/* ipcdumpd's capture output (type: file, format: capture): the capture writer of sinks/capture.c. */
#ifndef IPCD_DAEMON_CAPTURE_OUTPUT_H
#define IPCD_DAEMON_CAPTURE_OUTPUT_H

#include <stdio.h>
#include "daemon/config.h"
#include "sinks/sink.h"

/*
 * A sink writing the kernel's records to out's path (read back with
 * ipcdump -r), with out's rotation, keep, compress and mode.  A capture
 * left by an earlier run is rotated to PATH.1, not overwritten.  NULL
 * after a one-line error on err.
 */
struct ipcd_sink *ipcdd_capture_output_new(const struct ipcdd_output *out, FILE *err);

#endif /* IPCD_DAEMON_CAPTURE_OUTPUT_H */
