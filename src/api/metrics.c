// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus metrics (metrics.h).  The pipeline's thread is the only
 * writer of every counter here, so a relaxed load and store suffice; the
 * handler reads with relaxed loads too: a scrape may see one counter a few
 * events ahead of another, never a torn value.  Per-pair series go into an
 * append-only array published by a release store of its length.
 */
#include "api/metrics.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "api/api.h"
#include "api/auth.h"
#include "api/context.h"
#include "api/reply.h"
#include "api/routes.h"
#include "engine/event.h"
#include "engine/pipeline.h"
#include "sinks/sink.h"

/* Delivery latency buckets, in ns: 1 us .. 1 s. */
static const uint64_t latency_bounds_ns[] = {
	1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 100000000, 500000000, 1000000000,
};
#define LATENCY_BUCKETS (sizeof(latency_bounds_ns) / sizeof(latency_bounds_ns[0]))

/* A channel is active while it carried an event in the last minute. */
#define ACTIVE_WINDOW_NS (60ull * 1000 * 1000 * 1000)
#define RECOUNT_EVERY_NS (5ull * 1000 * 1000 * 1000)
/* Channels tracked at most (a power of two, kept under three quarters full): more are not counted. */
#define CHANNEL_SLOTS (1u << 17)
#define CHANNELS_MAX (CHANNEL_SLOTS / 4 * 3)

typedef atomic_uint_least64_t counter;

struct type_counts {
	counter events, bytes;
	counter latency_count, latency_sum_ns;
	counter latency_bucket[LATENCY_BUCKETS + 1];   /* not cumulative; the last: above every bound */
	counter channels_active;
};

struct channel_slot {
	uint64_t key;       /* 0: empty */
	uint64_t last_ns;
	uint8_t type;
};

struct pair {
	char src[IPCD_COMM_LEN], dst[IPCD_COMM_LEN];
	uint8_t type;
	counter events, bytes;
};

struct ipcda_metrics {
	struct type_counts types[IPCD_TYPE_COUNT];
	/* the pipeline thread's own */
	struct channel_slot *channels;
	size_t channel_count;
	uint64_t last_recount_ns;
	counter channels_untracked;
	/* pairs */
	bool pairs_on;
	uint32_t pairs_max;
	struct pair *pairs;
	atomic_size_t pair_count;
	uint32_t *pair_index;          /* writer's hash: index + 1, 0 empty; 2 * pairs_max slots rounded up */
	size_t pair_index_slots;
	counter other_events, other_bytes;   /* pairs past the cap */
};

static void add(counter *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

static uint64_t get(const counter *c)
{
	return atomic_load_explicit((counter *)c, memory_order_relaxed);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t text_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Both directions of a channel are one channel. */
static uint64_t unordered(uint64_t a, uint64_t b)
{
	return a < b ? mix(a, b) : mix(b, a);
}

/* The channel an event went through, as one number; 0: none to count. */
static uint64_t channel_key(const struct ipcd_event *e)
{
	uint64_t id;

	switch (e->type) {
	case IPCD_TYPE_PIPE: id = e->ino; break;
	case IPCD_TYPE_UNIX_STREAM:
	case IPCD_TYPE_UNIX_DGRAM:
	case IPCD_TYPE_UNIX_SEQPACKET:
	case IPCD_TYPE_UNIX_CONN:
		id = e->src_ino || e->dst_ino ? unordered(e->src_ino, e->dst_ino) : unordered(e->src_sock, e->dst_sock);
		break;
	case IPCD_TYPE_LOOPBACK_TCP:
	case IPCD_TYPE_LOOPBACK_UDP:
	case IPCD_TYPE_LOOPBACK_TCP_CONN: id = e->chan_key; break;
	case IPCD_TYPE_PTY: id = mix(e->pty_index, 1); break;
	case IPCD_TYPE_MQ_SYSV: id = mix((uint64_t)e->mq_id, 2); break;
	case IPCD_TYPE_MQ_POSIX:
	case IPCD_TYPE_MQ_OP: id = e->mq_name ? text_hash(e->mq_name) : mix((uint64_t)e->mq_id, 3); break;
	case IPCD_TYPE_SHM: id = e->shm_name ? text_hash(e->shm_name) : mix((uint64_t)e->shm_id, 4); break;
	default: id = unordered((uint64_t)e->src.pid, (uint64_t)e->dst.pid); break;
	}
	return id ? mix(id, e->type) | 1 : 0;
}

static void note_channel(struct ipcda_metrics *m, const struct ipcd_event *e, uint64_t now)
{
	uint64_t key = channel_key(e);
	size_t i;

	if (!key)
		return;
	for (i = key & (CHANNEL_SLOTS - 1); m->channels[i].key; i = (i + 1) & (CHANNEL_SLOTS - 1)) {
		if (m->channels[i].key == key) {
			m->channels[i].last_ns = now;
			return;
		}
	}
	if (m->channel_count >= CHANNELS_MAX) {
		add(&m->channels_untracked, 1);
		return;
	}
	m->channels[i] = (struct channel_slot){ .key = key, .last_ns = now, .type = (uint8_t)e->type };
	m->channel_count++;
}

/* Channels quiet for a minute go; the counts per type are published. */
static void recount_channels(struct ipcda_metrics *m, uint64_t now)
{
	size_t active[IPCD_TYPE_COUNT] = { 0 };
	struct channel_slot *old = m->channels, *fresh = calloc(CHANNEL_SLOTS, sizeof(*fresh));

	if (!fresh)
		return;
	m->channels = fresh;
	m->channel_count = 0;
	for (size_t i = 0; i < CHANNEL_SLOTS; i++) {
		size_t j;

		if (!old[i].key || old[i].last_ns + ACTIVE_WINDOW_NS < now)
			continue;
		for (j = old[i].key & (CHANNEL_SLOTS - 1); fresh[j].key; j = (j + 1) & (CHANNEL_SLOTS - 1))
			;
		fresh[j] = old[i];
		m->channel_count++;
		active[old[i].type]++;
	}
	free(old);
	for (int t = 0; t < IPCD_TYPE_COUNT; t++)
		atomic_store_explicit(&m->types[t].channels_active, active[t], memory_order_relaxed);
	m->last_recount_ns = now;
}

static struct pair *pair_of(struct ipcda_metrics *m, const struct ipcd_event *e)
{
	uint64_t h = mix(mix(text_hash(e->src.comm), text_hash(e->dst.comm)), e->type);
	size_t n = atomic_load_explicit(&m->pair_count, memory_order_relaxed), i;

	for (i = h & (m->pair_index_slots - 1); m->pair_index[i]; i = (i + 1) & (m->pair_index_slots - 1)) {
		struct pair *p = &m->pairs[m->pair_index[i] - 1];

		if (p->type == e->type && !strcmp(p->src, e->src.comm) && !strcmp(p->dst, e->dst.comm))
			return p;
	}
	if (n >= m->pairs_max)
		return NULL;
	snprintf(m->pairs[n].src, sizeof(m->pairs[n].src), "%s", e->src.comm);
	snprintf(m->pairs[n].dst, sizeof(m->pairs[n].dst), "%s", e->dst.comm);
	m->pairs[n].type = (uint8_t)e->type;
	m->pair_index[i] = (uint32_t)n + 1;
	/* the entry is whole before a reader can see it */
	atomic_store_explicit(&m->pair_count, n + 1, memory_order_release);
	return &m->pairs[n];
}

static void count_pair(struct ipcda_metrics *m, const struct ipcd_event *e)
{
	struct pair *p = pair_of(m, e);

	if (p) {
		add(&p->events, 1);
		add(&p->bytes, e->bytes);
	} else {
		add(&m->other_events, 1);
		add(&m->other_bytes, e->bytes);
	}
}

static enum ipcd_sink_result metrics_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct ipcda_metrics *m = s->ctx;
	struct type_counts *tc;

	if (e->type >= IPCD_TYPE_COUNT || e->type == IPCD_TYPE_LOST)
		return IPCD_SINK_WRITTEN;
	tc = &m->types[e->type];
	add(&tc->events, 1);
	add(&tc->bytes, e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY) {
		size_t b = 0;

		while (b < LATENCY_BUCKETS && e->latency_ns > latency_bounds_ns[b])
			b++;
		add(&tc->latency_bucket[b], 1);
		add(&tc->latency_count, 1);
		add(&tc->latency_sum_ns, e->latency_ns);
	}
	note_channel(m, e, e->ts_ns);
	if (m->pairs_on)
		count_pair(m, e);
	return IPCD_SINK_WRITTEN;
}

static void metrics_tick(struct ipcd_sink *s, uint64_t now_ns)
{
	struct ipcda_metrics *m = s->ctx;

	if (now_ns - m->last_recount_ns >= RECOUNT_EVERY_NS)
		recount_channels(m, now_ns);
}

struct ipcd_sink *ipcda_metrics_sink_new(struct ipcda_metrics *m)
{
	struct ipcd_sink *s = ipcd_sink_new("metrics");

	if (!s)
		return NULL;
	s->ctx = m;
	/* the pipeline hands events only to sinks with a fate; outputs come first, so theirs is the summary's */
	s->fate = "counted";
	s->event = metrics_event;
	s->tick = metrics_tick;
	/* counts need no payload: none is copied for it */
	s->payload_by_type = true;
	return s;
}

struct ipcda_metrics *ipcda_metrics_new(bool pairs, uint32_t pairs_max)
{
	struct ipcda_metrics *m = calloc(1, sizeof(*m));

	if (!m || !(m->channels = calloc(CHANNEL_SLOTS, sizeof(*m->channels))))
		goto fail;
	m->pairs_on = pairs && pairs_max;
	m->pairs_max = pairs_max;
	if (m->pairs_on) {
		for (m->pair_index_slots = 16; m->pair_index_slots < 2ull * pairs_max; m->pair_index_slots *= 2)
			;
		if (!(m->pairs = calloc(pairs_max, sizeof(*m->pairs))) ||
		    !(m->pair_index = calloc(m->pair_index_slots, sizeof(*m->pair_index))))
			goto fail;
	}
	m->last_recount_ns = ipcd_monotonic_ns();
	return m;
fail:
	ipcda_metrics_free(m);
	return NULL;
}

void ipcda_metrics_free(struct ipcda_metrics *m)
{
	if (!m)
		return;
	free(m->channels);
	free(m->pairs);
	free(m->pair_index);
	free(m);
}

uint64_t ipcda_metrics_events(struct ipcda_metrics *m, unsigned type)
{
	return type < IPCD_TYPE_COUNT ? get(&m->types[type].events) : 0;
}

/* ---- the exposition ---------------------------------------------------------------- */

/* A label value: backslash, double quote and newline escaped, as the text format wants. */
static void put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Every type but the loss reports, which are counted per collector. */
static bool countable(int t)
{
	return t != IPCD_TYPE_LOST;
}

static void write_type_counters(FILE *f, struct ipcda_metrics *m)
{
	header(f, "ipcdump_events_total", "counter", "Events delivered to the outputs, by IPC type.");
	for (int t = 0; t < IPCD_TYPE_COUNT; t++)
		if (countable(t))
			fprintf(f, "ipcdump_events_total{type=\"%s\"} %llu\n", ipcd_type_name(t),
				(unsigned long long)get(&m->types[t].events));
	header(f, "ipcdump_bytes_total", "counter", "Bytes the delivered events transferred, by IPC type.");
	for (int t = 0; t < IPCD_TYPE_COUNT; t++)
		if (countable(t))
			fprintf(f, "ipcdump_bytes_total{type=\"%s\"} %llu\n", ipcd_type_name(t),
				(unsigned long long)get(&m->types[t].bytes));
	header(f, "ipcdump_channels_active", "gauge", "Channels that carried an event in the last minute, by IPC type.");
	for (int t = 0; t < IPCD_TYPE_COUNT; t++)
		if (countable(t))
			fprintf(f, "ipcdump_channels_active{type=\"%s\"} %llu\n", ipcd_type_name(t),
				(unsigned long long)get(&m->types[t].channels_active));
	header(f, "ipcdump_channels_untracked_total", "counter",
	       "Channel sightings not tracked for ipcdump_channels_active: its table was full.");
	fprintf(f, "ipcdump_channels_untracked_total %llu\n", (unsigned long long)get(&m->channels_untracked));
}

static void write_latency(FILE *f, struct ipcda_metrics *m)
{
	header(f, "ipcdump_delivery_latency_seconds", "histogram",
	       "From the sender's call to the receiver's return, by IPC type (events whose both ends were seen).");
	for (int t = 0; t < IPCD_TYPE_COUNT; t++) {
		const struct type_counts *tc = &m->types[t];
		uint64_t cumulative = 0;

		if (!countable(t))
			continue;
		for (size_t b = 0; b < LATENCY_BUCKETS; b++) {
			cumulative += get(&tc->latency_bucket[b]);
			fprintf(f, "ipcdump_delivery_latency_seconds_bucket{type=\"%s\",le=\"%g\"} %llu\n",
				ipcd_type_name(t), (double)latency_bounds_ns[b] / 1e9, (unsigned long long)cumulative);
		}
		cumulative += get(&tc->latency_bucket[LATENCY_BUCKETS]);
		/* the count read apart could be ahead of the buckets: +Inf is the buckets' own sum */
		fprintf(f, "ipcdump_delivery_latency_seconds_bucket{type=\"%s\",le=\"+Inf\"} %llu\n", ipcd_type_name(t),
			(unsigned long long)cumulative);
		fprintf(f, "ipcdump_delivery_latency_seconds_sum{type=\"%s\"} %.9f\n", ipcd_type_name(t),
			(double)get(&tc->latency_sum_ns) / 1e9);
		fprintf(f, "ipcdump_delivery_latency_seconds_count{type=\"%s\"} %llu\n", ipcd_type_name(t),
			(unsigned long long)cumulative);
	}
}

static void write_pairs(FILE *f, struct ipcda_metrics *m)
{
	size_t n = atomic_load_explicit(&m->pair_count, memory_order_acquire);
	static const char *const names[] = { "ipcdump_pair_events_total", "ipcdump_pair_bytes_total" };
	static const char *const helps[] = {
		"Events from one comm to another, by IPC type (pairs past the cap in src_comm=\"_other\").",
		"Bytes from one comm to another, by IPC type (pairs past the cap in src_comm=\"_other\").",
	};

	if (!m->pairs_on)
		return;
	for (int k = 0; k < 2; k++) {
		header(f, names[k], "counter", helps[k]);
		for (size_t i = 0; i < n; i++) {
			const struct pair *p = &m->pairs[i];

			fprintf(f, "%s{src_comm=\"", names[k]);
			put_label(f, p->src);
			fputs("\",dst_comm=\"", f);
			put_label(f, p->dst);
			fprintf(f, "\",type=\"%s\"} %llu\n", ipcd_type_name(p->type),
				(unsigned long long)get(k ? &p->bytes : &p->events));
		}
		fprintf(f, "%s{src_comm=\"_other\",dst_comm=\"_other\",type=\"_other\"} %llu\n", names[k],
			(unsigned long long)get(k ? &m->other_bytes : &m->other_events));
	}
}

static void write_collectors(FILE *f, const struct ipcda_status *st)
{
	header(f, "ipcdump_lost_events_total", "counter", "Records the kernel could not deliver, by collector.");
	for (size_t i = 0; i < st->collector_count; i++)
		fprintf(f, "ipcdump_lost_events_total{collector=\"%s\"} %llu\n", st->collectors[i].name,
			(unsigned long long)st->collectors[i].lost);
	header(f, "ipcdump_collector_attached", "gauge", "1 when the collector is loaded and attached.");
	for (size_t i = 0; i < st->collector_count; i++)
		fprintf(f, "ipcdump_collector_attached{collector=\"%s\"} %d\n", st->collectors[i].name,
			st->collectors[i].attached);
}

/* sink="sqlite:/var/lib/ipcdump/events.db" */
static void put_sink_label(FILE *f, const struct ipcda_output_status *o)
{
	fputs("sink=\"", f);
	put_label(f, o->type);
	fputc(':', f);
	put_label(f, o->what);
	fputc('"', f);
}

/* "queue full" -> "queue_full": label values that need no quoting in queries. */
static void put_reason(FILE *f, int reason)
{
	for (const char *s = ipcd_drop_reason_name(reason); *s; s++)
		fputc(*s == ' ' ? '_' : *s, f);
}

static void write_outputs(FILE *f, const struct ipcda_status *st)
{
	header(f, "ipcdump_sink_dropped_total", "counter", "Events an output did not keep, by output and reason.");
	for (size_t i = 0; i < st->output_count; i++)
		for (int r = 0; r < IPCD_DROP_REASONS; r++) {
			fputs("ipcdump_sink_dropped_total{", f);
			put_sink_label(f, &st->outputs[i]);
			fputs(",reason=\"", f);
			put_reason(f, r);
			fprintf(f, "\"} %llu\n", (unsigned long long)st->outputs[i].dropped_by[r]);
		}
	header(f, "ipcdump_sink_written_total", "counter", "Events an output kept.");
	for (size_t i = 0; i < st->output_count; i++) {
		fputs("ipcdump_sink_written_total{", f);
		put_sink_label(f, &st->outputs[i]);
		fprintf(f, "} %llu\n", (unsigned long long)st->outputs[i].written);
	}
	header(f, "ipcdump_sink_queue_depth", "gauge", "Events waiting in an output's queue.");
	for (size_t i = 0; i < st->output_count; i++) {
		fputs("ipcdump_sink_queue_depth{", f);
		put_sink_label(f, &st->outputs[i]);
		fprintf(f, "} %llu\n", (unsigned long long)st->outputs[i].queued);
	}
}

static void write_api(FILE *f, struct ipcda_context *ctx)
{
	uint64_t failed = 0, limited = 0, clients = 0, dropped_slow = 0;
	struct ipcda_auth *auth = ipcda_context_auth(ctx);

	if (auth)
		ipcda_auth_counts(auth, &failed, &limited);
	ipcda_live_counts(ipcda_live_of(ctx), &clients, &dropped_slow);
	header(f, "ipcdump_api_auth_failures_total", "counter", "API requests with wrong credentials.");
	fprintf(f, "ipcdump_api_auth_failures_total %llu\n", (unsigned long long)failed);
	header(f, "ipcdump_api_auth_limited_total", "counter",
	       "API requests refused (429) after too many failed attempts from their client.");
	fprintf(f, "ipcdump_api_auth_limited_total %llu\n", (unsigned long long)limited);
	header(f, "ipcdump_api_stream_clients", "gauge", "Clients following the live event stream.");
	fprintf(f, "ipcdump_api_stream_clients %llu\n", (unsigned long long)clients);
	header(f, "ipcdump_api_stream_dropped_slow_total", "counter",
	       "Stream clients disconnected for not reading.");
	fprintf(f, "ipcdump_api_stream_dropped_slow_total %llu\n", (unsigned long long)dropped_slow);
}

/* process_*: the usual process metrics, from /proc/self. */
static void write_process(FILE *f, struct ipcda_context *ctx)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long utime = 0, stime = 0, vsize = 0, rss = 0;
	struct rlimit rl;
	char buf[1024], *p;
	FILE *stat = fopen("/proc/self/stat", "r");
	size_t fds = 0;
	DIR *d;

	if (stat) {
		/* after the comm's closing parenthesis: field 3 on; utime 14, stime 15, vsize 23, rss 24 */
		if (fgets(buf, sizeof(buf), stat) && (p = strrchr(buf, ')')))
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
			       "%*u %llu %llu", &utime, &stime, &vsize, &rss);
		fclose(stat);
	}
	if ((d = opendir("/proc/self/fd"))) {
		while (readdir(d))
			fds++;
		closedir(d);
		fds = fds > 3 ? fds - 3 : 0;   /* ".", ".." and the directory's own */
	}
	header(f, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
	fprintf(f, "process_cpu_seconds_total %.2f\n", (double)(utime + stime) / (double)ticks);
	header(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	fprintf(f, "process_resident_memory_bytes %llu\n", rss * (unsigned long long)page);
	header(f, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	fprintf(f, "process_virtual_memory_bytes %llu\n", vsize);
	header(f, "process_open_fds", "gauge", "Open file descriptors.");
	fprintf(f, "process_open_fds %zu\n", fds);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		header(f, "process_max_fds", "gauge", "The most file descriptors the process may open.");
		fprintf(f, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	header(f, "process_start_time_seconds", "gauge", "Start time of the service since the epoch, in seconds.");
	fprintf(f, "process_start_time_seconds %.3f\n", ipcda_context_start_time(ctx));
	header(f, "ipcdump_build_info", "gauge", "The running ipcdumpd's version, as a label; always 1.");
	fprintf(f, "ipcdump_build_info{version=\"%s\"} 1\n", IPCD_VERSION);
}

void ipcda_get_metrics(struct ipcda_request *rq)
{
	struct ipcda_context *ctx = ipcda_context_of(rq);
	struct ipcda_metrics *m = ipcda_context_metrics(ctx);
	struct ipcda_status *st = malloc(sizeof(*st));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!st || !(f = open_memstream(&buf, &len))) {
		free(st);
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	ipcda_context_status(ctx, st);
	write_type_counters(f, m);
	write_latency(f, m);
	write_pairs(f, m);
	write_collectors(f, st);
	write_outputs(f, st);
	write_api(f, ctx);
	write_process(f, ctx);
	free(st);
	ipcda_reply_memstream(rq, 200, "text/plain; version=0.0.4; charset=utf-8", f, &buf, &len);
}
