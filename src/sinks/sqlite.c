/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SQLite sink: each event a row of an `events` table (docs/storage.md
 * is the schema).  Rows go in batches, one transaction each, committed by
 * count or after at most a second, so a crash loses at most a second and
 * one fsync covers thousands of rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "sinks/sinks.h"
#include "format/channel.h"
#include "engine/pipeline.h"

#define SQLITE_SCHEMA_VERSION 1
#define BATCH_ROWS 4096
#define BATCH_NS 1000000000ull
/* a reader holding the database locked: wait this long before counting the rows as dropped */
#define BUSY_TIMEOUT_MS 2000

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events ("
	" id INTEGER PRIMARY KEY,"
	" ts_ns INTEGER NOT NULL,"      /* CLOCK_MONOTONIC */
	" wall_ns INTEGER NOT NULL,"    /* ns since the epoch */
	" type TEXT NOT NULL,"
	" src_pid INTEGER, src_tid INTEGER, src_ppid INTEGER, src_comm TEXT, src_pcomm TEXT,"
	" dst_pid INTEGER, dst_tid INTEGER, dst_ppid INTEGER, dst_comm TEXT, dst_pcomm TEXT,"
	" channel TEXT, channel_key INTEGER,"
	" size INTEGER NOT NULL, latency_ns INTEGER, flags INTEGER NOT NULL,"
	" payload BLOB,"
	" src_container TEXT, dst_container TEXT"   /* reserved: NULL until containers are known */
	");"
	"CREATE INDEX IF NOT EXISTS events_ts ON events(ts_ns);"
	"CREATE INDEX IF NOT EXISTS events_src_pid ON events(src_pid);"
	"CREATE INDEX IF NOT EXISTS events_dst_pid ON events(dst_pid);"
	"CREATE INDEX IF NOT EXISTS events_src_comm ON events(src_comm);"
	"CREATE INDEX IF NOT EXISTS events_dst_comm ON events(dst_comm);"
	"CREATE INDEX IF NOT EXISTS events_type ON events(type);"
	"CREATE INDEX IF NOT EXISTS events_channel ON events(channel);";

static const char insert_sql[] =
	"INSERT INTO events (ts_ns, wall_ns, type,"
	" src_pid, src_tid, src_ppid, src_comm, src_pcomm,"
	" dst_pid, dst_tid, dst_ppid, dst_comm, dst_pcomm,"
	" channel, channel_key, size, latency_ns, flags, payload)"
	" VALUES (?,?,?, ?,?,?,?,?, ?,?,?,?,?, ?,?,?,?,?,?)";

struct sqlite_sink {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *insert, *begin, *commit, *rollback;
	int64_t mono_to_real_ns;
	bool in_batch;
	uint64_t batch_rows, batch_start_ns;
};

static void report(const struct sqlite_sink *q, const char *what)
{
	fprintf(stderr, "ipcdump: %s: %s: %s\n", q->path, what,
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
	    sqlite3_prepare_v2(q->db, "BEGIN", -1, &q->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "COMMIT", -1, &q->commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "ROLLBACK", -1, &q->rollback, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

static int setup_db(struct sqlite_sink *q)
{
	char meta[128];

	snprintf(meta, sizeof(meta),
		 "INSERT OR REPLACE INTO meta VALUES ('schema_version', '%d');",
		 SQLITE_SCHEMA_VERSION);
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(q->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(q->db, meta, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	return prepare_all(q);
}

int ipcd_sqlite_sink_open_path(struct ipcd_sink *s, int64_t mono_to_real_ns)
{
	struct sqlite_sink *q = s->ctx;
	int err = create_private(q->path);

	if (err) {
		fprintf(stderr, "ipcdump: %s: %s\n", q->path, strerror(-err));
		return 1;
	}
	q->mono_to_real_ns = mono_to_real_ns;
	/* one thread drives the sink: SQLite's own locking would only cost time */
	if (sqlite3_open_v2(q->path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    setup_db(q)) {
		report(q, "cannot set up the database");
		return 1;
	}
	return 0;
}

static int sqlite_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	return ipcd_sqlite_sink_open_path(s, ipcd_pipeline_clock(p));
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
		s->counters.written -= q->batch_rows;
		s->counters.dropped += q->batch_rows;
		s->counters.dropped_by[IPCD_DROP_WRITE_FAILED] += q->batch_rows;
	}
	q->in_batch = false;
	q->batch_rows = 0;
}

static bool begin_batch(struct sqlite_sink *q, uint64_t now_ns)
{
	if (q->in_batch)
		return true;
	if (step_once(q->begin) != SQLITE_OK)
		return false;
	q->in_batch = true;
	q->batch_start_ns = now_ns;
	return true;
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
	uint64_t key = e->chan_key ? e->chan_key : e->ino;

	ipcd_event_channel(e, channel, sizeof(channel));
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->ts_ns);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->ts_ns + q->mono_to_real_ns);
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
	int rc = step_once(st);

	sqlite3_clear_bindings(st);
	return rc;
}

static bool batch_due(const struct sqlite_sink *q, uint64_t now_ns)
{
	return q->in_batch && (q->batch_rows >= BATCH_ROWS || now_ns >= q->batch_start_ns + BATCH_NS);
}

static enum ipcd_sink_result sqlite_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct sqlite_sink *q = s->ctx;

	/* before the insert: every row of the batch is already in the pipeline's count */
	if (batch_due(q, e->ts_ns))
		commit_batch(s);
	if (!begin_batch(q, e->ts_ns) || insert_event(q, e) != SQLITE_OK)
		return IPCD_SINK_DROPPED;
	q->batch_rows++;
	return IPCD_SINK_WRITTEN;
}

static void sqlite_tick(struct ipcd_sink *s, uint64_t now_ns)
{
	struct sqlite_sink *q = s->ctx;

	if (batch_due(q, now_ns))
		commit_batch(s);
}

static void sqlite_flush(struct ipcd_sink *s, uint64_t end_ns)
{
	(void)end_ns;
	commit_batch(s);
}

static int sqlite_close(struct ipcd_sink *s)
{
	commit_batch(s);
	return 0;
}

static void sqlite_free(struct ipcd_sink *s)
{
	struct sqlite_sink *q = s->ctx;

	if (!q)
		return;
	sqlite3_finalize(q->insert);
	sqlite3_finalize(q->begin);
	sqlite3_finalize(q->commit);
	sqlite3_finalize(q->rollback);
	sqlite3_close(q->db);
	free(q->path);
	free(q);
}

bool ipcd_sqlite_path(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;

	return dot && (!strcmp(dot, ".db") || !strcmp(dot, ".sqlite"));
}

struct ipcd_sink *ipcd_sqlite_sink_new(const char *path)
{
	struct ipcd_sink *s = ipcd_sink_new("sqlite");
	struct sqlite_sink *q = calloc(1, sizeof(*q));

	if (!s || !q || !(q->path = strdup(path))) {
		free(q);
		free(s);
		return NULL;
	}
	s->ctx = q;
	s->fate = "stored";
	s->open = sqlite_open;
	s->event = sqlite_event;
	s->tick = sqlite_tick;
	s->flush = sqlite_flush;
	s->close = sqlite_close;
	s->free = sqlite_free;
	return s;
}
