/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's run: a source (the live tracer, or a capture file) hands
 * kernel records to the joins; the events they make are enriched (the
 * parents' names, the names the joins know), pass the run's filter (and the
 * traced tree), and go to every sink in the list.  The pipeline owns the
 * process table, the loop (poll, periodic expiry, loss reports, stop
 * requests), the drain at the end in time order and the exit summary.
 * The command line builds one from its flags (ipcd_pipeline_from_options,
 * sinks/sinks.h); a daemon builds one from its configuration.
 */
#ifndef IPCD_PIPELINE_H
#define IPCD_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/options.h"
#include "sinks/sink.h"

struct ipcd_pipeline;
struct proc_table;

/* What a front end does around a live run (a command to start, --follow's processes to watch). */
struct ipcd_live_hooks {
	void *ctx;
	/* tracing is attached and announced: a command started stopped may go */
	void (*started)(void *ctx);
	/* before each poll: true ends the run (the traced command exited) */
	bool (*poll)(void *ctx);
	/* the loop is over: the draining starts */
	void (*stopping)(void *ctx);
};

/*
 * opts outlives the pipeline.  out: where the printing sinks write (stdout
 * or -o's file; the live loop flushes it every poll, and the tracer leaves
 * it untraced; NULL: no sink prints).  NULL if out of memory.
 */
struct ipcd_pipeline *ipcd_pipeline_new(const struct ipcd_options *opts, FILE *out);
/* Frees the pipeline, its joins and its sinks. */
void ipcd_pipeline_free(struct ipcd_pipeline *p);

/* Appends s to the sink list (the pipeline owns it from now). */
void ipcd_pipeline_add_sink(struct ipcd_pipeline *p, struct ipcd_sink *s);

/*
 * While the run goes on (from a live hook, between events): the list
 * becomes sinks[0..count), in that order.  A sink in both lists stays as it
 * is; one only in the old list is flushed and closed (its last events
 * written) and freed, before one only in the new list opens; one that
 * cannot open is left out and freed (its entry in sinks set to NULL).
 * Every event goes to the old list or the new one, never both, never
 * neither.  0, or the first open's exit code.
 */
int ipcd_pipeline_replace_sinks(struct ipcd_pipeline *p, struct ipcd_sink **sinks, size_t count);
/*
 * While the run goes on: the run's filter becomes filter (NULL: every
 * event; the caller keeps it alive).  false, the filter unchanged, when the
 * kernel decides part of the run's filter (-p, -s, ... lists, loaded with
 * the collectors): a new filter could not pass what the kernel drops.
 */
bool ipcd_pipeline_set_filter(struct ipcd_pipeline *p, const struct fexpr *filter);

/*
 * The run: the capture file of opts->read_path, or live tracing with the
 * hooks (may be NULL).  Returns the exit code: the source's failure first,
 * then the sinks' (a capture that could not be written).
 */
int ipcd_pipeline_run(struct ipcd_pipeline *p, const struct ipcd_live_hooks *hooks);
/*
 * A source of records other than the live tracer: a capture file (what
 * opts->read_path runs); later a store, a remote stream.  Records come in
 * the order they were made, each whole (struct ipcd_record_header first).
 */
struct ipcd_record_source {
	const char *name;
	void *ctx;
	/* 0, or -1 with a one-line reason in err; *mono_to_real_ns: the records' clock to wall time */
	int (*open)(void *ctx, int64_t *mono_to_real_ns, char *err, size_t errlen);
	/* each record to fn until the end (0), fn returning non-zero (that), or damage (-1, reason in err) */
	int (*run)(void *ctx, int (*fn)(void *fn_ctx, void *rec, size_t size), void *fn_ctx, char *err,
		   size_t errlen);
	void (*close)(void *ctx);
};

/* The run of src's records, as ipcd_pipeline_run runs a capture file. */
int ipcd_pipeline_run_source(struct ipcd_pipeline *p, const struct ipcd_record_source *src);

/*
 * A source of events rather than records: a store that kept the events a
 * run made (sinks/sqlite_source.c).  Its events skip the joins and the
 * enrichment (they were made and enriched when stored) and go to -t, the
 * time window, the run's filter and the sinks.
 */
struct ipcd_event_source {
	const char *name;
	void *ctx;
	/* 0, or -1 with a one-line reason in err; *mono_to_real_ns: the events' clock to wall time */
	int (*open)(void *ctx, int64_t *mono_to_real_ns, char *err, size_t errlen);
	/* each event to fn until the end (0), fn returning non-zero (that), or an error (-1, reason in err) */
	int (*run)(void *ctx, int (*fn)(void *fn_ctx, const struct ipcd_event *e), void *fn_ctx, char *err,
		   size_t errlen);
	void (*close)(void *ctx);
};

/* The run of src's events, with the summary and the sinks' close; the exit code. */
int ipcd_pipeline_run_events(struct ipcd_pipeline *p, const struct ipcd_event_source *src);

/*
 * Event ids: a live run (or a capture read) numbers each event as it goes
 * to the sinks, id = base + its number in the run (from 1), so a sink
 * that stores events and the API's live feed name each one alike.  A
 * store sink claims the numbering at its open: base moves (never back) so
 * that the next id is at least next_id, the store's next free row id.
 * false when another owner holds it (that store then numbers its own
 * rows).  A store read keeps the ids it read.
 */
bool ipcd_pipeline_claim_ids(struct ipcd_pipeline *p, const void *owner, uint64_t next_id);
/* The owner's claim ends (its store closes); the numbering goes on where it was. */
void ipcd_pipeline_release_ids(struct ipcd_pipeline *p, const void *owner);

/* Ends the run soon; safe in a signal handler. */
void ipcd_pipeline_stop(struct ipcd_pipeline *p);
/* The run was asked to end (a stop, or -c's count reached): a source that waits polls this. */
bool ipcd_pipeline_stopping(const struct ipcd_pipeline *p);

/* ---- for sinks and front ends ------------------------------------------- */

const struct ipcd_options *ipcd_pipeline_options(const struct ipcd_pipeline *p);
FILE *ipcd_pipeline_output(const struct ipcd_pipeline *p);
/* Add to a CLOCK_MONOTONIC time for wall time: this machine's, or the capture file's. */
int64_t ipcd_pipeline_clock(const struct ipcd_pipeline *p);
struct proc_table *ipcd_pipeline_procs(struct ipcd_pipeline *p);
/* Events are kept to those of a traced tree (-- CMD, --follow; inside: both ends in it). */
void ipcd_pipeline_trace_tree(struct ipcd_pipeline *p, bool inside);
/* A tree is traced; *inside (if not NULL) gets --inside. */
bool ipcd_pipeline_tracing_tree(const struct ipcd_pipeline *p, bool *inside);

/*
 * A live run's collector c (enum ipcd_collector): asked for by the options,
 * loaded and attached (if not, *why_not says why, "" unknown), and the
 * records the kernel could not deliver.  Only from the run's own thread (a
 * hook).
 */
void ipcd_pipeline_collector(const struct ipcd_pipeline *p, int c, bool *wanted, bool *attached, uint64_t *lost,
			     const char **why_not);

/* CLOCK_MONOTONIC in ns. */
uint64_t ipcd_monotonic_ns(void);

#endif /* IPCD_PIPELINE_H */
