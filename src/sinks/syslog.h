/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events to the system log, one message each: RFC 5424 datagrams with
 * structured data on a unix socket (sinks/syslog.c), or native journald
 * fields (sinks/journald.c).  Both carry the same fields (syslog_msg.c):
 * the SD-PARAMs of [ipcdump@32473 ...] are the IPCDUMP_* journal fields.
 */
#ifndef IPCD_SINKS_SYSLOG_H
#define IPCD_SINKS_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/event.h"
#include "engine/options.h"
#include "sinks/sink.h"

#define IPCD_SYSLOG_SOCKET "/dev/log"
#define IPCD_JOURNALD_SOCKET "/run/systemd/journal/socket"
/* The SD-ID: ipcdump under a private enterprise number, as RFC 5424 section 7.2.2 asks. */
#define IPCD_SYSLOG_SD_ID "ipcdump@32473"

struct ipcd_syslog_config {
	const char *prog;         /* who speaks in the warnings on stderr: "ipcdumpd" */
	const char *socket_path;  /* the syslog daemon's datagram socket; NULL: /dev/log */
	const char *app_name;     /* RFC 5424 APP-NAME and journald's SYSLOG_IDENTIFIER */
	int facility;             /* LOG_DAEMON, LOG_LOCAL0, ... (<syslog.h>'s, shifted) */
	int severity;             /* LOG_INFO, ... */
	enum ipcd_format format;  /* MSG: IPCD_FORMAT_TEXT or IPCD_FORMAT_JSON, one line */
};

/* RFC 5424 datagrams to cfg's socket (copied); NULL if out of memory. */
struct ipcd_sink *ipcd_syslog_sink_new(const struct ipcd_syslog_config *cfg);
/* sd_journal_send's native fields; NULL if out of memory. */
struct ipcd_sink *ipcd_journald_sink_new(const struct ipcd_syslog_config *cfg);
/* journald listens on this machine: its native socket takes messages. */
bool ipcd_journald_running(void);

/* ---- the message, apart from the transport (syslog_msg.c) ---------------- */

/*
 * An event's fields, name (lower case, an SD-NAME) and value, each to fn:
 * type, src_pid, src_comm, dst_pid, dst_comm, bytes, channel, and where
 * known latency_ns and the signal's signal and signal_name.  An unknown
 * end has no pid or comm.
 */
typedef void (*ipcd_event_field_fn)(void *ctx, const char *name, const char *value);
void ipcd_event_fields(const struct ipcd_event *e, ipcd_event_field_fn fn, void *ctx);

/* value as an RFC 5424 PARAM-VALUE: '"', '\' and ']' escaped; control bytes and invalid UTF-8 as \xNN. */
void ipcd_sd_param_value(FILE *out, const char *value);

/* What each message's header says apart from the event. */
struct ipcd_syslog_header {
	int facility, severity;
	const char *hostname;     /* "-" if NULL or empty */
	const char *app_name;
	long procid;
};

/*
 * "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [ipcdump@32473 ...] ":
 * everything before MSG; TIMESTAMP is wall_ns in UTC with microseconds,
 * MSGID the event's type.
 */
void ipcd_syslog_head(FILE *out, const struct ipcd_syslog_header *h, const struct ipcd_event *e, int64_t wall_ns);

/*
 * One event as one line of text or JSON, without its newline, for a
 * message's MSG: the format printers into a buffer of its own.
 */
struct ipcd_line_printer;
struct ipcd_line_printer *ipcd_line_printer_new(enum ipcd_format format);
/* The clock and style of the run p, before the first line. */
void ipcd_line_printer_open(struct ipcd_line_printer *lp, struct ipcd_pipeline *p);
/* head (may be NULL) called first into the same buffer; the text, valid until the next call; NULL if out of memory. */
const char *ipcd_line_printer_print(struct ipcd_line_printer *lp, const struct ipcd_event *e,
				    void (*head)(FILE *out, const struct ipcd_event *e, void *ctx), void *ctx,
				    size_t *len);
int64_t ipcd_line_printer_clock(const struct ipcd_line_printer *lp);
void ipcd_line_printer_free(struct ipcd_line_printer *lp);

#endif /* IPCD_SINKS_SYSLOG_H */
