// SPDX-License-Identifier: GPL-2.0
/*
 * The journald sink: each event one journal entry with native fields
 * (sd_journal_sendv): MESSAGE= the event as a line of text or JSON,
 * PRIORITY=, SYSLOG_FACILITY=, SYSLOG_IDENTIFIER=, and the event's fields
 * (syslog_msg.c) as IPCDUMP_TYPE=, IPCDUMP_SRC_PID=, ... so that
 * `journalctl IPCDUMP_SRC_PID=42` finds them without parsing text.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-journal.h>
#include "engine/pipeline.h"
#include "sinks/syslog.h"

/* MESSAGE, PRIORITY, SYSLOG_FACILITY, SYSLOG_IDENTIFIER and the event's fields */
#define FIELDS_MAX 24

struct journald_sink {
	char *prog;
	char priority[32], facility[32];
	char *identifier;          /* "SYSLOG_IDENTIFIER=ipcdumpd" */
	struct ipcd_line_printer *line;
	FILE *fields;              /* the IPCDUMP_* fields of one event, back to back */
	char *fields_buf;
	size_t fields_size;
	size_t field_count;
	size_t field_end[FIELDS_MAX];  /* where each field ends in fields_buf */
	bool said_failing;         /* the warning for this failure is out */
};

/* Its socket takes a connection: a socket file left by a journald that stopped does not. */
bool ipcd_journald_running(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = IPCD_JOURNALD_SOCKET };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool listening;

	if (fd < 0)
		return false;
	listening = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return listening;
}

/* IPCDUMP_ and the name in capitals: journal field names are upper case. */
static void journal_field(void *ctx, const char *name, const char *value)
{
	struct journald_sink *js = ctx;

	if (js->field_count == FIELDS_MAX - 4)
		return;
	fputs("IPCDUMP_", js->fields);
	for (const char *c = name; *c; c++)
		fputc(toupper((unsigned char)*c), js->fields);
	fputc('=', js->fields);
	fputs(value, js->fields);
	js->field_end[js->field_count++] = (size_t)ftell(js->fields);
}

static void message_prefix(FILE *out, const struct ipcd_event *e, void *ctx)
{
	(void)e;
	(void)ctx;
	fputs("MESSAGE=", out);
}

static struct iovec field_iov(const char *s, size_t len)
{
	return (struct iovec){ .iov_base = (void *)s, .iov_len = len };
}

/* The entry's fields into iov; how many; 0 if out of memory. */
static size_t entry_fields(struct journald_sink *js, const struct ipcd_event *e, struct iovec *iov)
{
	const char *msg;
	size_t len, n = 0, start = 0;

	if (!(msg = ipcd_line_printer_print(js->line, e, message_prefix, NULL, &len)))
		return 0;
	rewind(js->fields);
	js->field_count = 0;
	ipcd_event_fields(e, journal_field, js);
	if (fflush(js->fields) || ferror(js->fields))
		return 0;
	iov[n++] = field_iov(msg, len);
	iov[n++] = field_iov(js->priority, strlen(js->priority));
	iov[n++] = field_iov(js->facility, strlen(js->facility));
	iov[n++] = field_iov(js->identifier, strlen(js->identifier));
	for (size_t i = 0; i < js->field_count; i++) {
		iov[n++] = field_iov(js->fields_buf + start, js->field_end[i] - start);
		start = js->field_end[i];
	}
	return n;
}

static int journald_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct journald_sink *js = s->ctx;

	ipcd_line_printer_open(js->line, p);
	if (!ipcd_journald_running()) {
		fprintf(stderr, "%s: warning: journald is not running (%s takes no messages); events to it are "
			"dropped and counted until it does\n", js->prog, IPCD_JOURNALD_SOCKET);
		js->said_failing = true;
	}
	return 0;
}

static enum ipcd_sink_result journald_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct journald_sink *js = s->ctx;
	struct iovec iov[FIELDS_MAX];
	size_t n = entry_fields(js, e, iov);
	int err;

	if (!n)
		return IPCD_SINK_DROPPED;
	if ((err = sd_journal_sendv(iov, (int)n)) < 0) {
		if (!js->said_failing)
			fprintf(stderr, "%s: warning: journald: %s; events to it are dropped and counted until it is back\n",
				js->prog, strerror(-err));
		js->said_failing = true;
		return IPCD_SINK_DROPPED_WRITE;
	}
	if (js->said_failing)
		fprintf(stderr, "%s: info: journald takes events again\n", js->prog);
	js->said_failing = false;
	return IPCD_SINK_WRITTEN;
}

static void journald_ctx_free(struct journald_sink *js)
{
	ipcd_line_printer_free(js->line);
	if (js->fields)
		fclose(js->fields);
	free(js->fields_buf);
	free(js->identifier);
	free(js->prog);
	free(js);
}

static void journald_free(struct ipcd_sink *s)
{
	journald_ctx_free(s->ctx);
}

static struct journald_sink *journald_ctx_new(const struct ipcd_syslog_config *cfg)
{
	struct journald_sink *js = calloc(1, sizeof(*js));

	if (!js)
		return NULL;
	js->prog = strdup(cfg->prog);
	js->line = ipcd_line_printer_new(cfg->format);
	js->fields = open_memstream(&js->fields_buf, &js->fields_size);
	if (asprintf(&js->identifier, "SYSLOG_IDENTIFIER=%s", cfg->app_name) < 0)
		js->identifier = NULL;
	if (!js->prog || !js->line || !js->fields || !js->identifier) {
		journald_ctx_free(js);
		return NULL;
	}
	snprintf(js->priority, sizeof(js->priority), "PRIORITY=%d", cfg->severity);
	snprintf(js->facility, sizeof(js->facility), "SYSLOG_FACILITY=%d", cfg->facility >> 3);
	return js;
}

struct ipcd_sink *ipcd_journald_sink_new(const struct ipcd_syslog_config *cfg)
{
	struct ipcd_sink *s = ipcd_sink_new("journald");
	struct journald_sink *js = journald_ctx_new(cfg);

	if (!s || !js) {
		free(s);
		if (js)
			journald_ctx_free(js);
		return NULL;
	}
	s->ctx = js;
	s->fate = "sent to journald";
	s->time_ordered = true;
	s->reports_losses = true;
	s->open = journald_open;
	s->event = journald_event;
	s->free = journald_free;
	return s;
}
