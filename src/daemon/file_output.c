// SPDX-License-Identifier: GPL-2.0
/*
 * A file output: the output printers (format/) to a file of its own, in
 * its own format.  The pipeline flushes only its own output, so the sink
 * flushes its file every tick: a reader of the file sees events within a
 * second or so.
 */
#include "daemon/file_output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine/pipeline.h"
#include "filter/filter_expr.h"
#include "format/output.h"
#include "util/json_writer.h"

struct file_output {
	struct ipcd_output printer;
	FILE *file;
	char *path;
	uint32_t mode;
	enum ipcd_format format;
	bool payload;
};

static int file_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct file_output *f = s->ctx;

	ipcd_output_init(&f->printer, f->file, f->format, f->payload);
	ipcd_output_style(&f->printer, ipcd_pipeline_options(p));
	f->printer.mono_to_real_ns = ipcd_pipeline_clock(p);
	return 0;
}

static enum ipcd_sink_result file_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct file_output *f = s->ctx;

	ipcd_output_event(&f->printer, e);
	return ferror(f->file) ? IPCD_SINK_FAILED : IPCD_SINK_WRITTEN;
}

static void file_tick(struct ipcd_sink *s, uint64_t now_ns)
{
	struct file_output *f = s->ctx;

	(void)now_ns;
	fflush(f->file);
}

static int file_close(struct ipcd_sink *s)
{
	struct file_output *f = s->ctx;
	bool failed = ferror(f->file);

	failed |= fclose(f->file) != 0;
	f->file = NULL;
	if (failed) {
		fprintf(stderr, "ipcdumpd: error: writing %s failed\n", f->path);
		return IPCD_EXIT_FAILURE;
	}
	return IPCD_EXIT_OK;
}

static FILE *open_private(const char *path, uint32_t mode);

/*
 * SIGUSR1: logrotate has moved the file away; events go on into a new one
 * at the path.  If it cannot be made, they stay in the old one.
 */
static void file_reopen(struct ipcd_sink *s)
{
	struct file_output *f = s->ctx;
	FILE *fresh = open_private(f->path, f->mode);

	if (!fresh) {
		fprintf(stderr, "ipcdumpd: error: reopening %s: %s (writing on to the old file)\n", f->path,
			strerror(errno));
		return;
	}
	if (fclose(f->file))
		fprintf(stderr, "ipcdumpd: error: writing %s failed\n", f->path);
	f->file = fresh;
	/* the printer writes into the new file as into a new run's: a CSV header first */
	f->printer.out = fresh;
	jw_init(&f->printer.jw, fresh);
	f->printer.csv_header_done = false;
}

static void file_free(struct ipcd_sink *s)
{
	struct file_output *f = s->ctx;

	if (f->file)
		fclose(f->file);
	free(f->path);
	free(f);
}

/* Created with the output's mode (0600 by default: events hold payloads), whatever the umask. */
static FILE *open_private(const char *path, uint32_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
	FILE *file;

	if (fd < 0)
		return NULL;
	if (fchmod(fd, mode) || !(file = fdopen(fd, "a"))) {
		close(fd);
		return NULL;
	}
	return file;
}

static enum ipcd_format printer_format(enum ipcdd_format format)
{
	switch (format) {
	case IPCDD_FORMAT_CSV: return IPCD_FORMAT_CSV;
	case IPCDD_FORMAT_TEXT: return IPCD_FORMAT_TEXT;
	default: return IPCD_FORMAT_JSON;
	}
}

struct ipcd_sink *ipcdd_file_output_new(struct ipcdd_output *out, uint32_t trace_payload, FILE *err)
{
	struct ipcd_sink *s = ipcd_sink_new("file");
	struct file_output *f = calloc(1, sizeof(*f));
	uint32_t payload = out->payload.given ? out->payload.default_bytes : trace_payload;

	if (!s || !f || !(f->path = strdup(out->path))) {
		fprintf(err, "ipcdumpd: error: out of memory\n");
		goto fail;
	}
	if (!(f->file = open_private(out->path, out->mode))) {
		fprintf(err, "ipcdumpd: error: cannot write %s: %s\n", out->path, strerror(errno));
		goto fail;
	}
	f->mode = out->mode;
	f->format = printer_format(out->format);
	f->payload = payload > 0;
	s->ctx = f;
	s->fate = "written";
	s->time_ordered = true;
	s->reports_losses = true;
	s->open = file_open;
	s->event = file_event;
	s->tick = file_tick;
	s->close = file_close;
	s->reopen = file_reopen;
	s->free = file_free;
	s->payload_limit = payload;
	s->filter = out->filter;  /* the sink owns it now */
	out->filter = NULL;
	return s;
fail:
	if (f) {
		free(f->path);
		free(f);
	}
	free(s);
	return NULL;
}
