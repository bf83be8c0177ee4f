/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SQLite store's speed: the sink's insert rate (events through
 * sinks/sqlite.c, batched as a run batches them), then reading one pid's
 * events back out of all of them (ipcdump -r FILE.db 'pid == N', in
 * process, printing text to a temporary file).
 *
 *   sqlite_store DIR [ROWS]     (default 1000000 rows; 0: query DIR/bench.db as it is)
 *
 * Prints "insert_rate EVENTS_PER_S", "query_ms MS ROWS", and the query plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "engine/options.h"
#include "engine/pipeline.h"
#include "filter/filter.h"
#include "filter/filter_expr.h"
#include "sinks/sinks.h"

#define PIDS 5000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void endpoint(struct ipcd_endpoint *ep, int64_t pid, const char *comm)
{
	ep->pid = ep->tid = pid;
	ep->ppid = 1;
	snprintf(ep->comm, sizeof(ep->comm), "%s-%ld", comm, (long)(pid % 50));
	snprintf(ep->pcomm, sizeof(ep->pcomm), "init");
}

/* Pipes, unix streams and signals between PIDS writers and PIDS readers, 64-byte payloads. */
static void make_event(struct ipcd_event *e, long i)
{
	static const char payload[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const enum ipcd_type types[] = { IPCD_TYPE_PIPE, IPCD_TYPE_PIPE, IPCD_TYPE_UNIX_STREAM, IPCD_TYPE_SIGNAL };
	enum ipcd_type type = types[i % 4];

	ipcd_event_init(e, type, 1000000000ull + (uint64_t)i * 1000);
	endpoint(&e->src, 1000 + i % PIDS, "writer");
	endpoint(&e->dst, 10000 + (i * 7) % PIDS, "reader");
	e->bytes = 64;
	e->latency_ns = 1000 + i % 5000;
	if (type == IPCD_TYPE_SIGNAL) {
		e->sig = 10;
		e->bytes = 0;
		return;
	}
	e->ino = 100000 + i % 2000;
	e->src_fd = 4;
	e->dst_fd = 3;
	e->payload = (const uint8_t *)payload;
	e->payload_len = 64;
}

static int insert(const char *path, long rows)
{
	struct ipcd_sink *s = ipcd_sqlite_sink_new(path);
	struct ipcd_event e;
	double start;

	if (!s || ipcd_sqlite_sink_open_path(s, 1700000000000000000ll))
		return 1;
	start = now_s();
	for (long i = 0; i < rows; i++) {
		make_event(&e, i);
		if (s->event(s, &e) != IPCD_SINK_WRITTEN) {
			fprintf(stderr, "sqlite_store: event %ld not stored\n", i);
			return 1;
		}
		if (i % 65536 == 0)
			s->tick(s, e.ts_ns);
	}
	s->flush(s, e.ts_ns);
	printf("insert_rate %.0f\n", rows / (now_s() - start));
	s->close(s);
	ipcd_sink_free(s);
	return 0;
}

static void print_plan(const char *path, const struct ipcd_options *opts)
{
	char sql[8192], explain[8300];
	sqlite3 *db;
	sqlite3_stmt *st;

	ipcd_sqlite_explain(opts, sql, sizeof(sql));
	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, explain, -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			printf("plan %s\n", sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static long count_lines(FILE *f)
{
	long n = 0;
	int c;

	rewind(f);
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	return n;
}

static int query(const char *path, long pid)
{
	struct ipcd_options opts;
	struct ipcd_pipeline *p;
	FILE *out = tmpfile();
	char filter[64];
	double start;
	int rc;

	ipcd_options_init(&opts);
	opts.read_path = path;
	opts.types = ipcd_all_types();  /* as the command line sets them without -t */
	opts.quiet = true;
	snprintf(filter, sizeof(filter), "pid == %ld", pid);
	opts.filter_text = strdup(filter);
	if (!out || !opts.filter_text || !ipcd_filter_compile(&opts))
		return 1;
	start = now_s();
	p = ipcd_pipeline_new(&opts, out);
	if (!p || !ipcd_pipeline_from_options(p, &opts))
		return 1;
	rc = ipcd_sqlite_read(p);
	fflush(out);
	printf("query_ms %.1f %ld\n", (now_s() - start) * 1000, count_lines(out));
	ipcd_pipeline_free(p);
	print_plan(path, &opts);
	fexpr_free(opts.filter);
	free(opts.filter_text);
	fclose(out);
	return rc;
}

int main(int argc, char **argv)
{
	char path[4096];
	long rows = argc > 2 ? atol(argv[2]) : 1000000;


	if (argc < 2 || rows < 0) {
		fprintf(stderr, "usage: sqlite_store DIR [ROWS]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench.db", argv[1]);
	if (rows && (unlink(path), insert(path, rows)))
		return 1;
	if (query(path, 1000 + PIDS / 2))
		return 1;
	return 0;
}
