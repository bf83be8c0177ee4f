/* SPDX-License-Identifier: GPL-2.0 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "json_writer.h"
#include "output.h"
#include "stats.h"

#define HIST_BUCKETS 64   /* bucket i: latencies in [2^(i-1), 2^i) ns; bucket 0: 0 */

struct bucket {
	char *key;               /* "type channel" or "type src>dst" */
	UT_hash_handle hh;
	char type[24];
	char label[IPCD_PATH_MAX + 96];
	uint64_t count, bytes, min, max;
	uint64_t lat_count, lat_max;
	uint64_t hist[HIST_BUCKETS];
};

struct ipcd_stats {
	struct bucket *channels, *pairs;
};

struct ipcd_stats *stats_new(void)
{
	return calloc(1, sizeof(struct ipcd_stats));
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

uint64_t stats_quantile(const uint64_t *hist, uint64_t count, double q)
{
	uint64_t want = (uint64_t)(q * (double)count + 0.999999), seen = 0;

	if (!count)
		return 0;
	for (unsigned int i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		/* the bucket's upper bound: the quantile is at most that */
		if (seen >= want)
			return i ? (i >= 64 ? UINT64_MAX : (1ull << i) - 1) : 0;
	}
	return UINT64_MAX;
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

/* A percentile from the histogram: its bucket's top, but never above the largest seen. */
static uint64_t percentile(const struct bucket *b, double q)
{
	uint64_t v = stats_quantile(b->hist, b->lat_count, q);

	return v < b->lat_max ? v : b->lat_max;
}

static void endpoint_label(char *buf, size_t len, const struct ipcd_endpoint *ep)
{
	if (ep->pid < 0)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%" PRId64 "(%.*s)", ep->pid, IPCD_COMM_LEN, ep->comm);
}

void stats_add(struct ipcd_stats *s, const struct ipcd_event *e)
{
	char channel[IPCD_PATH_MAX + 160], src[48], dst[48], pair[100];
	const char *type = ipcd_type_name(e->type);

	if (e->type == IPCD_TYPE_LOST)
		return;
	ipcd_event_channel(e, channel, sizeof(channel));
	bucket_add(bucket_get(&s->channels, type, channel[0] ? channel : "-"), e);
	endpoint_label(src, sizeof(src), &e->src);
	endpoint_label(dst, sizeof(dst), &e->dst);
	snprintf(pair, sizeof(pair), "%s > %s", src, dst);
	bucket_add(bucket_get(&s->pairs, type, pair), e);
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

static void text_table(FILE *out, const char *title, struct bucket *table, double secs)
{
	size_t n;
	struct bucket **all = sorted(table, &n);

	fprintf(out, "%-16s %-40s %10s %10s %12s %8s %8s %8s %10s %10s %10s %10s\n", "type", title, "msgs",
		"msgs/s", "bytes", "min", "avg", "max", "p50_ns", "p90_ns", "p99_ns", "max_ns");
	for (size_t i = 0; i < n; i++) {
		const struct bucket *b = all[i];

		fprintf(out, "%-16s %-40s %10" PRIu64 " %10.1f %12" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64,
			b->type, b->label, b->count, secs > 0 ? b->count / secs : 0.0, b->bytes, b->min,
			b->bytes / b->count, b->max);
		if (b->lat_count)
			fprintf(out, " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
				percentile(b, 0.5), percentile(b, 0.9), percentile(b, 0.99), b->lat_max);
		else
			fprintf(out, " %10s %10s %10s %10s\n", "-", "-", "-", "-");
	}
	free(all);
}

static void json_table(struct json_writer *jw, const char *name, const char *label_key, struct bucket *table,
		       double secs)
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
		jw_kv_uint(jw, "messages", b->count);
		jw_key(jw, "rate");
		jw_double(jw, secs > 0 ? b->count / secs : 0.0);
		jw_kv_uint(jw, "bytes", b->bytes);
		jw_kv_uint(jw, "size_min", b->min);
		jw_kv_uint(jw, "size_avg", b->bytes / b->count);
		jw_kv_uint(jw, "size_max", b->max);
		if (b->lat_count) {
			jw_kv_uint(jw, "latency_p50_ns", percentile(b, 0.5));
			jw_kv_uint(jw, "latency_p90_ns", percentile(b, 0.9));
			jw_kv_uint(jw, "latency_p99_ns", percentile(b, 0.99));
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

void stats_report(struct ipcd_stats *s, FILE *out, bool json, uint64_t start_ns, uint64_t end_ns)
{
	double secs = end_ns > start_ns ? (end_ns - start_ns) / 1e9 : 0;

	if (json) {
		struct json_writer jw;

		jw_init(&jw, out);
		jw_object_begin(&jw);
		jw_key(&jw, "window_s");
		jw_double(&jw, secs);
		json_table(&jw, "channels", "channel", s->channels, secs);
		json_table(&jw, "pairs", "pair", s->pairs, secs);
		jw_object_end(&jw);
		jw_end_line(&jw);
	} else {
		fprintf(out, "# %.3f s\n", secs);
		text_table(out, "channel", s->channels, secs);
		fputc('\n', out);
		text_table(out, "src > dst", s->pairs, secs);
		fputc('\n', out);
	}
	fflush(out);
	table_free(&s->channels);
	table_free(&s->pairs);
}
