/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sinks ipcdump has, one file each: what a front end puts in a
 * pipeline's list (engine/pipeline.h, ipcd_pipeline_from_options).  Each
 * reads the run's options when it opens; NULL if out of memory.
 */
#ifndef IPCD_SINKS_H
#define IPCD_SINKS_H

#include <stdbool.h>
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
/* The SELECT a read with opts runs, with ? for its values (tests, bench); -1 if too long to push down. */
int ipcd_sqlite_explain(const struct ipcd_options *opts, char *sql, size_t len);
/* --stats[=SECONDS]: the totals, at the end or every so often (sinks/stats.c). */
struct ipcd_sink *ipcd_stats_sink_new(void);
/* --analyze: the report at the end (sinks/analyze.c). */
struct ipcd_sink *ipcd_analyze_sink_new(void);

#endif /* IPCD_SINKS_H */
