/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SQLite sink: each event a row of an `events` table (docs/storage.md
 * is the schema).  Rows go in batches, one transaction each, committed by
 * count or after at most a second, so a crash loses at most a second and
 * one fsync covers thousands of rows.  A database another connection holds
 * locked is never waited on: the events wait in memory and go in when the
 * lock is free.  Retention (sinks/sqlite_retention.c) deletes the oldest
 * rows from a thread of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "sinks/sinks.h"
#include "sinks/sqlite_store.h"
#include "sinks/store_detail.h"
#include "format/channel.h"
#include "engine/pipeline.h"

/*
 * A batch ends after a second, or at this many rows (a second's worth at
 * the rates SQLite reaches here).  Its commit writes each page it changed
 * once: with randomly keyed indexes (pid, comm, channel) nearly every
 * batch changes the same leaves, so a row's share of the write shrinks
 * with the batch (bench/sqlite_store, 1M rows: 8192-row batches 35-59k
 * events/s, 256k-row batches 95-106k).
 */
#define BATCH_ROWS (1u << 18)
#define BATCH_NS 1000000000ull
/* events held while another connection has the database locked; past this they are dropped */
#define PENDING_MAX (1u << 18)
/* at the end, how long a lock held elsewhere is waited for before the events waiting are dropped */
#define CLOSE_WAIT_MS 10000

static const char insert_sql[] =
	"INSERT INTO events (ts_ns, wall_ns, type,"
	" src_pid, src_tid, src_ppid, src_comm, src_pcomm,"
	" dst_pid, dst_tid, dst_ppid, dst_comm, dst_pcomm,"
	" channel, channel_key, size, latency_ns, flags, payload, detail, id)"
	" VALUES (?,?,?, ?,?,?,?,?, ?,?,?,?,?, ?,?,?,?,?,?,?, ?)";

struct sqlite_sink {
	char *path;
	const char *prog;
	sqlite3 *db;
	sqlite3_stmt *insert, *begin, *commit, *rollback;
	int64_t mono_to_real_ns;
	bool in_batch;
	uint64_t batch_rows, batch_start_ns;
	int64_t run_id;
	/* the run's event ids are its rows' (ipcd_pipeline_claim_ids): the API's live feed names rows by them */
	struct ipcd_pipeline *numbering;
	/* events that came while the database was locked elsewhere, oldest first (owned copies) */
	struct ipcd_event *pending;
	size_t npending, pending_cap;
	uint64_t retention_secs, retention_bytes;
	struct ipcd_sqlite_retention *retention;
};

static void report(const struct sqlite_sink *q, const char *what)
{
	fprintf(stderr, "%s: %s: %s: %s\n", q->prog, q->path, what,
		q->db ? sqlite3_errmsg(q->db) : "out of memory");
}

/* The file is made 0600 before SQLite opens it: events carry payloads. */
static int create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int step_once(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int prepare_all(struct sqlite_sink *q)
{
	if (sqlite3_prepare_v2(q->db, insert_sql, -1, &q->insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "BEGIN IMMEDIATE", -1, &q->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "COMMIT", -1, &q->commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "ROLLBACK", -1, &q->rollback, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

static int64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A statement without rows, with one integer argument: its SQLite result. */
static int exec_int(sqlite3 *db, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, arg);
	rc = step_once(st);
	sqlite3_finalize(st);
	return rc;
}

static int64_t query_int(sqlite3 *db, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * A run without an end was killed (or its machine went down): says how
 * many of its events the store kept, and closes it as unclean.
 */
static void recover_runs(struct sqlite_sink *q)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(q->db, "SELECT id, first_event_id FROM runs WHERE ended_wall_ns IS NULL ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t run = sqlite3_column_int64(st, 0), first = sqlite3_column_int64(st, 1);
		int64_t next = query_int(q->db, "SELECT coalesce(min(first_event_id), 9223372036854775807)"
					 " FROM runs WHERE id > ?", run);
		char sql[256];
		int64_t n;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id >= ? AND id < %" PRId64, next);
		n = query_int(q->db, sql, first);
		fprintf(stderr, "%s: info: the previous run did not stop cleanly; %" PRId64 " %s from it %s in the store\n",
			q->prog, n, n == 1 ? "event" : "events", n == 1 ? "is" : "are");
		snprintf(sql, sizeof(sql), "UPDATE runs SET ended_wall_ns = coalesce((SELECT max(wall_ns) FROM events"
			 " WHERE id >= first_event_id AND id < %" PRId64 "), started_wall_ns), clean = 0,"
			 " events = %" PRId64 " WHERE id = ?", next, n);
		exec_int(q->db, sql, run);
	}
	sqlite3_finalize(st);
}

static int start_run(struct sqlite_sink *q)
{
	int64_t first = query_int(q->db, "SELECT coalesce(max(id), 0) + 1 FROM events", 0);
	sqlite3_stmt *st;
	int rc;

	if (first < 0 ||
	    sqlite3_prepare_v2(q->db, "INSERT INTO runs (started_wall_ns, first_event_id, program) VALUES (?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, wall_now_ns());
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_text(st, 3, q->prog, -1, SQLITE_STATIC);
	rc = step_once(st);
	sqlite3_finalize(st);
	q->run_id = sqlite3_last_insert_rowid(q->db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void end_run(struct sqlite_sink *q, uint64_t events)
{
	char sql[160];

	if (!q->run_id)
		return;
	snprintf(sql, sizeof(sql), "UPDATE runs SET ended_wall_ns = ?, clean = 1, events = %" PRIu64
		 " WHERE id = %" PRId64, events, q->run_id);
	if (exec_int(q->db, sql, wall_now_ns()) != SQLITE_OK)
		report(q, "cannot record the end of the run");
}

static int setup_db(struct sqlite_sink *q)
{
	/* our own retries: a locked database must not stall the run */
	sqlite3_busy_timeout(q->db, IPCD_SQLITE_OPEN_WAIT_MS);
	if (ipcd_sqlite_store_setup(q->db) || prepare_all(q))
		return -1;
	recover_runs(q);
	if (start_run(q))
		return -1;
	sqlite3_busy_timeout(q->db, 0);
	return 0;
}

int ipcd_sqlite_sink_open_path(struct ipcd_sink *s, int64_t mono_to_real_ns)
{
	struct sqlite_sink *q = s->ctx;
	int err = create_private(q->path);

	if (err) {
		fprintf(stderr, "%s: %s: %s\n", q->prog, q->path, strerror(-err));
		return 1;
	}
	q->mono_to_real_ns = mono_to_real_ns;
	/* one thread drives the connection: SQLite's own locking would only cost time */
	if (sqlite3_open_v2(q->path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    setup_db(q)) {
		report(q, "cannot set up the database");
		return 1;
	}
	if ((q->retention_secs || q->retention_bytes) &&
	    !(q->retention = ipcd_sqlite_retention_start(q->path, q->prog, q->retention_secs, q->retention_bytes)))
		return 1;
	return 0;
}

static int sqlite_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct sqlite_sink *q = s->ctx;
	int rc = ipcd_sqlite_sink_open_path(s, ipcd_pipeline_clock(p));
	int64_t next = rc ? -1 : query_int(q->db, "SELECT coalesce(max(id), 0) + 1 FROM events", 0);

	if (next > 0 && ipcd_pipeline_claim_ids(p, q, (uint64_t)next))
		q->numbering = p;
	return rc;
}

static void count_lost(struct ipcd_sink *s, uint64_t n, enum ipcd_drop_reason why)
{
	s->counters.written -= n;
	s->counters.dropped += n;
	s->counters.dropped_by[why] += n;
}

/* A batch that fails to commit is lost whole: its rows move from written to dropped. */
static void commit_batch(struct ipcd_sink *s)
{
	struct sqlite_sink *q = s->ctx;

	if (!q->in_batch)
		return;
	if (step_once(q->commit) != SQLITE_OK) {
		report(q, "commit");
		step_once(q->rollback);
		count_lost(s, q->batch_rows, IPCD_DROP_WRITE_FAILED);
	}
	q->in_batch = false;
	q->batch_rows = 0;
}

/* SQLITE_OK holding the write lock; SQLITE_BUSY while another connection has it. */
static int begin_batch(struct sqlite_sink *q, uint64_t now_ns)
{
	int rc;

	if (q->in_batch)
		return SQLITE_OK;
	/* retention's turn: the events wait in memory, as for any lock held elsewhere */
	if (ipcd_sqlite_retention_wants_lock(q->retention))
		return SQLITE_BUSY;
	rc = step_once(q->begin);
	if (rc != SQLITE_OK)
		return rc;
	q->in_batch = true;
	q->batch_start_ns = now_ns;
	return SQLITE_OK;
}

static void bind_endpoint(sqlite3_stmt *st, int col, const struct ipcd_endpoint *ep)
{
	if (ep->pid < 0) {
		for (int i = 0; i < 5; i++)
			sqlite3_bind_null(st, col + i);
		return;
	}
	sqlite3_bind_int64(st, col, ep->pid);
	sqlite3_bind_int64(st, col + 1, ep->tid);
	sqlite3_bind_int64(st, col + 2, ep->ppid);
	sqlite3_bind_text(st, col + 3, ep->comm, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, col + 4, ep->pcomm, -1, SQLITE_STATIC);
}

static int insert_event(struct sqlite_sink *q, const struct ipcd_event *e)
{
	sqlite3_stmt *st = q->insert;
	char channel[IPCD_PATH_MAX + 96];
	uint8_t detail[IPCD_DETAIL_MAX];
	size_t detail_len = ipcd_detail_encode(e, detail, sizeof(detail));
	uint64_t key = e->chan_key ? e->chan_key : e->ino;

	ipcd_event_channel(e, channel, sizeof(channel));
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->ts_ns);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(e->ts_ns + (uint64_t)q->mono_to_real_ns));
	sqlite3_bind_text(st, 3, ipcd_type_name(e->type), -1, SQLITE_STATIC);
	bind_endpoint(st, 4, &e->src);
	bind_endpoint(st, 9, &e->dst);
	if (channel[0])
		sqlite3_bind_text(st, 14, channel, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 14);
	/* SQLite integers are signed: a cookie above 2^63 keeps its bits */
	sqlite3_bind_int64(st, 15, (sqlite3_int64)key);
	sqlite3_bind_int64(st, 16, (sqlite3_int64)e->bytes);
	if (e->latency_ns)
		sqlite3_bind_int64(st, 17, (sqlite3_int64)e->latency_ns);
	else
		sqlite3_bind_null(st, 17);
	sqlite3_bind_int64(st, 18, e->flags);
	if (e->payload && e->payload_len)
		sqlite3_bind_blob(st, 19, e->payload, (int)e->payload_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 19);
	/* never NULL, even empty: NULL marks a version 1 row, whose fields the reader guesses */
	sqlite3_bind_blob(st, 20, detail, (int)detail_len, SQLITE_STATIC);
	if (q->numbering && e->id)
		sqlite3_bind_int64(st, 21, (sqlite3_int64)e->id);
	else
		sqlite3_bind_null(st, 21);
	/* every parameter is bound again for each row: no clearing between them */
	return step_once(st);
}

static bool batch_due(const struct sqlite_sink *q, uint64_t now_ns)
{
	return q->in_batch && (q->batch_rows >= BATCH_ROWS || now_ns >= q->batch_start_ns + BATCH_NS ||
			       ipcd_sqlite_retention_wants_lock(q->retention));
}

/* ---- events waiting for a lock held elsewhere ----------------------------------- */

static bool hold_pending(struct sqlite_sink *q, const struct ipcd_event *e)
{
	if (q->npending >= PENDING_MAX)
		return false;
	if (q->npending == q->pending_cap) {
		size_t cap = q->pending_cap ? q->pending_cap * 2 : 1024;
		struct ipcd_event *grown = realloc(q->pending, cap * sizeof(*grown));

		if (!grown)
			return false;
		q->pending = grown;
		q->pending_cap = cap;
	}
	if (!ipcd_event_copy(&q->pending[q->npending], e))
		return false;
	q->npending++;
	return true;
}

/* Inside a batch: the events that waited go in first, in their order. */
static void insert_pending(struct ipcd_sink *s)
{
	struct sqlite_sink *q = s->ctx;

	for (size_t i = 0; i < q->npending; i++) {
		if (insert_event(q, &q->pending[i]) == SQLITE_OK)
			q->batch_rows++;
		else
			count_lost(s, 1, IPCD_DROP_WRITE_FAILED);
		ipcd_event_copy_free(&q->pending[i]);
	}
	q->npending = 0;
}

static void drop_pending(struct ipcd_sink *s)
{
	struct sqlite_sink *q = s->ctx;

	if (q->npending)
		fprintf(stderr, "%s: %s: still locked by another connection: %zu %s dropped\n", q->prog, q->path,
			q->npending, q->npending == 1 ? "event" : "events");
	count_lost(s, q->npending, IPCD_DROP_WRITE_FAILED);
	for (size_t i = 0; i < q->npending; i++)
		ipcd_event_copy_free(&q->pending[i]);
	q->npending = 0;
}

/* ---- the sink's callbacks --------------------------------------------------------- */

static enum ipcd_sink_result sqlite_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct sqlite_sink *q = s->ctx;
	int rc;

	/* before the insert: every row of the batch is already in the pipeline's count */
	if (batch_due(q, e->ts_ns))
		commit_batch(s);
	rc = begin_batch(q, e->ts_ns);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return hold_pending(q, e) ? IPCD_SINK_WRITTEN : IPCD_SINK_DROPPED_FULL;
	if (rc != SQLITE_OK)
		return IPCD_SINK_DROPPED_WRITE;
	if (q->npending)
		insert_pending(s);
	if (insert_event(q, e) != SQLITE_OK)
		return IPCD_SINK_DROPPED_WRITE;
	q->batch_rows++;
	return IPCD_SINK_WRITTEN;
}

static void sqlite_tick(struct ipcd_sink *s, uint64_t now_ns)
{
	struct sqlite_sink *q = s->ctx;

	if (q->npending && begin_batch(q, now_ns) == SQLITE_OK)
		insert_pending(s);
	if (batch_due(q, now_ns))
		commit_batch(s);
}

/* The end: events still waiting for a lock get CLOSE_WAIT_MS more, then count as dropped. */
static void write_pending_at_end(struct ipcd_sink *s)
{
	struct sqlite_sink *q = s->ctx;

	if (!q->npending)
		return;
	sqlite3_busy_timeout(q->db, CLOSE_WAIT_MS);
	if (begin_batch(q, 0) == SQLITE_OK)
		insert_pending(s);
	sqlite3_busy_timeout(q->db, 0);
	drop_pending(s);
}

static void sqlite_flush(struct ipcd_sink *s, uint64_t end_ns)
{
	(void)end_ns;
	write_pending_at_end(s);
	commit_batch(s);
}

static int sqlite_close(struct ipcd_sink *s)
{
	struct sqlite_sink *q = s->ctx;

	write_pending_at_end(s);
	commit_batch(s);
	ipcd_sqlite_retention_stop(q->retention);
	q->retention = NULL;
	sqlite3_busy_timeout(q->db, CLOSE_WAIT_MS);
	end_run(q, s->counters.written);
	if (q->numbering)
		ipcd_pipeline_release_ids(q->numbering, q);
	q->numbering = NULL;
	return 0;
}

static void sqlite_free(struct ipcd_sink *s)
{
	struct sqlite_sink *q = s->ctx;

	if (!q)
		return;
	ipcd_sqlite_retention_stop(q->retention);
	for (size_t i = 0; i < q->npending; i++)
		ipcd_event_copy_free(&q->pending[i]);
	free(q->pending);
	sqlite3_finalize(q->insert);
	sqlite3_finalize(q->begin);
	sqlite3_finalize(q->commit);
	sqlite3_finalize(q->rollback);
	sqlite3_close(q->db);
	free(q->path);
	free(q);
}

static void sqlite_memstatus_off(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

bool ipcd_sqlite_path(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;

	return dot && (!strcmp(dot, ".db") || !strcmp(dot, ".sqlite"));
}

void ipcd_sqlite_sink_set_program(struct ipcd_sink *s, const char *prog)
{
	struct sqlite_sink *q = s->ctx;

	q->prog = prog;
}

void ipcd_sqlite_sink_set_retention(struct ipcd_sink *s, uint64_t max_age_secs, uint64_t max_bytes)
{
	struct sqlite_sink *q = s->ctx;

	q->retention_secs = max_age_secs;
	q->retention_bytes = max_bytes;
}

/*
 * SQLite counts every allocation under a global mutex, for statistics we
 * never read: a lock and an unlock per malloc, 3 % of the daemon's time
 * storing a flood.  Said before SQLite's first use in the process (later,
 * SQLite refuses it, harmlessly).
 */
static void skip_memory_statistics(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, sqlite_memstatus_off);
}

struct ipcd_sink *ipcd_sqlite_sink_new(const char *path)
{
	struct ipcd_sink *s = ipcd_sink_new("sqlite");
	struct sqlite_sink *q = calloc(1, sizeof(*q));

	skip_memory_statistics();

	if (!s || !q || !(q->path = strdup(path))) {
		free(q);
		free(s);
		return NULL;
	}
	q->prog = "ipcdump";
	s->ctx = q;
	s->fate = "stored";
	/* its close waits for a lock held elsewhere twice at most (the last rows, the run's end) */
	s->max_wait_ns = 2ull * CLOSE_WAIT_MS * 1000000;
	s->open = sqlite_open;
	s->event = sqlite_event;
	s->tick = sqlite_tick;
	s->flush = sqlite_flush;
	s->close = sqlite_close;
	s->free = sqlite_free;
	return s;
}
