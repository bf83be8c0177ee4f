/* SPDX-License-Identifier: GPL-2.0 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "sinks/analyze.h"
#include "sinks/sinks.h"
#include "engine/pipeline.h"
#include "engine/grow.h"
#include "util/json_writer.h"
#include "format/output.h"

/* Slowest deliveries kept, whatever --top asks: the list is kept sorted by insertion. */
#define ANALYZE_SLOWEST 100

/* Text columns, in terminal columns. */
#define W_BYTES 9
#define W_COUNT 7
#define W_LAT 7
#define W_TYPE 17
#define W_PAIR 44

/* Totals of one pair or one channel. */
struct total {
	char *key;
	UT_hash_handle hh;
	struct ipcd_endpoint src, dst;   /* pairs: the two ends */
	uint64_t messages, bytes;
};

/* The distinct processes one process exchanged with. */
struct talker {
	int64_t pid;
	UT_hash_handle hh;
	char comm[IPCD_COMM_LEN];
	int64_t *peers;
	size_t npeers, cap;
};

struct outlier {
	uint64_t latency_ns, ts_ns;
	enum ipcd_type type;
	struct ipcd_endpoint src, dst;
	char pair[200];
	char channel[160];
};

struct ipcd_analysis {
	struct total *pairs, *channels;
	struct talker *talkers;
	struct outlier slowest[ANALYZE_SLOWEST];   /* slowest first */
	size_t nslowest;
	uint64_t events, first_ns, last_ns;
	struct channel_namer names;
};

struct ipcd_analysis *analysis_new(void)
{
	struct ipcd_analysis *a = calloc(1, sizeof(struct ipcd_analysis));

	if (a)
		channel_namer_init(&a->names);
	return a;
}

static void totals_free(struct total **table)
{
	struct total *t, *tmp;

	HASH_ITER(hh, *table, t, tmp) {
		HASH_DEL(*table, t);
		free(t->key);
		free(t);
	}
}

void analysis_free(struct ipcd_analysis *a)
{
	struct talker *t, *tmp;

	if (!a)
		return;
	totals_free(&a->pairs);
	totals_free(&a->channels);
	HASH_ITER(hh, a->talkers, t, tmp) {
		HASH_DEL(a->talkers, t);
		free(t->peers);
		free(t);
	}
	free(a);
}

static struct total *total_add(struct total **table, const char *key, uint64_t bytes)
{
	struct total *t;

	HASH_FIND_STR(*table, key, t);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || !(t->key = strdup(key))) {
			free(t);
			return NULL;
		}
		HASH_ADD_KEYPTR(hh, *table, t->key, strlen(t->key), t);
	}
	t->messages++;
	t->bytes += bytes;
	return t;
}

static void talker_add(struct ipcd_analysis *a, const struct ipcd_endpoint *me, int64_t peer)
{
	struct talker *t;

	if (me->pid < 0 || peer < 0 || me->pid == peer)
		return;
	HASH_FIND(hh, a->talkers, &me->pid, sizeof(me->pid), t);
	if (!t) {
		if (!(t = calloc(1, sizeof(*t))))
			return;
		t->pid = me->pid;
		HASH_ADD(hh, a->talkers, pid, sizeof(t->pid), t);
	}
	memcpy(t->comm, me->comm, sizeof(t->comm));
	for (size_t i = 0; i < t->npeers; i++)
		if (t->peers[i] == peer)
			return;
	if (grow_array((void **)&t->peers, &t->cap, t->npeers + 1, sizeof(*t->peers)))
		t->peers[t->npeers++] = peer;
}

static void note_latency(struct ipcd_analysis *a, const struct ipcd_event *e, const char *pair,
			 const char *channel)
{
	size_t at = a->nslowest;
	struct outlier *o;

	if (!(e->flags & IPCD_EF_HAS_LATENCY))
		return;
	if (at == ANALYZE_SLOWEST && e->latency_ns <= a->slowest[ANALYZE_SLOWEST - 1].latency_ns)
		return;
	if (at == ANALYZE_SLOWEST)
		at--;
	else
		a->nslowest++;
	/* insertion into the sorted list */
	while (at > 0 && a->slowest[at - 1].latency_ns < e->latency_ns) {
		a->slowest[at] = a->slowest[at - 1];
		at--;
	}
	o = &a->slowest[at];
	o->latency_ns = e->latency_ns;
	o->ts_ns = e->ts_ns;
	o->type = e->type;
	o->src = e->src;
	o->dst = e->dst;
	snprintf(o->pair, sizeof(o->pair), "%.*s", (int)sizeof(o->pair) - 1, pair);
	snprintf(o->channel, sizeof(o->channel), "%.*s", (int)sizeof(o->channel) - 1, channel);
}

void analysis_add(struct ipcd_analysis *a, const struct ipcd_event *e)
{
	char src[96], dst[96], pair[200], key[200], channel[IPCD_PATH_MAX + 160];
	struct total *t;

	if (e->type == IPCD_TYPE_LOST)
		return;
	if (!a->events++ || e->ts_ns < a->first_ns)
		a->first_ns = e->ts_ns;
	if (e->ts_ns > a->last_ns)
		a->last_ns = e->ts_ns;
	fmt_endpoint(src, sizeof(src), &e->src);
	fmt_endpoint(dst, sizeof(dst), &e->dst);
	snprintf(pair, sizeof(pair), "%s > %s", src, dst);
	t = total_add(&a->pairs, pair, e->bytes);
	if (t && t->messages == 1) {
		t->src = e->src;
		t->dst = e->dst;
	}
	channel_namer_name(&a->names, e, channel, sizeof(channel));
	snprintf(key, sizeof(key), "%s %.160s", ipcd_type_name(e->type), channel[0] ? channel : "-");
	total_add(&a->channels, key, e->bytes);
	talker_add(a, &e->src, e->dst.pid);
	talker_add(a, &e->dst, e->src.pid);
	note_latency(a, e, pair, channel);
}

static int by_bytes(const void *x, const void *y)
{
	const struct total *a = *(struct total *const *)x, *b = *(struct total *const *)y;

	return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : strcmp(a->key, b->key);
}

static int by_messages(const void *x, const void *y)
{
	const struct total *a = *(struct total *const *)x, *b = *(struct total *const *)y;

	return a->messages < b->messages ? 1 : a->messages > b->messages ? -1 : strcmp(a->key, b->key);
}

static int by_peers(const void *x, const void *y)
{
	const struct talker *a = *(struct talker *const *)x, *b = *(struct talker *const *)y;

	return a->npeers < b->npeers ? 1 : a->npeers > b->npeers ? -1 : (a->pid > b->pid) - (a->pid < b->pid);
}

/* The table's entries sorted by cmp (free the array); n gets their number. */
static void **sorted(void *table, size_t count, size_t hh_offset, int (*cmp)(const void *, const void *),
		     size_t *n)
{
	void **all = calloc(count ? count : 1, sizeof(*all));
	size_t i = 0;

	*n = 0;
	if (!all)
		return NULL;
	/* walk the uthash chain: each element's hh.next is the next element */
	for (void *el = table; el; el = ((UT_hash_handle *)((char *)el + hh_offset))->next)
		all[i++] = el;
	qsort(all, i, sizeof(*all), cmp);
	*n = i;
	return all;
}

/* What a report shows, sorted, and how many rows of each. */
struct report {
	const struct ipcd_analysis *a;
	const struct ipcd_report_style *style;
	struct total **pairs, **chans;
	struct talker **talk;
	size_t npairs, nchans, ntalk;
};

static size_t rows(const struct report *r, size_t n)
{
	return r->style->top && n > r->style->top ? r->style->top : n;
}

/* "channel" of a channel total's key "type channel". */
static const char *key_channel(const struct total *t)
{
	const char *sp = strchr(t->key, ' ');

	return sp ? sp + 1 : "";
}

static const char *key_type(const struct total *t, char *buf, size_t len)
{
	const char *sp = strchr(t->key, ' ');

	snprintf(buf, len, "%.*s", sp ? (int)(sp - t->key) : (int)strlen(t->key), t->key);
	return buf;
}

static void endpoint_name(char *buf, size_t len, int64_t pid, const char *comm)
{
	struct ipcd_endpoint ep = { .pid = pid };

	memcpy(ep.comm, comm, sizeof(ep.comm));
	fmt_endpoint(buf, len, &ep);
}

/* ---- text ------------------------------------------------------------ */

static void text_title(FILE *out, const char *title, size_t shown, size_t n)
{
	fprintf(out, "\n%s (%zu of %zu)\n", title, shown, n);
}

static void text_more(FILE *out, size_t shown, size_t n)
{
	if (n > shown)
		fprintf(out, "(%zu more)\n", n - shown);
}

static void text_talkers(FILE *out, const struct report *r)
{
	size_t shown = rows(r, r->npairs);
	char buf[32];

	text_title(out, "Top talkers, by bytes", shown, r->npairs);
	fprintf(out, "%*s %*s  %s\n", W_BYTES, "bytes", W_COUNT, "msgs", "src > dst");
	for (size_t i = 0; i < shown; i++) {
		fmt_bytes(buf, sizeof(buf), r->pairs[i]->bytes);
		put_cell(out, buf, W_BYTES, true);
		fmt_count(buf, sizeof(buf), r->pairs[i]->messages);
		fputc(' ', out);
		put_cell(out, buf, W_COUNT, true);
		fprintf(out, "  %s\n", r->pairs[i]->key);
	}
	text_more(out, shown, r->npairs);
}

static void text_channels(FILE *out, const struct report *r)
{
	size_t shown = rows(r, r->nchans);
	char buf[32];

	text_title(out, "Busiest channels, by messages", shown, r->nchans);
	fprintf(out, "%*s %*s  %-*s %s\n", W_COUNT, "msgs", W_BYTES, "bytes", W_TYPE, "type", "channel");
	for (size_t i = 0; i < shown; i++) {
		fmt_count(buf, sizeof(buf), r->chans[i]->messages);
		put_cell(out, buf, W_COUNT, true);
		fmt_bytes(buf, sizeof(buf), r->chans[i]->bytes);
		fputc(' ', out);
		put_cell(out, buf, W_BYTES, true);
		fputs("  ", out);
		put_cell(out, key_type(r->chans[i], buf, sizeof(buf)), W_TYPE, false);
		fprintf(out, " %s\n", key_channel(r->chans[i]));
	}
	text_more(out, shown, r->nchans);
}

static void text_slowest(FILE *out, const struct report *r)
{
	size_t shown = rows(r, r->a->nslowest);
	char buf[48];

	text_title(out, "Slowest deliveries", shown, r->a->nslowest);
	fprintf(out, "%*s  %-12s  %-*s %-*s %s\n", W_LAT, "latency", "time", W_TYPE, "type", W_PAIR, "src > dst",
		"channel");
	for (size_t i = 0; i < shown; i++) {
		const struct outlier *o = &r->a->slowest[i];

		fmt_duration(buf, sizeof(buf), o->latency_ns);
		put_cell(out, buf, W_LAT, true);
		/* the time of day: the day is in the header */
		fmt_wall_ms(buf, sizeof(buf), o->ts_ns, r->style->mono_to_real_ns);
		fprintf(out, "  %-12s  ", strlen(buf) > 11 ? buf + 11 : buf);
		put_cell(out, ipcd_type_name(o->type), W_TYPE, false);
		fputc(' ', out);
		put_cell(out, o->pair, W_PAIR, false);
		fprintf(out, " %s\n", o->channel);
	}
}

static void text_peers(FILE *out, const struct report *r)
{
	size_t shown = rows(r, r->ntalk);
	char buf[96];

	text_title(out, "Processes talking to the most others", shown, r->ntalk);
	for (size_t i = 0; i < shown; i++) {
		endpoint_name(buf, sizeof(buf), r->talk[i]->pid, r->talk[i]->comm);
		fprintf(out, "%*zu %-5s  %s\n", W_COUNT, r->talk[i]->npeers,
			noun_for(r->talk[i]->npeers, "peer", "peers"), buf);
	}
	text_more(out, shown, r->ntalk);
}

static void report_text(FILE *out, const struct report *r)
{
	char span[112];

	fprintf(out, "%" PRIu64 " %s", r->a->events, noun_for(r->a->events, "event", "events"));
	if (r->a->events) {
		fmt_wall_span(span, sizeof(span), r->a->first_ns, r->a->last_ns, r->style->mono_to_real_ns);
		fprintf(out, ", %s (%.3f s)", span, (r->a->last_ns - r->a->first_ns) / 1e9);
	}
	fputc('\n', out);
	text_talkers(out, r);
	text_channels(out, r);
	text_slowest(out, r);
	text_peers(out, r);
}

/* ---- JSON ------------------------------------------------------------ */

static void json_end(struct json_writer *jw, const char *pid_key, const char *comm_key,
		     const struct ipcd_endpoint *ep)
{
	char comm[IPCD_COMM_LEN + 1];

	snprintf(comm, sizeof(comm), "%.*s", IPCD_COMM_LEN, ep->comm);
	jw_key(jw, pid_key);
	if (ep->pid < 0)
		jw_null(jw);
	else
		jw_int(jw, ep->pid);
	jw_key(jw, comm_key);
	if (ep->pid < 0 || !comm[0])
		jw_null(jw);
	else
		jw_string(jw, comm);
}

static void json_totals(struct json_writer *jw, const char *name, struct total **t, size_t n, bool pairs)
{
	char type[32];

	jw_key(jw, name);
	jw_array_begin(jw);
	for (size_t i = 0; i < n; i++) {
		jw_object_begin(jw);
		jw_kv_string(jw, "what", t[i]->key);
		if (pairs) {
			json_end(jw, "src_pid", "src_comm", &t[i]->src);
			json_end(jw, "dst_pid", "dst_comm", &t[i]->dst);
		} else {
			jw_kv_string(jw, "type", key_type(t[i], type, sizeof(type)));
			jw_kv_string(jw, "channel", key_channel(t[i]));
		}
		jw_kv_uint(jw, "messages", t[i]->messages);
		jw_kv_uint(jw, "bytes", t[i]->bytes);
		jw_object_end(jw);
	}
	jw_array_end(jw);
}

/* "type pair channel" in one string, as the report had it before its fields. */
static void json_what(struct json_writer *jw, const struct outlier *o)
{
	char what[sizeof(o->pair) + sizeof(o->channel) + 32];

	snprintf(what, sizeof(what), "%s %s %s", ipcd_type_name(o->type), o->pair, o->channel);
	jw_kv_string(jw, "what", what);
}

static void json_slowest(struct json_writer *jw, const struct report *r)
{
	char when[64];

	jw_key(jw, "slowest");
	jw_array_begin(jw);
	for (size_t i = 0; i < rows(r, r->a->nslowest); i++) {
		const struct outlier *o = &r->a->slowest[i];

		jw_object_begin(jw);
		jw_kv_uint(jw, "latency_ns", o->latency_ns);
		fmt_wall_rfc3339(when, sizeof(when), o->ts_ns, r->style->mono_to_real_ns);
		jw_kv_string(jw, "time", when);
		jw_kv_string(jw, "type", ipcd_type_name(o->type));
		json_end(jw, "src_pid", "src_comm", &o->src);
		json_end(jw, "dst_pid", "dst_comm", &o->dst);
		jw_kv_string(jw, "channel", o->channel);
		json_what(jw, o);
		jw_object_end(jw);
	}
	jw_array_end(jw);
}

static void report_json(FILE *out, const struct report *r)
{
	struct json_writer jw;

	jw_init(&jw, out);
	jw_object_begin(&jw);
	jw_kv_uint(&jw, "events", r->a->events);
	json_totals(&jw, "top_talkers", r->pairs, rows(r, r->npairs), true);
	json_totals(&jw, "busiest_channels", r->chans, rows(r, r->nchans), false);
	json_slowest(&jw, r);
	jw_key(&jw, "most_peers");
	jw_array_begin(&jw);
	for (size_t i = 0; i < rows(r, r->ntalk); i++) {
		jw_object_begin(&jw);
		jw_kv_int(&jw, "pid", r->talk[i]->pid);
		jw_kv_string(&jw, "comm", r->talk[i]->comm);
		jw_kv_uint(&jw, "peers", r->talk[i]->npeers);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end_line(&jw);
}

/* ---- CSV: one table per section, each with its header row ------------ */

static void report_csv(FILE *out, const struct report *r)
{
	char buf[64];

	fprintf(out, "section,events\nsummary,%" PRIu64 "\n\n", r->a->events);
	fputs("section,pair,src_pid,src_comm,dst_pid,dst_comm,messages,bytes\n", out);
	for (size_t i = 0; i < rows(r, r->npairs); i++) {
		csv_cell(out, "top_talker", true);
		csv_cell(out, r->pairs[i]->key, false);
		csv_pid_comm(out, &r->pairs[i]->src);
		csv_pid_comm(out, &r->pairs[i]->dst);
		fprintf(out, ",%" PRIu64 ",%" PRIu64 "\n", r->pairs[i]->messages, r->pairs[i]->bytes);
	}
	fputs("\nsection,type,channel,messages,bytes\n", out);
	for (size_t i = 0; i < rows(r, r->nchans); i++) {
		csv_cell(out, "busiest_channel", true);
		csv_cell(out, key_type(r->chans[i], buf, sizeof(buf)), false);
		csv_cell(out, key_channel(r->chans[i]), false);
		fprintf(out, ",%" PRIu64 ",%" PRIu64 "\n", r->chans[i]->messages, r->chans[i]->bytes);
	}
	fputs("\nsection,latency_ns,time,type,src_pid,src_comm,dst_pid,dst_comm,channel\n", out);
	for (size_t i = 0; i < rows(r, r->a->nslowest); i++) {
		const struct outlier *o = &r->a->slowest[i];

		csv_cell(out, "slowest", true);
		csv_uint(out, o->latency_ns);
		fmt_wall_rfc3339(buf, sizeof(buf), o->ts_ns, r->style->mono_to_real_ns);
		csv_cell(out, buf, false);
		csv_cell(out, ipcd_type_name(o->type), false);
		csv_pid_comm(out, &o->src);
		csv_pid_comm(out, &o->dst);
		csv_cell(out, o->channel, false);
		fputc('\n', out);
	}
	fputs("\nsection,pid,comm,peers\n", out);
	for (size_t i = 0; i < rows(r, r->ntalk); i++) {
		csv_cell(out, "most_peers", true);
		csv_int(out, r->talk[i]->pid);
		snprintf(buf, sizeof(buf), "%.*s", IPCD_COMM_LEN, r->talk[i]->comm);
		csv_cell(out, buf, false);
		fprintf(out, ",%zu\n", r->talk[i]->npeers);
	}
}

void analysis_report(const struct ipcd_analysis *a, FILE *out, const struct ipcd_report_style *style)
{
	struct report r = { .a = a, .style = style };

	r.pairs = (struct total **)sorted(a->pairs, HASH_COUNT(a->pairs), offsetof(struct total, hh), by_bytes,
					  &r.npairs);
	r.chans = (struct total **)sorted(a->channels, HASH_COUNT(a->channels), offsetof(struct total, hh),
					  by_messages, &r.nchans);
	r.talk = (struct talker **)sorted(a->talkers, HASH_COUNT(a->talkers), offsetof(struct talker, hh),
					  by_peers, &r.ntalk);
	if (r.pairs && r.chans && r.talk) {
		if (style->format == IPCD_FORMAT_JSON)
			report_json(out, &r);
		else if (style->format == IPCD_FORMAT_CSV)
			report_csv(out, &r);
		else
			report_text(out, &r);
	}
	free(r.pairs);
	free(r.chans);
	free(r.talk);
	fflush(out);
}

/* ---- the --analyze sink ---------------------------------------------------- */

struct analyze_sink {
	struct ipcd_analysis *analysis;
	FILE *out;
	struct ipcd_report_style style;
};

static int analyze_sink_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	const struct ipcd_options *opts = ipcd_pipeline_options(p);
	struct analyze_sink *as = s->ctx;

	as->out = ipcd_pipeline_output(p);
	as->style = (struct ipcd_report_style){
		.format = opts->format,
		.top = opts->top,
		.mono_to_real_ns = ipcd_pipeline_clock(p),
	};
	return 0;
}

static enum ipcd_sink_result analyze_sink_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct analyze_sink *as = s->ctx;

	analysis_add(as->analysis, e);
	return IPCD_SINK_WRITTEN;
}

static void analyze_sink_flush(struct ipcd_sink *s, uint64_t end_ns)
{
	struct analyze_sink *as = s->ctx;

	(void)end_ns;
	analysis_report(as->analysis, as->out, &as->style);
}

static void analyze_sink_free(struct ipcd_sink *s)
{
	struct analyze_sink *as = s->ctx;

	if (as)
		analysis_free(as->analysis);
	free(as);
}

struct ipcd_sink *ipcd_analyze_sink_new(void)
{
	struct ipcd_sink *s = ipcd_sink_new("analyze");
	struct analyze_sink *as;

	if (!s)
		return NULL;
	s->free = analyze_sink_free;
	if (!(as = s->ctx = calloc(1, sizeof(*as))) || !(as->analysis = analysis_new())) {
		ipcd_sink_free(s);
		return NULL;
	}
	s->fate = "analyzed";
	s->open = analyze_sink_open;
	s->event = analyze_sink_event;
	s->flush = analyze_sink_flush;
	return s;
}
