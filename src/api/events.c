/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GET /api/v1/events?filter=EXPR&since=&until=&limit=&cursor=&bytes=1
 *
 * A page of the store's events, ids ascending, as JSON Lines (or one JSON
 * array with Accept: application/json): each the object `ipcdump -r
 * store.db -f json` prints, with the event's store id first.  Pages are
 * keyset ranges of ids: a page is the rows with cursor < id <= next
 * cursor, which the X-Next-Cursor header gives.  The daemon commits rows
 * in id order, so rows inserted while a client pages come after every page
 * it has read: no gap, no duplicate, however long the store.
 *
 * The header comes before the body, so the page is read twice: first to
 * find its last id (the limit-th event that passes the filter, reading no
 * more than SCAN_ROWS rows), then in chunks of rows, each chunk a short
 * read of its own, formatted while the client reads (the body is never
 * whole in memory, and no read transaction stays open on a slow client).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "api/query.h"

#define LIMIT_DEFAULT 1000
#define LIMIT_MAX 10000
/* rows one page looks at, at most, for a filter that SQL cannot decide: a request stays short */
#define SCAN_ROWS 1000000
/* rows formatted at once: with payloads (bytes=1) fewer, each may be 64 KiB */
#define CHUNK_ROWS 512
#define CHUNK_ROWS_WITH_BYTES 16

struct page {
	struct ipcd_options *opts;
	uint64_t pos;        /* the rows after this id are still to read */
	uint64_t last;       /* the page's last id */
	bool array, started, rows_done, ended;
	struct ipcda_json json;
	char *out;           /* formatted, not yet produced */
	size_t len, off, cap;
	bool failed;
};

static bool append(struct page *pg, const char *s, size_t n)
{
	if (pg->len + n > pg->cap) {
		size_t cap = pg->cap ? pg->cap : 65536;
		char *grown;

		while (cap < pg->len + n)
			cap *= 2;
		if (!(grown = realloc(pg->out, cap)))
			return false;
		pg->out = grown;
		pg->cap = cap;
	}
	memcpy(pg->out + pg->len, s, n);
	pg->len += n;
	return true;
}

static void format_event(void *ctx, const struct ipcd_event *e, int64_t mono_to_real_ns)
{
	struct page *pg = ctx;
	size_t n;
	const char *obj = ipcda_json_event(&pg->json, e, mono_to_real_ns, &n);

	if (!obj || (pg->array && pg->started && !append(pg, ",\n", 2)) || !append(pg, obj, n) ||
	    (!pg->array && !append(pg, "\n", 1)))
		pg->failed = true;
	pg->started = true;
}

/* The next chunk of rows into pg->out; false when the store cannot be read (the body ends short). */
static bool next_chunk(struct page *pg)
{
	struct ipcd_store_range r = {
		.after_id = pg->pos,
		.upto_id = pg->last,
		.max_rows = pg->json.out.dump_bytes ? CHUNK_ROWS_WITH_BYTES : CHUNK_ROWS,
	};

	pg->len = pg->off = 0;
	if (ipcda_store_read(pg->opts, &r, format_event, pg, NULL) || pg->failed)
		return false;
	pg->pos = r.last_id;
	if (r.rows < r.max_rows || pg->pos >= pg->last)
		pg->rows_done = true;
	return true;
}

static ssize_t page_produce(void *ctx, char *buf, size_t max)
{
	struct page *pg = ctx;
	size_t n;

	while (pg->off == pg->len) {
		if (pg->ended)
			return -1;
		if (pg->rows_done) {
			pg->len = pg->off = 0;
			if (pg->array && !(pg->started ? append(pg, "\n]\n", 3) : append(pg, "]\n", 2)))
				return -1;
			pg->ended = true;
			continue;
		}
		if (!next_chunk(pg))
			return -1;
	}
	n = pg->len - pg->off < max ? pg->len - pg->off : max;
	memcpy(buf, pg->out + pg->off, n);
	pg->off += n;
	return (ssize_t)n;
}

static void page_free(void *ctx)
{
	struct page *pg = ctx;

	ipcda_options_free(pg->opts);
	ipcda_json_free(&pg->json);
	free(pg->out);
	free(pg);
}

/* Accept: application/json (and not JSON Lines first): one array. */
static bool wants_array(struct ipcda_request *rq)
{
	const char *accept = ipcda_header(rq, "Accept");

	return accept && strstr(accept, "application/json") &&
	       !(strstr(accept, "application/x-ndjson") || strstr(accept, "application/jsonl"));
}

/*
 * The page's last id: where the limit-th matching event is, or the last row
 * looked at.  *more: rows may follow (the limit or the scan bound ended it).
 */
static int find_page_end(struct page *pg, uint64_t cursor, uint64_t limit, bool *more)
{
	struct ipcd_store_range r = { .after_id = cursor, .max_rows = SCAN_ROWS };
	uint64_t matched = 0;
	int rc;

	pg->opts->count = limit;
	rc = ipcda_store_read(pg->opts, &r, NULL, NULL, &matched);
	pg->opts->count = 0;
	pg->last = r.last_id;
	*more = matched >= limit || r.rows >= SCAN_ROWS;
	return rc;
}

static bool reply_headers(struct ipcda_request *rq, const struct page *pg, bool more)
{
	char id[32];

	snprintf(id, sizeof(id), "%" PRIu64, pg->last);
	return !ipcda_reply_header(rq, "X-Next-Cursor", id) && !ipcda_reply_header(rq, "X-More", more ? "true" : "false");
}

void ipcda_get_events(struct ipcda_request *rq)
{
	char *path = ipcda_store_path(ipcda_context_of(rq));
	uint64_t limit, cursor, bytes;
	struct page *pg;
	bool more;

	if (!path) {
		ipcda_reply_error(rq, 404, "no store: ipcdumpd keeps events for the API in a sqlite output");
		return;
	}
	if (!ipcda_uint_arg(rq, "limit", 1, LIMIT_MAX, LIMIT_DEFAULT, &limit) ||
	    !ipcda_uint_arg(rq, "cursor", 0, INT64_MAX, 0, &cursor) || !ipcda_uint_arg(rq, "bytes", 0, 1, 0, &bytes)) {
		free(path);
		return;
	}
	if (!(pg = calloc(1, sizeof(*pg))) || !ipcda_json_init(&pg->json, bytes)) {
		free(pg);
		free(path);
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	pg->array = wants_array(rq);
	if (!ipcda_encoding_arg(rq, &pg->json.with_record)) {
		page_free(pg);
		free(path);
		return;
	}
	pg->opts = ipcda_options_from_request(rq, path);
	free(path);
	if (!pg->opts) {
		page_free(pg);
		return;
	}
	pg->opts->dump_bytes = bytes;
	if (find_page_end(pg, cursor, limit, &more)) {
		page_free(pg);
		ipcda_reply_error(rq, 500, "the store cannot be read");
		return;
	}
	pg->pos = cursor;
	pg->rows_done = pg->last <= cursor;
	if (pg->array && !append(pg, "[\n", 2)) {
		page_free(pg);
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	if (!reply_headers(rq, pg, more)) {
		page_free(pg);
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	ipcda_reply_stream(rq, 200, pg->array ? "application/json" : "application/x-ndjson", page_produce, pg,
			   page_free);
}
