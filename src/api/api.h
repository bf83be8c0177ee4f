/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdumpd's REST API: what the HTTP server (api/server.c) and the
 * endpoints (one file each under api/) share.  The server parses the
 * request, checks who is calling and what role the route needs, and hands
 * the request to the route's handler, which answers it exactly once with
 * one of the ipcda_reply* calls.  Handlers run in the server's worker
 * threads, never in the tracer's: whatever they read of the running
 * service they read through struct ipcda_context.
 */
#ifndef IPCD_API_H
#define IPCD_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ipcd_sink;

enum ipcda_role {
	IPCDA_ROLE_NONE = 0,   /* no credentials needed (/healthz, /readyz) */
	IPCDA_ROLE_READ,
	IPCDA_ROLE_ADMIN,      /* may also change things (POST /api/v1/reload) */
};

/* One request, owned by the server. */
struct ipcda_request;

/* Its query-string argument NAME, percent-decoded; NULL when absent. */
const char *ipcda_arg(const struct ipcda_request *rq, const char *name);
/* Its header NAME (case-insensitive); NULL when absent. */
const char *ipcda_header(const struct ipcda_request *rq, const char *name);
/* What the running service shows the API (api/context.c, the server's side). */
struct ipcda_context *ipcda_context_of(const struct ipcda_request *rq);
/* The store: the path of the first sqlite output, malloc'd (a reload may change it); NULL: none. */
char *ipcda_store_path(struct ipcda_context *ctx);
/* The live feed (never NULL while the API runs). */
struct ipcda_live *ipcda_live_of(struct ipcda_context *ctx);

/*
 * A header of the reply the handler is about to give (X-Next-Cursor): call
 * before ipcda_reply or ipcda_reply_stream; name and value copied.  0, or -1
 * if out of memory (or a name or value with a CR or LF).
 */
int ipcda_reply_header(struct ipcda_request *rq, const char *name, const char *value);
/* A whole reply: body copied.  0, or -1 when the connection is gone. */
int ipcda_reply(struct ipcda_request *rq, unsigned status, const char *content_type, const void *body,
		size_t len);
/* An error: `{"error": "MESSAGE"}` with STATUS.  0, or -1 when the connection is gone. */
int ipcda_reply_error(struct ipcda_request *rq, unsigned status, const char *message);

/*
 * A reply produced while the client reads it (large query results, server-sent
 * events).  produce() runs in the request's own worker thread: it writes at most
 * MAX bytes into BUF and returns how many, 0 when it has nothing yet (it should
 * first wait for data, up to about a second, so that it is not called in a busy
 * loop), or -1 at the end of the body.  done() runs once, when the reply ends or
 * the client goes away.
 */
typedef ssize_t (*ipcda_produce_fn)(void *ctx, char *buf, size_t max);
int ipcda_reply_stream(struct ipcda_request *rq, unsigned status, const char *content_type,
		       ipcda_produce_fn produce, void *ctx, void (*done)(void *ctx));

typedef void (*ipcda_handler_fn)(struct ipcda_request *rq);

struct ipcda_route {
	const char *method;      /* "GET", "POST" */
	const char *path;        /* exact: "/api/v1/events" */
	enum ipcda_role role;    /* the least role that may call it */
	ipcda_handler_fn handler;
};

/*
 * The live feed the stream endpoint reads (api/live.c): a sink that the
 * service adds to its pipeline for as long as the API runs (kept across
 * reloads), and from which each stream client reads at its own pace.
 */
struct ipcda_live;
struct ipcda_live *ipcda_live_new(void);
/* The sink that feeds it; the pipeline owns the sink, the sink does not own the feed. */
struct ipcd_sink *ipcda_live_sink_new(struct ipcda_live *live);
void ipcda_live_free(struct ipcda_live *live);
/* For /status and /metrics: stream clients connected now, and those disconnected for not reading. */
void ipcda_live_counts(struct ipcda_live *live, uint64_t *clients, uint64_t *dropped_slow);

/* The endpoints that read the store and the live feed (api/events.c, stream.c, stats.c, graph.c). */
void ipcda_get_events(struct ipcda_request *rq);
void ipcda_get_events_stream(struct ipcda_request *rq);
void ipcda_get_stats(struct ipcda_request *rq);
void ipcda_get_graph(struct ipcda_request *rq);

#endif /* IPCD_API_H */
