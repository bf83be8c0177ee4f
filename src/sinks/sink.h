/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sink: where a run's events (and, for the capture writer, its raw
 * records) go.  One struct of callbacks and a name, as Fluent Bit's
 * outputs; one file per sink (sinks/print.c, capture.c, stats.c,
 * analyze.c).  The pipeline holds a list of them: one run can print, write
 * a capture and keep statistics at once.  Every callback may be NULL.
 */
#ifndef IPCD_SINK_H
#define IPCD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"

struct ipcd_pipeline;
struct fexpr;

/* What the sink did with an event. */
enum ipcd_sink_result {
	IPCD_SINK_WRITTEN = 0,
	IPCD_SINK_DROPPED,        /* not kept: out of memory; counted */
	IPCD_SINK_DROPPED_FULL,   /* not kept: the sink's queue is full; counted */
	IPCD_SINK_DROPPED_WRITE,  /* not kept: the output refused it (a full disk); counted, the run goes on */
	IPCD_SINK_FAILED,         /* its output is gone (a closed pipe): the run ends */
};

/* Why a sink dropped events: each counted apart, for the log and the exit summary. */
enum ipcd_drop_reason {
	IPCD_DROP_NO_MEMORY = 0,
	IPCD_DROP_QUEUE_FULL,
	IPCD_DROP_WRITE_FAILED,
	IPCD_DROP_STUCK,          /* still queued when a write that never returned made the run leave the output behind */
	IPCD_DROP_REASONS,
};

struct ipcd_sink_counters {
	uint64_t in;        /* events offered, after the run's filter */
	uint64_t written;   /* passed the sink's own filter and kept */
	uint64_t dropped;   /* the sum of dropped_by */
	uint64_t dropped_by[IPCD_DROP_REASONS];
};

struct ipcd_sink {
	const char *name;   /* "print", "capture", "stats", "analyze", "callback" */
	/*
	 * What the exit summary says of the events this sink took ("printed",
	 * "captured"); NULL: it says nothing (a sink that only reports losses).
	 */
	const char *fate;
	/* the events drained at the end reach it in time order, not join by join */
	bool time_ordered;
	/* it takes the "lost N events" reports (the run's filter never drops them) */
	bool reports_losses;
	/*
	 * The longest one of its calls may wait by design (the SQLite sink's
	 * close, for a lock held elsewhere): a queue's drain waits that much
	 * more before it calls the sink stuck.  0: none.
	 */
	uint64_t max_wait_ns;
	void *ctx;

	/* the run's source is open (its clock known); 0, or an exit code after a one-line error */
	int (*open)(struct ipcd_sink *s, struct ipcd_pipeline *p);
	/* each kernel record, whole, before any join (the capture writer) */
	void (*record)(struct ipcd_sink *s, const void *rec, size_t size);
	enum ipcd_sink_result (*event)(struct ipcd_sink *s, const struct ipcd_event *e);
	/* every so often, by the run's clock (live: now; reading a file: its records' times) */
	void (*tick)(struct ipcd_sink *s, uint64_t now_ns);
	/* the end: every event has been handed over; end_ns is the run's last time */
	void (*flush)(struct ipcd_sink *s, uint64_t end_ns);
	/* after the summary: writes what remains; an exit code */
	int (*close)(struct ipcd_sink *s);
	/* SIGUSR1 (logrotate): files closed and opened again by their paths */
	void (*reopen)(struct ipcd_sink *s);
	/* frees ctx (after close, or instead of it if the run never opened) */
	void (*free)(struct ipcd_sink *s);

	struct fexpr *filter;     /* its own filter, after the run's (owned); NULL: every event */
	uint32_t payload_limit;   /* payload bytes it sees per event; 0: all */
	/* per type, when payload_by_type: bytes it sees of that type's events (0: none, unlike payload_limit) */
	bool payload_by_type;
	uint32_t payload_limit_of[IPCD_TYPE_COUNT];
	struct ipcd_sink_counters counters;
	struct ipcd_sink *next;   /* the pipeline's list */
};

/* A sink with its name and callbacks; its filter, limit and counters zero. NULL if out of memory. */
struct ipcd_sink *ipcd_sink_new(const char *name);
/* "out of memory", "queue full", "write failed", "stuck". */
const char *ipcd_drop_reason_name(enum ipcd_drop_reason reason);
/* Calls its free callback, frees its filter and itself. */
void ipcd_sink_free(struct ipcd_sink *s);

#endif /* IPCD_SINK_H */
