/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's run: source -> joins -> enrichment -> filter -> sinks.
 * See pipeline.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "engine/pipeline.h"
#include "engine/capture.h"
#include "engine/event.h"
#include "engine/grow.h"
#include "engine/msg_join.h"
#include "engine/proc_table.h"
#include "engine/registry.h"
#include "engine/stream_join.h"
#include "engine/tracer.h"
#include "filter/filter_expr.h"
#include "records.h"
#include "util/noun.h"

#define POLL_MS 50
#define TRACER_NICE (-10)
#define READ_WAIT_NS (1000ull * 1000 * 1000)   /* a read waits this long for its writes */
#define COLLECT_EVERY_NS (1000ull * 1000 * 1000)
#define EXPIRE_EVERY_NS (100ull * 1000 * 1000)
#define MAX_BATCH 65536
#define KEEP_EXITED_NS (10ull * 1000 * 1000 * 1000)  /* their events may still be joining */

/* An event kept to hand over later: an owned copy (ipcd_event_copy), and its place in the order emitted. */
struct deferred {
	struct ipcd_event e;
	size_t seq;
};

/* The joins' states of one run. */
struct joins {
	struct stream_join *pipes;   /* pipes, FIFOs, unix stream sockets and TCP: the families share it */
	struct ipcd_family_set *families;  /* every family's join */
};

struct ipcd_pipeline {
	const struct ipcd_options *opts;
	FILE *out;
	int64_t mono_to_real_ns;
	struct ipcd_tracer tracer;
	struct joins joins;
	struct proc_table *procs;
	struct ipcd_sink *sinks;
	/* the run's filter, once a front end has set one (a service's reload); before: opts->filter */
	const struct fexpr *filter;
	bool filter_set;
	uint64_t accepted;  /* events that passed the filter and went to the sinks, for -c */
	uint64_t numbered;  /* events numbered so far (ipcd_pipeline_claim_ids) */
	uint64_t id_base;
	const void *id_owner;
	bool keeps_ids;     /* a store read: its events have their ids already */
	uint64_t lost_seen[IPCD_COLL_MAX];
	volatile sig_atomic_t stop_requested;
	bool done;          /* -c reached or an output closed */
	unsigned int batch; /* records handled in this poll */
	bool draining;      /* stopping: take everything left in the ring */
	uint64_t last_expire, last_collect;
	bool tree;          /* -- CMD, --follow, or a capture of either */
	bool inside;        /* --inside */
	bool deferring;     /* at exit: events wait in deferred, to reach the sinks in time order */
	bool wants_order;   /* a sink asks for the drained events in time order */
	struct deferred *deferred;
	size_t ndeferred, deferred_cap;
};

uint64_t ipcd_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* This machine's offset from CLOCK_MONOTONIC to wall time, read between two monotonic reads. */
static int64_t live_mono_to_real(void)
{
	int64_t mono1 = clock_ns(CLOCK_MONOTONIC);
	int64_t real = clock_ns(CLOCK_REALTIME);
	int64_t mono2 = clock_ns(CLOCK_MONOTONIC);

	return real - (mono1 + (mono2 - mono1) / 2);
}

/* ---- the run's own lines on stderr ------------------------------------------ */

enum say_level { SAY_INFO, SAY_NOTE, SAY_ERROR };

/*
 * "ipcdump: ..." as the command line has always said it ("note:" on notes
 * alone), or "ipcdumpd: info: ..." when the options ask for levels (a service's log).
 */
/* stderr, unless the front end keeps the lines itself (libipcdump's error messages) */
static FILE *diagnostics(const struct ipcd_pipeline *p)
{
	return p->opts->diagnostics ? p->opts->diagnostics : stderr;
}

static void say(const struct ipcd_pipeline *p, enum say_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(const struct ipcd_pipeline *p, enum say_level level, const char *fmt, ...)
{
	static const char *const plain[] = { [SAY_INFO] = "", [SAY_NOTE] = "note: ", [SAY_ERROR] = "" };
	static const char *const leveled[] = { [SAY_INFO] = "info: ", [SAY_NOTE] = "info: ",
					       [SAY_ERROR] = "error: " };
	va_list ap;

	fprintf(diagnostics(p), "%s: %s", ipcd_program_name(p->opts), (p->opts->log_levels ? leveled : plain)[level]);
	va_start(ap, fmt);
	vfprintf(diagnostics(p), fmt, ap);
	va_end(ap);
}

/* ---- sinks -------------------------------------------------------------- */

/* The payload bytes s takes of e: its per-type limit, or its one limit (0: all). */
static uint32_t sink_payload_limit(const struct ipcd_sink *s, const struct ipcd_event *e)
{
	if (s->payload_by_type && e->type < IPCD_TYPE_COUNT)
		return s->payload_limit_of[e->type];
	return s->payload_limit ? s->payload_limit : UINT32_MAX;
}

static void count_drop(struct ipcd_sink *s, enum ipcd_drop_reason reason)
{
	s->counters.dropped++;
	s->counters.dropped_by[reason]++;
}

/* The sink's own filter and payload limit, then the sink; a closed output ends the run. */
static void sink_event(struct ipcd_pipeline *p, struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct ipcd_event limited;
	uint32_t limit;

	if (!s->event)
		return;
	s->counters.in++;
	if (s->filter && !fexpr_match(s->filter, e))
		return;
	limit = sink_payload_limit(s, e);
	if (e->payload_len > limit) {
		limited = *e;
		limited.payload_len = limit;
		if (!limit)
			limited.payload = NULL;
		e = &limited;
	}
	switch (s->event(s, e)) {
	case IPCD_SINK_WRITTEN:
		s->counters.written++;
		break;
	case IPCD_SINK_DROPPED:
		count_drop(s, IPCD_DROP_NO_MEMORY);
		break;
	case IPCD_SINK_DROPPED_FULL:
		count_drop(s, IPCD_DROP_QUEUE_FULL);
		break;
	case IPCD_SINK_DROPPED_WRITE:
		count_drop(s, IPCD_DROP_WRITE_FAILED);
		break;
	case IPCD_SINK_FAILED:
		p->done = true;
		break;
	}
}

/* An event that passed the run's filter, to every sink that takes events; it counts for -c. */
static void deliver(struct ipcd_pipeline *p, const struct ipcd_event *e)
{
	for (struct ipcd_sink *s = p->sinks; s && !p->done; s = s->next)
		if (s->fate)
			sink_event(p, s, e);
	if (p->done)
		return;
	p->accepted++;
	if (p->opts->count && p->accepted >= p->opts->count)
		p->done = true;
}

/* The next id, as the event goes to the sinks: their order is the store's row order. */
static void number_event(struct ipcd_pipeline *p, struct ipcd_event *e)
{
	e->id = p->id_base + ++p->numbered;
}

bool ipcd_pipeline_claim_ids(struct ipcd_pipeline *p, const void *owner, uint64_t next_id)
{
	if (p->keeps_ids || (p->id_owner && p->id_owner != owner))
		return false;
	p->id_owner = owner;
	if (next_id > p->id_base + p->numbered + 1)
		p->id_base = next_id - p->numbered - 1;
	return true;
}

void ipcd_pipeline_release_ids(struct ipcd_pipeline *p, const void *owner)
{
	if (p->id_owner == owner)
		p->id_owner = NULL;
}

/* A "lost N events" report: not filtered, not counted, to the sinks that print them. */
static void deliver_lost(struct ipcd_pipeline *p, const struct ipcd_event *e)
{
	for (struct ipcd_sink *s = p->sinks; s; s = s->next)
		if (s->reports_losses && s->event)
			s->event(s, e);
}

static void sinks_record(struct ipcd_pipeline *p, const void *rec, size_t size)
{
	for (struct ipcd_sink *s = p->sinks; s; s = s->next)
		if (s->record)
			s->record(s, rec, size);
}

static void sinks_tick(struct ipcd_pipeline *p, uint64_t now)
{
	for (struct ipcd_sink *s = p->sinks; s; s = s->next)
		if (s->tick)
			s->tick(s, now);
}

static int sinks_open(struct ipcd_pipeline *p)
{
	int rc;

	for (struct ipcd_sink *s = p->sinks; s; s = s->next)
		if (s->open && (rc = s->open(s, p)))
			return rc;
	return 0;
}

static void sinks_flush(struct ipcd_pipeline *p, uint64_t end_ns)
{
	for (struct ipcd_sink *s = p->sinks; s; s = s->next)
		if (s->flush)
			s->flush(s, end_ns);
	if (p->out)
		fflush(p->out);
}

/* Every sink closes; the first failure is the exit code. */
static int sinks_close(struct ipcd_pipeline *p)
{
	int rc = IPCD_EXIT_OK, r;

	for (struct ipcd_sink *s = p->sinks; s; s = s->next) {
		if (!s->close)
			continue;
		r = s->close(s);
		s->close = NULL;  /* once */
		if (r && !rc)
			rc = r;
	}
	return rc;
}

void ipcd_pipeline_add_sink(struct ipcd_pipeline *p, struct ipcd_sink *s)
{
	struct ipcd_sink **at = &p->sinks;

	while (*at)
		at = &(*at)->next;
	*at = s;
	s->next = NULL;
	if (s->time_ordered)
		p->wants_order = true;
}

static bool in_array(struct ipcd_sink *const *sinks, size_t count, const struct ipcd_sink *s)
{
	for (size_t i = 0; i < count; i++)
		if (sinks[i] == s)
			return true;
	return false;
}

static bool in_list(const struct ipcd_sink *list, const struct ipcd_sink *s)
{
	for (; list; list = list->next)
		if (list == s)
			return true;
	return false;
}

/* The sinks leaving take their last events (their queues drain) and close; still in the list. */
static void close_leaving(struct ipcd_pipeline *p, struct ipcd_sink *const *sinks, size_t count, uint64_t now)
{
	for (struct ipcd_sink *s = p->sinks; s; s = s->next) {
		if (in_array(sinks, count, s))
			continue;
		if (s->flush)
			s->flush(s, now);
		if (s->close)
			s->close(s);
		s->close = NULL;
	}
}

/* The sinks new to the list open (their clocks start now); one that cannot is freed, its slot NULL. */
static int open_arriving(struct ipcd_pipeline *p, struct ipcd_sink **sinks, size_t count, uint64_t now)
{
	int rc = 0, r;

	for (size_t i = 0; i < count; i++) {
		struct ipcd_sink *s = sinks[i];

		if (in_list(p->sinks, s))
			continue;
		if (s->open && (r = s->open(s, p))) {
			if (!rc)
				rc = r;
			ipcd_sink_free(s);
			sinks[i] = NULL;
			continue;
		}
		if (s->tick)
			s->tick(s, now);
	}
	return rc;
}

int ipcd_pipeline_replace_sinks(struct ipcd_pipeline *p, struct ipcd_sink **sinks, size_t count)
{
	uint64_t now = ipcd_monotonic_ns();
	struct ipcd_sink *s, *next, **tail = &p->sinks;
	int rc;

	/* closed before the new ones open: one may write where a leaving one did (the same path) */
	close_leaving(p, sinks, count, now);
	rc = open_arriving(p, sinks, count, now);
	for (s = p->sinks; s; s = next) {
		next = s->next;
		if (!in_array(sinks, count, s))
			ipcd_sink_free(s);
	}
	p->wants_order = false;
	for (size_t i = 0; i < count; i++) {
		if (!(s = sinks[i]))
			continue;
		if (s->time_ordered)
			p->wants_order = true;
		*tail = s;
		tail = &s->next;
	}
	*tail = NULL;
	return rc;
}

bool ipcd_pipeline_set_filter(struct ipcd_pipeline *p, const struct fexpr *filter)
{
	/* what the kernel drops by the flags' lists was decided at load: a new filter could not widen it */
	if (ipcd_tracer_filters_in_kernel(&p->tracer))
		return false;
	p->filter = filter;
	p->filter_set = true;
	return true;
}

/* ---- the events deferred at the end -------------------------------------- */

/* Keeps a copy of e to hand over later; false if there is no memory for it (it goes at once). */
static bool defer_event(struct ipcd_pipeline *p, const struct ipcd_event *e)
{
	struct deferred *d;

	if (!grow_array((void **)&p->deferred, &p->deferred_cap, p->ndeferred + 1, sizeof(*p->deferred)))
		return false;
	d = &p->deferred[p->ndeferred];
	if (!ipcd_event_copy(&d->e, e))
		return false;
	d->seq = p->ndeferred++;
	return true;
}

/* Oldest first; equal times keep the order they were emitted in. */
static int by_time(const void *a, const void *b)
{
	const struct deferred *x = a, *y = b;

	if (x->e.ts_ns != y->e.ts_ns)
		return x->e.ts_ns < y->e.ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The events deferred, handed over in time order (up to -c), then freed. */
static void deliver_deferred(struct ipcd_pipeline *p)
{
	if (p->ndeferred)  /* qsort takes no NULL array, even empty */
		qsort(p->deferred, p->ndeferred, sizeof(*p->deferred), by_time);
	for (size_t i = 0; i < p->ndeferred; i++) {
		if (!p->done) {
			number_event(p, &p->deferred[i].e);
			deliver(p, &p->deferred[i].e);
		}
		ipcd_event_copy_free(&p->deferred[i].e);
	}
	free(p->deferred);
	p->deferred = NULL;
	p->ndeferred = p->deferred_cap = 0;
	p->deferring = false;
}

/* ---- enrichment and the filter ------------------------------------------- */

static void fill_parent(const struct proc_table *procs, struct ipcd_endpoint *ep)
{
	const char *pcomm = proc_table_comm(procs, ep->ppid);

	if (pcomm)
		memcpy(ep->pcomm, pcomm, sizeof(ep->pcomm));
}

/* Either end in the traced tree, or with --inside both (the kernel dropped what one end decided). */
static bool tree_match(const struct ipcd_pipeline *p, const struct ipcd_event *e)
{
	bool src, dst;

	if (!p->tree || e->type == IPCD_TYPE_LOST)
		return true;
	src = proc_table_in_tree(p->procs, e->src.pid);
	dst = proc_table_in_tree(p->procs, e->dst.pid);
	return p->inside ? src && dst : src || dst;
}

/* Lost-event reports always pass. */
static bool run_filter_match(const struct ipcd_pipeline *p, const struct ipcd_event *e)
{
	const struct fexpr *filter = p->filter_set ? p->filter : p->opts->filter;

	return e->type == IPCD_TYPE_LOST || !filter || fexpr_match(filter, e);
}

/* --since and --until, by the event's wall-clock time. */
static bool in_time_window(const struct ipcd_pipeline *p, const struct ipcd_event *e)
{
	/* unsigned: a damaged capture's times may be anything */
	int64_t wall = (int64_t)(e->ts_ns + (uint64_t)p->mono_to_real_ns);

	if (e->type == IPCD_TYPE_LOST || (!p->opts->since_ns && !p->opts->until_ns))
		return true;
	return (!p->opts->since_ns || wall >= p->opts->since_ns) && (!p->opts->until_ns || wall <= p->opts->until_ns);
}

/* Each event a join makes: enriched, filtered, then to the sinks (or kept, draining, for time order). */
static void emit_event(void *ctx, const struct ipcd_event *e)
{
	struct ipcd_pipeline *p = ctx;
	struct ipcd_event out;

	if (p->done || !(p->opts->types & IPCD_TYPE_BIT(e->type)))
		return;
	out = *e;
	/* names the joins know (a unix socket's path, a TCP listener) */
	ipcd_family_set_describe(p->joins.families, &out);
	/* the expression may ask for names and parents: after they are filled in */
	fill_parent(p->procs, &out.src);
	fill_parent(p->procs, &out.dst);
	if (!in_time_window(p, &out) || !run_filter_match(p, &out) || !tree_match(p, &out))
		return;
	if (p->deferring && p->wants_order && defer_event(p, &out))
		return;
	number_event(p, &out);
	deliver(p, &out);
}

/* ---- the joins ------------------------------------------------------------ */

/* A sender only a message names: its comm, if it is still alive. */
static const char *comm_of_pid(void *ctx, uint32_t pid)
{
	struct ipcd_pipeline *p = ctx;

	return proc_table_comm(p->procs, pid);
}

static bool new_joins(struct ipcd_pipeline *p)
{
	struct joins *j = &p->joins;

	j->pipes = stream_join_new(emit_event, p);
	if (!j->pipes || !p->procs)
		return false;
	j->families = ipcd_family_set_new(&(struct ipcd_family_env){
		.emit = emit_event, .emit_ctx = p, .comm = comm_of_pid, .comm_ctx = p,
		.procs = p->procs, .streams = j->pipes,
		.pipe_read_offset = ipcd_tracer_pipe_read_offset, .read_offset_ctx = &p->tracer,
	});
	return j->families != NULL;
}

static void free_joins(struct ipcd_pipeline *p)
{
	ipcd_family_set_free(p->joins.families);
	stream_join_free(p->joins.pipes);
}

/* Pending halves waiting longer than a read waits go out as they are. */
static void expire_joins(struct ipcd_pipeline *p, uint64_t now)
{
	ipcd_family_set_expire(p->joins.families, now, READ_WAIT_NS);
}

/* Memory to give back: the pipes the kernel says are read. */
static void collect_joins(struct ipcd_pipeline *p)
{
	ipcd_family_set_collect(p->joins.families);
}

/* What waits in the joins goes out: the receives, and the sends never received. */
static void flush_joins(struct ipcd_pipeline *p)
{
	ipcd_family_set_flush(p->joins.families);
}

/* Events lost for want of memory in the joins. */
static uint64_t joins_dropped(const struct ipcd_pipeline *p)
{
	return ipcd_family_set_dropped(p->joins.families);
}

/* Writes reported before their reads, to bound memory. */
static uint64_t joins_evicted(const struct ipcd_pipeline *p)
{
	return ipcd_family_set_evicted(p->joins.families);
}

static void on_proc_record(struct ipcd_pipeline *p, const struct ipcd_proc *rec)
{
	proc_table_record(p->procs, rec);
	/* a process gone maps nothing (the collector reports the group's last thread, leader or not) */
	if (rec->event == IPCD_PROC_EXIT)
		ipcd_family_set_process_exited(p->joins.families, rec->task.pid);
}

/* A capture of a traced tree names its members, so that reading it shows what tracing it showed. */
static void on_tree_record(struct ipcd_pipeline *p, const struct ipcd_tree_member *rec)
{
	p->tree = true;
	p->inside = rec->inside;
	proc_table_join_tree(p->procs, rec->pid);
}

/* One whole record to its family's join, by kind (a record too short for its kind is skipped); the engine's own. */
static void dispatch_record(struct ipcd_pipeline *p, const void *data, size_t size)
{
	if (ipcd_family_set_dispatch(p->joins.families, data, size))
		return;
	switch (((const struct ipcd_record_header *)data)->kind) {
	case IPCD_REC_PROC:
		if (size >= sizeof(struct ipcd_proc))
			on_proc_record(p, data);
		break;
	case IPCD_REC_TREE:
		if (size >= sizeof(struct ipcd_tree_member))
			on_tree_record(p, data);
		break;
	default:
		break;
	}
}

/* ---- the run -------------------------------------------------------------- */

/* Each ring-buffer record: check that it is whole, then to the sinks that take records, and its join. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct ipcd_pipeline *p = ctx;
	const struct ipcd_record_header *hdr = data;

	if (size < sizeof(*hdr) || hdr->size > size)
		return 0;
	sinks_record(p, data, hdr->size);
	dispatch_record(p, data, size);
	/*
	 * A negative return ends the batch (this record counts as consumed):
	 * under a flood a batch would never end, and the loop has other work.
	 */
	if (p->done || (p->stop_requested && !p->draining) || ++p->batch >= MAX_BATCH)
		return -EINTR;
	return 0;
}

/* New losses become "lost N <collector> events" reports, unless -L. */
static void report_losses(struct ipcd_pipeline *p)
{
	for (int c = 0; c < IPCD_COLL_MAX; c++) {
		uint64_t lost = ipcd_tracer_lost(&p->tracer, c);
		struct ipcd_event e;

		if (lost <= p->lost_seen[c])
			continue;
		if (!p->opts->quiet_lost && !p->done) {
			memset(&e, 0, sizeof(e));
			e.type = IPCD_TYPE_LOST;
			e.ts_ns = ipcd_monotonic_ns();
			e.lost_collector = c;
			e.lost_count = lost - p->lost_seen[c];
			deliver_lost(p, &e);
		}
		p->lost_seen[c] = lost;
	}
}

/* What happened to the events that passed the filters: the sinks' fates ("captured and printed"). */
static void describe_fate(const struct ipcd_pipeline *p, char *buf, size_t len)
{
	const char *first = NULL;
	bool printed = false;

	for (const struct ipcd_sink *s = p->sinks; s; s = s->next) {
		if (!s->fate)
			continue;
		if (!strcmp(s->fate, "printed"))
			printed = true;
		else if (!first)
			first = s->fate;
	}
	if (first && printed)
		snprintf(buf, len, "%s and printed", first);
	else
		snprintf(buf, len, "%s", first ? first : "printed");
}

static void print_summary(struct ipcd_pipeline *p)
{
	uint64_t dropped = joins_dropped(p);
	uint64_t total = dropped;
	char fate[64];

	if (p->opts->quiet)
		return;
	for (int c = 0; c < IPCD_COLL_MAX; c++)
		total += ipcd_tracer_lost(&p->tracer, c);
	describe_fate(p, fate, sizeof(fate));
	say(p, SAY_INFO, "%" PRIu64 " %s %s, %" PRIu64 " lost", p->accepted,
		noun_for(p->accepted, "event", "events"), fate, total);
	for (int c = 0; c < IPCD_COLL_MAX; c++) {
		uint64_t lost = ipcd_tracer_lost(&p->tracer, c);

		if (lost)
			fprintf(diagnostics(p), " (%s: %" PRIu64 ")", ipcd_collector_name(c), lost);
	}
	if (dropped)
		fprintf(diagnostics(p), " (out of memory: %" PRIu64 ")", dropped);
	fputc('\n', diagnostics(p));
}

/* The exit summary, and what was reported early; after any error, which is read first. */
static void summarise(struct ipcd_pipeline *p)
{
	uint64_t evicted;

	print_summary(p);
	evicted = joins_evicted(p);
	if (evicted && !p->opts->quiet)
		say(p, SAY_NOTE, "%" PRIu64 " writes still unread were reported early "
			"to keep memory bounded\n", evicted);
}

/* Pending halves waiting too long, memory to give back, the sinks' clocks: every so often, by now. */
static void periodic(struct ipcd_pipeline *p, uint64_t now)
{
	/* both walk every channel known: not on every batch of a flood */
	if (now - p->last_expire >= EXPIRE_EVERY_NS) {
		expire_joins(p, now);
		p->last_expire = now;
	}
	if (now - p->last_collect >= COLLECT_EVERY_NS) {
		collect_joins(p);
		proc_table_expire(p->procs, now, KEEP_EXITED_NS);
		p->last_collect = now;
	}
	sinks_tick(p, now);
}

/* The end: what waits in the joins, to the sinks in time order, then the sinks' own reports. */
static void finish_events(struct ipcd_pipeline *p, uint64_t end_ns)
{
	/* each join flushes its own channels in turn: what they hold goes out merged by time */
	p->deferring = true;
	flush_joins(p);
	deliver_deferred(p);
	sinks_flush(p, end_ns);
}

/* A record source's records, each as if it came from the ring, with the source's clock for the waits. */
static int on_source_record(void *ctx, void *data, size_t size)
{
	struct ipcd_pipeline *p = ctx;
	const struct ipcd_record_header *hdr = data;

	p->batch = 0;
	on_record(p, data, size);
	if (!p->last_expire) {
		p->last_expire = p->last_collect = hdr->ts_ns;
		sinks_tick(p, hdr->ts_ns);  /* the sinks' clocks start at the first record */
	}
	if (hdr->ts_ns > p->last_expire)
		periodic(p, hdr->ts_ns);
	return p->done || p->stop_requested;
}

int ipcd_pipeline_run_source(struct ipcd_pipeline *p, const struct ipcd_record_source *src)
{
	char err[512];
	int rc;

	if (src->open(src->ctx, &p->mono_to_real_ns, err, sizeof(err))) {
		say(p, SAY_ERROR, "%s\n", err);
		return IPCD_EXIT_FAILURE;
	}
	if ((rc = sinks_open(p))) {
		src->close(src->ctx);
		return rc;
	}
	rc = src->run(src->ctx, on_source_record, p, err, sizeof(err));
	src->close(src->ctx);
	/* what came before the damage is printed, then the damage is named, then the summary */
	finish_events(p, p->last_expire);
	if (rc < 0)
		say(p, SAY_ERROR, "%s\n", err);
	summarise(p);
	/* damaged: the sinks that write at close (a filtered copy) write nothing */
	return rc < 0 ? IPCD_EXIT_FAILURE : sinks_close(p);
}

/* ---- a source of events ------------------------------------------------------ */

/* A stored event: already enriched; -t, the time window and the filter, then the sinks. */
static int on_source_event(void *ctx, const struct ipcd_event *e)
{
	struct ipcd_pipeline *p = ctx;

	if (!p->last_expire) {
		p->last_expire = e->ts_ns ? e->ts_ns : 1;
		sinks_tick(p, e->ts_ns);  /* the sinks' clocks start at the first event */
	}
	if (e->ts_ns >= p->last_expire + EXPIRE_EVERY_NS) {
		p->last_expire = e->ts_ns;
		sinks_tick(p, e->ts_ns);
	}
	if ((p->opts->types & IPCD_TYPE_BIT(e->type)) && in_time_window(p, e) && run_filter_match(p, e))
		deliver(p, e);
	return p->done || p->stop_requested;
}

int ipcd_pipeline_run_events(struct ipcd_pipeline *p, const struct ipcd_event_source *src)
{
	char err[512];
	int rc;

	p->keeps_ids = true;
	if (src->open(src->ctx, &p->mono_to_real_ns, err, sizeof(err))) {
		fprintf(diagnostics(p), "%s: %s\n", ipcd_program_name(p->opts), err);
		return IPCD_EXIT_FAILURE;
	}
	if ((rc = sinks_open(p))) {
		src->close(src->ctx);
		return rc;
	}
	rc = src->run(src->ctx, on_source_event, p, err, sizeof(err));
	src->close(src->ctx);
	sinks_flush(p, p->last_expire);
	if (rc < 0)
		fprintf(diagnostics(p), "%s: %s\n", ipcd_program_name(p->opts), err);
	summarise(p);
	return rc < 0 ? IPCD_EXIT_FAILURE : sinks_close(p);
}

/* ---- a capture file, the one record source so far ---------------------------- */

struct capture_source {
	const char *path;
	struct capture_reader *reader;
};

static int capture_source_open(void *ctx, int64_t *mono_to_real_ns, char *err, size_t errlen)
{
	struct capture_source *cs = ctx;

	if (!(cs->reader = capture_reader_open(cs->path, err, errlen)))
		return -1;
	*mono_to_real_ns = capture_reader_header(cs->reader)->mono_to_real_ns;
	return 0;
}

static int capture_source_run(void *ctx, ipcd_record_fn fn, void *fn_ctx, char *err, size_t errlen)
{
	struct capture_source *cs = ctx;

	return capture_reader_run(cs->reader, fn, fn_ctx, err, errlen);
}

static void capture_source_close(void *ctx)
{
	struct capture_source *cs = ctx;

	capture_reader_close(cs->reader);
	cs->reader = NULL;
}

static int read_capture(struct ipcd_pipeline *p)
{
	struct capture_source cs = { .path = p->opts->read_path };
	const struct ipcd_record_source src = {
		.name = "capture file",
		.ctx = &cs,
		.open = capture_source_open,
		.run = capture_source_run,
		.close = capture_source_close,
	};

	return ipcd_pipeline_run_source(p, &src);
}

/* ---- live tracing ---------------------------------------------------------- */

struct pid_array {
	uint32_t *ids;
	size_t count, cap;
};

static void add_to_array(void *ctx, uint32_t pid)
{
	struct pid_array *a = ctx;

	if (grow_array((void **)&a->ids, &a->cap, a->count + 1, sizeof(*a->ids)))
		a->ids[a->count++] = pid;
}

static void follow_member(void *ctx, uint32_t pid)
{
	struct ipcd_pipeline *p = ctx;

	ipcd_tracer_follow(&p->tracer, pid);
}

/*
 * The kernel has made the records already; if the traced processes (twenty
 * of them on two CPUs, say) leave ipcdump no CPU to take them, the ring
 * fills and they are lost.  So ipcdump takes a higher priority, as the
 * kernel's own work would have.  After forking a command, which keeps its
 * own; the writer thread and the unhooking child inherit it.
 */
static void raise_priority(void)
{
	errno = 0;
	int nice_now = getpriority(PRIO_PROCESS, 0);

	if (!errno && nice_now > TRACER_NICE)
		setpriority(PRIO_PROCESS, 0, TRACER_NICE);
}

static void announce(struct ipcd_pipeline *p)
{
	char running[128];

	if (p->opts->quiet)
		return;
	ipcd_tracer_describe(&p->tracer, running, sizeof(running));
	say(p, SAY_INFO, "tracing %s events\n", running[0] ? running : "no");
}

static void run_loop(struct ipcd_pipeline *p, const struct ipcd_live_hooks *hooks)
{
	p->last_collect = p->last_expire = ipcd_monotonic_ns();
	sinks_tick(p, p->last_expire);  /* the sinks' clocks start now */
	while (!p->stop_requested && !p->done) {
		int rc;

		if (hooks->poll && hooks->poll(hooks->ctx))
			break;
		p->batch = 0;
		rc = ipcd_tracer_poll(&p->tracer, POLL_MS);
		if (rc < 0 && rc != -EINTR) {
			say(p, SAY_ERROR, "polling the ring buffer failed: %s\n", strerror(-rc));
			break;
		}
		report_losses(p);
		periodic(p, ipcd_monotonic_ns());
		if (p->out)
			fflush(p->out);
	}
}

/* Everything captured goes out before exit: the ring, then what waits in the joins. */
static void finish_live(struct ipcd_pipeline *p)
{
	int rc;

	ipcd_tracer_quiesce(&p->tracer);
	p->draining = true;
	/* what the ring still holds joins what the joins hold, all handed over in time order */
	p->deferring = true;
	do {
		p->batch = 0;
		rc = ipcd_tracer_drain(&p->tracer);
	} while (rc != 0 && rc != -ENOMEM && !p->done);
	report_losses(p);
	finish_events(p, ipcd_monotonic_ns());
	summarise(p);
}

/* Attaches, tracing the tree's members known now; 0 or an exit code. */
static int start_tracer(struct ipcd_pipeline *p)
{
	struct pid_array members = { 0 };
	int rc;

	if (p->tree)
		proc_table_foreach_tree_member(p->procs, add_to_array, &members);
	raise_priority();
	ipcd_timing("start");
	rc = ipcd_tracer_start(&p->tracer, p->opts, members.ids, members.count, on_record, p, diagnostics(p));
	free(members.ids);
	return rc;
}

static int trace_live(struct ipcd_pipeline *p, const struct ipcd_live_hooks *hooks)
{
	int rc;

	if ((rc = start_tracer(p))) {
		ipcd_tracer_stop(&p->tracer);  /* what did load */
		return rc;
	}
	/* After attaching: a process born in between is in the scan or in a record. */
	proc_table_scan(p->procs, "/proc");
	ipcd_timing("scan /proc");
	if (p->tree) {
		proc_table_tree_descendants(p->procs);
		proc_table_foreach_tree_member(p->procs, follow_member, p);
	}
	if ((rc = sinks_open(p))) {
		ipcd_tracer_stop(&p->tracer);
		return rc;
	}
	ipcd_tracer_ignore_fd(&p->tracer, STDOUT_FILENO);
	ipcd_tracer_ignore_fd(&p->tracer, STDERR_FILENO);
	/* -o to a FIFO: the same, for its reader */
	if (p->out)
		ipcd_tracer_ignore_fd(&p->tracer, fileno(p->out));
	ipcd_timing("the rest");
	announce(p);
	if (hooks->started)
		hooks->started(hooks->ctx);
	run_loop(p, hooks);
	if (hooks->stopping)
		hooks->stopping(hooks->ctx);
	finish_live(p);
	rc = sinks_close(p);
	ipcd_tracer_stop(&p->tracer);
	return rc;
}

int ipcd_pipeline_run(struct ipcd_pipeline *p, const struct ipcd_live_hooks *hooks)
{
	static const struct ipcd_live_hooks none;

	if (p->opts->read_path)
		return read_capture(p);
	return trace_live(p, hooks ? hooks : &none);
}

void ipcd_pipeline_stop(struct ipcd_pipeline *p)
{
	p->stop_requested = 1;
}

bool ipcd_pipeline_stopping(const struct ipcd_pipeline *p)
{
	return p->done || p->stop_requested;
}

/* ---- making one ------------------------------------------------------------- */

struct ipcd_pipeline *ipcd_pipeline_new(const struct ipcd_options *opts, FILE *out)
{
	struct ipcd_pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->opts = opts;
	p->out = out;
	p->mono_to_real_ns = live_mono_to_real();
	p->procs = proc_table_new();
	if (!p->procs || !new_joins(p)) {
		ipcd_pipeline_free(p);
		return NULL;
	}
	return p;
}

void ipcd_pipeline_free(struct ipcd_pipeline *p)
{
	struct ipcd_sink *s, *next;

	if (!p)
		return;
	for (s = p->sinks; s; s = next) {
		next = s->next;
		ipcd_sink_free(s);
	}
	free_joins(p);
	proc_table_free(p->procs);
	free(p);
}

void ipcd_pipeline_collector(const struct ipcd_pipeline *p, int c, bool *wanted, bool *attached, uint64_t *lost,
			     const char **why_not)
{
	*why_not = p->tracer.why_not[c];
	*wanted = p->tracer.wanted[c];
	*attached = p->tracer.running[c];
	*lost = p->tracer.skel ? ipcd_tracer_lost(&p->tracer, c) : 0;
}

const struct ipcd_options *ipcd_pipeline_options(const struct ipcd_pipeline *p)
{
	return p->opts;
}

FILE *ipcd_pipeline_output(const struct ipcd_pipeline *p)
{
	return p->out;
}

int64_t ipcd_pipeline_clock(const struct ipcd_pipeline *p)
{
	return p->mono_to_real_ns;
}

struct proc_table *ipcd_pipeline_procs(struct ipcd_pipeline *p)
{
	return p->procs;
}

void ipcd_pipeline_trace_tree(struct ipcd_pipeline *p, bool inside)
{
	p->tree = true;
	p->inside = inside;
}

bool ipcd_pipeline_tracing_tree(const struct ipcd_pipeline *p, bool *inside)
{
	if (inside)
		*inside = p->inside;
	return p->tree;
}
