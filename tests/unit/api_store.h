/* SPDX-License-Identifier: GPL-2.0 */
/* A SQLite store the API tests fill with known events, each with the id the live feed would name. */
#ifndef API_STORE_H
#define API_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/pipeline.h"
#include "sinks/sinks.h"

struct test_store {
	char dir[64];
	char path[96];
	struct ipcd_options *opts;
	struct ipcd_pipeline *p;
	struct ipcd_sink *sink;
	uint64_t next_id;
	uint64_t ts_ns;
};

static inline void store_open(struct test_store *t)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->dir, "/tmp/ipcd-api-XXXXXX");
	if (!mkdtemp(t->dir))
		abort();
	snprintf(t->path, sizeof(t->path), "%s/events.db", t->dir);
	if (!(t->opts = malloc(sizeof(*t->opts))))
		abort();
	ipcd_options_init(t->opts);
	t->opts->quiet = true;
	if (!(t->p = ipcd_pipeline_new(t->opts, NULL)) || !(t->sink = ipcd_sqlite_sink_new(t->path)) ||
	    t->sink->open(t->sink, t->p))
		abort();
	t->next_id = 1;
	t->ts_ns = 1000000000ull;
}

/* A pipe event from pid (comm) to pid + 1 ("reader") of bytes bytes, 1 ms after the previous one. */
static inline struct ipcd_event store_event(struct test_store *t, int64_t pid, const char *comm, uint64_t bytes)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_PIPE, t->ts_ns += 1000000);
	e.id = t->next_id++;
	e.src.pid = e.src.tid = pid;
	e.dst.pid = e.dst.tid = pid + 1;
	e.src.ppid = e.dst.ppid = 1;
	snprintf(e.src.comm, sizeof(e.src.comm), "%s", comm);
	snprintf(e.dst.comm, sizeof(e.dst.comm), "reader");
	e.ino = 4242 + (uint64_t)pid;
	e.bytes = bytes;
	e.latency_ns = 1000 * bytes;
	e.flags = IPCD_EF_HAS_LATENCY;
	return e;
}

static inline void store_put(struct test_store *t, const struct ipcd_event *e)
{
	if (t->sink->event(t->sink, e) != IPCD_SINK_WRITTEN)
		abort();
	t->sink->counters.written++;
}

static inline void store_add(struct test_store *t, int64_t pid, const char *comm, uint64_t bytes)
{
	struct ipcd_event e = store_event(t, pid, comm, bytes);

	store_put(t, &e);
}

/* What was added is committed: readers see it. */
static inline void store_commit(struct test_store *t)
{
	t->sink->flush(t->sink, t->ts_ns);
}

static inline void store_close(struct test_store *t)
{
	char side[128];

	t->sink->close(t->sink);
	ipcd_sink_free(t->sink);
	ipcd_pipeline_free(t->p);
	free(t->opts);
	unlink(t->path);
	snprintf(side, sizeof(side), "%s-wal", t->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", t->path);
	unlink(side);
	rmdir(t->dir);
}

#endif /* API_STORE_H */
