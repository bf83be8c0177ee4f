/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libipcdump: ipcdump's engine as a C library.  A run reads a source (a
 * capture file written by ipcdump -w, or the live tracer, as root), joins
 * the kernel's records into events, and hands each event that passes a
 * filter to the callbacks added to it.
 *
 *     char err[256];
 *     ipcdump_run *run = ipcdump_run_new(ipcdump_source_capture("trace.ipcd"), err, sizeof(err));
 *     ipcdump_filter *f = ipcdump_filter_new("type == pipe and bytes > 100", err, sizeof(err), NULL);
 *     ipcdump_run_add_callback(run, f, on_event, ctx);   // the run owns f
 *     ipcdump_run_start(run, err, sizeof(err));          // returns when the source ends or on stop
 *     ipcdump_run_free(run);
 *
 * Handles are opaque; the one struct shown, struct ipcdump_event, is a
 * view that only grows at its end (check size before reading a field
 * added later).  Everything here is prefixed ipcdump_; nothing else of
 * ipcdump's headers is part of the library.
 */
#ifndef IPCDUMP_IPCDUMP_H
#define IPCDUMP_IPCDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IPCDUMP_API_VERSION 1

/* ---- events -------------------------------------------------------------- */

/* One end of an event: the process that sent, or the one that received. */
struct ipcdump_endpoint {
	int64_t pid;          /* -1: unknown (a write never read, a signal from the kernel) */
	int64_t tid;
	int64_t ppid;
	const char *comm;     /* "" if unknown */
	const char *pcomm;    /* the parent's comm, "" if unknown */
};

struct ipcdump_event_private;

/*
 * One event, valid during the callback only (copy what you keep).  Its
 * fields are those ipcdump prints in every format; the filter language
 * (ipcdump-filter(7)) reaches the others.
 */
struct ipcdump_event {
	uint32_t size;                /* sizeof(struct ipcdump_event) as the library knows it */
	uint64_t ts_ns;               /* CLOCK_MONOTONIC of the machine that traced */
	int64_t wall_ns;              /* the same instant, ns since 1970 (that machine's clock) */
	const char *type;             /* "pipe", "signal", "unix-stream", ... as ipcdump prints it */
	struct ipcdump_endpoint src, dst;
	uint64_t bytes;               /* bytes transferred (0 for a signal) */
	uint64_t latency_ns;          /* the send's call to the receive's return; 0 if not known */
	const char *channel;          /* "pipe:[123]", "/tmp/sock", "127.0.0.1:80", "/dev/pts/3" */
	uint64_t channel_key;         /* the same channel, as a number: equal for one channel's events */
	const uint8_t *payload;       /* what the source kept of the bytes (NULL if none) */
	uint32_t payload_len;
	const struct ipcdump_event_private *private_;  /* the library's own; for ipcdump_filter_match */
};

typedef void (*ipcdump_event_fn)(void *ctx, const struct ipcdump_event *event);

/* ---- filters -------------------------------------------------------------- */

typedef struct ipcdump_filter ipcdump_filter;

/*
 * An expression of the filter language ("comm == nginx* and bytes > 100",
 * ipcdump-filter(7)).  NULL if it does not parse: a one-line reason in err
 * and, if column is not NULL, the 0-based column it points at.
 */
ipcdump_filter *ipcdump_filter_new(const char *expression, char *err, size_t errlen, size_t *column);
bool ipcdump_filter_match(const ipcdump_filter *filter, const struct ipcdump_event *event);
void ipcdump_filter_free(ipcdump_filter *filter);

/* ---- sources -------------------------------------------------------------- */

typedef struct ipcdump_source ipcdump_source;

/* A capture file (ipcdump -w; zstd-compressed or not); "-" is stdin. */
ipcdump_source *ipcdump_source_capture(const char *path);
/* The live tracer: every IPC type ipcdump traces by default; needs root. */
ipcdump_source *ipcdump_source_live(void);
/* Frees a source that no run took. */
void ipcdump_source_free(ipcdump_source *source);

/* ---- runs ----------------------------------------------------------------- */

typedef struct ipcdump_run ipcdump_run;

/* A run of source (which it takes, even on failure).  NULL with a reason in err. */
ipcdump_run *ipcdump_run_new(ipcdump_source *source, char *err, size_t errlen);
/*
 * A sink: fn is called with every event that passes filter (NULL: every
 * event), in the order the run makes them.  The run takes filter.  0, or
 * -1 if out of memory.
 */
int ipcdump_run_add_callback(ipcdump_run *run, ipcdump_filter *filter, ipcdump_event_fn fn, void *ctx);
/*
 * Runs until the source ends (a capture file's end), ipcdump_run_stop, or
 * an error.  0, or -1 with a one-line reason in err.  Once per run.
 */
int ipcdump_run_start(ipcdump_run *run, char *err, size_t errlen);
/* Ends a run soon: from a callback, another thread, or a signal handler. */
void ipcdump_run_stop(ipcdump_run *run);
void ipcdump_run_free(ipcdump_run *run);

#ifdef __cplusplus
}
#endif

#endif /* IPCDUMP_IPCDUMP_H */
