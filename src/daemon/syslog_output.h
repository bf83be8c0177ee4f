/* SPDX-License-Identifier: GPL-2.0 */
/* ipcdumpd's syslog output (type: syslog): RFC 5424 to a syslog socket, or journald's native fields. */
#ifndef IPCD_DAEMON_SYSLOG_OUTPUT_H
#define IPCD_DAEMON_SYSLOG_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include "daemon/config.h"
#include "sinks/sink.h"

/*
 * The sink for out: journald when out's journald says so (auto: journald
 * runs and out names no socket), else RFC 5424 datagrams to out's socket
 * (/dev/log by default).  Its filter is taken from out.  NULL after a
 * one-line error on err.
 */
/* The facility and severity names the configuration takes. */
extern const char *const ipcdd_syslog_facility_names[];
extern const size_t ipcdd_syslog_facility_count;
extern const char *const ipcdd_syslog_severity_names[];
extern const size_t ipcdd_syslog_severity_count;

struct ipcd_sink *ipcdd_syslog_output_new(struct ipcdd_output *out, FILE *err);

#endif /* IPCD_DAEMON_SYSLOG_OUTPUT_H */
