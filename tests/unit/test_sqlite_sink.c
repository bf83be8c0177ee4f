/* SPDX-License-Identifier: GPL-2.0 */
/* The SQLite sink: events in, rows read back with the sqlite3 library; batching, mode, losses, rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "sinks/sinks.h"
#include "sinks/sqlite_store.h"

#define CLOCK_OFFSET 1700000000000000000ll

struct fixture {
	char dir[64];
	char path[96];
	struct ipcd_sink *sink;
	sqlite3 *reader;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/ipcd-sqlite-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	f->sink = ipcd_sqlite_sink_new(f->path);
	if (!f->sink || ipcd_sqlite_sink_open_path(f->sink, CLOCK_OFFSET))
		return -1;
	if (sqlite3_open_v2(f->path, &f->reader, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return -1;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	char side[128];

	sqlite3_close(f->reader);
	ipcd_sink_free(f->sink);
	unlink(f->path);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	unlink(side);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void endpoint(struct ipcd_endpoint *ep, int64_t pid, const char *comm)
{
	ep->pid = pid;
	ep->tid = pid;
	ep->ppid = 1;
	snprintf(ep->comm, sizeof(ep->comm), "%s", comm);
	snprintf(ep->pcomm, sizeof(ep->pcomm), "init");
}

static struct ipcd_event pipe_event(uint64_t ts_ns, const char *payload)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_PIPE, ts_ns);
	endpoint(&e.src, 100, "writer");
	endpoint(&e.dst, 200, "reader");
	e.ino = 4242;
	e.bytes = strlen(payload);
	e.latency_ns = 1500;
	e.payload = (const uint8_t *)payload;
	e.payload_len = (uint32_t)strlen(payload);
	return e;
}

/* Offers e as the pipeline does: the result counted. */
static void offer(struct ipcd_sink *s, const struct ipcd_event *e)
{
	s->counters.in++;
	if (s->event(s, e) == IPCD_SINK_WRITTEN)
		s->counters.written++;
	else
		s->counters.dropped++;
}

static int64_t count_rows(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_an_event_reads_back_column_by_column(void **state)
{
	struct fixture *f = *state;
	struct ipcd_event e = pipe_event(5000, "hello\0world");
	sqlite3_stmt *st;

	e.payload_len = e.bytes = 11;   /* a NUL inside: the payload is a BLOB, not text */
	offer(f->sink, &e);
	f->sink->flush(f->sink, 5000);
	assert_int_equal(sqlite3_prepare_v2(f->reader,
		"SELECT ts_ns, wall_ns, type, src_pid, src_comm, src_pcomm, dst_pid, dst_comm,"
		" channel, channel_key, size, latency_ns, payload, src_container FROM events",
		-1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 5000);
	assert_int_equal(sqlite3_column_int64(st, 1), CLOCK_OFFSET + 5000);
	assert_string_equal(sqlite3_column_text(st, 2), "pipe");
	assert_int_equal(sqlite3_column_int64(st, 3), 100);
	assert_string_equal(sqlite3_column_text(st, 4), "writer");
	assert_string_equal(sqlite3_column_text(st, 5), "init");
	assert_int_equal(sqlite3_column_int64(st, 6), 200);
	assert_string_equal(sqlite3_column_text(st, 7), "reader");
	assert_string_equal(sqlite3_column_text(st, 8), "pipe:[4242]");
	assert_int_equal(sqlite3_column_int64(st, 9), 4242);
	assert_int_equal(sqlite3_column_int64(st, 10), 11);
	assert_int_equal(sqlite3_column_int64(st, 11), 1500);
	assert_int_equal(sqlite3_column_bytes(st, 12), 11);
	assert_memory_equal(sqlite3_column_blob(st, 12), "hello\0world", 11);
	assert_int_equal(sqlite3_column_type(st, 13), SQLITE_NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(f->sink->counters.written, 1);
	assert_int_equal(f->sink->counters.dropped, 0);
}

static void test_the_file_is_private(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_a_batch_commits_after_a_second_of_events(void **state)
{
	struct fixture *f = *state;
	struct ipcd_event e = pipe_event(1000, "a");

	offer(f->sink, &e);
	e.ts_ns = 1000 + 500000000ull;
	offer(f->sink, &e);
	assert_int_equal(count_rows(f->reader), 0);   /* still one open transaction */
	f->sink->tick(f->sink, 1000 + 1000000000ull);
	assert_int_equal(count_rows(f->reader), 2);
}

static void test_a_locked_database_keeps_the_events_until_it_is_free(void **state)
{
	struct fixture *f = *state;
	struct ipcd_event e = pipe_event(1000, "locked out");

	/* another writer holds the lock: the events wait in memory, none is lost */
	assert_int_equal(sqlite3_exec(f->reader, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	offer(f->sink, &e);
	e.ts_ns = 2000;
	offer(f->sink, &e);
	f->sink->tick(f->sink, 3000);
	assert_int_equal(f->sink->counters.dropped, 0);
	assert_int_equal(sqlite3_exec(f->reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(count_rows(f->reader), 0);
	f->sink->tick(f->sink, 4000);
	e.ts_ns = 5000;
	offer(f->sink, &e);
	f->sink->flush(f->sink, 5000);
	assert_int_equal(f->sink->counters.written, 3);
	assert_int_equal(f->sink->counters.dropped, 0);
	assert_int_equal(count_rows(f->reader), 3);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void test_a_run_that_did_not_close_is_recovered_at_the_next_open(void **state)
{
	struct fixture *f = *state;
	struct ipcd_event e = pipe_event(1000, "kept");
	struct ipcd_sink *next;

	for (int i = 0; i < 3; i++)
		offer(f->sink, &e);
	f->sink->tick(f->sink, 1000 + 2000000000ull);  /* committed, then the run "dies": no close */
	assert_int_equal(query_int(f->reader, "SELECT count(*) FROM runs WHERE ended_wall_ns IS NULL"), 1);
	next = ipcd_sqlite_sink_new(f->path);
	assert_non_null(next);
	assert_int_equal(ipcd_sqlite_sink_open_path(next, CLOCK_OFFSET), 0);
	assert_int_equal(query_int(f->reader, "SELECT events FROM runs WHERE clean = 0"), 3);
	assert_int_equal(query_int(f->reader, "SELECT count(*) FROM runs WHERE ended_wall_ns IS NULL"), 1);
	assert_int_equal(next->close(next), 0);
	assert_int_equal(query_int(f->reader, "SELECT count(*) FROM runs WHERE clean = 1"), 1);
	ipcd_sink_free(next);
}

static void test_retention_deletes_rows_past_their_age(void **state)
{
	struct fixture *f = *state;
	struct ipcd_event e = pipe_event(0, "old");
	int64_t now = CLOCK_OFFSET + 10 * 86400ll * 1000000000;

	for (int day = 0; day < 10; day++) {
		e.ts_ns = (uint64_t)day * 86400 * 1000000000;
		for (int i = 0; i < 3000; i++)
			offer(f->sink, &e);
	}
	f->sink->flush(f->sink, e.ts_ns);
	assert_int_equal(count_rows(f->reader), 30000);
	/* 7 days: days 0, 1 and 2 are older (day 3 is exactly 7 days old, kept) */
	assert_int_equal(ipcd_sqlite_retention_pass(f->reader, now, 7 * 86400, 0), 9000);
	assert_int_equal(count_rows(f->reader), 21000);
	assert_int_equal(query_int(f->reader, "SELECT min(wall_ns) FROM events"), CLOCK_OFFSET + 3 * 86400ll * 1000000000);
	/* a size bound: the oldest go until the rest fits */
	assert_true(ipcd_sqlite_retention_pass(f->reader, now, 0, 256 * 1024) > 0);
	assert_true(count_rows(f->reader) < 21000);
	assert_true(query_int(f->reader, "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count,"
			      " pragma_freelist_count, pragma_page_size") <= 256 * 1024);
}

/* What du counts of the store: the database, its WAL and its shared-memory index. */
static int64_t store_files_bytes(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	int64_t total = 0;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char name[128];
		struct stat st;

		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		if (!stat(name, &st))
			total += st.st_size;
	}
	return total;
}

static void test_a_size_bound_shrinks_the_files_wal_included(void **state)
{
	struct fixture *f = *state;
	struct ipcd_event e = pipe_event(0, "a payload of some length, to fill pages faster");
	int64_t before, after;

	assert_int_equal(query_int(f->reader, "PRAGMA auto_vacuum"), 2);  /* INCREMENTAL, from its creation */
	for (int i = 0; i < 30000; i++) {
		e.ts_ns = (uint64_t)i * 1000;
		offer(f->sink, &e);
	}
	f->sink->flush(f->sink, e.ts_ns);
	before = store_files_bytes(f->path);
	assert_true(before > 4 * 1024 * 1024);
	assert_true(ipcd_sqlite_retention_pass(f->reader, CLOCK_OFFSET, 0, 1024 * 1024) > 0);
	after = store_files_bytes(f->path);
	/* the files, not only the rows, are under the bound: freed pages and the WAL went back */
	assert_true(after <= 1024 * 1024);
	assert_true(after > 512 * 1024);  /* the newest rows that fit are kept */
	assert_true(count_rows(f->reader) > 0 && count_rows(f->reader) < 30000);
	assert_int_equal(query_int(f->reader, "SELECT max(ts_ns) FROM events"), 29999 * 1000);
}

static void test_the_schema_version_is_in_meta(void **state)
{
	struct fixture *f = *state;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(f->reader, "SELECT value FROM meta WHERE key = 'schema_version'",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "2");
	sqlite3_finalize(st);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Not a pass/fail bound (a shared, sanitized build): prints the batched insert rate. */
static void test_insert_rate(void **state)
{
	struct fixture *f = *state;
	struct ipcd_event e = pipe_event(0, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	const int n = 200000;
	double start = now_s();

	for (int i = 0; i < n; i++) {
		e.ts_ns = (uint64_t)i * 1000;   /* 1 M events/s of trace time */
		offer(f->sink, &e);
	}
	f->sink->flush(f->sink, e.ts_ns);
	fprintf(stderr, "sqlite sink: %.0f events/s (64-byte payloads, batched)\n", n / (now_s() - start));
	assert_int_equal(count_rows(f->reader), n);
	assert_int_equal(f->sink->counters.dropped, 0);
}

static void test_only_db_and_sqlite_names_are_stores(void **state)
{
	(void)state;
	assert_true(ipcd_sqlite_path("/tmp/x.db"));
	assert_true(ipcd_sqlite_path("x.sqlite"));
	assert_false(ipcd_sqlite_path("x.ipcd"));
	assert_false(ipcd_sqlite_path("db"));
	assert_false(ipcd_sqlite_path("-"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_an_event_reads_back_column_by_column, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_the_file_is_private, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_a_batch_commits_after_a_second_of_events, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_a_locked_database_keeps_the_events_until_it_is_free, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_a_run_that_did_not_close_is_recovered_at_the_next_open, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_a_size_bound_shrinks_the_files_wal_included, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_retention_deletes_rows_past_their_age, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_the_schema_version_is_in_meta, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_insert_rate, fixture_setup, fixture_teardown),
		cmocka_unit_test(test_only_db_and_sqlite_names_are_stores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
