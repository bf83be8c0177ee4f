// SPDX-License-Identifier: GPL-2.0
/* The syslog output: the configuration's names as <syslog.h>'s numbers, and the choice of transport. */
#include "daemon/syslog_output.h"

#include <string.h>
#include <syslog.h>
#include "sinks/syslog.h"

struct syslog_name {
	const char *name;
	int value;
};

/* The names the configuration takes (config.c checked them). */
static const struct syslog_name facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV }, { "cron", LOG_CRON }, { "daemon", LOG_DAEMON },
	{ "ftp", LOG_FTP }, { "kern", LOG_KERN }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
	{ "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER }, { "uucp", LOG_UUCP },
	{ NULL, 0 },
};

static const struct syslog_name severities[] = {
	{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT }, { "err", LOG_ERR },
	{ "warning", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	{ NULL, 0 },
};

static int syslog_value(const struct syslog_name *table, const char *name, int fallback)
{
	for (; name && table->name; table++)
		if (!strcmp(table->name, name))
			return table->value;
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
		.facility = syslog_value(facilities, out->facility, LOG_DAEMON),
		.severity = syslog_value(severities, out->severity, LOG_INFO),
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
