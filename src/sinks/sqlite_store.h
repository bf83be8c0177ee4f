/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the SQLite sink, the store reader and retention share: the schema
 * (docs/storage.md) and the thread that deletes the oldest rows.
 */
#ifndef IPCD_SQLITE_STORE_H
#define IPCD_SQLITE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#define IPCD_SQLITE_SCHEMA_VERSION 2
/* opening (the schema, the runs table) waits this long for a lock held elsewhere */
#define IPCD_SQLITE_OPEN_WAIT_MS 5000

/* WAL, the tables and indexes (a version 1 store gains the detail column); SQLITE_OK or its error. */
int ipcd_sqlite_store_setup(sqlite3 *db);

struct ipcd_sqlite_retention;

/*
 * A thread with its own connection to path that, every second, deletes
 * rows older than max_age_secs (by wall_ns) and, while the store's files
 * (the database, its WAL and shared-memory index) take more than
 * max_bytes, the oldest rows; then gives freed pages back to the file
 * system (a store made with incremental auto-vacuum) and truncates the
 * WAL.  A bound of 0 is none.  Deletes go
 * in small transactions so that the writer never waits long.  NULL after
 * a one-line error (prog names the program).
 */
struct ipcd_sqlite_retention *ipcd_sqlite_retention_start(const char *path, const char *prog,
							  uint64_t max_age_secs, uint64_t max_bytes);
/*
 * True while the retention thread waits for the write lock: the writer
 * commits its batch and begins none until it is false again (its events
 * wait in memory meanwhile).  NULL: false.
 */
bool ipcd_sqlite_retention_wants_lock(struct ipcd_sqlite_retention *r);
/* Stops and joins the thread; NULL is nothing to stop. */
void ipcd_sqlite_retention_stop(struct ipcd_sqlite_retention *r);
/* One pass of the deletes on db, as of now_wall_ns; the rows deleted, or -1 on an error. */
int64_t ipcd_sqlite_retention_pass(sqlite3 *db, int64_t now_wall_ns, uint64_t max_age_secs, uint64_t max_bytes);

#endif /* IPCD_SQLITE_STORE_H */
