// SPDX-License-Identifier: GPL-2.0
/*
 * A file output: the output printers (format/) to a file of its own, in
 * its own format.  Each event is printed into memory first and handed to
 * the rotating file (daemon/rotating_file.c) whole, so that a full disk
 * or a rotation never cuts it; the file writes what waits every tick, so
 * a reader of the file sees events within a second or so.
 */
#include "daemon/file_output.h"

#include <errno.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/rotating_file.h"
#include "engine/pipeline.h"
#include "filter/filter_expr.h"
#include "format/output.h"

/* the stream's buffer: an event's text fits, so its flush is one copy */
#define EVENT_BUFFER (64u << 10)

struct file_output {
	struct ipcd_output printer;
	/*
	 * One event's text, printed into memory: a stream of our own
	 * (fopencookie) rather than open_memstream, whose unbuffered small
	 * writes were a tenth of the daemon's time on a flood.
	 */
	FILE *event_text;
	char *text;
	size_t text_len, text_cap;
	struct rotating_file *file;
	char *path;
	enum ipcd_format format;
	bool payload;
};

/* The event stream's flush: what it buffered goes on the end of text. */
static ssize_t text_append(void *cookie, const char *buf, size_t size)
{
	struct file_output *f = cookie;

	if (size > f->text_cap - f->text_len) {
		size_t cap = f->text_cap ? f->text_cap : EVENT_BUFFER;
		char *grown;

		while (cap - f->text_len < size)
			cap *= 2;
		if (!(grown = realloc(f->text, cap)))
			return 0;  /* a write error: the event is dropped */
		f->text = grown;
		f->text_cap = cap;
	}
	memcpy(f->text + f->text_len, buf, size);
	f->text_len += size;
	return (ssize_t)size;
}

static FILE *open_event_text(struct file_output *f)
{
	FILE *stream = fopencookie(f, "w", (cookie_io_functions_t){ .write = text_append });

	if (stream && setvbuf(stream, NULL, _IOFBF, EVENT_BUFFER)) {
		fclose(stream);
		return NULL;
	}
	return stream;
}

static int file_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct file_output *f = s->ctx;

	ipcd_output_init(&f->printer, f->event_text, f->format, f->payload);
	ipcd_output_style(&f->printer, ipcd_pipeline_options(p));
	f->printer.mono_to_real_ns = ipcd_pipeline_clock(p);
	return 0;
}

static enum ipcd_sink_result file_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct file_output *f = s->ctx;

	/* each file of a CSV output opens with the header, one appended to does not repeat it */
	f->printer.csv_header_done = !rotating_file_at_start(f->file);
	f->text_len = 0;
	ipcd_output_event(&f->printer, e);
	if (fflush(f->event_text)) {
		__fpurge(f->event_text);  /* the next event starts clean */
		clearerr(f->event_text);
		return IPCD_SINK_DROPPED;
	}
	switch (rotating_file_add(f->file, f->text, f->text_len)) {
	case 0: return IPCD_SINK_WRITTEN;
	case -ENOMEM: return IPCD_SINK_DROPPED;
	default: return IPCD_SINK_DROPPED_WRITE;
	}
}

static void file_tick(struct ipcd_sink *s, uint64_t now_ns)
{
	struct file_output *f = s->ctx;

	rotating_file_tick(f->file, now_ns);
}

/* Before the summary: events still waiting that the disk will not take count as dropped. */
static void file_flush(struct ipcd_sink *s, uint64_t end_ns)
{
	struct file_output *f = s->ctx;
	uint64_t lost = rotating_file_flush(f->file);

	(void)end_ns;
	if (lost > s->counters.written)
		lost = s->counters.written;
	s->counters.written -= lost;
	s->counters.dropped += lost;
	s->counters.dropped_by[IPCD_DROP_WRITE_FAILED] += lost;
}

static int file_close(struct ipcd_sink *s)
{
	struct file_output *f = s->ctx;
	int rc = rotating_file_close(f->file);

	f->file = NULL;
	if (rc) {
		fprintf(stderr, "ipcdumpd: error: writing %s failed: %s\n", f->path, strerror(-rc));
		return IPCD_EXIT_FAILURE;
	}
	return IPCD_EXIT_OK;
}

static void file_reopen(struct ipcd_sink *s)
{
	struct file_output *f = s->ctx;

	rotating_file_reopen(f->file);
}

static enum ipcd_format printer_format(enum ipcdd_format format)
{
	switch (format) {
	case IPCDD_FORMAT_CSV: return IPCD_FORMAT_CSV;
	case IPCDD_FORMAT_TEXT: return IPCD_FORMAT_TEXT;
	default: return IPCD_FORMAT_JSON;
	}
}

/* Whether any type keeps payload in this output: then the printer shows bytes. */
static bool keeps_payload(const struct ipcdd_payload *p, uint32_t trace_payload)
{
	if (!p->given)
		return trace_payload > 0;
	if (p->default_bytes)
		return true;
	for (size_t i = 0; i < p->rule_count; i++)
		if (p->rules[i].bytes)
			return true;
	return false;
}

static struct rotating_file *open_file(const struct ipcdd_output *out)
{
	struct rotating_file_options o = {
		.path = out->path,
		.mode = out->mode,
		.rotate_size = out->rotate_size,
		.rotate_secs = out->rotate_interval,
		.keep = out->rotate_keep,
		.compress = out->compress,
	};

	return rotating_file_open(&o);
}

static void file_output_free(struct file_output *f)
{
	if (!f)
		return;
	rotating_file_close(f->file);
	if (f->event_text)
		fclose(f->event_text);
	free(f->text);
	free(f->path);
	free(f);
}

static void file_free(struct ipcd_sink *s)
{
	file_output_free(s->ctx);
}

struct ipcd_sink *ipcdd_file_output_new(struct ipcdd_output *out, uint32_t trace_payload, FILE *err)
{
	struct ipcd_sink *s = ipcd_sink_new("file");
	struct file_output *f = calloc(1, sizeof(*f));

	if (!s || !f || !(f->path = strdup(out->path)) || !(f->event_text = open_event_text(f))) {
		fprintf(err, "ipcdumpd: error: out of memory\n");
		goto fail;
	}
	if (!(f->file = open_file(out))) {
		fprintf(err, "ipcdumpd: error: cannot write %s: %s\n", out->path, strerror(errno));
		goto fail;
	}
	f->format = printer_format(out->format);
	f->payload = keeps_payload(&out->payload, trace_payload);
	s->ctx = f;
	s->fate = "written";
	s->time_ordered = true;
	s->reports_losses = true;
	s->open = file_open;
	s->event = file_event;
	s->tick = file_tick;
	s->flush = file_flush;
	s->close = file_close;
	s->reopen = file_reopen;
	s->free = file_free;
	s->payload_limit = out->payload.given ? out->payload.default_bytes : trace_payload;
	s->filter = out->filter;  /* the sink owns it now */
	out->filter = NULL;
	return s;
fail:
	file_output_free(f);
	free(s);
	return NULL;
}
