/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sink behind its own thread and bounded queue (sinks.h,
 * ipcd_queue_sink_new).  The pipeline thread only copies an event and links
 * it in; the worker thread hands the copies to the inner sink.  A slow disk
 * or a stuck syslog then fills this queue, not the ring buffer, and stalls
 * no other sink; past the bound an event is dropped and counted.
 *
 * The inner sink is called from the worker thread alone (after its open,
 * which the pipeline thread calls before the worker starts): it needs no
 * locking of its own.  Ticks, flushes, reopens and the close travel through
 * the queue, so they reach it in order with the events.
 *
 * Under a flood the handoff is what costs: a wake-up per event (the worker
 * drains the queue, sleeps, and the next event wakes it) cost more than the
 * copy.  So events wake an idle worker only by the batch (WAKE_AT), and
 * the tick, which the pipeline gives after every poll of the ring, hands
 * over the rest; the worker takes what waits in runs, a lock per run.
 *
 * A flush or close waits while the worker takes items; an inner sink that
 * takes none for the drain timeout (a write that never returns) is left
 * behind, so that a stuck output cannot hold a reload or the exit forever:
 * the queue, its worker and the inner sink are then never freed, since the
 * stuck call may still return into them.  They stay on a list, reachable,
 * so that a leak checker sees them as kept, not lost.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sinks/sinks.h"
#include "engine/options.h"
#include "engine/pipeline.h"
#include "util/noun.h"

/* events that wake an idle worker before the next tick: a handful of wake-ups per poll at most */
#define WAKE_AT 256
/* items the worker takes per lock: the items in its hands are outside the bound, so few */
#define TAKE_MAX 256
/* payloads up to this size travel in the item (no malloc per event); larger ones are allocated */
#define INLINE_PAYLOAD 128
/* event items kept for reuse: allocating one per event, freed on another thread, showed in the profile */
#define SPARE_MAX 1024

enum item_kind {
	ITEM_EVENT,
	ITEM_RECORD,
	ITEM_TICK,
	ITEM_FLUSH,
	ITEM_REOPEN,
	ITEM_CLOSE,   /* the worker's last item: it closes the inner sink and ends */
};

struct item {
	enum item_kind kind;
	uint64_t ns;       /* tick, flush: the time */
	uint64_t seq;      /* flush, close: what a waiter waits for */
	struct ipcd_event e;
	void *rec;
	size_t rec_size;
	struct item *next;
	uint8_t payload[INLINE_PAYLOAD];  /* e.payload, when it fits */
};

struct queue {
	struct ipcd_sink *inner;
	size_t capacity;       /* events and records waiting, at most */
	uint64_t drain_timeout_ns;  /* a flush or close waits this long for an item to be done */
	pthread_t worker;
	bool started;
	const struct ipcd_options *opts;  /* for the program's name in its one line (NULL: ipcdump's) */

	pthread_mutex_t lock;
	pthread_cond_t wake;   /* to the worker: an item is there */
	pthread_cond_t done;   /* to waiters: done_seq moved */
	struct item *head, *tail;
	size_t waiting;        /* events and records in the list */
	bool tick_queued;      /* one tick waits: a stuck sink does not pile them up */
	bool worker_idle;      /* the worker waits for wake */
	uint64_t next_seq, done_seq;
	bool failed;           /* the inner sink's output is gone: the run ends */
	struct item *close_item;  /* made up front: the close must not fail for want of memory */
	/* event items done with, for reuse: the worker gives them back, the pipeline takes them all at once */
	struct item *spare;
	size_t nspare;
	struct item *pipeline_spare;  /* the pipeline thread's own, without the lock */
	int close_rc;
	/*
	 * The worker's progress, which a drain watches: counted per item without
	 * the lock (the worker takes its items by the run, and a lock per item is
	 * what the runs save).
	 */
	_Atomic uint64_t items_done;
	_Atomic size_t events_in_hand;  /* events of the worker's run not yet done (one stuck, if abandoned) */
	atomic_bool abandoned;  /* left behind stuck: the worker ends if it ever returns; counts are final */
	struct queue *next_left_behind;
	/* the inner sink's results, kept here under the lock: the pipeline thread reads them */
	struct ipcd_sink_counters inner_counts;
};

/* ---- the worker thread ----------------------------------------------------------- */

/*
 * The inner sink's own counters, as the pipeline would keep them, are its to
 * read and adjust (the SQLite sink moves a failed batch from written to
 * dropped, and stores its count): the worker owns them; the pipeline thread
 * reads a copy taken under the lock after each item.
 */
static void count_inner(struct queue *q, enum ipcd_sink_result r)
{
	static const enum ipcd_drop_reason reason_of[] = {
		[IPCD_SINK_DROPPED] = IPCD_DROP_NO_MEMORY,
		[IPCD_SINK_DROPPED_FULL] = IPCD_DROP_QUEUE_FULL,
		[IPCD_SINK_DROPPED_WRITE] = IPCD_DROP_WRITE_FAILED,
	};
	struct ipcd_sink_counters *c = &q->inner->counters;

	switch (r) {
	case IPCD_SINK_WRITTEN:
		c->written++;
		break;
	case IPCD_SINK_DROPPED:
	case IPCD_SINK_DROPPED_FULL:
	case IPCD_SINK_DROPPED_WRITE:
		c->dropped++;
		c->dropped_by[reason_of[r]]++;
		break;
	case IPCD_SINK_FAILED:
		pthread_mutex_lock(&q->lock);
		q->failed = true;
		pthread_mutex_unlock(&q->lock);
		break;
	}
}

static void handle_event(struct queue *q, const struct ipcd_event *e)
{
	struct ipcd_sink *in = q->inner;
	enum ipcd_sink_result r;

	if (!in->event)
		return;
	r = in->event(in, e);
	/* the pipeline counts no "lost N events" report: neither do we (but a closed output is news) */
	if (e->type != IPCD_TYPE_LOST || r == IPCD_SINK_FAILED)
		count_inner(q, r);
}

/* One item to the inner sink; false after the close. */
static bool handle_item(struct queue *q, struct item *it)
{
	struct ipcd_sink *in = q->inner;

	switch (it->kind) {
	case ITEM_EVENT:
		handle_event(q, &it->e);
		break;
	case ITEM_RECORD:
		if (in->record)
			in->record(in, it->rec, it->rec_size);
		break;
	case ITEM_TICK:
		if (in->tick)
			in->tick(in, it->ns);
		break;
	case ITEM_FLUSH:
		if (in->flush)
			in->flush(in, it->ns);
		break;
	case ITEM_REOPEN:
		if (in->reopen)
			in->reopen(in);
		break;
	case ITEM_CLOSE:
		q->close_rc = in->close ? in->close(in) : IPCD_EXIT_OK;
		in->close = NULL;  /* once */
		return false;
	}
	return true;
}

/* What an event item holds besides itself (its payload may be its own bytes). */
static void event_release(struct item *it)
{
	if (it->e.payload == it->payload)
		it->e.payload = NULL;
	ipcd_event_copy_free(&it->e);
}

static void item_free(struct item *it)
{
	if (it->kind == ITEM_EVENT)
		event_release(it);
	free(it->rec);
	free(it);
}

static void free_list(struct item *it)
{
	while (it) {
		struct item *next = it->next;

		free(it);
		it = next;
	}
}

/* Up to TAKE_MAX items, oldest first, waiting for one; the lock is held. */
static struct item *take_run(struct queue *q)
{
	struct item *first, *last;
	size_t n = 0, events = 0;

	while (!q->head) {
		q->worker_idle = true;
		pthread_cond_wait(&q->wake, &q->lock);
	}
	q->worker_idle = false;
	first = last = q->head;
	for (;;) {
		if (last->kind == ITEM_EVENT || last->kind == ITEM_RECORD)
			q->waiting--;
		events += last->kind == ITEM_EVENT;
		if (last->kind == ITEM_TICK)
			q->tick_queued = false;
		if (!last->next || ++n == TAKE_MAX)
			break;
		last = last->next;
	}
	q->head = last->next;
	if (!q->head)
		q->tail = NULL;
	last->next = NULL;
	atomic_store(&q->events_in_hand, events);
	return first;
}

/* The event items of a run, emptied, back for reuse (past SPARE_MAX, freed); the lock is held. */
static struct item *give_back(struct queue *q, struct item *done)
{
	while (done && q->nspare < SPARE_MAX) {
		struct item *next = done->next;

		done->next = q->spare;
		q->spare = done;
		q->nspare++;
		done = next;
	}
	return done;
}

/*
 * What the inner sink's counters say now, and how far it got, for the
 * pipeline thread; the emptied event items go back with it.  False if the
 * queue was left behind meanwhile: its counts are final then.
 */
static bool report_progress(struct queue *q, uint64_t seq, struct item *done)
{
	bool abandoned;

	pthread_mutex_lock(&q->lock);
	done = give_back(q, done);
	abandoned = atomic_load(&q->abandoned);
	if (!abandoned)
		q->inner_counts = q->inner->counters;
	if (seq) {
		q->done_seq = seq;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->lock);
	free_list(done);
	return !abandoned;
}

/* The rest of a run the worker will not hand over (the queue was left behind): freed. */
static void free_run(struct item *it)
{
	while (it) {
		struct item *next = it->next;

		item_free(it);
		it = next;
	}
}

/* A run of items to the inner sink; false after the close. */
static bool handle_run(struct queue *q, struct item *it)
{
	struct item *done = NULL;
	bool more = true;

	while (it) {
		struct item *next = it->next;
		uint64_t seq = it->seq;
		bool event = it->kind == ITEM_EVENT;

		if (more)
			more = handle_item(q, it);
		if (event) {
			event_release(it);
			it->next = done;
			done = it;
			atomic_fetch_sub(&q->events_in_hand, 1);
		} else {
			item_free(it);
		}
		atomic_fetch_add(&q->items_done, 1);
		/* left behind while in the inner sink: what remains was counted as stuck; the queue is not ours */
		if (atomic_load(&q->abandoned)) {
			free_list(done);
			free_run(next);
			return false;
		}
		/* a waiter (flush, close) sees every count up to its item */
		if (seq) {
			if (!report_progress(q, seq, done)) {
				free_run(next);
				return false;
			}
			done = NULL;
		}
		it = next;
	}
	return report_progress(q, 0, done) && more;
}

static void *worker_main(void *arg)
{
	struct queue *q = arg;
	bool more = true;

	while (more) {
		struct item *run;

		pthread_mutex_lock(&q->lock);
		run = take_run(q);
		pthread_mutex_unlock(&q->lock);
		more = handle_run(q, run);
	}
	return NULL;
}

/* ---- the pipeline's side -------------------------------------------------------- */

/* Links it in, waking an idle worker if wake; the lock is held. */
static void append(struct queue *q, struct item *it, bool wake)
{
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	if (wake && q->worker_idle)
		pthread_cond_signal(&q->wake);
}

/* A control item (tick, flush, reopen, close): never dropped; its sequence number, 0 if out of memory. */
static uint64_t send_control(struct queue *q, enum item_kind kind, uint64_t ns)
{
	struct item *it = calloc(1, sizeof(*it));
	uint64_t seq;

	if (!it)
		return 0;
	it->kind = kind;
	it->ns = ns;
	pthread_mutex_lock(&q->lock);
	seq = it->seq = ++q->next_seq;
	append(q, it, true);
	pthread_mutex_unlock(&q->lock);
	return seq;
}

/* Queues left behind stuck, kept reachable for good. */
static pthread_mutex_t left_behind_lock = PTHREAD_MUTEX_INITIALIZER;
static struct queue *left_behind;

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Events still queued or in the worker's hands; the lock is held. */
static uint64_t events_undone(const struct queue *q)
{
	uint64_t n = atomic_load(&q->events_in_hand);

	for (const struct item *it = q->head; it; it = it->next)
		n += it->kind == ITEM_EVENT;
	return n;
}

/*
 * The inner sink took nothing for the drain timeout: what it holds is
 * dropped as stuck and the queue is left behind (see the top).  The lock is held.
 */
static void abandon(struct queue *q)
{
	uint64_t stuck = events_undone(q);
	const char *program = ipcd_program_name(q->opts);

	atomic_store(&q->abandoned, true);
	q->inner_counts.dropped += stuck;
	q->inner_counts.dropped_by[IPCD_DROP_STUCK] += stuck;
	pthread_detach(q->worker);
	pthread_mutex_lock(&left_behind_lock);
	q->next_left_behind = left_behind;
	left_behind = q;
	pthread_mutex_unlock(&left_behind_lock);
	fprintf(stderr, "%s: %sthe %s output took nothing for %g s (a write that does not return?): "
		"left behind, %" PRIu64 " %s dropped as stuck\n", program, q->opts && q->opts->log_levels ? "error: " : "",
		q->inner->name, (double)q->drain_timeout_ns / 1e9, stuck, noun_for(stuck, "event", "events"));
}

/* Until the worker is done with seq; false if it took nothing for the drain timeout (then left behind). */
static bool wait_for(struct queue *q, uint64_t seq)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	while (!atomic_load(&q->abandoned) && q->done_seq < seq) {
		uint64_t progress = atomic_load(&q->items_done), deadline = monotonic_ns() + q->drain_timeout_ns;
		struct timespec ts = { .tv_sec = deadline / 1000000000ull, .tv_nsec = deadline % 1000000000ull };

		if (pthread_cond_timedwait(&q->done, &q->lock, &ts) && atomic_load(&q->items_done) == progress &&
		    q->done_seq < seq)
			abandon(q);
	}
	ok = !atomic_load(&q->abandoned);
	pthread_mutex_unlock(&q->lock);
	return ok;
}

/* A copied event or record into the queue, unless it is full. */
static enum ipcd_sink_result enqueue(struct queue *q, struct item *it)
{
	enum ipcd_sink_result r = IPCD_SINK_WRITTEN;

	pthread_mutex_lock(&q->lock);
	if (q->failed || atomic_load(&q->abandoned)) {
		r = IPCD_SINK_FAILED;
	} else if (q->waiting >= q->capacity) {
		r = IPCD_SINK_DROPPED_FULL;
	} else {
		q->waiting++;
		append(q, it, q->waiting >= WAKE_AT);
		it = NULL;
	}
	if (!q->pipeline_spare) {
		q->pipeline_spare = q->spare;
		q->spare = NULL;
		q->nspare = 0;
	}
	pthread_mutex_unlock(&q->lock);
	if (it)
		item_free(it);
	return r;
}

/* An event item, reused if the worker gave one back (not calloc: the copy fills it). */
static struct item *new_event_item(struct queue *q)
{
	struct item *it = q->pipeline_spare;

	if (it)
		q->pipeline_spare = it->next;
	else if (!(it = malloc(sizeof(*it))))
		return NULL;
	it->kind = ITEM_EVENT;
	it->ns = it->seq = 0;
	it->rec = NULL;
	it->rec_size = 0;
	return it;
}

/* The event into the item: a payload that fits goes into the item itself. */
static bool copy_event(struct item *it, const struct ipcd_event *e)
{
	struct ipcd_event outer;

	if (!e->payload || e->payload_len > INLINE_PAYLOAD)
		return ipcd_event_copy(&it->e, e);
	outer = *e;
	outer.payload = NULL;
	if (!ipcd_event_copy(&it->e, &outer))
		return false;
	memcpy(it->payload, e->payload, e->payload_len);
	it->e.payload = it->payload;
	return true;
}

static enum ipcd_sink_result queue_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct queue *q = s->ctx;
	struct item *it = new_event_item(q);

	if (!it)
		return IPCD_SINK_DROPPED;
	if (!copy_event(it, e)) {
		free(it);
		return IPCD_SINK_DROPPED;
	}
	return enqueue(q, it);
}

/* The capture writer's raw records: a record that does not fit counts as a drop too. */
static void queue_record(struct ipcd_sink *s, const void *rec, size_t size)
{
	struct queue *q = s->ctx;
	struct item *it = calloc(1, sizeof(*it));
	enum ipcd_drop_reason reason = IPCD_DROP_NO_MEMORY;

	if (it && (it->rec = malloc(size))) {
		memcpy(it->rec, rec, size);
		it->kind = ITEM_RECORD;
		it->rec_size = size;
		if (enqueue(q, it) != IPCD_SINK_DROPPED_FULL)
			return;
		reason = IPCD_DROP_QUEUE_FULL;
	} else {
		free(it);
	}
	s->counters.dropped++;
	s->counters.dropped_by[reason]++;
}

static int queue_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct queue *q = s->ctx;
	int rc;

	q->opts = p ? ipcd_pipeline_options(p) : NULL;
	if (q->inner->open && (rc = q->inner->open(q->inner, p)))
		return rc;
	if (pthread_create(&q->worker, NULL, worker_main, q)) {
		fprintf(stderr, "%s: error: cannot start a thread for the %s output\n",
			ipcd_program_name(p ? ipcd_pipeline_options(p) : NULL), q->inner->name);
		return IPCD_EXIT_FAILURE;
	}
	q->started = true;
	return 0;
}

static void queue_tick(struct ipcd_sink *s, uint64_t now_ns)
{
	struct queue *q = s->ctx;
	bool queued;

	pthread_mutex_lock(&q->lock);
	queued = q->tick_queued;
	q->tick_queued = true;
	pthread_mutex_unlock(&q->lock);
	if (!queued && !send_control(q, ITEM_TICK, now_ns)) {
		pthread_mutex_lock(&q->lock);
		q->tick_queued = false;
		pthread_mutex_unlock(&q->lock);
	}
}

/* Returns once the inner sink has taken everything queued before, and flushed. */
static void queue_flush(struct ipcd_sink *s, uint64_t end_ns)
{
	struct queue *q = s->ctx;
	uint64_t seq;

	if (q->started && !atomic_load(&q->abandoned) && (seq = send_control(q, ITEM_FLUSH, end_ns)))
		wait_for(q, seq);
}

static void queue_reopen(struct ipcd_sink *s)
{
	struct queue *q = s->ctx;

	if (q->started && !atomic_load(&q->abandoned))
		send_control(q, ITEM_REOPEN, 0);
}

/* What is queued goes to the inner sink, which closes; the worker ends (or is left behind, stuck). */
static void stop_worker(struct queue *q)
{
	struct item *it = q->close_item;
	uint64_t seq;

	if (!q->started || atomic_load(&q->abandoned))
		return;
	q->close_item = NULL;
	pthread_mutex_lock(&q->lock);
	seq = it->seq = ++q->next_seq;
	append(q, it, true);
	pthread_mutex_unlock(&q->lock);
	if (!wait_for(q, seq))
		return;
	pthread_join(q->worker, NULL);
	q->started = false;
}

static int queue_close(struct ipcd_sink *s)
{
	struct queue *q = s->ctx;

	if (!q->started)
		return q->inner->close ? q->inner->close(q->inner) : IPCD_EXIT_OK;
	stop_worker(q);
	return atomic_load(&q->abandoned) ? IPCD_EXIT_FAILURE : q->close_rc;
}

static void queue_free(struct ipcd_sink *s)
{
	struct queue *q = s->ctx;
	struct item *it, *next;

	stop_worker(q);
	if (atomic_load(&q->abandoned))
		return;  /* on the left-behind list, with its worker and inner sink */
	free(q->close_item);
	free_list(q->spare);
	free_list(q->pipeline_spare);
	for (it = q->head; it; it = next) {
		next = it->next;
		item_free(it);
	}
	ipcd_sink_free(q->inner);
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->done);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* The inner sink's filter and payload limits move out: the pipeline applies them before the copy. */
static void take_limits(struct ipcd_sink *s, struct ipcd_sink *inner)
{
	s->filter = inner->filter;
	inner->filter = NULL;
	s->payload_limit = inner->payload_limit;
	s->payload_by_type = inner->payload_by_type;
	memcpy(s->payload_limit_of, inner->payload_limit_of, sizeof(s->payload_limit_of));
	inner->payload_limit = 0;
	inner->payload_by_type = false;
}

/* done is waited on with a deadline by the monotonic clock: a clock set back must not stretch the drain. */
static void init_done_cond(struct queue *q)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->done, &attr);
	pthread_condattr_destroy(&attr);
}

struct ipcd_sink *ipcd_queue_sink_new(struct ipcd_sink *inner, size_t capacity)
{
	struct ipcd_sink *s = ipcd_sink_new(inner ? inner->name : "queue");
	struct queue *q = calloc(1, sizeof(*q));
	struct item *close_item = calloc(1, sizeof(*close_item));

	if (!inner || !s || !q || !close_item) {
		free(s);
		free(q);
		free(close_item);
		ipcd_sink_free(inner);
		return NULL;
	}
	q->inner = inner;
	q->close_item = close_item;
	close_item->kind = ITEM_CLOSE;
	q->capacity = capacity ? capacity : IPCD_QUEUE_DEFAULT;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	init_done_cond(q);
	q->drain_timeout_ns = IPCD_QUEUE_DRAIN_TIMEOUT_NS + inner->max_wait_ns;
	s->ctx = q;
	s->fate = inner->fate;
	s->time_ordered = inner->time_ordered;
	s->reports_losses = inner->reports_losses;
	s->open = queue_open;
	s->record = inner->record ? queue_record : NULL;
	s->event = inner->event ? queue_event : NULL;
	s->tick = queue_tick;
	s->flush = queue_flush;
	s->close = queue_close;
	s->reopen = queue_reopen;
	s->free = queue_free;
	take_limits(s, inner);
	return s;
}

bool ipcd_queue_sink_counters(struct ipcd_sink *s, struct ipcd_sink_counters *c)
{
	struct queue *q;

	*c = s->counters;
	if (s->free != queue_free)
		return false;
	q = s->ctx;
	pthread_mutex_lock(&q->lock);
	/* queued is not written: the inner sink's own results say what became of each */
	c->written = q->inner_counts.written;
	for (int r = 0; r < IPCD_DROP_REASONS; r++) {
		c->dropped_by[r] += q->inner_counts.dropped_by[r];
		c->dropped += q->inner_counts.dropped_by[r];
	}
	pthread_mutex_unlock(&q->lock);
	return true;
}

size_t ipcd_queue_sink_waiting(struct ipcd_sink *s, size_t *capacity)
{
	struct queue *q;
	size_t waiting;

	*capacity = 0;
	if (s->free != queue_free)
		return 0;
	q = s->ctx;
	pthread_mutex_lock(&q->lock);
	waiting = q->waiting;
	pthread_mutex_unlock(&q->lock);
	*capacity = q->capacity;
	return waiting;
}

struct ipcd_sink *ipcd_queue_sink_inner(struct ipcd_sink *s)
{
	return s->free == queue_free ? ((struct queue *)s->ctx)->inner : s;
}

void ipcd_queue_sink_set_drain_timeout(struct ipcd_sink *s, uint64_t ns)
{
	struct queue *q = s->ctx;

	if (s->free == queue_free)
		q->drain_timeout_ns = ns + q->inner->max_wait_ns;
}

bool ipcd_queue_sink_stuck(struct ipcd_sink *s)
{
	if (s->free != queue_free)
		return false;
	return atomic_load(&((struct queue *)s->ctx)->abandoned);
}
