/* SPDX-License-Identifier: GPL-2.0 */
/* Totals of a group of events (totals.h). */
#include "api/totals.h"

static unsigned log2_bucket(uint64_t v)
{
	unsigned b = v ? 64 - (unsigned)__builtin_clzll(v) : 0;

	return b < STATS_HIST_BUCKETS ? b : STATS_HIST_BUCKETS - 1;
}

void ipcda_totals_add(struct ipcda_totals *t, const struct ipcd_event *e)
{
	if (!t->messages || e->bytes < t->size_min)
		t->size_min = e->bytes;
	if (e->bytes > t->size_max)
		t->size_max = e->bytes;
	t->messages++;
	t->bytes += e->bytes;
	if (e->flags & IPCD_EF_HAS_LATENCY) {
		t->lat_count++;
		t->hist[log2_bucket(e->latency_ns)]++;
		if (e->latency_ns > t->lat_max)
			t->lat_max = e->latency_ns;
	}
}

/* As --stats says it: exact for one message, else estimated inside its log2 bucket. */
static uint64_t percentile_ns(const struct ipcda_totals *t, double q)
{
	if (t->lat_count <= 1)
		return t->lat_max;
	return (uint64_t)(stats_quantile_estimate(t->hist, t->lat_count, q, t->lat_max) + 0.5);
}

void ipcda_totals_json(struct json_writer *jw, const struct ipcda_totals *t, double secs)
{
	jw_kv_uint(jw, "messages", t->messages);
	if (secs > 0) {
		jw_key(jw, "rate");
		jw_double(jw, t->messages / secs);
	}
	jw_kv_uint(jw, "bytes", t->bytes);
	jw_kv_uint(jw, "size_min", t->size_min);
	jw_kv_uint(jw, "size_avg", t->messages ? t->bytes / t->messages : 0);
	jw_kv_uint(jw, "size_max", t->size_max);
	if (!t->lat_count)
		return;
	jw_kv_uint(jw, "latency_p50_ns", percentile_ns(t, 0.5));
	jw_kv_uint(jw, "latency_p90_ns", percentile_ns(t, 0.9));
	jw_kv_uint(jw, "latency_p99_ns", percentile_ns(t, 0.99));
	jw_kv_uint(jw, "latency_max_ns", t->lat_max);
}
