/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sinks ipcdump has, one file each: what a front end puts in a
 * pipeline's list (engine/pipeline.h, ipcd_pipeline_from_options).  Each
 * reads the run's options when it opens; NULL if out of memory.
 */
#ifndef IPCD_SINKS_H
#define IPCD_SINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sinks/sink.h"
#include "engine/options.h"

struct ipcd_pipeline;

/*
 * The sink list that opts asks for: printing (or, when it prints nothing,
 * the "lost" reports alone), -w's capture writer (or -r IN -w OUT's
 * filtered copy), --stats, --analyze; into p's list.  false if out of memory.
 */
bool ipcd_pipeline_from_options(struct ipcd_pipeline *p, const struct ipcd_options *opts);

/* Events as text, JSON Lines or CSV (-f, -x, --time, -A, -n) to the run's output (sinks/print.c). */
struct ipcd_sink *ipcd_print_sink_new(void);
/* Only the "lost N events" reports, for a run that prints no events (-w, --stats, --analyze). */
struct ipcd_sink *ipcd_lost_sink_new(void);
/* -w: the kernel's records, with -C/-G rotation, each file opening with the processes alive (sinks/capture.c). */
struct ipcd_sink *ipcd_capture_sink_new(void);
/* Where and how a capture sink writes, when not from the run's options (ipcdumpd's capture output). */
struct ipcd_capture_target {
	const char *path;
	uint64_t rotate_bytes;  /* 0: never */
	uint64_t rotate_secs;   /* 0: never */
	uint32_t keep;          /* rotated files kept, 0: all */
	bool compress;          /* every file one zstd stream, as -z */
	uint32_t mode;          /* of the files it creates, whatever the umask */
};
/*
 * A capture sink writing to t (copied) whatever the run's options say;
 * rotated files take logrotate's names (PATH.1 the newest, at most keep
 * of them: util/rotate_files.h), the live file stays PATH.
 */
struct ipcd_sink *ipcd_capture_sink_to(const struct ipcd_capture_target *t);
/*
 * -r IN -w OUT: a smaller capture, written at close: IN's records of the
 * channels that had a matching event, and what every capture keeps (sinks/capture.c).
 */
struct ipcd_sink *ipcd_capture_filter_sink_new(void);
/* -w FILE.db / FILE.sqlite: events as rows of a SQLite database (sinks/sqlite.c, docs/storage.md). */
struct ipcd_sink *ipcd_sqlite_sink_new(const char *path);
/* Retention: rows older than max_age_secs, and the oldest past max_bytes, deleted in the background (0: none). */
void ipcd_sqlite_sink_set_retention(struct ipcd_sink *s, uint64_t max_age_secs, uint64_t max_bytes);
/* The program its messages name ("ipcdump" unless set). */
void ipcd_sqlite_sink_set_program(struct ipcd_sink *s, const char *prog);
/* The path names a SQLite store (.db, .sqlite) rather than a capture file. */
bool ipcd_sqlite_path(const char *path);
/* Opens the store without a pipeline (tests); 0, or 1 after a one-line error. */
int ipcd_sqlite_sink_open_path(struct ipcd_sink *s, int64_t mono_to_real_ns);
/*
 * -r FILE.db: the store's events through p's filter and sinks (sinks/sqlite_source.c),
 * the rows --since, --until, -t and the filter select; the exit code.
 */
int ipcd_sqlite_read(struct ipcd_pipeline *p);
/* Part of a store, read as ipcd_sqlite_read reads it all: the API's pages. */
struct ipcd_store_range {
	uint64_t after_id;   /* rows with an id above this */
	uint64_t upto_id;    /* and at most this; 0: no bound */
	uint64_t max_rows;   /* rows read at most (those the SQL selects, before the filter); 0: all */
	uint64_t rows;       /* out: rows read */
	uint64_t last_id;    /* out: the last row read's id; after_id when none */
};
/* The rows of range (ids ascending) through p's filter and sinks; the exit code. */
int ipcd_sqlite_read_range(struct ipcd_pipeline *p, struct ipcd_store_range *range);
/* The SELECT a read with opts runs, with ? for its values (tests, bench); -1 if too long to push down. */
int ipcd_sqlite_explain(const struct ipcd_options *opts, char *sql, size_t len);
/* --stats[=SECONDS]: the totals, at the end or every so often (sinks/stats.c). */
struct ipcd_sink *ipcd_stats_sink_new(void);
/* --analyze: the report at the end (sinks/analyze.c). */
struct ipcd_sink *ipcd_analyze_sink_new(void);

/* Events a queue holds unless told otherwise (ipcdumpd's "queue:" key). */
#define IPCD_QUEUE_DEFAULT 65536
/*
 * inner behind its own thread and a queue of at most capacity events (0:
 * IPCD_QUEUE_DEFAULT): the pipeline's thread only copies an event in, and
 * past the bound drops it (IPCD_SINK_DROPPED_FULL).  tick, flush, close and
 * reopen reach inner through the queue, in order; flush and close return
 * once it has taken everything before them.  inner's filter and payload
 * limits move to the queue (applied before the copy).  Owns inner (freed
 * even on failure); NULL if out of memory.  (sinks/queue.c)
 */
struct ipcd_sink *ipcd_queue_sink_new(struct ipcd_sink *inner, size_t capacity);
/*
 * A sink's counters; for a queue, what became of its events: written and the
 * drops are the inner sink's, plus the queue's own (full, no memory).  False
 * (c: s's own) when s is no queue.  Safe while the run goes on.
 */
bool ipcd_queue_sink_counters(struct ipcd_sink *s, struct ipcd_sink_counters *c);
/* Events and records a queue holds now, and its capacity; 0 and 0 when s is no queue.  Safe while the run goes on. */
size_t ipcd_queue_sink_waiting(struct ipcd_sink *s, size_t *capacity);
/* The sink a queue wraps; s itself when it is no queue. */
struct ipcd_sink *ipcd_queue_sink_inner(struct ipcd_sink *s);
/*
 * How long a flush or close waits for an inner sink that takes nothing
 * (not one item done in that time: a write that does not return, on a
 * FIFO nobody reads or a hung NFS mount), beyond the inner sink's own
 * max_wait_ns.  Past it the queue is left behind: its events still
 * queued are dropped as IPCD_DROP_STUCK, its thread is detached and the
 * inner sink leaked (never freed under a call that may still return), and
 * its close returns IPCD_EXIT_FAILURE.  A slow sink that keeps taking
 * items is waited for.
 */
#define IPCD_QUEUE_DRAIN_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)
/* Another bound than IPCD_QUEUE_DRAIN_TIMEOUT_NS for s (a queue; tests); the inner sink's max_wait_ns still adds. */
void ipcd_queue_sink_set_drain_timeout(struct ipcd_sink *s, uint64_t ns);
/* The queue was left behind stuck: its counters are final. */
bool ipcd_queue_sink_stuck(struct ipcd_sink *s);

#endif /* IPCD_SINKS_H */
