/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sinks a configuration's outputs: name: one constructor per output
 * type (file, syslog, sqlite), each in a file of its own.
 */
#ifndef IPCD_DAEMON_OUTPUTS_H
#define IPCD_DAEMON_OUTPUTS_H

#include <stdint.h>
#include <stdio.h>
#include "daemon/config.h"
#include "sinks/sink.h"

/*
 * The sink for out (its filter moves into the sink); trace_payload is the
 * most payload the kernel captures.  NULL after a one-line error on err.
 */
struct ipcd_sink *ipcdd_output_sink_new(const char *config_path, struct ipcdd_output *out,
					uint32_t trace_payload, FILE *err);

/*
 * s's payload limits by type: the trace's (its default and TYPE: rules),
 * lowered where the output's own payload keeps less; never raised.
 */
void ipcdd_output_payload_limits(struct ipcd_sink *s, const struct ipcdd_payload *trace,
				 const struct ipcdd_payload *out);

#endif /* IPCD_DAEMON_OUTPUTS_H */
