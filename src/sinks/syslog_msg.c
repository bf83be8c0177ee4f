// SPDX-License-Identifier: GPL-2.0
/*
 * What the syslog and journald sinks say of an event, whatever carries it:
 * its fields (the SD-PARAMs, the IPCDUMP_* journal fields), the RFC 5424
 * header, and the event as one line of text or JSON for MSG.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/pipeline.h"
#include "families/signal_names.h"
#include "format/channel.h"
#include "format/output.h"
#include "sinks/syslog.h"

/* ---- fields ---------------------------------------------------------------- */

static void endpoint_fields(const struct ipcd_endpoint *ep, const char *pid_name, const char *comm_name,
			    ipcd_event_field_fn fn, void *ctx)
{
	char num[24], comm[IPCD_COMM_LEN + 1];

	if (ep->pid < 0)
		return;
	snprintf(num, sizeof(num), "%" PRId64, ep->pid);
	fn(ctx, pid_name, num);
	if (!ep->comm[0])
		return;
	memcpy(comm, ep->comm, IPCD_COMM_LEN);
	comm[IPCD_COMM_LEN] = '\0';  /* the kernel's comm need not end in a NUL */
	fn(ctx, comm_name, comm);
}

static void signal_fields(const struct ipcd_event *e, ipcd_event_field_fn fn, void *ctx)
{
	char num[24], name[32];

	snprintf(num, sizeof(num), "%" PRId32, e->sig);
	fn(ctx, "signal", num);
	fn(ctx, "signal_name", ipcd_signal_name(e->sig, name, sizeof(name)));
}

void ipcd_event_fields(const struct ipcd_event *e, ipcd_event_field_fn fn, void *ctx)
{
	char num[24], channel[IPCD_PATH_MAX + 64];

	fn(ctx, "type", ipcd_type_name(e->type));
	endpoint_fields(&e->src, "src_pid", "src_comm", fn, ctx);
	endpoint_fields(&e->dst, "dst_pid", "dst_comm", fn, ctx);
	snprintf(num, sizeof(num), "%" PRIu64, e->type == IPCD_TYPE_LOST ? e->lost_count : e->bytes);
	fn(ctx, e->type == IPCD_TYPE_LOST ? "lost" : "bytes", num);
	channel[0] = '\0';
	if (e->type != IPCD_TYPE_LOST)
		ipcd_event_channel(e, channel, sizeof(channel));
	if (channel[0])
		fn(ctx, "channel", channel);
	if (e->flags & IPCD_EF_HAS_LATENCY) {
		snprintf(num, sizeof(num), "%" PRIu64, e->latency_ns);
		fn(ctx, "latency_ns", num);
	}
	if (e->type == IPCD_TYPE_SIGNAL)
		signal_fields(e, fn, ctx);
}

/* ---- RFC 5424 ---------------------------------------------------------------- */

/* The length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if there is none. */
static size_t utf8_length(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* the second byte's range rules out overlong forms, surrogates and code points past U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * RFC 5424 6.3.3: a PARAM-VALUE is UTF-8 with '"', '\' and ']' escaped.
 * Bytes that are neither printable nor UTF-8 (a comm can hold anything)
 * become the four characters \xNN: unambiguous, as a real backslash is \\.
 */
void ipcd_sd_param_value(FILE *out, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;

	while (*s) {
		size_t len;

		if (*s == '"' || *s == '\\' || *s == ']') {
			fputc('\\', out);
			fputc(*s++, out);
		} else if (*s >= 0x20 && *s < 0x7f) {
			fputc(*s++, out);
		} else if (*s >= 0x80 && (len = utf8_length(s))) {
			fwrite(s, 1, len, out);
			s += len;
		} else {
			fprintf(out, "\\x%02x", *s++);
		}
	}
}

static void sd_param(void *ctx, const char *name, const char *value)
{
	FILE *out = ctx;

	fprintf(out, " %s=\"", name);
	ipcd_sd_param_value(out, value);
	fputc('"', out);
}

/* TIMESTAMP: RFC 3339 in UTC, microseconds (TIME-SECFRAC takes at most six digits). */
static void syslog_timestamp(FILE *out, int64_t wall_ns)
{
	time_t sec = (time_t)(wall_ns / 1000000000);
	struct tm tm;

	if (wall_ns < 0 || !gmtime_r(&sec, &tm)) {
		fputc('-', out);  /* NILVALUE: the time is not known */
		return;
	}
	fprintf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(wall_ns % 1000000000 / 1000));
}

void ipcd_syslog_head(FILE *out, const struct ipcd_syslog_header *h, const struct ipcd_event *e, int64_t wall_ns)
{
	const char *host = h->hostname && h->hostname[0] ? h->hostname : "-";

	fprintf(out, "<%d>1 ", h->facility | h->severity);
	syslog_timestamp(out, wall_ns);
	fprintf(out, " %s %s %ld %s [" IPCD_SYSLOG_SD_ID, host, h->app_name, h->procid, ipcd_type_name(e->type));
	ipcd_event_fields(e, sd_param, out);
	fputs("] ", out);
}

/* ---- the event as one line --------------------------------------------------- */

struct ipcd_line_printer {
	struct ipcd_output printer;
	FILE *buf;         /* an open_memstream: grows to the longest line */
	char *text;
	size_t size;
};

struct ipcd_line_printer *ipcd_line_printer_new(enum ipcd_format format)
{
	struct ipcd_line_printer *lp = calloc(1, sizeof(*lp));

	if (!lp)
		return NULL;
	if (!(lp->buf = open_memstream(&lp->text, &lp->size))) {
		free(lp);
		return NULL;
	}
	/* no payload: a system log is no place for the bytes themselves */
	ipcd_output_init(&lp->printer, lp->buf, format, false);
	return lp;
}

void ipcd_line_printer_open(struct ipcd_line_printer *lp, struct ipcd_pipeline *p)
{
	ipcd_output_style(&lp->printer, ipcd_pipeline_options(p));
	lp->printer.mono_to_real_ns = ipcd_pipeline_clock(p);
}

int64_t ipcd_line_printer_clock(const struct ipcd_line_printer *lp)
{
	return lp->printer.mono_to_real_ns;
}

const char *ipcd_line_printer_print(struct ipcd_line_printer *lp, const struct ipcd_event *e,
				    void (*head)(FILE *out, const struct ipcd_event *e, void *ctx), void *ctx,
				    size_t *len)
{
	long end;

	rewind(lp->buf);
	if (head)
		head(lp->buf, e, ctx);
	ipcd_output_event(&lp->printer, e);
	if (fflush(lp->buf) || ferror(lp->buf) || (end = ftell(lp->buf)) < 0)
		return NULL;
	*len = (size_t)end;
	while (*len && lp->text[*len - 1] == '\n')
		(*len)--;
	return lp->text;
}

void ipcd_line_printer_free(struct ipcd_line_printer *lp)
{
	if (!lp)
		return;
	fclose(lp->buf);
	free(lp->text);
	free(lp);
}
