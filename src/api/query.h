/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the endpoints that read events share (api/events.c, stream.c,
 * stats.c, graph.c): the request's filter and time window as the command
 * line takes them, each event as the JSON object `ipcdump -f json` prints
 * with the event's id first, and a part of the store read through the
 * engine (its SQL pushdown, the filter, the sinks).
 */
#ifndef IPCDA_QUERY_H
#define IPCDA_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "api/api.h"
#include "engine/options.h"
#include "format/output.h"
#include "sinks/sinks.h"

/*
 * Options for reading the store at path (copied): every stored type, JSON,
 * quiet, the request's filter= (a 400 with the filter language's caret
 * message), since= and until= (as --since, --until: a 400 when neither
 * parses).  NULL once the reply is given (an error).  Free with
 * ipcda_options_free.
 */
struct ipcd_options *ipcda_options_from_request(struct ipcda_request *rq, const char *path);
void ipcda_options_free(struct ipcd_options *opts);

/*
 * An unsigned query argument NAME in [min, max] into *v (def when absent);
 * false after a 400 naming it.
 */
bool ipcda_uint_arg(struct ipcda_request *rq, const char *name, uint64_t min, uint64_t max, uint64_t def,
		    uint64_t *v);
/*
 * encoding=record: *records true, each object then ends with the event's
 * full record (sinks/event_record.h), what ipcdump --remote reads; absent:
 * false.  false after a 400 for any other encoding.
 */
bool ipcda_encoding_arg(struct ipcda_request *rq, bool *records);

/* Bytes waiting for a streamed reply's produce(): data[off, len). */
struct ipcda_buf {
	char *data;
	size_t len, off, cap;
};
/* false if out of memory. */
bool ipcda_buf_add(struct ipcda_buf *b, const char *s, size_t n);
/* What is left into buf (at most max); how many. */
size_t ipcda_buf_take(struct ipcda_buf *b, char *buf, size_t max);
static inline bool ipcda_buf_empty(const struct ipcda_buf *b)
{
	return b->off == b->len;
}
void ipcda_buf_free(struct ipcda_buf *b);
/* One server-sent event: "id: N", "event: TYPE", "data: JSON" and the blank line. */
bool ipcda_sse_event(struct ipcda_buf *b, uint64_t id, const char *type, const char *json, size_t len);

/* Events as JSON objects with their id: `{"id":N,"time":...}`. */
struct ipcda_json {
	FILE *mem;
	char *buf;
	size_t size;
	struct ipcd_output out;
	bool with_record;   /* encoding=record: "record" last, with the payload when with_bytes */
};
/* false if out of memory. */
bool ipcda_json_init(struct ipcda_json *j, bool with_bytes);
/* e's object (no newline), valid until the next call; NULL if out of memory. */
const char *ipcda_json_event(struct ipcda_json *j, const struct ipcd_event *e, int64_t mono_to_real_ns,
			     size_t *len);
void ipcda_json_free(struct ipcda_json *j);

/* Each event of a store read, with the read's clock (add to ts_ns for wall time). */
typedef void (*ipcda_event_fn)(void *ctx, const struct ipcd_event *e, int64_t mono_to_real_ns);

/*
 * The rows of range through opts' filter (and opts->count), each event that
 * passes to fn (NULL: none, only counted); *matched (may be NULL) gets how
 * many passed.  0, or -1 when the store cannot be read (said on stderr).
 */
int ipcda_store_read(const struct ipcd_options *opts, struct ipcd_store_range *range, ipcda_event_fn fn,
		     void *ctx, uint64_t *matched);
/*
 * A sink of opts' pipeline that the endpoints read their numbers from
 * (sinks/stats.c, analyze.c): the whole window of opts through it, its
 * report into a malloc'd *out.  0, or -1.
 */
int ipcda_store_report(const struct ipcd_options *opts, struct ipcd_sink *sink, char **out, size_t *len);

/* The store's highest row id now (0: empty), or -1 when it cannot be read. */
int64_t ipcda_store_last_id(const char *path);

#endif /* IPCDA_QUERY_H */
