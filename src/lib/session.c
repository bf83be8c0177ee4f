/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libipcdump's sessions: the options a caller gives become a struct
 * ipcd_options as ipcdump's command line would make it, a pipeline runs
 * them, and one sink of the library's own takes the events.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/lib.h"
#include "engine/capture.h"
#include "engine/pipeline.h"
#include "filter/filter_expr.h"
#include "sinks/sink.h"
#include "sinks/sinks.h"

/* What the engine's lines start with, which the library's messages leave out. */
#define PROGRAM "libipcdump"

/* The fields of struct ipcdump_opts this library knows, up to the end of the last. */
#define KNOWN_OPTS_SIZE (offsetof(struct ipcdump_opts, until_ns) + sizeof(int64_t))

static void set_message(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int lib_fail(struct ipcdump_session *s, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->err_lock);
	s->err = err;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&s->err_lock);
	return err;
}

int ipcdump_errmsg(const struct ipcdump_session *session, char *buf, size_t len)
{
	struct ipcdump_session *s = (struct ipcdump_session *)session;  /* the lock only */
	int err;

	if (!s) {
		set_message(buf, len, "no session");
		return -EINVAL;
	}
	pthread_mutex_lock(&s->err_lock);
	err = s->err;
	set_message(buf, len, s->errmsg);
	pthread_mutex_unlock(&s->err_lock);
	return err;
}

/* ---- the options ------------------------------------------------------------ */

/*
 * A caller's opts, as big as its header made them: the fields it has, the
 * others zero; fields past ours must be zero, as libbpf checks its opts.
 */
static int copy_opts(struct ipcdump_opts *dst, const struct ipcdump_opts *src, char *err, size_t errlen)
{
	memset(dst, 0, sizeof(*dst));
	if (!src)
		return 0;
	if (src->sz < sizeof(size_t)) {
		set_message(err, errlen, "opts.sz is not set (fill opts with IPCDUMP_OPTS)");
		return -EINVAL;
	}
	for (size_t i = KNOWN_OPTS_SIZE; i < src->sz; i++) {
		if (((const char *)src)[i]) {
			set_message(err, errlen, "opts has fields this libipcdump does not know: it is older than the header");
			return -EINVAL;
		}
	}
	memcpy(dst, src, src->sz < sizeof(*dst) ? src->sz : sizeof(*dst));
	return 0;
}

/* A comma list of -t names, as ipcdump -t takes it. */
static int parse_types(const char *list, uint32_t *types, char *err, size_t errlen)
{
	char *copy = strdup(list), *name, *next;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	*types = 0;
	for (name = copy; name && !rc; name = next) {
		uint32_t mask;

		if ((next = strchr(name, ',')))
			*next++ = '\0';
		if ((mask = ipcd_parse_type(name))) {
			*types |= mask;
		} else {
			char names[512];

			ipcd_type_names(names, sizeof(names));
			if (err && errlen)
				snprintf(err, errlen, "unknown type \"%s\" (types: %s)", name, names);
			rc = -EINVAL;
		}
	}
	free(copy);
	return rc;
}

static int parse_filter(struct ipcd_options *o, const char *text, char *err, size_t errlen)
{
	char why[512];
	size_t col = 0;

	if (!text)
		return 0;
	if (!(o->filter_text = strdup(text)))
		return -ENOMEM;
	if ((o->filter = fexpr_parse(text, why, sizeof(why), &col)))
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "filter: %s at column %zu", why, col + 1);
	return -EINVAL;
}

/* The engine's options for opts, as the command line would set them. */
static int engine_options(struct ipcd_options *o, const struct ipcdump_opts *opts, char *err, size_t errlen)
{
	int rc;

	ipcd_options_init(o);
	o->program = PROGRAM;
	o->quiet = true;       /* no "tracing" line, no summary: a library prints nothing */
	o->quiet_lost = false;  /* losses come to the library's sink as events of type "lost" */
	o->types = ipcd_all_types();
	if (opts->types && (rc = parse_types(opts->types, &o->types, err, errlen)))
		return rc;
	if ((rc = parse_filter(o, opts->filter, err, errlen)))
		return rc;
	o->dump_bytes = opts->payload_size > 0;
	o->max_bytes = opts->payload_size;
	o->max_bytes_given = opts->payload_size > 0;
	o->since_ns = opts->since_ns;
	o->until_ns = opts->until_ns;
	return 0;
}

/* ---- the library's sink --------------------------------------------------- */

static int sink_open(struct ipcd_sink *sink, struct ipcd_pipeline *p)
{
	(void)p;
	lib_announce_attached(sink->ctx);
	return 0;
}

static enum ipcd_sink_result sink_event(struct ipcd_sink *sink, const struct ipcd_event *e)
{
	struct ipcdump_session *s = sink->ctx;

	if (s->mode == LIB_ITERATOR) {
		lib_queue_event(s, e);
	} else {
		lib_event_view(&s->view, e, ipcd_pipeline_clock(s->pipeline));
		s->fn(s->fn_ctx, &s->view);
	}
	return IPCD_SINK_WRITTEN;
}

static struct ipcd_sink *library_sink(struct ipcdump_session *s, uint32_t payload_size)
{
	struct ipcd_sink *sink = ipcd_sink_new("libipcdump");

	if (!sink)
		return NULL;
	sink->ctx = s;
	sink->fate = "handed over";
	sink->reports_losses = true;
	sink->open = sink_open;
	sink->event = sink_event;
	/* payload_limit 0 is "all": no payload asked for is a limit of 0 for every type */
	if (payload_size) {
		sink->payload_limit = payload_size;
	} else {
		sink->payload_by_type = true;
		memset(sink->payload_limit_of, 0, sizeof(sink->payload_limit_of));
	}
	return sink;
}

/* ---- opening ---------------------------------------------------------------- */

static void free_session(struct ipcdump_session *s)
{
	if (!s)
		return;
	ipcd_pipeline_free(s->pipeline);
	if (s->opts.diagnostics)
		fclose(s->opts.diagnostics);
	free(s->diag_buf);
	fexpr_free(s->opts.filter);
	free(s->opts.filter_text);
	free(s->path);
	pthread_mutex_destroy(&s->err_lock);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

static struct ipcdump_session *new_session(enum lib_source source, const char *path)
{
	struct ipcdump_session *s = calloc(1, sizeof(*s));
	pthread_condattr_t attr;

	if (!s)
		return NULL;
	s->source = source;
	pthread_mutex_init(&s->err_lock, NULL);
	pthread_mutex_init(&s->lock, NULL);
	/* ipcdump_next's timeout is an interval: the wall clock may jump */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (path && !(s->path = strdup(path))) {
		free_session(s);
		return NULL;
	}
	return s;
}

/* A file that will not open says so now, with its errno, not at the first read. */
static int check_file(enum lib_source source, const char *path, char *err, size_t errlen)
{
	static const char sqlite_magic[16] = "SQLite format 3";
	char why[512], magic[16];
	struct capture_reader *r;
	FILE *f;

	if (source == LIB_CAPTURE) {
		errno = 0;
		if (!(r = capture_reader_open(path, why, sizeof(why)))) {
			set_message(err, errlen, why);
			return errno ? -errno : -EBADMSG;
		}
		capture_reader_close(r);
		return 0;
	}
	if (!(f = fopen(path, "rbe"))) {
		if (err && errlen)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fread(magic, 1, sizeof(magic), f) != sizeof(magic) || memcmp(magic, sqlite_magic, sizeof(magic))) {
		fclose(f);
		if (err && errlen)
			snprintf(err, errlen, "%s is not a SQLite store", path);
		return -EBADMSG;
	}
	fclose(f);
	return 0;
}

static int open_session(struct ipcdump_session **session, enum lib_source source, const char *path,
			const struct ipcdump_opts *opts, char *err, size_t errlen)
{
	struct ipcdump_session *s;
	struct ipcdump_opts o;
	struct ipcd_sink *sink;
	int rc;

	if (!session || (source != LIB_LIVE && !path)) {
		set_message(err, errlen, "no session or no path given");
		return -EINVAL;
	}
	*session = NULL;
	if ((rc = copy_opts(&o, opts, err, errlen)))
		return rc;
	/* stdin can be read once only: its errors come from the run itself */
	if (path && strcmp(path, "-") && (rc = check_file(source, path, err, errlen)))
		return rc;
	if (!(s = new_session(source, path))) {
		set_message(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = engine_options(&s->opts, &o, err, errlen))) {
		free_session(s);
		return rc;
	}
	s->opts.read_path = s->path;
	s->opts.diagnostics = open_memstream(&s->diag_buf, &s->diag_len);
	s->pipeline = ipcd_pipeline_new(&s->opts, NULL);
	sink = s->pipeline && s->opts.diagnostics ? library_sink(s, o.payload_size) : NULL;
	if (!sink) {
		free_session(s);
		set_message(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ipcd_pipeline_add_sink(s->pipeline, sink);
	*session = s;
	return 0;
}

int ipcdump_open_live(struct ipcdump_session **session, const struct ipcdump_opts *opts, char *err, size_t errlen)
{
	return open_session(session, LIB_LIVE, NULL, opts, err, errlen);
}

int ipcdump_open_capture(struct ipcdump_session **session, const char *path, const struct ipcdump_opts *opts,
			 char *err, size_t errlen)
{
	return open_session(session, LIB_CAPTURE, path, opts, err, errlen);
}

int ipcdump_open_store(struct ipcdump_session **session, const char *path, const struct ipcdump_opts *opts,
		       char *err, size_t errlen)
{
	return open_session(session, LIB_STORE, path, opts, err, errlen);
}

void ipcdump_close(struct ipcdump_session *session)
{
	if (!session)
		return;
	lib_iterator_free(session);
	free_session(session);
}

/* ---- running ---------------------------------------------------------------- */

/* The engine's last line, without its "libipcdump: " and its level: the reason it failed. */
static const char *last_diagnostic(struct ipcdump_session *s, char *buf, size_t len)
{
	const char *line, *end;

	fflush(s->opts.diagnostics);
	if (!s->diag_buf || !s->diag_len)
		return NULL;
	end = s->diag_buf + s->diag_len;
	while (end > s->diag_buf && end[-1] == '\n')
		end--;
	for (line = end; line > s->diag_buf && line[-1] != '\n'; line--)
		;
	if (!strncmp(line, PROGRAM ": ", strlen(PROGRAM ": ")))
		line += strlen(PROGRAM ": ");
	snprintf(buf, len, "%.*s", (int)(end - line), line);
	return buf;
}

/* An exit code of the engine as an errno: the sources fail for few reasons. */
static int run_errno(const struct ipcdump_session *s, const char *why)
{
	if (s->source != LIB_LIVE)
		return strstr(why, "out of memory") ? -ENOMEM : -EBADMSG;
	if (strstr(why, strerror(EPERM)) || strstr(why, "root") || geteuid() != 0)
		return -EPERM;
	if (strstr(why, "out of memory"))
		return -ENOMEM;
	return -EIO;
}

int lib_run_pipeline(struct ipcdump_session *s)
{
	char why[512];
	int rc;

	if (s->source == LIB_STORE)
		rc = ipcd_sqlite_read(s->pipeline);
	else
		rc = ipcd_pipeline_run(s->pipeline, NULL);
	if (!rc)
		return 0;
	if (!last_diagnostic(s, why, sizeof(why)))
		snprintf(why, sizeof(why), "the run failed (exit code %d)", rc);
	return lib_fail(s, run_errno(s, why), "%s", why);
}

/* After ipcdump_start: the rest of the events from the session's thread, each to fn on this one. */
static int run_from_queue(struct ipcdump_session *s, ipcdump_event_fn fn, void *ctx)
{
	const struct ipcdump_event *e;
	int rc;

	while ((rc = ipcdump_next(s, &e, -1)) > 0)
		fn(ctx, e);
	return rc;
}

int ipcdump_run(struct ipcdump_session *session, ipcdump_event_fn fn, void *ctx)
{
	if (!session || !fn)
		return -EINVAL;
	if (session->mode == LIB_ITERATOR)
		return run_from_queue(session, fn, ctx);
	if (session->mode != LIB_UNREAD)
		return lib_fail(session, -EALREADY, "a session is read once");
	session->mode = LIB_CALLBACK;
	session->fn = fn;
	session->fn_ctx = ctx;
	return lib_run_pipeline(session);
}

void ipcdump_stop(struct ipcdump_session *session)
{
	if (session)
		ipcd_pipeline_stop(session->pipeline);
}
