/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdump -r FILE.db: a SQLite store's rows as events again (docs/storage.md).
 * The rows come in the order they were stored; what the SQL can decide
 * exactly (--since, --until, -t, and the filter's "pid == N", "comm == X"
 * and "type == T" joined by its top-level ands) becomes the WHERE clause,
 * so the indexes find the rows; the whole filter still runs on each event.
 * One clock for the whole read: the first row's (wall_ns - ts_ns).  Each
 * event's ts_ns is its wall_ns less that, so every wall-clock time is
 * right, and the first run's monotonic times come back as they were (a
 * store may hold several runs and boots, whose monotonic clocks differ).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "sinks/sinks.h"
#include "sinks/sqlite_store.h"
#include "sinks/store_detail.h"
#include "sinks/event_record.h"
#include "engine/pipeline.h"
#include "filter/filter_expr.h"

#define MAX_TERMS 64

struct param {
	bool text;
	int64_t num;
	const char *str;
};

/* The WHERE clause being built, and the values it binds. */
struct where {
	char sql[4096];
	size_t len;
	bool overflow;
	struct param params[MAX_TERMS * 2];
	int nparams;
	bool selective;     /* a pid or comm term: its index finds the rows */
	uint32_t types;     /* what -t and the filter's type terms allow, together */
};

struct store_source {
	const struct ipcd_options *opts;
	sqlite3 *db;
	sqlite3_stmt *rows;
	struct ipcd_detail_store detail;
	uint64_t bad_rows;
	int first_step;      /* the first row is stepped at open, for the clock */
	int64_t mono_to_real_ns;
	struct ipcd_store_range *range;   /* NULL: the whole store */
};

static void add_sql(struct where *w, const char *fmt, const char *a, const char *b)
{
	int n = snprintf(w->sql + w->len, sizeof(w->sql) - w->len, fmt, a, b);

	if (n < 0 || (size_t)n >= sizeof(w->sql) - w->len)
		w->overflow = true;
	else
		w->len += (size_t)n;
}

static struct param *new_param(struct where *w)
{
	if (w->nparams >= (int)(sizeof(w->params) / sizeof(w->params[0]))) {
		w->overflow = true;
		return NULL;
	}
	return &w->params[w->nparams++];
}

/* " AND (col = ?)" or " AND (a = ? OR b = ?)" with the value bound to each. */
static void add_term(struct where *w, const char *col_a, const char *col_b, struct param value)
{
	struct param *p;

	if (col_b)
		add_sql(w, " AND (%s = ? OR %s = ?)", col_a, col_b);
	else
		add_sql(w, " AND %s = ?%s", col_a, "");
	for (int i = 0; i < (col_b ? 2 : 1); i++)
		if ((p = new_param(w)))
			*p = value;
}

static uint32_t every_stored_type(void)
{
	return (uint32_t)(IPCD_TYPE_BIT(IPCD_TYPE_COUNT) - 1) & ~IPCD_TYPE_BIT(IPCD_TYPE_LOST);
}

/* " AND type IN (?,?)" (or NOT IN, the shorter): the names of the types in (or not in) the mask. */
static void add_type_list(struct where *w, uint32_t mask, bool negate, bool no_index)
{
	struct param *p;
	bool first = true;

	add_sql(w, " AND %stype %s (", no_index ? "+" : "", negate ? "NOT IN" : "IN");
	for (int t = 0; t < IPCD_TYPE_COUNT; t++) {
		if (!(mask & IPCD_TYPE_BIT(t)) || !(p = new_param(w)))
			continue;
		*p = (struct param){ .text = true, .str = ipcd_type_name(t) };
		add_sql(w, first ? "?%s%s" : ",?%s%s", "", "");
		first = false;
	}
	add_sql(w, first ? "NULL)%s%s" : ")%s%s", "", "");
}

/*
 * The types a row may have.  A pid or comm finds fewer rows than a type
 * does: with one, the type index is kept out of the plan (+type); a list
 * of most types is said as the few it excludes, which no index serves.
 */
static void add_types(struct where *w, uint32_t types)
{
	uint32_t stored = every_stored_type(), excluded = stored & ~types;

	types &= stored;
	if (!excluded)
		return;
	if (__builtin_popcount(excluded) < __builtin_popcount(types))
		add_type_list(w, excluded, true, true);
	else
		add_type_list(w, types, false, w->selective);
}

/* A decimal pid as the filter reads it: no sign, no leading zero. */
static bool plain_pid(const char *v, int64_t *pid)
{
	char *end;

	if (!isdigit((unsigned char)v[0]) || (v[0] == '0' && v[1]) || strlen(v) > 10)
		return false;
	*pid = strtoll(v, &end, 10);
	return !*end;
}

/* A comm the filter compares whole: no shell wildcard, no escape. */
static bool plain_text(const char *v)
{
	return !strpbrk(v, "*?[\\");
}

/* One "field == value" every matching event has: SQL, when the SQL means exactly the same. */
static void push_required(void *ctx, const char *field, const char *value)
{
	struct where *w = ctx;
	size_t before = w->len;
	int64_t pid;
	uint32_t types;

	if (!strcmp(field, "pid") && plain_pid(value, &pid))
		add_term(w, "src_pid", "dst_pid", (struct param){ .num = pid });
	else if (!strcmp(field, "src.pid") && plain_pid(value, &pid))
		add_term(w, "src_pid", NULL, (struct param){ .num = pid });
	else if (!strcmp(field, "dst.pid") && plain_pid(value, &pid))
		add_term(w, "dst_pid", NULL, (struct param){ .num = pid });
	else if (!strcmp(field, "comm") && plain_text(value))
		add_term(w, "src_comm", "dst_comm", (struct param){ .text = true, .str = value });
	else if (!strcmp(field, "src.comm") && plain_text(value))
		add_term(w, "src_comm", NULL, (struct param){ .text = true, .str = value });
	else if (!strcmp(field, "dst.comm") && plain_text(value))
		add_term(w, "dst_comm", NULL, (struct param){ .text = true, .str = value });
	else if (!strcmp(field, "type") && (types = ipcd_type_family(value)))
		w->types &= types;
	if (w->len > before)
		w->selective = true;
}

static void build_where(const struct ipcd_options *opts, struct where *w)
{
	struct param *p;

	w->len = 0;
	w->nparams = 0;
	w->overflow = false;
	w->selective = false;
	w->types = opts->types;
	add_sql(w, "WHERE 1%s%s", "", "");
	if (opts->filter)
		fexpr_each_required(opts->filter, push_required, w);
	if (opts->since_ns && (p = new_param(w))) {
		*p = (struct param){ .num = opts->since_ns };
		add_sql(w, " AND wall_ns >= ?%s%s", "", "");
	}
	if (opts->until_ns && (p = new_param(w))) {
		*p = (struct param){ .num = opts->until_ns };
		add_sql(w, " AND wall_ns <= ?%s%s", "", "");
	}
	add_types(w, w->types);
}

/* ---- reading ---------------------------------------------------------------------- */

static const char select_sql[] =
	"SELECT wall_ns, type, src_pid, src_tid, src_ppid, src_comm, src_pcomm,"
	" dst_pid, dst_tid, dst_ppid, dst_comm, dst_pcomm,"
	" channel_key, size, latency_ns, flags, payload, detail, ts_ns, id FROM events ";

static void copy_text(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src ? (const char *)src : "");
}

static void read_endpoint(sqlite3_stmt *st, int col, struct ipcd_endpoint *ep)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		ipcd_endpoint_unknown(ep);
		return;
	}
	ep->pid = sqlite3_column_int64(st, col);
	ep->tid = sqlite3_column_int64(st, col + 1);
	ep->ppid = sqlite3_column_int64(st, col + 2);
	copy_text(ep->comm, sizeof(ep->comm), sqlite3_column_text(st, col + 3));
	copy_text(ep->pcomm, sizeof(ep->pcomm), sqlite3_column_text(st, col + 4));
}

/* The row as an event; its strings point into the row (valid until the next step). false: not readable. */
static bool read_row(struct store_source *ss, struct ipcd_event *e)
{
	sqlite3_stmt *st = ss->rows;
	enum ipcd_type type;
	bool has_detail = sqlite3_column_type(st, 17) != SQLITE_NULL;
	struct ipcd_stored_columns c;

	if (!ipcd_stored_type((const char *)sqlite3_column_text(st, 1), &type))
		return false;
	int64_t wall = sqlite3_column_int64(st, 0);

	/* unsigned: a store is a file anyone may have edited */
	ipcd_stored_event_init(e, type, (uint64_t)wall - (uint64_t)ss->mono_to_real_ns, has_detail);
	e->id = (uint64_t)sqlite3_column_int64(st, 19);
	if (!has_detail && type == IPCD_TYPE_PIPE)   /* a version 1 row: the pipe's inode is the channel key */
		e->ino = (uint64_t)sqlite3_column_int64(st, 12);
	read_endpoint(st, 2, &e->src);
	read_endpoint(st, 7, &e->dst);
	c = (struct ipcd_stored_columns){
		.bytes = (uint64_t)sqlite3_column_int64(st, 13),
		.latency_ns = (uint64_t)sqlite3_column_int64(st, 14),
		.flags = (uint32_t)sqlite3_column_int64(st, 15),
		.payload = sqlite3_column_blob(st, 16),
		.payload_len = (size_t)sqlite3_column_bytes(st, 16),
		.detail = has_detail ? sqlite3_column_blob(st, 17) : NULL,
		.detail_len = has_detail ? (size_t)sqlite3_column_bytes(st, 17) : 0,
	};
	return ipcd_stored_event_fill(e, &c, &ss->detail);
}

static int bind_where(sqlite3_stmt *st, const struct where *w)
{
	for (int i = 0; i < w->nparams; i++) {
		const struct param *p = &w->params[i];
		int rc = p->text ? sqlite3_bind_text(st, i + 1, p->str, -1, SQLITE_STATIC)
				 : sqlite3_bind_int64(st, i + 1, p->num);

		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* A range's bounds on the row id: after build_where, whose overflow it must not share. */
static void add_range(struct where *w, const struct ipcd_store_range *r)
{
	struct param *p;

	if (!r)
		return;
	if ((p = new_param(w))) {
		*p = (struct param){ .num = (int64_t)r->after_id };
		add_sql(w, " AND id > ?%s%s", "", "");
	}
	if (r->upto_id && (p = new_param(w))) {
		*p = (struct param){ .num = (int64_t)r->upto_id };
		add_sql(w, " AND id <= ?%s%s", "", "");
	}
}

static int source_open(void *ctx, int64_t *mono_to_real_ns, char *err, size_t errlen)
{
	struct store_source *ss = ctx;
	const char *path = ss->opts->read_path;
	struct where w;
	char sql[sizeof(select_sql) + sizeof(w.sql) + 64];
	char limit[32] = "";

	build_where(ss->opts, &w);
	add_range(&w, ss->range);
	if (w.overflow) {   /* too much to say in SQL: every row, and the filter decides */
		build_where(&(struct ipcd_options){ .types = ss->opts->types }, &w);
		add_range(&w, ss->range);
	}
	if (ss->range && ss->range->max_rows)
		snprintf(limit, sizeof(limit), " LIMIT %" PRIu64, ss->range->max_rows);
	snprintf(sql, sizeof(sql), "%s%s ORDER BY id%s", select_sql, w.sql, limit);
	if (sqlite3_open_v2(path, &ss->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(ss->db));
		sqlite3_close(ss->db);
		return -1;
	}
	/* a store that a writer holds: wait for its commit */
	sqlite3_busy_timeout(ss->db, IPCD_SQLITE_OPEN_WAIT_MS);
	if (sqlite3_prepare_v2(ss->db, sql, -1, &ss->rows, NULL) != SQLITE_OK || bind_where(ss->rows, &w)) {
		snprintf(err, errlen, "%s: not an ipcdump store: %s", path, sqlite3_errmsg(ss->db));
		sqlite3_finalize(ss->rows);
		sqlite3_close(ss->db);
		return -1;
	}
	ss->first_step = sqlite3_step(ss->rows);
	if (ss->first_step == SQLITE_ROW)
		ss->mono_to_real_ns = (int64_t)((uint64_t)sqlite3_column_int64(ss->rows, 0) -
						(uint64_t)sqlite3_column_int64(ss->rows, 18));
	*mono_to_real_ns = ss->mono_to_real_ns;
	return 0;
}

static int source_run(void *ctx, int (*fn)(void *fn_ctx, const struct ipcd_event *e), void *fn_ctx, char *err,
		      size_t errlen)
{
	struct store_source *ss = ctx;
	struct ipcd_event e;
	int rc;

	for (rc = ss->first_step; rc == SQLITE_ROW; rc = sqlite3_step(ss->rows)) {
		int stop;

		if (ss->range) {
			ss->range->rows++;
			ss->range->last_id = (uint64_t)sqlite3_column_int64(ss->rows, 19);
		}
		if (!read_row(ss, &e)) {
			ss->bad_rows++;
			continue;
		}
		if ((stop = fn(fn_ctx, &e)))
			return stop;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", ss->opts->read_path, sqlite3_errmsg(ss->db));
		return -1;
	}
	return 0;
}

static void source_close(void *ctx)
{
	struct store_source *ss = ctx;

	if (ss->bad_rows)
		fprintf(stderr, "ipcdump: %s: %" PRIu64 " %s could not be read (a type or field this ipcdump "
			"does not know)\n", ss->opts->read_path, ss->bad_rows, ss->bad_rows == 1 ? "row" : "rows");
	sqlite3_finalize(ss->rows);
	sqlite3_close(ss->db);
	ss->rows = NULL;
	ss->db = NULL;
}

int ipcd_sqlite_read(struct ipcd_pipeline *p)
{
	struct store_source ss = { .opts = ipcd_pipeline_options(p) };
	const struct ipcd_event_source src = {
		.name = "SQLite store",
		.ctx = &ss,
		.open = source_open,
		.run = source_run,
		.close = source_close,
	};

	return ipcd_pipeline_run_events(p, &src);
}

int ipcd_sqlite_read_range(struct ipcd_pipeline *p, struct ipcd_store_range *range)
{
	struct store_source ss = { .opts = ipcd_pipeline_options(p), .range = range };
	const struct ipcd_event_source src = {
		.name = "SQLite store",
		.ctx = &ss,
		.open = source_open,
		.run = source_run,
		.close = source_close,
	};

	range->rows = 0;
	range->last_id = range->after_id;
	return ipcd_pipeline_run_events(p, &src);
}

int ipcd_sqlite_explain(const struct ipcd_options *opts, char *sql, size_t len)
{
	struct where w;

	build_where(opts, &w);
	snprintf(sql, len, "%s%s ORDER BY id", select_sql, w.sql);
	return w.overflow ? -1 : 0;
}
