/* SPDX-License-Identifier: GPL-2.0 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "util/json_writer.h"
#include "format/output.h"
#include "sinks/stats.h"
#include "sinks/sinks.h"
#include "engine/pipeline.h"

/* bucket i: latencies in [2^(i-1), 2^i) ns; bucket 0: 0; bucket 64: [2^63, 2^64) */
#define HIST_BUCKETS STATS_HIST_BUCKETS

/*
 * The text tables' columns, in terminal columns: at most 100 in all.  The
 * rate is left to JSON and CSV (the header gives the window): the room
 * goes to the label, which names two processes in the pairs table.
 */
#define W_COUNT 6
#define W_BYTES 8
#define W_LAT 6
#define W_TYPE 17
#define W_LINE 100
#define W_LABEL (W_LINE - (W_COUNT + W_BYTES + 3 * W_LAT + W_TYPE + 6))

struct bucket {
	char *key;               /* "type channel" or "type src>dst" */
	UT_hash_handle hh;
	char type[24];
	char label[IPCD_PATH_MAX + 96];
	struct ipcd_endpoint src, dst;   /* pairs: the two ends */
	uint64_t count, bytes, min, max;
	uint64_t lat_count, lat_max;
	uint64_t hist[HIST_BUCKETS];
};

struct ipcd_stats {
	struct bucket *channels, *pairs;
	struct channel_namer names;   /* outlives windows: it learns servers' ports */
};

struct ipcd_stats *stats_new(void)
{
	struct ipcd_stats *s = calloc(1, sizeof(struct ipcd_stats));

	if (s)
		channel_namer_init(&s->names);
	return s;
}

static void table_free(struct bucket **table)
{
	struct bucket *b, *tmp;

	HASH_ITER(hh, *table, b, tmp) {
		HASH_DEL(*table, b);
		free(b->key);
		free(b);
	}
}

void stats_free(struct ipcd_stats *s)
{
	if (!s)
		return;
	table_free(&s->channels);
	table_free(&s->pairs);
	free(s);
}

static unsigned int log2_bucket(uint64_t v)
{
	unsigned int b = v ? 64 - (unsigned int)__builtin_clzll(v) : 0;

	/* 2^63 ns and more (a damaged capture: 292 years) shares the last bucket */
	return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

static uint64_t bucket_low(unsigned int i)
{
	return i ? 1ull << (i - 1) : 0;
}

static uint64_t bucket_top(unsigned int i)
{
	return i ? (i >= 64 ? UINT64_MAX : (1ull << i) - 1) : 0;
}

/* The rank (1-based) of the q quantile among count values. */
static uint64_t quantile_rank(uint64_t count, double q)
{
	uint64_t want = (uint64_t)(q * (double)count + 0.999999);

	return want ? (want > count ? count : want) : 1;
}

uint64_t stats_quantile(const uint64_t *hist, uint64_t count, double q)
{
	uint64_t want = quantile_rank(count, q), seen = 0;

	if (!count)
		return 0;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		/* the bucket's upper bound: the quantile is at most that */
		if (seen >= want)
			return bucket_top(i);
	}
	return UINT64_MAX;
}

double stats_quantile_estimate(const uint64_t *hist, uint64_t count, double q, uint64_t max)
{
	uint64_t want = quantile_rank(count, q), seen = 0;

	if (!count)
		return 0;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		double lo, hi, v;

		if (seen + hist[i] < want) {
			seen += hist[i];
			continue;
		}
		/* spread the bucket's values evenly over it: the wanted one sits at its rank */
		lo = (double)bucket_low(i);
		hi = (double)bucket_top(i) + 1;
		if (max && (double)max < hi)
			hi = (double)max;
		if (hi < lo)
			hi = lo;
		v = lo + (hi - lo) * ((double)(want - seen) - 0.5) / (double)hist[i];
		return v;
	}
	return (double)max;
}

static struct bucket *bucket_get(struct bucket **table, const char *type, const char *label)
{
	char key[sizeof(((struct bucket *)0)->label) + 32];
	struct bucket *b;

	snprintf(key, sizeof(key), "%s %s", type, label);
	HASH_FIND_STR(*table, key, b);
	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->key = strdup(key))) {
		free(b);
		return NULL;
	}
	snprintf(b->type, sizeof(b->type), "%s", type);
	snprintf(b->label, sizeof(b->label), "%s", label);
	b->min = UINT64_MAX;
	HASH_ADD_KEYPTR(hh, *table, b->key, strlen(b->key), b);
	return b;
}

static void bucket_add(struct bucket *b, const struct ipcd_event *e)
{
	if (!b)
		return;
	b->count++;
	b->bytes += e->bytes;
	if (e->bytes < b->min)
		b->min = e->bytes;
	if (e->bytes > b->max)
		b->max = e->bytes;
	if (e->flags & IPCD_EF_HAS_LATENCY) {
		b->lat_count++;
		b->hist[log2_bucket(e->latency_ns)]++;
		if (e->latency_ns > b->lat_max)
			b->lat_max = e->latency_ns;
	}
}

/* A percentile: exact for one message, else estimated inside its log2 bucket. */
static double percentile(const struct bucket *b, double q)
{
	if (b->lat_count <= 1)
		return (double)b->lat_max;
	return stats_quantile_estimate(b->hist, b->lat_count, q, b->lat_max);
}

static uint64_t percentile_ns(const struct bucket *b, double q)
{
	return (uint64_t)(percentile(b, q) + 0.5);
}

void stats_add(struct ipcd_stats *s, const struct ipcd_event *e)
{
	char channel[IPCD_PATH_MAX + 160], src[96], dst[96], pair[200];
	const char *type = ipcd_type_name(e->type);
	struct bucket *b;

	if (e->type == IPCD_TYPE_LOST)
		return;
	channel_namer_name(&s->names, e, channel, sizeof(channel));
	bucket_add(bucket_get(&s->channels, type, channel[0] ? channel : "-"), e);
	fmt_endpoint(src, sizeof(src), &e->src);
	fmt_endpoint(dst, sizeof(dst), &e->dst);
	snprintf(pair, sizeof(pair), "%s > %s", src, dst);
	b = bucket_get(&s->pairs, type, pair);
	if (b && !b->count) {
		b->src = e->src;
		b->dst = e->dst;
	}
	bucket_add(b, e);
}

static int by_count(const void *a, const void *b)
{
	const struct bucket *x = *(struct bucket *const *)a, *y = *(struct bucket *const *)b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->key, y->key);
}

/* The table's buckets, busiest first (free the array). */
static struct bucket **sorted(struct bucket *table, size_t *n)
{
	struct bucket **all, *b, *tmp;
	size_t i = 0;

	*n = HASH_COUNT(table);
	all = calloc(*n ? *n : 1, sizeof(*all));
	if (!all) {
		*n = 0;
		return NULL;
	}
	HASH_ITER(hh, table, b, tmp)
		all[i++] = b;
	qsort(all, *n, sizeof(*all), by_count);
	return all;
}

/* ---- text ------------------------------------------------------------ */

static void text_latency(FILE *out, const struct bucket *b, double q)
{
	char buf[32];

	if (!b->lat_count)
		snprintf(buf, sizeof(buf), "-");
	else if (b->lat_count == 1 || q >= 1)
		fmt_duration(buf, sizeof(buf), b->lat_max);   /* exact */
	else
		fmt_duration_approx(buf, sizeof(buf), percentile(b, q));
	fputc(' ', out);
	put_cell(out, buf, W_LAT, true);
}

static void text_row(FILE *out, const struct bucket *b)
{
	char buf[32];

	fmt_count(buf, sizeof(buf), b->count);
	put_cell(out, buf, W_COUNT, true);
	fmt_bytes(buf, sizeof(buf), b->bytes);
	fputc(' ', out);
	put_cell(out, buf, W_BYTES, true);
	text_latency(out, b, 0.5);
	text_latency(out, b, 0.99);
	text_latency(out, b, 1);
	fputc(' ', out);
	put_cell(out, b->type, W_TYPE, false);
	fputc(' ', out);
	put_label(out, b->label, W_LABEL);
	fputc('\n', out);
}

static void text_table(FILE *out, const char *title, const char *label, struct bucket *table, uint32_t top)
{
	size_t n, shown;
	struct bucket **all = sorted(table, &n);

	shown = top && n > top ? top : n;
	fprintf(out, "%s (%zu of %zu, busiest first)\n", title, shown, n);
	fprintf(out, "%*s %*s %*s %*s %*s %-*s %s\n", W_COUNT, "msgs", W_BYTES, "bytes", W_LAT, "p50", W_LAT, "p99",
		W_LAT, "max", W_TYPE, "type", label);
	for (size_t i = 0; i < shown; i++)
		text_row(out, all[i]);
	if (n > shown)
		fprintf(out, "(%zu more)\n", n - shown);
	free(all);
}

static void text_report(struct ipcd_stats *s, FILE *out, const struct ipcd_report_style *style,
			uint64_t start_ns, uint64_t end_ns, double secs)
{
	char span[112];

	fmt_wall_span(span, sizeof(span), start_ns, end_ns, style->mono_to_real_ns);
	fprintf(out, "# %s (%.3f s); ~ marks an estimate\n", span, secs);
	text_table(out, "Channels", "channel", s->channels, style->top);
	fputc('\n', out);
	text_table(out, "Process pairs", "src > dst", s->pairs, style->top);
	fputc('\n', out);
}

/* ---- JSON ------------------------------------------------------------ */

static void json_end(struct json_writer *jw, const char *pid_key, const char *comm_key,
		     const struct ipcd_endpoint *ep)
{
	char comm[IPCD_COMM_LEN + 1];

	jw_key(jw, pid_key);
	if (ep->pid < 0) {
		jw_null(jw);
		jw_key(jw, comm_key);
		jw_null(jw);
		return;
	}
	jw_int(jw, ep->pid);
	snprintf(comm, sizeof(comm), "%.*s", IPCD_COMM_LEN, ep->comm);
	jw_key(jw, comm_key);
	if (comm[0])
		jw_string(jw, comm);
	else
		jw_null(jw);
}

static void json_table(struct json_writer *jw, const char *name, const char *label_key, struct bucket *table,
		       double secs, bool pairs)
{
	size_t n;
	struct bucket **all = sorted(table, &n);

	jw_key(jw, name);
	jw_array_begin(jw);
	for (size_t i = 0; i < n; i++) {
		const struct bucket *b = all[i];

		jw_object_begin(jw);
		jw_kv_string(jw, "type", b->type);
		jw_kv_string(jw, label_key, b->label);
		if (pairs) {
			json_end(jw, "src_pid", "src_comm", &b->src);
			json_end(jw, "dst_pid", "dst_comm", &b->dst);
		}
		jw_kv_uint(jw, "messages", b->count);
		jw_key(jw, "rate");
		jw_double(jw, secs > 0 ? b->count / secs : 0.0);
		jw_kv_uint(jw, "bytes", b->bytes);
		jw_kv_uint(jw, "size_min", b->min);
		jw_kv_uint(jw, "size_avg", b->bytes / b->count);
		jw_kv_uint(jw, "size_max", b->max);
		if (b->lat_count) {
			/* estimates, as the text's "~": the histogram below is exact */
			jw_kv_uint(jw, "latency_p50_ns", percentile_ns(b, 0.5));
			jw_kv_uint(jw, "latency_p90_ns", percentile_ns(b, 0.9));
			jw_kv_uint(jw, "latency_p99_ns", percentile_ns(b, 0.99));
			jw_kv_uint(jw, "latency_max_ns", b->lat_max);
			/* log2 histogram: [i] counts latencies below 2^i ns and at or above 2^(i-1) */
			jw_key(jw, "latency_log2_hist");
			jw_array_begin(jw);
			for (unsigned int h = 0; h <= log2_bucket(b->lat_max); h++)
				jw_uint(jw, b->hist[h]);
			jw_array_end(jw);
		}
		jw_object_end(jw);
	}
	jw_array_end(jw);
	free(all);
}

static void json_report(struct ipcd_stats *s, FILE *out, const struct ipcd_report_style *style,
			uint64_t start_ns, uint64_t end_ns, double secs, unsigned tables)
{
	struct json_writer jw;
	char when[64];

	jw_init(&jw, out);
	jw_object_begin(&jw);
	jw_key(&jw, "window_s");
	jw_double(&jw, secs);
	fmt_wall_rfc3339(when, sizeof(when), start_ns, style->mono_to_real_ns);
	jw_kv_string(&jw, "start", when);
	fmt_wall_rfc3339(when, sizeof(when), end_ns, style->mono_to_real_ns);
	jw_kv_string(&jw, "end", when);
	if (tables & STATS_CHANNELS)
		json_table(&jw, "channels", "channel", s->channels, secs, false);
	if (tables & STATS_PAIRS)
		json_table(&jw, "pairs", "pair", s->pairs, secs, true);
	jw_object_end(&jw);
	jw_end_line(&jw);
}

/* ---- CSV: one table per section, each with its header row ------------ */

static void csv_table(FILE *out, const char *section, struct bucket *table, double secs, bool pairs)
{
	size_t n;
	struct bucket **all = sorted(table, &n);

	fprintf(out, "section,type,%s,messages,rate,bytes,size_min,size_avg,size_max,"
		     "latency_p50_ns,latency_p90_ns,latency_p99_ns,latency_max_ns\n",
		pairs ? "pair,src_pid,src_comm,dst_pid,dst_comm" : "channel");
	for (size_t i = 0; i < n; i++) {
		const struct bucket *b = all[i];

		csv_cell(out, section, true);
		csv_cell(out, b->type, false);
		csv_cell(out, b->label, false);
		if (pairs) {
			csv_pid_comm(out, &b->src);
			csv_pid_comm(out, &b->dst);
		}
		fprintf(out, ",%" PRIu64 ",%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, b->count,
			secs > 0 ? b->count / secs : 0.0, b->bytes, b->min, b->bytes / b->count, b->max);
		if (b->lat_count)
			fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", percentile_ns(b, 0.5),
				percentile_ns(b, 0.9), percentile_ns(b, 0.99), b->lat_max);
		else
			fputs(",,,,\n", out);
	}
	free(all);
}

static void csv_report(struct ipcd_stats *s, FILE *out, const struct ipcd_report_style *style,
		       uint64_t start_ns, uint64_t end_ns, double secs)
{
	char from[64], to[64];

	fmt_wall_rfc3339(from, sizeof(from), start_ns, style->mono_to_real_ns);
	fmt_wall_rfc3339(to, sizeof(to), end_ns, style->mono_to_real_ns);
	fprintf(out, "section,start,end,window_s\nwindow,%s,%s,%.3f\n\n", from, to, secs);
	csv_table(out, "channel", s->channels, secs, false);
	fputc('\n', out);
	csv_table(out, "pair", s->pairs, secs, true);
	fputc('\n', out);
}

void stats_report(struct ipcd_stats *s, FILE *out, const struct ipcd_report_style *style, uint64_t start_ns,
		  uint64_t end_ns)
{
	stats_report_tables(s, out, style, start_ns, end_ns, STATS_CHANNELS | STATS_PAIRS);
}

void stats_report_tables(struct ipcd_stats *s, FILE *out, const struct ipcd_report_style *style,
			 uint64_t start_ns, uint64_t end_ns, unsigned tables)
{
	double secs = end_ns > start_ns ? (end_ns - start_ns) / 1e9 : 0;

	if (style->format == IPCD_FORMAT_JSON)
		json_report(s, out, style, start_ns, end_ns, secs, tables);
	else if (style->format == IPCD_FORMAT_CSV)
		csv_report(s, out, style, start_ns, end_ns, secs);
	else
		text_report(s, out, style, start_ns, end_ns, secs);
	fflush(out);
	table_free(&s->channels);
	table_free(&s->pairs);
}

/* ---- the --stats sink ------------------------------------------------------ */

struct stats_sink {
	struct ipcd_stats *stats;
	FILE *out;
	struct ipcd_report_style style;
	uint64_t interval_ns;   /* --stats=SECONDS; 0: one report at the end */
	uint64_t start_ns;      /* the window's start; 0 until the run's first tick */
};

static int stats_sink_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	const struct ipcd_options *opts = ipcd_pipeline_options(p);
	struct stats_sink *ss = s->ctx;

	ss->out = ipcd_pipeline_output(p);
	ss->style = (struct ipcd_report_style){
		.format = opts->format,
		.top = opts->top,
		.mono_to_real_ns = ipcd_pipeline_clock(p),
	};
	ss->interval_ns = opts->stats_interval_ms * 1000000ull;
	return 0;
}

static enum ipcd_sink_result stats_sink_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct stats_sink *ss = s->ctx;

	stats_add(ss->stats, e);
	return IPCD_SINK_WRITTEN;
}

/* The first tick starts the window; with an interval, each one past it reports and starts the next. */
static void stats_sink_tick(struct ipcd_sink *s, uint64_t now)
{
	struct stats_sink *ss = s->ctx;

	if (!ss->start_ns)
		ss->start_ns = now;
	if (ss->interval_ns && now - ss->start_ns >= ss->interval_ns) {
		stats_report(ss->stats, ss->out, &ss->style, ss->start_ns, now);
		ss->start_ns = now;
	}
}

static void stats_sink_flush(struct ipcd_sink *s, uint64_t end_ns)
{
	struct stats_sink *ss = s->ctx;

	stats_report(ss->stats, ss->out, &ss->style, ss->start_ns, end_ns);
}

static void stats_sink_free(struct ipcd_sink *s)
{
	struct stats_sink *ss = s->ctx;

	if (ss)
		stats_free(ss->stats);
	free(ss);
}

struct ipcd_sink *ipcd_stats_sink_new(void)
{
	struct ipcd_sink *s = ipcd_sink_new("stats");
	struct stats_sink *ss;

	if (!s)
		return NULL;
	s->free = stats_sink_free;
	if (!(ss = s->ctx = calloc(1, sizeof(*ss))) || !(ss->stats = stats_new())) {
		ipcd_sink_free(s);
		return NULL;
	}
	s->fate = "counted";
	s->open = stats_sink_open;
	s->event = stats_sink_event;
	s->tick = stats_sink_tick;
	s->flush = stats_sink_flush;
	return s;
}
