/* SPDX-License-Identifier: GPL-2.0 */
/* What the endpoints that read events share (query.h). */
#include "api/query.h"
#include "sinks/event_record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include "engine/pipeline.h"
#include "filter/filter_expr.h"
#include "sinks/sqlite_store.h"
#include "util/wall_time.h"

#define MESSAGE_MAX 2048

static int64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The caret message the command line prints for a bad filter: the reason, the text, a caret under the column. */
static bool parse_filter(struct ipcda_request *rq, struct ipcd_options *opts, const char *text)
{
	char why[256], message[MESSAGE_MAX];
	size_t col = 0;

	if (!(opts->filter_text = strdup(text))) {
		ipcda_reply_error(rq, 500, "out of memory");
		return false;
	}
	if ((opts->filter = fexpr_parse(text, why, sizeof(why), &col)))
		return true;
	snprintf(message, sizeof(message), "filter: %s at column %zu\n  %s\n  %*s^", why, col + 1, text, (int)col, "");
	ipcda_reply_error(rq, 400, message);
	return false;
}

static bool parse_time(struct ipcda_request *rq, const char *name, int64_t *ns)
{
	const char *text = ipcda_arg(rq, name);
	char message[256];

	if (!text || !*text)
		return true;
	if (!wall_time_parse(text, wall_now_ns(), ns))
		return true;
	snprintf(message, sizeof(message), "%s: not a time: '%.64s' (2026-11-30T10:00:00Z, 10:00, -90s, -1h, "
		 "@1764496800, now)", name, text);
	ipcda_reply_error(rq, 400, message);
	return false;
}

struct ipcd_options *ipcda_options_from_request(struct ipcda_request *rq, const char *path)
{
	struct ipcd_options *opts = malloc(sizeof(*opts));
	const char *filter = ipcda_arg(rq, "filter");

	if (!opts) {
		ipcda_reply_error(rq, 500, "out of memory");
		return NULL;
	}
	ipcd_options_init(opts);
	opts->program = "ipcdumpd";
	opts->quiet = true;
	opts->quiet_lost = true;
	opts->format = IPCD_FORMAT_JSON;
	/* what the store holds: the lifecycle events too (a filter's "type ==" narrows it) */
	opts->types = ipcd_all_types() | ipcd_lifecycle_types(ipcd_all_types());
	if (!(opts->read_path = path ? strdup(path) : NULL) && path) {
		ipcda_reply_error(rq, 500, "out of memory");
		goto fail;
	}
	if (filter && *filter && !parse_filter(rq, opts, filter))
		goto fail;
	if (!parse_time(rq, "since", &opts->since_ns) || !parse_time(rq, "until", &opts->until_ns))
		goto fail;
	return opts;
fail:
	ipcda_options_free(opts);
	return NULL;
}

void ipcda_options_free(struct ipcd_options *opts)
{
	if (!opts)
		return;
	fexpr_free(opts->filter);
	free(opts->filter_text);
	free((char *)opts->read_path);
	free(opts);
}

bool ipcda_uint_arg(struct ipcda_request *rq, const char *name, uint64_t min, uint64_t max, uint64_t def,
		    uint64_t *v)
{
	const char *text = ipcda_arg(rq, name);
	char message[160], *end;
	unsigned long long n;

	*v = def;
	if (!text)
		return true;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (text[0] >= '0' && text[0] <= '9' && !*end && !errno && n >= min && n <= max) {
		*v = n;
		return true;
	}
	snprintf(message, sizeof(message), "%s: a whole number from %" PRIu64 " to %" PRIu64 " is needed", name, min,
		 max);
	ipcda_reply_error(rq, 400, message);
	return false;
}

bool ipcda_encoding_arg(struct ipcda_request *rq, bool *records)
{
	const char *text = ipcda_arg(rq, "encoding");

	*records = text && !strcmp(text, "record");
	if (!text || *records)
		return true;
	ipcda_reply_error(rq, 400, "encoding: record is the one there is");
	return false;
}

/* ---- streamed bodies -------------------------------------------------------- */

bool ipcda_buf_add(struct ipcda_buf *b, const char *s, size_t n)
{
	if (b->off == b->len)   /* all taken: start again at the front */
		b->off = b->len = 0;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *grown;

		while (cap < b->len + n)
			cap *= 2;
		if (!(grown = realloc(b->data, cap)))
			return false;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return true;
}

size_t ipcda_buf_take(struct ipcda_buf *b, char *buf, size_t max)
{
	size_t n = b->len - b->off < max ? b->len - b->off : max;

	memcpy(buf, b->data + b->off, n);
	b->off += n;
	return n;
}

void ipcda_buf_free(struct ipcda_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

bool ipcda_sse_event(struct ipcda_buf *b, uint64_t id, const char *type, const char *json, size_t len)
{
	char head[96];
	int n = snprintf(head, sizeof(head), "id: %" PRIu64 "\nevent: %s\ndata: ", id, type);

	/* the JSON printer escapes every control byte: the object is one line, as data: needs */
	return n > 0 && (size_t)n < sizeof(head) && ipcda_buf_add(b, head, (size_t)n) && ipcda_buf_add(b, json, len) &&
	       ipcda_buf_add(b, "\n\n", 2);
}

/* ---- events as JSON ---------------------------------------------------------- */

bool ipcda_json_init(struct ipcda_json *j, bool with_bytes)
{
	memset(j, 0, sizeof(*j));
	if (!(j->mem = open_memstream(&j->buf, &j->size)))
		return false;
	ipcd_output_init(&j->out, j->mem, IPCD_FORMAT_JSON, with_bytes);
	return true;
}

/* The object j holds (*len bytes) with the event's record as its last member: `...,"record":"BASE64"}`. */
static const char *with_record(struct ipcda_json *j, const struct ipcd_event *e, int64_t mono_to_real_ns, size_t *len)
{
	char *member = malloc(IPCD_EVENT_RECORD_JSON_MAX);
	ssize_t n = member ? ipcd_event_record_member(e, mono_to_real_ns, j->out.dump_bytes, member,
						      IPCD_EVENT_RECORD_JSON_MAX) : -1;

	if (n < 0 || !*len || j->buf[*len - 1] != '}' || fseeko(j->mem, (off_t)*len - 1, SEEK_SET)) {
		free(member);
		return NULL;
	}
	fputc(',', j->mem);
	fwrite(member, 1, (size_t)n, j->mem);
	fputc('}', j->mem);
	free(member);
	if (fflush(j->mem))
		return NULL;
	*len += (size_t)n + 1;
	return j->buf;
}

/*
 * The printer writes the object to the memory stream from its start each
 * time; the id goes in front of its first key, so the object is the one
 * `ipcdump -r store.db -f json` prints, with "id" first.
 */
const char *ipcda_json_event(struct ipcda_json *j, const struct ipcd_event *e, int64_t mono_to_real_ns,
			     size_t *len)
{
	char id[32];
	int idlen = snprintf(id, sizeof(id), "{\"id\":%" PRIu64 ",", e->id);
	off_t end;

	j->out.mono_to_real_ns = mono_to_real_ns;
	rewind(j->mem);
	fwrite(id, 1, (size_t)idlen, j->mem);
	ipcd_output_event(&j->out, e);
	if (fflush(j->mem) || (end = ftello(j->mem)) < 0 || !j->buf)
		return NULL;
	/* the object's own '{' (after our prefix) and the newline go */
	if ((size_t)end < (size_t)idlen + 2 || j->buf[idlen] != '{')
		return NULL;
	memmove(j->buf + idlen, j->buf + idlen + 1, (size_t)end - (size_t)idlen - 1);
	*len = (size_t)end - 1;
	if (*len && j->buf[*len - 1] == '\n')
		(*len)--;
	return j->with_record ? with_record(j, e, mono_to_real_ns, len) : j->buf;
}

void ipcda_json_free(struct ipcda_json *j)
{
	if (j->mem)
		fclose(j->mem);
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

/* ---- reading the store -------------------------------------------------------- */

struct reader {
	struct ipcd_pipeline *p;
	ipcda_event_fn fn;
	void *ctx;
	uint64_t matched;
};

static enum ipcd_sink_result reader_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct reader *r = s->ctx;

	r->matched++;
	if (r->fn)
		r->fn(r->ctx, e, ipcd_pipeline_clock(r->p));
	return IPCD_SINK_WRITTEN;
}

int ipcda_store_read(const struct ipcd_options *opts, struct ipcd_store_range *range, ipcda_event_fn fn,
		     void *ctx, uint64_t *matched)
{
	struct reader r = { .fn = fn, .ctx = ctx };
	struct ipcd_sink *s = ipcd_sink_new("api");
	int rc;

	if (!s || !(r.p = ipcd_pipeline_new(opts, NULL))) {
		free(s);
		return -1;
	}
	s->fate = "read";
	s->ctx = &r;
	s->event = reader_event;
	ipcd_pipeline_add_sink(r.p, s);
	rc = ipcd_sqlite_read_range(r.p, range);
	ipcd_pipeline_free(r.p);
	if (matched)
		*matched = r.matched;
	return rc ? -1 : 0;
}

int ipcda_store_report(const struct ipcd_options *opts, struct ipcd_sink *sink, char **out, size_t *len)
{
	struct ipcd_pipeline *p;
	FILE *mem;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (!(mem = open_memstream(out, len))) {
		ipcd_sink_free(sink);
		return -1;
	}
	if (!(p = ipcd_pipeline_new(opts, mem))) {
		ipcd_sink_free(sink);
	} else {
		ipcd_pipeline_add_sink(p, sink);
		rc = ipcd_sqlite_read(p) ? -1 : 0;
		ipcd_pipeline_free(p);
	}
	if (fclose(mem))
		rc = -1;
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int64_t ipcda_store_last_id(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t id = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, IPCD_SQLITE_OPEN_WAIT_MS);
		if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM events", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return id;
}
