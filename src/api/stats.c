/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GET /api/v1/stats?window=60s&by=channel|pair|comm&filter=EXPR
 *
 * The store's events of the last window (by their wall-clock time), as
 * --stats counts them: per channel or per process pair, the object
 * `ipcdump --stats -f json` prints with that one table (sinks/stats.c);
 * per comm (the sending process's name), the same numbers with what each
 * name received.  Rates are per second of the whole window.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>
#include "api/api.h"
#include "api/query.h"
#include "api/totals.h"
#include "format/report_fmt.h"
#include "sinks/stats.h"

#define WINDOW_DEFAULT_S 60
#define WINDOW_MAX_S (7 * 24 * 3600)
#define NS 1000000000ll

struct comm_row {
	char comm[IPCD_COMM_LEN + 1];
	UT_hash_handle hh;
	struct ipcda_totals sent;
	uint64_t received, bytes_received;
};

struct window {
	enum { BY_CHANNEL, BY_PAIR, BY_COMM } by;
	struct ipcd_stats *stats;
	struct comm_row *comms;
	int64_t mono_to_real_ns;
	bool failed;
};

/* "60s", "5m", "2h", "1d" or plain seconds into *secs; false if none of them or out of range. */
static bool parse_window(const char *text, int64_t *secs)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno || end == text || text[0] < '0' || text[0] > '9')
		return false;
	if (!strcmp(end, "m"))
		n *= 60;
	else if (!strcmp(end, "h"))
		n *= 3600;
	else if (!strcmp(end, "d"))
		n *= 24 * 3600;
	else if (*end && strcmp(end, "s"))
		return false;
	if (n < 1 || n > WINDOW_MAX_S)
		return false;
	*secs = n;
	return true;
}

static struct comm_row *comm_row(struct window *w, const struct ipcd_endpoint *ep)
{
	char comm[IPCD_COMM_LEN + 1];
	struct comm_row *row;

	snprintf(comm, sizeof(comm), "%.*s", IPCD_COMM_LEN, ep->pid < 0 ? "" : ep->comm);
	HASH_FIND_STR(w->comms, comm, row);
	if (row)
		return row;
	if (!(row = calloc(1, sizeof(*row)))) {
		w->failed = true;
		return NULL;
	}
	memcpy(row->comm, comm, sizeof(comm));
	HASH_ADD_STR(w->comms, comm, row);
	return row;
}

static void count_event(void *ctx, const struct ipcd_event *e, int64_t mono_to_real_ns)
{
	struct window *w = ctx;
	struct comm_row *row;

	w->mono_to_real_ns = mono_to_real_ns;
	if (w->by != BY_COMM) {
		stats_add(w->stats, e);
		return;
	}
	if ((row = comm_row(w, &e->src)))
		ipcda_totals_add(&row->sent, e);
	if (e->dst.pid >= 0 && (row = comm_row(w, &e->dst))) {
		row->received++;
		row->bytes_received += e->bytes;
	}
}

static int by_messages(const void *a, const void *b)
{
	const struct comm_row *x = a, *y = b;

	if (x->sent.messages != y->sent.messages)
		return x->sent.messages < y->sent.messages ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

static void comm_report(struct window *w, FILE *out, int64_t since_ns, int64_t until_ns)
{
	double secs = (double)(until_ns - since_ns) / 1e9;
	struct json_writer jw;
	struct comm_row *row, *tmp;
	char when[64];

	HASH_SORT(w->comms, by_messages);
	jw_init(&jw, out);
	jw_object_begin(&jw);
	jw_key(&jw, "window_s");
	jw_double(&jw, secs);
	fmt_wall_rfc3339(when, sizeof(when), (uint64_t)since_ns, 0);
	jw_kv_string(&jw, "start", when);
	fmt_wall_rfc3339(when, sizeof(when), (uint64_t)until_ns, 0);
	jw_kv_string(&jw, "end", when);
	jw_key(&jw, "comms");
	jw_array_begin(&jw);
	HASH_ITER(hh, w->comms, row, tmp) {
		jw_object_begin(&jw);
		jw_key(&jw, "comm");
		if (row->comm[0])
			jw_string(&jw, row->comm);
		else
			jw_null(&jw);
		ipcda_totals_json(&jw, &row->sent, secs);
		jw_kv_uint(&jw, "messages_received", row->received);
		jw_kv_uint(&jw, "bytes_received", row->bytes_received);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end_line(&jw);
}

static void window_free(struct window *w)
{
	struct comm_row *row, *tmp;

	HASH_ITER(hh, w->comms, row, tmp) {
		HASH_DEL(w->comms, row);
		free(row);
	}
	stats_free(w->stats);
}

/* The report of the window into a malloc'd *body; 0, or -1. */
static int report(struct window *w, const struct ipcd_options *opts, int64_t since_ns, int64_t until_ns, char **body,
		  size_t *len)
{
	struct ipcd_store_range all = { 0 };
	FILE *out;

	if (ipcda_store_read(opts, &all, count_event, w, NULL) || w->failed || !(out = open_memstream(body, len)))
		return -1;
	if (w->by == BY_COMM) {
		comm_report(w, out, since_ns, until_ns);
	} else {
		struct ipcd_report_style style = {
			.format = IPCD_FORMAT_JSON,
			.top = opts->top,
			.mono_to_real_ns = w->mono_to_real_ns,
		};

		stats_report_tables(w->stats, out, &style, (uint64_t)(since_ns - w->mono_to_real_ns),
				    (uint64_t)(until_ns - w->mono_to_real_ns),
				    w->by == BY_PAIR ? STATS_PAIRS : STATS_CHANNELS);
	}
	return fclose(out) ? -1 : 0;
}

static bool parse_by(struct ipcda_request *rq, struct window *w)
{
	const char *by = ipcda_arg(rq, "by");

	if (!by || !strcmp(by, "channel"))
		w->by = BY_CHANNEL;
	else if (!strcmp(by, "pair"))
		w->by = BY_PAIR;
	else if (!strcmp(by, "comm"))
		w->by = BY_COMM;
	else {
		ipcda_reply_error(rq, 400, "by: channel, pair or comm");
		return false;
	}
	return true;
}

void ipcda_get_stats(struct ipcda_request *rq)
{
	char *path = ipcda_store_path(ipcda_context_of(rq)), *body = NULL;
	const char *window_text = ipcda_arg(rq, "window");
	struct window w = { 0 };
	struct ipcd_options *opts = NULL;
	struct timespec now;
	int64_t secs = WINDOW_DEFAULT_S;
	size_t len = 0;

	if (!path) {
		ipcda_reply_error(rq, 404, "no store: ipcdumpd keeps events for the API in a sqlite output");
		return;
	}
	if (window_text && !parse_window(window_text, &secs))
		ipcda_reply_error(rq, 400, "window: a duration from 1s to 7d (60s, 5m, 2h, 1d)");
	else if (parse_by(rq, &w) && (opts = ipcda_options_from_request(rq, path))) {
		clock_gettime(CLOCK_REALTIME, &now);
		opts->until_ns = (int64_t)now.tv_sec * NS + now.tv_nsec;
		opts->since_ns = opts->until_ns - secs * NS;
		if ((w.by != BY_COMM && !(w.stats = stats_new())) ||
		    report(&w, opts, opts->since_ns, opts->until_ns, &body, &len))
			ipcda_reply_error(rq, 500, "the store cannot be read");
		else
			ipcda_reply(rq, 200, "application/json", body, len);
	}
	free(body);
	window_free(&w);
	ipcda_options_free(opts);
	free(path);
}
