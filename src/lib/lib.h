/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside libipcdump (include/ipcdump/ipcdump.h): the session and the event
 * view that its files share.  A session is an engine pipeline with one sink
 * of the library's own, which hands each event to a callback (ipcdump_run)
 * or copies it into a bounded queue that ipcdump_next reads (iterator.c).
 */
#ifndef IPCD_LIB_H
#define IPCD_LIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ipcdump/ipcdump.h"
#include "engine/event.h"
#include "engine/options.h"

/* What the accessors read: an engine event, its clock, and what is worked out on demand. */
struct ipcdump_event {
	const struct ipcd_event *e;
	int64_t mono_to_real_ns;
	bool channel_done;
	char channel[IPCD_PATH_MAX + 64];
	char signal_name[32];
};

void lib_event_view(struct ipcdump_event *view, const struct ipcd_event *e, int64_t mono_to_real_ns);

enum lib_source { LIB_LIVE, LIB_CAPTURE, LIB_STORE };

enum lib_mode { LIB_UNREAD, LIB_CALLBACK, LIB_ITERATOR };

/* Events between the pipeline's thread and ipcdump_next: a ring of copies. */
struct lib_queue {
	struct ipcd_event *slots;
	size_t cap, head, count;
};

struct ipcdump_session {
	enum lib_source source;
	enum lib_mode mode;
	struct ipcd_options opts;
	char *path;
	struct ipcd_pipeline *pipeline;

	/* the engine's own lines, kept for the error message */
	char *diag_buf;
	size_t diag_len;

	/* the last error, which any thread may read */
	pthread_mutex_t err_lock;
	int err;
	char errmsg[512];

	/* ipcdump_run */
	ipcdump_event_fn fn;
	void *fn_ctx;
	struct ipcdump_event view;

	/* ipcdump_next: the pipeline on a thread of its own */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;          /* an event queued or taken, the start, the end */
	struct lib_queue queue;
	bool attached;                /* the source is open (live: tracing) */
	bool finished;                /* the run returned; run_rc holds what it returned */
	int run_rc;
	bool closing;                 /* ipcdump_close: the producer no longer waits for room */
	struct ipcd_event current;    /* what the last ipcdump_next handed out */
	bool has_current;
};

/* Sets the session's error (a negative errno) and its message; returns err. */
int lib_fail(struct ipcdump_session *s, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The pipeline's run on this thread, the sinks' open announcing the source open; 0 or a negative errno. */
int lib_run_pipeline(struct ipcdump_session *s);
/* Where the library's sink sends an event in iterator mode: into the queue, waiting for room. */
void lib_queue_event(struct ipcdump_session *s, const struct ipcd_event *e);
/* The source is open (the sink opened): ipcdump_start may return. */
void lib_announce_attached(struct ipcdump_session *s);
/* ipcdump_close's part for the iterator: the thread stopped and joined, the queue freed. */
void lib_iterator_free(struct ipcdump_session *s);

#endif /* IPCD_LIB_H */
