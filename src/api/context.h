/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running service shows the API (api/context.c).  The service
 * publishes a snapshot of its state from the pipeline's thread every poll;
 * handlers copy the latest one out.  A reload asked through the API is a
 * request the service takes up at its next poll, as it does SIGHUP's, and
 * answers with its outcome.  Neither side waits on the other for long.
 */
#ifndef IPCD_API_CONTEXT_H
#define IPCD_API_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "sinks/sink.h"

#define IPCDA_STATUS_OUTPUTS_MAX 32

struct ipcda_collector_status {
	char name[24];
	bool wanted;      /* the configuration's types need it */
	bool attached;    /* loaded and attached */
	uint64_t lost;    /* records the kernel could not deliver */
	char why_not[128];   /* wanted, not attached: the tracer's reason ("" unknown) */
};

struct ipcda_output_status {
	char type[16];    /* "file", "syslog", "sqlite" */
	char what[240];   /* its path, or its facility */
	uint64_t queued, capacity;   /* events waiting for it now, at most */
	uint64_t written;
	uint64_t dropped_by[IPCD_DROP_REASONS];
};

struct ipcda_status {
	bool ready;                  /* the collectors are attached */
	size_t collector_count;
	struct ipcda_collector_status collectors[IPCD_COLL_MAX];
	size_t output_count;
	struct ipcda_output_status outputs[IPCDA_STATUS_OUTPUTS_MAX];
	char store_path[1024];       /* the first sqlite output's, "" none */
	uint64_t reloads, reload_failures;
};

struct ipcda_context;
struct ipcda_live;
struct ipcda_metrics;
struct ipcda_auth;

/* live and metrics outlive it.  NULL if out of memory. */
struct ipcda_context *ipcda_context_new(struct ipcda_live *live, struct ipcda_metrics *metrics);
void ipcda_context_free(struct ipcda_context *ctx);

/* ---- the service's side (the pipeline's thread) ---------------------------- */

void ipcda_context_publish(struct ipcda_context *ctx, const struct ipcda_status *st);
/* The API asked for a reload: the service does it and answers with ipcda_context_reload_done. */
bool ipcda_context_reload_wanted(struct ipcda_context *ctx);
void ipcda_context_reload_done(struct ipcda_context *ctx, bool ok, const char *message);
/* The service stops: reloads asked and to come are refused, /readyz says not ready. */
void ipcda_context_close(struct ipcda_context *ctx);

/* ---- the handlers' side ------------------------------------------------------ */

void ipcda_context_status(struct ipcda_context *ctx, struct ipcda_status *st);
/* Seconds since the context was made (the service's start). */
double ipcda_context_uptime(struct ipcda_context *ctx);
/* Wall time of the start, seconds since the epoch. */
double ipcda_context_start_time(struct ipcda_context *ctx);
struct ipcda_metrics *ipcda_context_metrics(struct ipcda_context *ctx);
/* The server's auth while it runs (its counts for /metrics); NULL otherwise. */
void ipcda_context_set_auth(struct ipcda_context *ctx, struct ipcda_auth *auth);
struct ipcda_auth *ipcda_context_auth(struct ipcda_context *ctx);
/*
 * Asks the service for a reload and waits for its outcome, at most
 * timeout_ms: 0 with *ok and *message (malloc'd), or -1 when the service did
 * not answer in time (still running the previous one, or stopping).
 */
int ipcda_context_reload(struct ipcda_context *ctx, unsigned timeout_ms, bool *ok, char **message);

#endif /* IPCD_API_CONTEXT_H */
