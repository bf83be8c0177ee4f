/* SPDX-License-Identifier: GPL-2.0 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "analyze.h"
#include "grow.h"
#include "json_writer.h"
#include "output.h"

/* Totals of one pair or one channel. */
struct total {
	char *key;
	UT_hash_handle hh;
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
	char what[320];
};

struct ipcd_analysis {
	struct total *pairs, *channels;
	struct talker *talkers;
	struct outlier slowest[ANALYZE_TOP];   /* slowest first */
	size_t nslowest;
	uint64_t events;
};

struct ipcd_analysis *analysis_new(void)
{
	return calloc(1, sizeof(struct ipcd_analysis));
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

static void total_add(struct total **table, const char *key, uint64_t bytes)
{
	struct total *t;

	HASH_FIND_STR(*table, key, t);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || !(t->key = strdup(key))) {
			free(t);
			return;
		}
		HASH_ADD_KEYPTR(hh, *table, t->key, strlen(t->key), t);
	}
	t->messages++;
	t->bytes += bytes;
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

static void endpoint_label(char *buf, size_t len, const struct ipcd_endpoint *ep)
{
	if (ep->pid < 0)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%" PRId64 "(%.*s)", ep->pid, IPCD_COMM_LEN, ep->comm);
}

static void note_latency(struct ipcd_analysis *a, const struct ipcd_event *e, const char *pair,
			 const char *channel)
{
	size_t at = a->nslowest;

	if (!(e->flags & IPCD_EF_HAS_LATENCY))
		return;
	if (at == ANALYZE_TOP && e->latency_ns <= a->slowest[ANALYZE_TOP - 1].latency_ns)
		return;
	if (at == ANALYZE_TOP)
		at--;
	else
		a->nslowest++;
	/* insertion into the sorted list */
	while (at > 0 && a->slowest[at - 1].latency_ns < e->latency_ns) {
		a->slowest[at] = a->slowest[at - 1];
		at--;
	}
	a->slowest[at].latency_ns = e->latency_ns;
	a->slowest[at].ts_ns = e->ts_ns;
	snprintf(a->slowest[at].what, sizeof(a->slowest[at].what), "%.24s %.160s %.80s", ipcd_type_name(e->type),
		 pair, channel);
}

void analysis_add(struct ipcd_analysis *a, const struct ipcd_event *e)
{
	char src[48], dst[48], key[160], channel[IPCD_PATH_MAX + 160];

	if (e->type == IPCD_TYPE_LOST)
		return;
	a->events++;
	endpoint_label(src, sizeof(src), &e->src);
	endpoint_label(dst, sizeof(dst), &e->dst);
	snprintf(key, sizeof(key), "%s > %s", src, dst);
	total_add(&a->pairs, key, e->bytes);
	ipcd_event_channel(e, channel, sizeof(channel));
	snprintf(key, sizeof(key), "%s %.120s", ipcd_type_name(e->type), channel[0] ? channel : "-");
	total_add(&a->channels, key, e->bytes);
	talker_add(a, &e->src, e->dst.pid);
	talker_add(a, &e->dst, e->src.pid);
	snprintf(key, sizeof(key), "%s > %s", src, dst);
	note_latency(a, e, key, channel);
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

static void report_text(const struct ipcd_analysis *a, FILE *out, struct total **pairs, size_t npairs,
			struct total **chans, size_t nchans, struct talker **talk, size_t ntalk)
{
	fprintf(out, "%" PRIu64 " events\n\nTop talkers (by bytes)\n", a->events);
	for (size_t i = 0; i < npairs && i < ANALYZE_TOP; i++)
		fprintf(out, "  %12" PRIu64 " bytes %8" PRIu64 " msgs  %s\n", pairs[i]->bytes, pairs[i]->messages,
			pairs[i]->key);
	fprintf(out, "\nBusiest channels (by messages)\n");
	for (size_t i = 0; i < nchans && i < ANALYZE_TOP; i++)
		fprintf(out, "  %8" PRIu64 " msgs %12" PRIu64 " bytes  %s\n", chans[i]->messages, chans[i]->bytes,
			chans[i]->key);
	fprintf(out, "\nSlowest deliveries\n");
	for (size_t i = 0; i < a->nslowest; i++)
		fprintf(out, "  %12" PRIu64 " ns  %s\n", a->slowest[i].latency_ns, a->slowest[i].what);
	fprintf(out, "\nProcesses talking to the most others\n");
	for (size_t i = 0; i < ntalk && i < ANALYZE_TOP; i++)
		fprintf(out, "  %6zu peers  %" PRId64 "(%.*s)\n", talk[i]->npeers, talk[i]->pid, IPCD_COMM_LEN,
			talk[i]->comm);
}

static void json_totals(struct json_writer *jw, const char *name, struct total **t, size_t n)
{
	jw_key(jw, name);
	jw_array_begin(jw);
	for (size_t i = 0; i < n && i < ANALYZE_TOP; i++) {
		jw_object_begin(jw);
		jw_kv_string(jw, "what", t[i]->key);
		jw_kv_uint(jw, "messages", t[i]->messages);
		jw_kv_uint(jw, "bytes", t[i]->bytes);
		jw_object_end(jw);
	}
	jw_array_end(jw);
}

static void report_json(const struct ipcd_analysis *a, FILE *out, struct total **pairs, size_t npairs,
			struct total **chans, size_t nchans, struct talker **talk, size_t ntalk)
{
	struct json_writer jw;

	jw_init(&jw, out);
	jw_object_begin(&jw);
	jw_kv_uint(&jw, "events", a->events);
	json_totals(&jw, "top_talkers", pairs, npairs);
	json_totals(&jw, "busiest_channels", chans, nchans);
	jw_key(&jw, "slowest");
	jw_array_begin(&jw);
	for (size_t i = 0; i < a->nslowest; i++) {
		jw_object_begin(&jw);
		jw_kv_uint(&jw, "latency_ns", a->slowest[i].latency_ns);
		jw_kv_string(&jw, "what", a->slowest[i].what);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_key(&jw, "most_peers");
	jw_array_begin(&jw);
	for (size_t i = 0; i < ntalk && i < ANALYZE_TOP; i++) {
		jw_object_begin(&jw);
		jw_kv_int(&jw, "pid", talk[i]->pid);
		jw_kv_string(&jw, "comm", talk[i]->comm);
		jw_kv_uint(&jw, "peers", talk[i]->npeers);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end_line(&jw);
}

void analysis_report(const struct ipcd_analysis *a, FILE *out, bool json)
{
	size_t npairs, nchans, ntalk;
	struct total **pairs = (struct total **)sorted(a->pairs, HASH_COUNT(a->pairs), offsetof(struct total, hh),
						       by_bytes, &npairs);
	struct total **chans = (struct total **)sorted(a->channels, HASH_COUNT(a->channels),
						       offsetof(struct total, hh), by_messages, &nchans);
	struct talker **talk = (struct talker **)sorted(a->talkers, HASH_COUNT(a->talkers),
							offsetof(struct talker, hh), by_peers, &ntalk);

	if (pairs && chans && talk) {
		if (json)
			report_json(a, out, pairs, npairs, chans, nchans, talk, ntalk);
		else
			report_text(a, out, pairs, npairs, chans, nchans, talk, ntalk);
	}
	free(pairs);
	free(chans);
	free(talk);
	fflush(out);
}
