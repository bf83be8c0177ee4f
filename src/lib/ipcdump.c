/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libipcdump (include/ipcdump/ipcdump.h) over the engine's pipeline: a
 * source is a struct ipcd_options that reads a file or traces, a callback
 * is a sink, an event view is made from the engine's event for each call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ipcdump/ipcdump.h"
#include "engine/capture.h"
#include "engine/pipeline.h"
#include "filter/filter_expr.h"
#include "format/channel.h"
#include "sinks/sink.h"

struct ipcdump_filter {
	struct fexpr *expr;
};

struct ipcdump_source {
	char *path;   /* a capture file; NULL: live */
};

struct ipcdump_run {
	struct ipcd_options opts;
	ipcdump_source *source;
	struct ipcd_pipeline *pipeline;
	bool started;
};

struct callback_sink {
	ipcdump_event_fn fn;
	void *ctx;
	struct ipcd_pipeline *pipeline;
};

static void set_error(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* ---- filters ---------------------------------------------------------------- */

ipcdump_filter *ipcdump_filter_new(const char *expression, char *err, size_t errlen, size_t *column)
{
	ipcdump_filter *f = calloc(1, sizeof(*f));
	char why[256] = "out of memory";
	size_t col = 0;

	if (f && (f->expr = fexpr_parse(expression, why, sizeof(why), &col)))
		return f;
	free(f);
	set_error(err, errlen, why);
	if (column)
		*column = col;
	return NULL;
}

bool ipcdump_filter_match(const ipcdump_filter *filter, const struct ipcdump_event *event)
{
	return !filter || fexpr_match(filter->expr, (const struct ipcd_event *)event->private_);
}

void ipcdump_filter_free(ipcdump_filter *filter)
{
	if (!filter)
		return;
	fexpr_free(filter->expr);
	free(filter);
}

/* ---- sources ---------------------------------------------------------------- */

ipcdump_source *ipcdump_source_capture(const char *path)
{
	ipcdump_source *s = calloc(1, sizeof(*s));

	if (s && !(s->path = strdup(path))) {
		free(s);
		return NULL;
	}
	return s;
}

ipcdump_source *ipcdump_source_live(void)
{
	return calloc(1, sizeof(ipcdump_source));
}

void ipcdump_source_free(ipcdump_source *source)
{
	if (!source)
		return;
	free(source->path);
	free(source);
}

/* ---- the callback sink ------------------------------------------------------ */

static void view_endpoint(struct ipcdump_endpoint *v, const struct ipcd_endpoint *ep)
{
	v->pid = ep->pid;
	v->tid = ep->tid;
	v->ppid = ep->ppid;
	v->comm = ep->comm;
	v->pcomm = ep->pcomm;
}

static enum ipcd_sink_result callback_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct callback_sink *cb = s->ctx;
	struct ipcdump_event v;
	char channel[IPCD_PATH_MAX + 64];

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.ts_ns = e->ts_ns;
	v.wall_ns = (int64_t)(e->ts_ns + (uint64_t)ipcd_pipeline_clock(cb->pipeline));
	v.type = ipcd_type_name(e->type);
	view_endpoint(&v.src, &e->src);
	view_endpoint(&v.dst, &e->dst);
	v.bytes = e->bytes;
	v.latency_ns = e->flags & IPCD_EF_HAS_LATENCY ? e->latency_ns : 0;
	ipcd_event_channel(e, channel, sizeof(channel));
	v.channel = channel;
	v.channel_key = e->chan_key;
	v.payload = e->payload_len ? e->payload : NULL;
	v.payload_len = e->payload_len;
	v.private_ = (const struct ipcdump_event_private *)e;
	cb->fn(cb->ctx, &v);
	return IPCD_SINK_WRITTEN;
}

static int callback_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct callback_sink *cb = s->ctx;

	cb->pipeline = p;
	return 0;
}

static void callback_free(struct ipcd_sink *s)
{
	free(s->ctx);
}

int ipcdump_run_add_callback(ipcdump_run *run, ipcdump_filter *filter, ipcdump_event_fn fn, void *ctx)
{
	struct ipcd_sink *s = ipcd_sink_new("callback");
	struct callback_sink *cb = calloc(1, sizeof(*cb));

	if (!s || !cb) {
		free(s);
		free(cb);
		ipcdump_filter_free(filter);
		return -1;
	}
	cb->fn = fn;
	cb->ctx = ctx;
	s->ctx = cb;
	s->fate = "handed over";
	s->open = callback_open;
	s->event = callback_event;
	s->free = callback_free;
	if (filter) {
		s->filter = filter->expr;  /* the sink frees it */
		free(filter);
	}
	ipcd_pipeline_add_sink(run->pipeline, s);
	return 0;
}

/* ---- runs ------------------------------------------------------------------- */

ipcdump_run *ipcdump_run_new(ipcdump_source *source, char *err, size_t errlen)
{
	ipcdump_run *run;

	if (!source) {
		set_error(err, errlen, "no source (out of memory?)");
		return NULL;
	}
	if (!(run = calloc(1, sizeof(*run)))) {
		ipcdump_source_free(source);
		set_error(err, errlen, "out of memory");
		return NULL;
	}
	run->source = source;
	ipcd_options_init(&run->opts);
	run->opts.types = ipcd_all_types();
	run->opts.read_path = source->path;
	run->opts.quiet = true;       /* a library prints no summary */
	run->opts.quiet_lost = true;
	if (!(run->pipeline = ipcd_pipeline_new(&run->opts, NULL))) {
		ipcdump_run_free(run);
		set_error(err, errlen, "out of memory");
		return NULL;
	}
	return run;
}

/* A capture file that will not open says why here, not only on stderr. */
static int check_capture(const char *path, char *err, size_t errlen)
{
	char why[512];
	struct capture_reader *r = capture_reader_open(path, why, sizeof(why));

	if (!r) {
		set_error(err, errlen, why);
		return -1;
	}
	capture_reader_close(r);
	return 0;
}

int ipcdump_run_start(ipcdump_run *run, char *err, size_t errlen)
{
	if (run->started) {
		set_error(err, errlen, "a run starts once");
		return -1;
	}
	run->started = true;
	/* stdin can be read once only: its errors come from the run itself */
	if (run->source->path && strcmp(run->source->path, "-") && check_capture(run->source->path, err, errlen))
		return -1;
	if (ipcd_pipeline_run(run->pipeline, NULL)) {
		set_error(err, errlen, run->source->path ? "the capture is damaged (its offset is on stderr)"
							 : "tracing failed (the reason is on stderr)");
		return -1;
	}
	return 0;
}

void ipcdump_run_stop(ipcdump_run *run)
{
	ipcd_pipeline_stop(run->pipeline);
}

void ipcdump_run_free(ipcdump_run *run)
{
	if (!run)
		return;
	ipcd_pipeline_free(run->pipeline);
	ipcdump_source_free(run->source);
	free(run);
}
