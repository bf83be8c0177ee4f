// SPDX-License-Identifier: GPL-2.0
/* The syslog output: the configuration's names as <syslog.h>'s numbers, and the choice of transport. */
#include "daemon/syslog_output.h"

#include <string.h>
#include <syslog.h>
#include "sinks/syslog.h"

/*
 * The names the configuration takes (config.c checks them against these) and
 * <syslog.h>'s numbers for them, index by index.
 */
const char *const ipcdd_syslog_facility_names[] = {
	"auth", "authpriv", "cron", "daemon", "ftp", "kern", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", "lpr", "mail", "news", "syslog", "user", "uucp",
};
static const int facility_values[] = {
	LOG_AUTH, LOG_AUTHPRIV, LOG_CRON, LOG_DAEMON, LOG_FTP, LOG_KERN, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
	LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7, LOG_LPR, LOG_MAIL, LOG_NEWS, LOG_SYSLOG,
	LOG_USER, LOG_UUCP,
};
const size_t ipcdd_syslog_facility_count = sizeof(facility_values) / sizeof(facility_values[0]);

const char *const ipcdd_syslog_severity_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};
static const int severity_values[] = {
	LOG_EMERG, LOG_ALERT, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG,
};
const size_t ipcdd_syslog_severity_count = sizeof(severity_values) / sizeof(severity_values[0]);

_Static_assert(sizeof(ipcdd_syslog_facility_names) / sizeof(ipcdd_syslog_facility_names[0]) ==
	       sizeof(facility_values) / sizeof(facility_values[0]), "a number for each facility name");
_Static_assert(sizeof(ipcdd_syslog_severity_names) / sizeof(ipcdd_syslog_severity_names[0]) ==
	       sizeof(severity_values) / sizeof(severity_values[0]), "a number for each severity name");

static int syslog_value(const char *const *names, const int *values, size_t count, const char *name, int fallback)
{
	for (size_t i = 0; name && i < count; i++)
		if (!strcmp(names[i], name))
			return values[i];
	return fallback;
}

/* journald: auto picks it when it runs, unless a socket of another syslog daemon is named. */
static bool use_journald(const struct ipcdd_output *out)
{
	switch (out->journald) {
	case IPCDD_JOURNALD_ON: return true;
	case IPCDD_JOURNALD_OFF: return false;
	default: return !out->socket && ipcd_journald_running();
	}
}

struct ipcd_sink *ipcdd_syslog_output_new(struct ipcdd_output *out, FILE *err)
{
	struct ipcd_syslog_config cfg = {
		.prog = "ipcdumpd",
		.socket_path = out->socket,
		.app_name = out->tag ? out->tag : "ipcdumpd",
		.facility = syslog_value(ipcdd_syslog_facility_names, facility_values,
					 ipcdd_syslog_facility_count, out->facility, LOG_DAEMON),
		.severity = syslog_value(ipcdd_syslog_severity_names, severity_values,
					 ipcdd_syslog_severity_count, out->severity, LOG_INFO),
		.format = out->format == IPCDD_FORMAT_JSON ? IPCD_FORMAT_JSON : IPCD_FORMAT_TEXT,
	};
	struct ipcd_sink *s = use_journald(out) ? ipcd_journald_sink_new(&cfg) : ipcd_syslog_sink_new(&cfg);

	if (!s) {
		fprintf(err, "ipcdumpd: error: out of memory\n");
		return NULL;
	}
	s->filter = out->filter;  /* the sink owns it now */
	out->filter = NULL;
	return s;
}
