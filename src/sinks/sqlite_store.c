/* SPDX-License-Identifier: GPL-2.0 */
/* The SQLite store's schema and its retention thread (sqlite_store.h; docs/storage.md). */
#include "sinks/sqlite_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/*
 * Measured (bench/sqlite_store, docs/storage.md): 16 KiB pages insert
 * about 40 % faster than the default 4 KiB (seven indexes, fewer page
 * splits).  Incremental auto-vacuum lets retention give deleted rows'
 * pages back to the file system, so that a size bound bounds the file:
 * measured again with 300k rows, its cost was within this machine's noise
 * (50-94k events/s without, 58-60k with).  Both hold only for a new file,
 * before its first table; an older store keeps what it was made with.
 */
static const char pragmas_sql[] =
	"PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL;"
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
	"PRAGMA journal_size_limit=67108864;";

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
	" src_container TEXT, dst_container TEXT,"   /* reserved: NULL until containers are known */
	" detail BLOB"                               /* the family's fields: sinks/store_detail.c */
	");"
	"CREATE TABLE IF NOT EXISTS runs ("
	" id INTEGER PRIMARY KEY,"
	" program TEXT,"
	" started_wall_ns INTEGER NOT NULL,"
	" ended_wall_ns INTEGER,"       /* NULL: running, or killed before it could say */
	" clean INTEGER,"               /* 1: it stopped and committed everything; 0: it did not */
	" first_event_id INTEGER NOT NULL,"
	" events INTEGER"
	");"
	"CREATE INDEX IF NOT EXISTS events_time ON events(wall_ns);"
	"CREATE INDEX IF NOT EXISTS events_src_pid ON events(src_pid);"
	"CREATE INDEX IF NOT EXISTS events_dst_pid ON events(dst_pid);"
	"CREATE INDEX IF NOT EXISTS events_src_comm ON events(src_comm);"
	"CREATE INDEX IF NOT EXISTS events_dst_comm ON events(dst_comm);"
	"CREATE INDEX IF NOT EXISTS events_type ON events(type);"
	"CREATE INDEX IF NOT EXISTS events_channel ON events(channel);";

static bool has_detail_column(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool found = false;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('events') WHERE name = 'detail'", -1, &st,
			       NULL) != SQLITE_OK)
		return false;
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int ipcd_sqlite_store_setup(sqlite3 *db)
{
	char meta[128];
	int rc;

	snprintf(meta, sizeof(meta), "INSERT OR REPLACE INTO meta VALUES ('schema_version', '%d');",
		 IPCD_SQLITE_SCHEMA_VERSION);
	if ((rc = sqlite3_exec(db, pragmas_sql, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
	/* version 1 had no detail column: its rows read back with the columns alone */
	if (rc == SQLITE_OK && !has_detail_column(db))
		rc = sqlite3_exec(db, "ALTER TABLE events ADD COLUMN detail BLOB", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, meta, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* ---- retention ------------------------------------------------------------------ */

/* rows per delete: a short transaction, so the writer's events wait in its memory only briefly */
#define DELETE_CHUNK 2000
#define PASS_EVERY_S 1
/* how long a delete waits for the writer's batch to commit */
#define RETENTION_WAIT_MS 5000

struct ipcd_sqlite_retention {
	sqlite3 *db;
	/*
	 * Set while a delete, vacuum or checkpoint waits for the write lock: the
	 * writer, which would otherwise hold it nearly always under a steady
	 * stream of events (one batch after the other), commits and lets it go.
	 */
	atomic_bool wants_lock;
	uint64_t max_age_secs, max_bytes;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
};

static int64_t single_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Bytes the rows take: the file's pages less those free. */
static int64_t used_bytes(sqlite3 *db)
{
	int64_t pages = single_int(db, "PRAGMA page_count");
	int64_t free_pages = single_int(db, "PRAGMA freelist_count");
	int64_t page_size = single_int(db, "PRAGMA page_size");

	if (pages < 0 || free_pages < 0 || page_size < 0)
		return -1;
	return (pages - free_pages) * page_size;
}

/* A pass's connection, and the flag by which it asks the writer for the lock (NULL: none to ask). */
struct pass {
	sqlite3 *db;
	atomic_bool *wants_lock;
};

static void want_lock(const struct pass *ps, bool want)
{
	if (ps->wants_lock)
		atomic_store(ps->wants_lock, want);
}

/* A statement that writes, with the writer asked to let the lock go meanwhile. */
static int exec_writing(const struct pass *ps, const char *sql)
{
	int rc;

	want_lock(ps, true);
	rc = sqlite3_exec(ps->db, sql, NULL, NULL, NULL);
	want_lock(ps, false);
	return rc;
}

/* One chunk; the rows deleted, or -1. */
static int64_t delete_chunk(const struct pass *ps, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(ps->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, arg);
	sqlite3_bind_int(st, 2, DELETE_CHUNK);
	want_lock(ps, true);
	rc = sqlite3_step(st);
	want_lock(ps, false);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(ps->db) : -1;
}

static void pause_between_chunks(void)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static int64_t delete_older(const struct pass *ps, int64_t cutoff_ns)
{
	int64_t total = 0, n;

	while ((n = delete_chunk(ps, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE wall_ns < ?1"
				 " ORDER BY wall_ns LIMIT ?2)", cutoff_ns)) > 0) {
		total += n;
		pause_between_chunks();
	}
	return n < 0 ? -1 : total;
}

/* Bytes of the file named path with suffix, 0 if there is none (no WAL yet). */
static int64_t file_bytes(const char *path, const char *suffix)
{
	char name[4096];
	struct stat st;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	return stat(name, &st) ? 0 : (int64_t)st.st_size;
}

/*
 * The room a size bound leaves the rows: what the WAL and the shared-memory
 * index take on disk count too (du counts them).  A WAL that a long reader
 * keeps from being truncated costs at most half the bound, not every row.
 */
static int64_t room_for_rows(sqlite3 *db, uint64_t max_bytes)
{
	const char *path = sqlite3_db_filename(db, "main");
	int64_t beside = path && *path ? file_bytes(path, "-wal") + file_bytes(path, "-shm") : 0;

	if (beside > (int64_t)(max_bytes / 2))
		beside = (int64_t)(max_bytes / 2);
	return (int64_t)max_bytes - beside;
}

/* PRAGMA auto_vacuum: 2 is INCREMENTAL (a store made since retention shrinks it); -1 on an error. */
static int64_t auto_vacuum_mode(sqlite3 *db)
{
	return single_int(db, "PRAGMA auto_vacuum");
}

/*
 * The file shrinks: free pages go back to the file system (a store made
 * with incremental auto-vacuum), and the WAL is checkpointed into the
 * database and truncated, which is when the database file gets shorter.
 * A checkpoint waits (the busy timeout) for the writer's batch to commit.
 */
static void shrink(const struct pass *ps)
{
	if (auto_vacuum_mode(ps->db) == 2 && single_int(ps->db, "PRAGMA freelist_count") > 0)
		exec_writing(ps, "PRAGMA incremental_vacuum");
	exec_writing(ps, "PRAGMA wal_checkpoint(TRUNCATE)");
}

static int64_t delete_past_size(const struct pass *ps, uint64_t max_bytes)
{
	sqlite3 *db = ps->db;
	int64_t total = 0, n = 0, used;
	int64_t room;

	/* the WAL as small as it gets before it is counted */
	exec_writing(ps, "PRAGMA wal_checkpoint(TRUNCATE)");
	room = room_for_rows(db, max_bytes);
	while ((used = used_bytes(db)) > room &&
	       (n = delete_chunk(ps, "DELETE FROM events WHERE id IN (SELECT id FROM events"
				 " ORDER BY id LIMIT ?2)", 0)) > 0) {
		total += n;
		pause_between_chunks();
	}
	return n < 0 || used < 0 ? -1 : total;
}

static int64_t retention_pass(const struct pass *ps, int64_t now_wall_ns, uint64_t max_age_secs,
			      uint64_t max_bytes)
{
	int64_t aged = 0, sized = 0;

	if (max_age_secs)
		aged = delete_older(ps, now_wall_ns - (int64_t)max_age_secs * 1000000000);
	if (max_bytes && aged >= 0)
		sized = delete_past_size(ps, max_bytes);
	/* a size bound is of the files: their free pages and the WAL go back every pass */
	if (max_bytes || aged > 0)
		shrink(ps);
	if (aged < 0 || sized < 0)
		return -1;
	return aged + sized;
}

int64_t ipcd_sqlite_retention_pass(sqlite3 *db, int64_t now_wall_ns, uint64_t max_age_secs, uint64_t max_bytes)
{
	struct pass ps = { .db = db };

	return retention_pass(&ps, now_wall_ns, max_age_secs, max_bytes);
}

bool ipcd_sqlite_retention_wants_lock(struct ipcd_sqlite_retention *r)
{
	return r && atomic_load(&r->wants_lock);
}

static int64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps a pass's interval; false when told to stop. */
static bool wait_for_pass(struct ipcd_sqlite_retention *r)
{
	struct timespec until;
	bool go_on;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PASS_EVERY_S;
	pthread_mutex_lock(&r->lock);
	while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
		;
	go_on = !r->stop;
	pthread_mutex_unlock(&r->lock);
	return go_on;
}

static void *retention_main(void *arg)
{
	struct ipcd_sqlite_retention *r = arg;
	struct pass ps = { .db = r->db, .wants_lock = &r->wants_lock };

	/* a pass at once: a store restarted after a week is trimmed before it grows */
	do
		retention_pass(&ps, wall_now_ns(), r->max_age_secs, r->max_bytes);
	while (wait_for_pass(r));
	return NULL;
}

struct ipcd_sqlite_retention *ipcd_sqlite_retention_start(const char *path, const char *prog,
							  uint64_t max_age_secs, uint64_t max_bytes)
{
	struct ipcd_sqlite_retention *r = calloc(1, sizeof(*r));

	if (!r) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return NULL;
	}
	r->max_age_secs = max_age_secs;
	r->max_bytes = max_bytes;
	atomic_init(&r->wants_lock, false);
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s: retention: %s\n", prog, path, sqlite3_errmsg(r->db));
		sqlite3_close(r->db);
		free(r);
		return NULL;
	}
	sqlite3_busy_timeout(r->db, RETENTION_WAIT_MS);
	/*
	 * Not VACUUMed into shape here: that rewrites the whole file under a
	 * lock the writer waits on (its events dropped meanwhile) and needs as
	 * much free disk again, when a size bound matters most on a full disk.
	 */
	if (max_bytes && auto_vacuum_mode(r->db) == 0)
		fprintf(stderr, "%s: warning: %s: made without auto-vacuum: retention keeps its rows under the size, "
			"but the file does not shrink below the most it held; to convert it, with the writer stopped: "
			"sqlite3 %s 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM'\n", prog, path, path);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if ((errno = pthread_create(&r->thread, NULL, retention_main, r))) {
		fprintf(stderr, "%s: %s: retention: %s\n", prog, path, strerror(errno));
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		sqlite3_close(r->db);
		free(r);
		return NULL;
	}
	return r;
}

void ipcd_sqlite_retention_stop(struct ipcd_sqlite_retention *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	sqlite3_close(r->db);
	free(r);
}
