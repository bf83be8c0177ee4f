/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdump --remote (cli/remote.h).  One transfer at a time on a curl multi
 * handle, pumped by the event source: the reply's bytes go through the
 * parser (cli/remote_stream.h), each event's record is queued, and the
 * queue goes to the pipeline between pumps, so a stop (^C, -c) is seen
 * within one poll even while the stream is quiet.
 *
 * The clock is a store read's: the first event's wall time less its
 * monotonic one, and each event's time its wall time less that, so the
 * output equals `ipcdump -r store.db` of the same events.  Open waits for
 * that first event (the sinks need the clock when they open).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli/remote.h"
#include "cli/remote_stream.h"
#include "sinks/event_record.h"
#include "sinks/sinks.h"
#include "util/base64.h"

#define POLL_MS 200
#define PAGE_LIMIT 5000
#define STR_(x) #x
#define STR(x) STR_(x)
#define RECONNECT_FIRST_MS 500
#define RECONNECT_MAX_MS 5000
#define TOKEN_MAX 4096
#define ERROR_BODY_MAX 4096
/* events parsed and not yet handed over; the transfer pauses past this */
#define QUEUE_MAX 4096

struct queued {
	uint8_t *record;
	size_t len;
	uint64_t id;
};

struct remote {
	struct ipcd_pipeline *p;
	const struct ipcd_options *opts;
	char *base;                  /* the URL without a trailing '/' ("http://localhost" for a socket) */
	const char *unix_path;       /* unix:/PATH */
	char *token;
	bool query;                  /* --since/--until: the store, page by page */
	bool send_filter;            /* false once the server refused our filter: it is checked here alone */

	CURLM *multi;
	CURL *easy;                  /* the transfer under way, NULL none */
	struct curl_slist *headers;
	char curl_error[CURL_ERROR_SIZE];
	bool ended;                  /* the transfer is over: result and status say how */
	CURLcode result;
	long status;
	char reason[96];
	struct remote_buf error_body;
	bool fatal;                  /* a reply we cannot read: err says why */
	char err[512];

	struct remote_sse sse;
	struct remote_lines lines;
	char next_cursor[32];
	bool more;
	uint64_t cursor;

	struct queued *queue;
	size_t nqueue, queue_head, queue_cap;
	bool paused;

	bool finished;               /* the last page is read */
	bool clock_known;
	int64_t mono_to_real_ns;
	uint64_t last_id;            /* the last event handed over: a resume's point */
	uint64_t bad_records;
	bool warned_lost;
	struct ipcd_detail_store detail;
};

/* ---- the reply --------------------------------------------------------------------------- */

static void fail(struct remote *r, const char *fmt, const char *a)
{
	if (!r->fatal)
		snprintf(r->err, sizeof(r->err), fmt, a);
	r->fatal = true;
}

static bool enqueue(struct remote *r, const char *b64, size_t len, uint64_t id)
{
	struct queued *q;
	ssize_t n;

	if (r->nqueue == r->queue_cap) {
		size_t cap = r->queue_cap ? r->queue_cap * 2 : 64;

		if (!(q = realloc(r->queue, cap * sizeof(*q))))
			return false;
		r->queue = q;
		r->queue_cap = cap;
	}
	q = &r->queue[r->nqueue];
	if (!(q->record = malloc(len / 4 * 3 + 1)))
		return false;
	if ((n = ipcd_base64_decode(b64, len, q->record, len / 4 * 3 + 1)) < 0) {
		free(q->record);
		r->bad_records++;
		return true;
	}
	q->len = (size_t)n;
	q->id = id;
	r->nqueue++;
	return true;
}

/* One event's JSON object: its record queued.  Non-zero ends the transfer. */
static int take_object(struct remote *r, const char *obj, size_t len, uint64_t id)
{
	const char *record, *v;
	size_t record_len, n;

	if (!remote_json_member(obj, len, "record", &record, &record_len)) {
		fail(r, "remote: %s sends events without their records (encoding=record): an ipcdumpd too old "
		     "for ipcdump --remote", r->base);
		return 1;
	}
	if (!id && remote_json_member(obj, len, "id", &v, &n) && n < 21)
		id = strtoull(v, NULL, 10);
	if (!enqueue(r, record, record_len, id)) {
		fail(r, "remote: out of memory%s", "");
		return 1;
	}
	return 0;
}

static int on_sse_event(void *ctx, const char *last_id, const char *data, size_t len)
{
	return take_object(ctx, data, len, strtoull(last_id, NULL, 10));
}

static int on_line(void *ctx, const char *line, size_t len)
{
	return take_object(ctx, line, len, 0);
}

static bool reply_ok(const struct remote *r)
{
	return r->status >= 200 && r->status < 300;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct remote *r = ctx;
	size_t len = size * nmemb;
	int rc;

	if (!r->status)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (!reply_ok(r)) {
		size_t room = ERROR_BODY_MAX - r->error_body.len;

		/* the error's body, to say its message; only its start */
		remote_buf_add(&r->error_body, data, len < room ? len : room);
		return len;
	}
	/* too much waiting to be handed over: curl gives these bytes again when the queue is shorter */
	if (r->nqueue - r->queue_head >= QUEUE_MAX) {
		r->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	rc = r->query ? remote_lines_feed(&r->lines, data, len) : remote_sse_feed(&r->sse, data, len);
	if (rc < 0)
		fail(r, "remote: %s: a reply line too long, or out of memory", r->base);
	return rc ? 0 : len;   /* 0 ends the transfer */
}

static void header_value(const char *line, size_t len, const char *name, char *dst, size_t size)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return;
	line += n + 1;
	len -= n + 1;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	snprintf(dst, size, "%.*s", (int)len, line);
}

/* "HTTP/1.1 401 Unauthorized": the reason's words (none in HTTP/2). */
static void status_line(struct remote *r, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	const char *reason = sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - line)) : NULL;
	size_t n;

	r->reason[0] = r->next_cursor[0] = '\0';
	r->more = false;
	if (!reason)
		return;
	reason++;
	n = (size_t)(line + len - reason);
	while (n && (reason[n - 1] == '\r' || reason[n - 1] == '\n'))
		n--;
	snprintf(r->reason, sizeof(r->reason), "%.*s", (int)n, reason);
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ctx)
{
	struct remote *r = ctx;
	size_t len = size * nmemb;
	char more[8] = "";

	if (len > 5 && !strncmp(line, "HTTP/", 5)) {   /* a new reply (after a 100 Continue, a redirect) */
		status_line(r, line, len);
		return len;
	}
	header_value(line, len, "X-Next-Cursor", r->next_cursor, sizeof(r->next_cursor));
	header_value(line, len, "X-More", more, sizeof(more));
	if (more[0])
		r->more = !strcmp(more, "true");
	return len;
}

/* ---- requests ------------------------------------------------------------------------------ */

static bool add_arg(char **url, const char *name, const char *value)
{
	char *escaped = curl_easy_escape(NULL, value, 0), *grown;
	bool first = !strchr(*url, '?');

	if (!escaped || asprintf(&grown, "%s%c%s=%s", *url, first ? '?' : '&', name, escaped) < 0) {
		curl_free(escaped);
		return false;
	}
	curl_free(escaped);
	free(*url);
	*url = grown;
	return true;
}

static bool add_time_arg(char **url, const char *name, int64_t ns)
{
	char text[48];

	snprintf(text, sizeof(text), "@%" PRId64 ".%09" PRId64, ns / 1000000000, ns % 1000000000);
	return !ns || add_arg(url, name, text);
}

/* The request's URL: the path and what the options ask of the server. */
static char *request_url(const struct remote *r)
{
	const struct ipcd_options *o = r->opts;
	char *url = NULL, cursor[32];
	bool ok;

	if (asprintf(&url, "%s/api/v1/events%s?encoding=record", r->base, r->query ? "" : "/stream") < 0)
		return NULL;
	/* payloads for -x, for a copy into a store, and for a filter the server would not take */
	ok = !(o->dump_bytes || o->write_path || !r->send_filter) || add_arg(&url, "bytes", "1");
	if (r->send_filter && o->filter_text)
		ok = ok && add_arg(&url, "filter", o->filter_text);
	if (r->query) {
		snprintf(cursor, sizeof(cursor), "%" PRIu64, r->cursor);
		ok = ok && add_arg(&url, "limit", STR(PAGE_LIMIT)) && add_arg(&url, "cursor", cursor) &&
		     add_time_arg(&url, "since", o->since_ns) && add_time_arg(&url, "until", o->until_ns);
	}
	if (!ok) {
		free(url);
		return NULL;
	}
	return url;
}

static bool add_header(struct remote *r, const char *fmt, const char *value)
{
	char *line;
	struct curl_slist *l;

	if (asprintf(&line, fmt, value) < 0)
		return false;
	l = curl_slist_append(r->headers, line);
	free(line);
	if (l)
		r->headers = l;
	return l != NULL;
}

static bool set_headers(struct remote *r)
{
	char id[32];

	curl_slist_free_all(r->headers);
	r->headers = NULL;
	snprintf(id, sizeof(id), "%" PRIu64, r->last_id);
	return add_header(r, "Accept: %s", r->query ? "application/x-ndjson" : "text/event-stream") &&
	       (!r->token || add_header(r, "Authorization: Bearer %s", r->token)) &&
	       (r->query || !r->last_id || add_header(r, "Last-Event-ID: %s", id));
}

static void end_transfer(struct remote *r)
{
	if (!r->easy)
		return;
	curl_multi_remove_handle(r->multi, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
}

static int start_transfer(struct remote *r)
{
	char *url = request_url(r);
	CURL *c;

	end_transfer(r);
	r->ended = r->paused = false;
	r->status = 0;
	r->reason[0] = r->curl_error[0] = '\0';
	r->error_body.len = 0;
	remote_sse_reset(&r->sse);
	r->lines.line.len = 0;
	if (!url || !set_headers(r) || !(c = r->easy = curl_easy_init())) {
		free(url);
		fail(r, "remote: out of memory%s", "");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	free(url);
	if (r->unix_path)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, r->unix_path);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_error);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (r->opts->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, r->opts->cacert);
	if (r->opts->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	/* a stream quiet past the server's keep-alives is a connection gone */
	if (!r->query) {
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	}
	if (curl_multi_add_handle(r->multi, c) != CURLM_OK) {
		fail(r, "remote: cannot start a transfer%s", "");
		return -1;
	}
	return 0;
}

/* Runs the transfer for up to wait_ms; sets ended when it is over. */
static void pump(struct remote *r, int wait_ms)
{
	CURLMsg *msg;
	int running, left;

	if (!r->easy || r->ended)
		return;
	if (r->paused && r->nqueue - r->queue_head < QUEUE_MAX / 2) {
		r->paused = false;
		curl_easy_pause(r->easy, CURLPAUSE_CONT);
	}
	curl_multi_perform(r->multi, &running);
	if (running && !r->paused && r->nqueue == r->queue_head)
		curl_multi_poll(r->multi, NULL, 0, wait_ms, NULL);
	curl_multi_perform(r->multi, &running);
	while ((msg = curl_multi_info_read(r->multi, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == r->easy) {
			r->ended = true;
			r->result = msg->data.result;
			if (!r->status)
				curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
		}
}

/* ---- what a finished transfer means ----------------------------------------------------------- */

static const char *reason_of(const struct remote *r)
{
	static const struct { long status; const char *reason; } known[] = {
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 413, "Payload Too Large" }, { 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].status == r->status)
			return known[i].reason;
	return r->reason;   /* HTTP/1's own words; none in HTTP/2 */
}

/* "remote: 401 Unauthorized", with the server's message when it gave one. */
static void http_error(struct remote *r)
{
	const char *msg = NULL;
	size_t n = 0;
	int len = snprintf(r->err, sizeof(r->err), "remote: %ld %s", r->status, reason_of(r));

	/* the server's own words when they add to the status's ("unauthorized" does not) */
	if (r->error_body.data && remote_json_member(r->error_body.data, r->error_body.len, "error", &msg, &n) &&
	    !(n == strlen(reason_of(r)) && !strncasecmp(msg, reason_of(r), n)) && len > 0 && (size_t)len < sizeof(r->err))
		snprintf(r->err + len, sizeof(r->err) - (size_t)len, ": %.*s", (int)(n < 300 ? n : 300), msg);
	r->fatal = true;
}

/* A 400 naming the filter, which this ipcdump parsed: the server's language is older; we filter. */
static bool server_refused_filter(const struct remote *r)
{
	return r->status == 400 && r->send_filter && r->opts->filter_text && r->error_body.data &&
	       strstr(r->error_body.data, "filter");
}

static void connection_error(struct remote *r)
{
	snprintf(r->err, sizeof(r->err), "remote: %s: %s", r->base,
		 r->curl_error[0] ? r->curl_error : curl_easy_strerror(r->result));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

enum next { NEXT_WAIT, NEXT_DONE, NEXT_FAILED };

/*
 * The transfer ended: the next page, a resumed stream, the end or an error.
 * connected: whether the stream had been up (a first connection that fails is an error).
 */
static enum next after_transfer(struct remote *r, bool *connected, long *backoff_ms)
{
	if (r->fatal)
		return NEXT_FAILED;
	if (server_refused_filter(r)) {
		if (!r->opts->quiet)
			fprintf(stderr, "ipcdump: remote: the server does not take this filter; it is applied here\n");
		r->send_filter = false;
		return start_transfer(r) ? NEXT_FAILED : NEXT_WAIT;
	}
	if (r->status && !reply_ok(r)) {
		http_error(r);
		return NEXT_FAILED;
	}
	if (r->query) {
		if (r->result != CURLE_OK) {
			connection_error(r);
			return NEXT_FAILED;
		}
		if (remote_lines_end(&r->lines))
			return NEXT_FAILED;
		if (!r->more)
			return NEXT_DONE;
		r->cursor = strtoull(r->next_cursor, NULL, 10);
		return start_transfer(r) ? NEXT_FAILED : NEXT_WAIT;
	}
	if (!*connected && !r->status) {
		connection_error(r);
		return NEXT_FAILED;
	}
	*connected = true;
	if (!r->opts->quiet && *backoff_ms == RECONNECT_FIRST_MS)
		fprintf(stderr, "ipcdump: remote: the stream ended (%s); resuming after event %" PRIu64 "\n",
			r->result == CURLE_OK ? "closed by the server" :
			r->curl_error[0] ? r->curl_error : curl_easy_strerror(r->result), r->last_id);
	sleep_ms(*backoff_ms);
	*backoff_ms = *backoff_ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : *backoff_ms * 2;
	return start_transfer(r) ? NEXT_FAILED : NEXT_WAIT;
}

/* ---- the event source --------------------------------------------------------------------- */

/* The queue's next event into e (its strings in the queued record); false when none is left. */
static bool next_event(struct remote *r, struct ipcd_event *e, uint64_t *id)
{
	while (r->queue_head < r->nqueue) {
		struct queued *q = &r->queue[r->queue_head++];
		int64_t wall;

		*id = q->id;
		if (!ipcd_event_record_decode(q->record, q->len, e, &wall, &r->detail)) {
			r->bad_records++;
			continue;
		}
		if (!r->clock_known) {
			r->mono_to_real_ns = (int64_t)((uint64_t)wall - e->ts_ns);
			r->clock_known = true;
		}
		e->ts_ns = (uint64_t)wall - (uint64_t)r->mono_to_real_ns;
		return true;
	}
	return false;
}

static void drop_delivered(struct remote *r)
{
	if (!r->queue_head)
		return;
	for (size_t i = 0; i < r->queue_head; i++)
		free(r->queue[i].record);
	memmove(r->queue, r->queue + r->queue_head, (r->nqueue - r->queue_head) * sizeof(*r->queue));
	r->nqueue -= r->queue_head;
	r->queue_head = 0;
}

static void source_close(void *ctx);

/* The clock of the first event queued, not taking it from the queue. */
static bool peek_clock(struct remote *r)
{
	struct ipcd_event e;
	uint64_t id;
	bool found = next_event(r, &e, &id);

	if (found)   /* back to it: the bad records before it stay behind */
		r->queue_head--;
	return found;
}

static int source_open(void *ctx, int64_t *mono_to_real_ns, char *err, size_t errlen)
{
	struct remote *r = ctx;
	bool connected = false;
	long backoff = RECONNECT_FIRST_MS;
	enum next next = NEXT_WAIT;

	if (!(r->multi = curl_multi_init()) || start_transfer(r))
		next = NEXT_FAILED;
	/* the first event sets the clock: wait for it, or for the end */
	while (next == NEXT_WAIT && !peek_clock(r) && !ipcd_pipeline_stopping(r->p)) {
		pump(r, POLL_MS);
		if (r->ended)
			next = after_transfer(r, &connected, &backoff);
	}
	if (next == NEXT_FAILED) {
		snprintf(err, errlen, "%s", r->err);
		source_close(r);   /* the pipeline closes only a source that opened */
		return -1;
	}
	peek_clock(r);   /* the last page may have come whole in the pump that ended it */
	*mono_to_real_ns = r->mono_to_real_ns;
	r->finished = next == NEXT_DONE;
	return 0;
}

static int source_run(void *ctx, int (*fn)(void *fn_ctx, const struct ipcd_event *e), void *fn_ctx, char *err,
		      size_t errlen)
{
	struct remote *r = ctx;
	FILE *out = ipcd_pipeline_output(r->p);
	bool connected = true, done = r->finished;
	long backoff = RECONNECT_FIRST_MS;
	struct ipcd_event e;
	uint64_t id;
	int stop;

	for (;;) {
		while (next_event(r, &e, &id)) {
			/* a resumed stream starts after last_id: an event twice is never printed twice */
			if (id && id <= r->last_id && !r->query)
				continue;
			if (id)
				r->last_id = id;
			if ((stop = fn(fn_ctx, &e)))
				return stop;
			backoff = RECONNECT_FIRST_MS;
		}
		drop_delivered(r);
		if (out)
			fflush(out);
		if (done || ipcd_pipeline_stopping(r->p))
			return 0;
		pump(r, POLL_MS);
		if (!r->ended)
			continue;
		switch (after_transfer(r, &connected, &backoff)) {
		case NEXT_WAIT: break;
		case NEXT_DONE: done = true; break;
		case NEXT_FAILED:
			snprintf(err, errlen, "%s", r->err);
			return -1;
		}
	}
}

static void source_close(void *ctx)
{
	struct remote *r = ctx;

	if (r->bad_records)
		fprintf(stderr, "ipcdump: remote: %" PRIu64 " %s could not be read (a type or field this ipcdump "
			"does not know)\n", r->bad_records, r->bad_records == 1 ? "event" : "events");
	end_transfer(r);
	if (r->multi)
		curl_multi_cleanup(r->multi);
	r->multi = NULL;
}

/* ---- the command line's side ------------------------------------------------------------------ */

/* The token: the file's first line.  Like ssh with a key, a file others may read is refused. */
static int read_token(const char *path, char **token)
{
	char line[TOKEN_MAX + 2];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	FILE *f;

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "ipcdump: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return IPCD_EXIT_FAILURE;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		fprintf(stderr, "ipcdump: %s: a token file must not be open to group or others (mode %04o): "
			"chmod 600 it\n", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return IPCD_EXIT_FAILURE;
	}
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return IPCD_EXIT_FAILURE;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0] || strlen(line) > TOKEN_MAX) {
		fprintf(stderr, "ipcdump: %s: no token on its first line\n", path);
		return IPCD_EXIT_FAILURE;
	}
	*token = strdup(line);
	explicit_bzero(line, sizeof(line));
	return *token ? -1 : IPCD_EXIT_FAILURE;
}

/* http(s)://HOST[:PORT][/PREFIX] or unix:/PATH into r->base; -1 to go on, or the exit code. */
static int parse_url(struct remote *r, const char *text)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok;
	size_t n;

	if (!strncmp(text, "unix:", 5)) {
		r->unix_path = text + 5;
		ok = r->unix_path[0] == '/' && (r->base = strdup("http://localhost"));
	} else {
		ok = u && curl_url_set(u, CURLUPART_URL, text, 0) == CURLUE_OK &&
		     curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		     (!strcmp(scheme, "https") || !strcmp(scheme, "http")) &&
		     curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] &&
		     !strpbrk(text, "?#") && (r->base = strdup(text));
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	if (!ok) {
		fprintf(stderr, "ipcdump: --remote: '%s' is not a daemon's URL: https://HOST:PORT (or http://), "
			"or unix:/PATH\n", text);
		return IPCD_EXIT_USAGE;
	}
	n = strlen(r->base);
	while (n && r->base[n - 1] == '/')
		r->base[--n] = '\0';
	return -1;
}

static void remote_free(struct remote *r)
{
	for (size_t i = 0; i < r->nqueue; i++)   /* handed over or not: a stop leaves both */
		free(r->queue[i].record);
	free(r->queue);
	remote_sse_free(&r->sse);
	remote_lines_free(&r->lines);
	free(r->error_body.data);
	curl_slist_free_all(r->headers);
	if (r->token)
		explicit_bzero(r->token, strlen(r->token));
	free(r->token);
	free(r->base);
}

int ipcd_remote_read(struct ipcd_pipeline *p)
{
	const struct ipcd_options *opts = ipcd_pipeline_options(p);
	struct remote *r = calloc(1, sizeof(*r));
	const struct ipcd_event_source src = {
		.name = "remote",
		.ctx = r,
		.open = source_open,
		.run = source_run,
		.close = source_close,
	};
	int rc = -1;

	if (!r) {
		fprintf(stderr, "ipcdump: out of memory\n");
		return IPCD_EXIT_FAILURE;
	}
	*r = (struct remote){
		.p = p,
		.opts = opts,
		.query = opts->since_ns || opts->until_ns,
		.send_filter = true,
		.sse = { .on_event = on_sse_event, .ctx = r },
		.lines = { .on_line = on_line, .ctx = r },
	};
	if (!r->query && opts->dump_bytes && !opts->quiet)
		fprintf(stderr, "ipcdump: warning: a daemon's live stream carries no payloads: -x shows none "
			"(--since reads them from its store)\n");
	if ((rc = parse_url(r, opts->remote_url)) < 0 && (!opts->token_file || (rc = read_token(opts->token_file, &r->token)) < 0)) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			fprintf(stderr, "ipcdump: remote: cannot start libcurl\n");
			rc = IPCD_EXIT_FAILURE;
		} else {
			rc = ipcd_pipeline_run_events(p, &src);
			curl_global_cleanup();
		}
	}
	remote_free(r);
	free(r);
	return rc;
}
