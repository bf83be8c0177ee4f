/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GET /api/v1/events/stream?filter=EXPR: the events as they come, as
 * server-sent events ("id: N", "event: TYPE", "data: {the JSON object}"),
 * N the event's id in the store (engine/pipeline.h numbers a live run's
 * events as the store does).
 *
 * Last-Event-ID: N (or ?last_event_id=N) resumes: with a store, its rows
 * after N that pass the filter, then the live feed from where the store
 * ended; without one, the live feed from its oldest event after N (the
 * feed keeps the last IPCDA_LIVE_RING events: older ones are gone, and a
 * comment says so).  No gap, no duplicate: the client joins the feed
 * before the store is read, the store is read until it holds everything
 * before the feed's oldest event, and the feed then skips the ids already
 * sent.  A comment every 15 s keeps a quiet stream open; a client the
 * feed overtakes gets a last comment and is disconnected (and counted).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"
#include "api/live.h"
#include "api/query.h"
#include "engine/pipeline.h"

#define CHUNK_ROWS 512
/* a produce() call waits this long for an event, at most */
#define WAIT_MS 1000
/* the store gets this long to commit what the feed already has, before the feed takes over anyway */
#define STORE_CATCH_UP_NS (3ull * 1000 * 1000 * 1000)
#define STORE_RETRY_MS 100

enum phase {
	FROM_STORE,
	LIVE,
	ENDING,     /* the last bytes, then the end */
};

struct stream {
	struct ipcda_live *live;
	struct ipcda_live_client *client;
	struct ipcd_options *opts;
	uint64_t covered;          /* every event up to this id is sent, or did not pass the filter */
	enum phase phase;
	uint64_t caught_up_since;  /* the store read whole: since when it waits for the store to commit */
	uint64_t last_write_ns;
	struct ipcda_json json;
	struct ipcda_buf out;
	bool failed;
};

static void stream_free(void *ctx)
{
	struct stream *st = ctx;

	ipcda_live_leave(st->client);
	ipcda_options_free(st->opts);
	ipcda_json_free(&st->json);
	ipcda_buf_free(&st->out);
	free(st);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void stored_event(void *ctx, const struct ipcd_event *e, int64_t mono_to_real_ns)
{
	struct stream *st = ctx;
	size_t n;
	const char *json = ipcda_json_event(&st->json, e, mono_to_real_ns, &n);

	if (!json || !ipcda_sse_event(&st->out, e->id, ipcd_type_name(e->type), json, n))
		st->failed = true;
}

/*
 * Whether the feed can take over after a read that found no more rows: the
 * store then held every event before the feed's next one (the store
 * commits rows in id order, and its last id was taken before that read),
 * or the store has had its time (the events it will never hold: its own
 * filter's, its drops).
 */
static bool feed_can_take_over(struct stream *st, int64_t feed_next, int64_t store_last)
{
	if (feed_next == 0)   /* the feed has nothing yet: all that comes now comes through it */
		return true;
	if (feed_next < 0)    /* the feed moved on while the store was read: placed at its oldest, read on */
		return false;
	return store_last < 0 || store_last >= feed_next - 1 ||
	       ipcd_monotonic_ns() - st->caught_up_since >= STORE_CATCH_UP_NS;
}

/* One chunk of the store's rows after covered; the phase moves to the feed when the store is read. */
static bool read_store(struct stream *st)
{
	struct ipcd_store_range r = { .after_id = st->covered, .max_rows = CHUNK_ROWS };
	/* both before the read: the read then sees every row up to store_last */
	int64_t feed_next = ipcda_live_peek(st->client);
	int64_t store_last = ipcda_store_last_id(st->opts->read_path);

	if (ipcda_store_read(st->opts, &r, stored_event, st, NULL) || st->failed)
		return false;
	st->covered = r.last_id;
	if (r.rows == CHUNK_ROWS) {
		st->caught_up_since = 0;
		return true;
	}
	if (!st->caught_up_since)
		st->caught_up_since = ipcd_monotonic_ns();
	if (feed_can_take_over(st, feed_next, store_last))
		st->phase = LIVE;
	else if (ipcda_buf_empty(&st->out))
		sleep_ms(STORE_RETRY_MS);
	return true;
}

/* the events already in the feed go out together, up to this much: one chunk, one TLS record and one
 * send for many (one each cannot follow a flood of 100k events/s, and the feed overtakes the client) */
#define BATCH_BYTES (16 * 1024)

static size_t pending(const struct ipcda_buf *b)
{
	return b->len - b->off;
}

static void read_live(struct stream *st)
{
	static const char behind[] = ": disconnected: this client fell behind the live feed; resume with Last-Event-ID\n\n";
	int wait_ms = WAIT_MS;   /* for the first event; the rest only if already there */
	uint64_t id;

	while (pending(&st->out) < BATCH_BYTES) {
		switch (ipcda_live_next(st->client, st->covered, st->opts->filter, wait_ms, &st->out, &id)) {
		case IPCDA_LIVE_EVENT:
			st->covered = id;
			wait_ms = 0;
			continue;
		case IPCDA_LIVE_NONE:
			if (wait_ms && ipcd_monotonic_ns() - st->last_write_ns >= ipcda_live_keepalive(st->live) &&
			    !ipcda_buf_add(&st->out, ": keep-alive\n\n", strlen(": keep-alive\n\n")))
				st->phase = ENDING;
			return;
		case IPCDA_LIVE_BEHIND:
			ipcda_buf_add(&st->out, behind, strlen(behind));
			st->phase = ENDING;
			return;
		}
	}
}

static ssize_t stream_produce(void *ctx, char *buf, size_t max)
{
	struct stream *st = ctx;

	if (ipcda_buf_empty(&st->out)) {
		if (st->phase == ENDING)
			return -1;
		if (st->phase == FROM_STORE && !read_store(st))
			return -1;
		else if (st->phase == LIVE)
			read_live(st);
	}
	if (ipcda_buf_empty(&st->out))
		return 0;
	st->last_write_ns = ipcd_monotonic_ns();
	return (ssize_t)ipcda_buf_take(&st->out, buf, max);
}

/* Last-Event-ID, or last_event_id= for clients that cannot set the header; 0 when absent. */
static bool resume_point(struct ipcda_request *rq, uint64_t *id)
{
	const char *header = ipcda_header(rq, "Last-Event-ID");
	char *end;

	*id = 0;
	if (!header)
		return ipcda_uint_arg(rq, "last_event_id", 0, INT64_MAX, 0, id);
	*id = strtoull(header, &end, 10);
	if (header[0] >= '0' && header[0] <= '9' && !*end)
		return true;
	ipcda_reply_error(rq, 400, "Last-Event-ID: an event id is needed");
	return false;
}

/* Without a store, a resume starts at the feed's oldest event: a comment says when some are gone. */
static void note_gap(struct stream *st, uint64_t last_id)
{
	int64_t next = ipcda_live_peek(st->client);
	char note[160];
	int n;

	if (next > 0 && (uint64_t)next > last_id + 1) {
		n = snprintf(note, sizeof(note), ": events %" PRIu64 " to %" PRId64 " are no longer kept\n\n",
			     last_id + 1, next - 1);
		ipcda_buf_add(&st->out, note, (size_t)n);
	}
}

void ipcda_get_events_stream(struct ipcda_request *rq)
{
	struct ipcda_context *ctx = ipcda_context_of(rq);
	char *path = ipcda_store_path(ctx);
	struct stream *st = calloc(1, sizeof(*st));
	uint64_t last_id;

	if (!st || !ipcda_json_init(&st->json, false)) {
		free(st);
		free(path);
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	st->live = ipcda_live_of(ctx);
	st->opts = ipcda_options_from_request(rq, path);
	free(path);
	if (!st->opts || !resume_point(rq, &last_id) || !ipcda_encoding_arg(rq, &st->json.with_record)) {
		stream_free(st);
		return;
	}
	if (!(st->client = ipcda_live_join(st->live, last_id != 0))) {
		stream_free(st);
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	if (st->json.with_record)
		ipcda_live_records(st->client);
	st->covered = last_id;
	st->phase = last_id && st->opts->read_path ? FROM_STORE : LIVE;
	if (st->phase == LIVE && last_id)
		note_gap(st, last_id);
	st->last_write_ns = ipcd_monotonic_ns();
	ipcda_reply_stream(rq, 200, "text/event-stream", stream_produce, st, stream_free);
}
