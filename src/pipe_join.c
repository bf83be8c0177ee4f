/* SPDX-License-Identifier: GPL-2.0 */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "pipe_join.h"

struct pending_write {
	uint64_t off, len;
	uint64_t read_upto;     /* bytes below this offset were read (pipes read in order) */
	uint64_t start_ns, end_ns;
	struct ipcd_task task;
	uint32_t flags;
	int32_t fd;
	uint8_t call;
	uint8_t *payload;
	uint32_t payload_len;
};

struct pending_read {
	uint64_t off, len;
	uint64_t end_ns;
	struct ipcd_task task;
	uint32_t flags;
	int32_t fd;
	uint8_t call;
};

struct pipe_chan {
	struct ipcd_pipe_key key;
	UT_hash_handle hh;
	char *path;             /* FIFO path, NULL for anonymous pipes */
	uint64_t base;          /* bytes below this were written before tracing */
	struct pending_write *writes;  /* [first, nwrites) pending, sorted by off */
	size_t first, nwrites, cap_writes;
	struct pending_read *reads;    /* in arrival order */
	size_t nreads, cap_reads;
	uint64_t seen_r_off;    /* the kernel's read counter at the last collect */
	uint64_t last_ns;       /* the newest record of this pipe */
};

struct pipe_join {
	struct pipe_chan *chans;
	uint64_t dropped;       /* records not kept for want of memory */
	uint64_t pending_cap;   /* bytes that pending writes may hold */
	uint64_t evicted;       /* writes reported unread early to stay under the cap */
	ipcd_emit_fn emit;
	void *emit_ctx;
};

/* Flags a pipe event carries over from its records. */
/* What pending writes may hold before the quietest pipes are reported unread. */
#define PIPE_JOIN_PENDING_CAP (64ull << 20)

#define CARRIED_FLAGS (IPCD_F_ORDER_UNCERTAIN | IPCD_F_PAYLOAD_UNAVAILABLE | \
		       IPCD_F_STARTED_BEFORE | IPCD_F_BLOCKED | IPCD_F_FIFO)

struct pipe_join *pipe_join_new(ipcd_emit_fn emit, void *emit_ctx)
{
	struct pipe_join *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->emit = emit;
	j->emit_ctx = emit_ctx;
	j->pending_cap = PIPE_JOIN_PENDING_CAP;
	return j;
}

void pipe_join_set_pending_cap(struct pipe_join *j, uint64_t bytes)
{
	j->pending_cap = bytes;
}

static void chan_free(struct pipe_chan *c)
{
	for (size_t i = c->first; i < c->nwrites; i++)
		free(c->writes[i].payload);
	free(c->writes);
	free(c->reads);
	free(c->path);
	free(c);
}

void pipe_join_free(struct pipe_join *j)
{
	struct pipe_chan *c, *tmp;

	if (!j)
		return;
	HASH_ITER(hh, j->chans, c, tmp) {
		HASH_DEL(j->chans, c);
		chan_free(c);
	}
	free(j);
}

static struct pipe_chan *chan_get(struct pipe_join *j, uint64_t ino, uint32_t dev)
{
	struct ipcd_pipe_key key = { .ino = ino, .dev = dev };
	struct pipe_chan *c;

	HASH_FIND(hh, j->chans, &key, sizeof(key), c);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->key = key;
	HASH_ADD(hh, j->chans, key, sizeof(key), c);
	return c;
}

static bool grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

/* ---- events ---------------------------------------------------------- */

static void event_base(struct ipcd_event *e, const struct pipe_chan *c, uint64_t ts)
{
	memset(e, 0, sizeof(*e));
	e->type = IPCD_TYPE_PIPE;
	e->ts_ns = ts;
	e->ino = c->key.ino;
	e->path = c->path;
	e->src_fd = e->dst_fd = -1;
	ipcd_endpoint_unknown(&e->src);
	ipcd_endpoint_unknown(&e->dst);
}

static void event_set_writer(struct ipcd_event *e, const struct pending_write *w, uint64_t from,
			     uint64_t to)
{
	uint64_t lo = from - w->off, hi = to - w->off;

	ipcd_endpoint_from_task(&e->src, &w->task);
	e->src_fd = w->fd;
	e->src_call = w->call;
	e->flags |= w->flags & CARRIED_FLAGS;
	if (lo < w->payload_len) {
		e->payload = w->payload + lo;
		e->payload_len = (uint32_t)((hi < w->payload_len ? hi : w->payload_len) - lo);
	}
	if (e->payload_len < to - from && (w->flags & IPCD_F_PAYLOAD_TRUNCATED))
		e->flags |= IPCD_F_PAYLOAD_TRUNCATED;
}

static void event_set_reader(struct ipcd_event *e, const struct pending_read *r)
{
	ipcd_endpoint_from_task(&e->dst, &r->task);
	e->dst_fd = r->fd;
	e->dst_call = r->call;
	e->flags |= r->flags & CARRIED_FLAGS;
}

/* Bytes [from, to) of read r, produced by write w (NULL: unknown writer). */
static void emit_segment(struct pipe_join *j, const struct pipe_chan *c, const struct pending_write *w,
			 const struct pending_read *r, uint64_t from, uint64_t to)
{
	struct ipcd_event e;

	event_base(&e, c, r->end_ns);
	e.bytes = to - from;
	event_set_reader(&e, r);
	if (w) {
		uint64_t sent = w->start_ns ? w->start_ns : w->end_ns;

		event_set_writer(&e, w, from, to);
		if (r->end_ns >= sent) {
			e.latency_ns = r->end_ns - sent;
			e.flags |= IPCD_EF_HAS_LATENCY;
		}
	} else {
		e.flags |= IPCD_EF_WRITER_UNKNOWN;
	}
	j->emit(j->emit_ctx, &e);
}

/*
 * The rest of write w that no traced read took, from what was read (or
 * floor) to its end: still in the pipe (IPCD_EF_UNREAD), or gone by a way
 * no collector saw (IPCD_EF_READER_UNKNOWN).
 */
static void emit_unread(struct pipe_join *j, const struct pipe_chan *c, const struct pending_write *w,
			uint64_t floor, uint32_t why)
{
	struct ipcd_event e;
	uint64_t from = w->read_upto > floor ? w->read_upto : floor, to = w->off + w->len;

	if (from >= to)
		return;
	event_base(&e, c, w->end_ns);
	e.bytes = to - from;
	event_set_writer(&e, w, from, to);
	e.flags |= why;
	j->emit(j->emit_ctx, &e);
}

/* ---- the join -------------------------------------------------------- */

static bool write_all_read(const struct pending_write *w)
{
	return w->read_upto >= w->off + w->len;
}

/* Forgets every write read to its end, wherever it is. */
static void drop_consumed_writes(struct pipe_chan *c)
{
	size_t out = 0;

	for (size_t i = c->first; i < c->nwrites; i++) {
		if (write_all_read(&c->writes[i])) {
			free(c->writes[i].payload);
			continue;
		}
		c->writes[out++] = c->writes[i];
	}
	c->first = 0;
	c->nwrites = out;
}

/*
 * After a read: a pipe is read in order, so what it finished is at the
 * front.  Popping from the front keeps a read O(1) however far the writer
 * runs ahead; the array is compacted only once the popped part is large.
 */
static void pop_read_writes(struct pipe_chan *c)
{
	while (c->first < c->nwrites && write_all_read(&c->writes[c->first])) {
		free(c->writes[c->first].payload);
		c->first++;
	}
	if (c->first == c->nwrites) {
		c->first = c->nwrites = 0;
	} else if (c->first >= 64 && c->first * 2 >= c->nwrites) {
		memmove(c->writes, c->writes + c->first, (c->nwrites - c->first) * sizeof(*c->writes));
		c->nwrites -= c->first;
		c->first = 0;
	}
}

/* Index of the first write that ends after pos. */
static size_t first_write_after(const struct pipe_chan *c, uint64_t pos)
{
	size_t lo = c->first, hi = c->nwrites;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->writes[mid].off + c->writes[mid].len <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Every byte of [from, to) is below base or in a known write. */
static bool range_covered(const struct pipe_chan *c, uint64_t from, uint64_t to)
{
	uint64_t pos = from < c->base ? (to < c->base ? to : c->base) : from;

	for (size_t i = first_write_after(c, pos); pos < to; i++) {
		const struct pending_write *w = &c->writes[i];

		if (i >= c->nwrites || w->off > pos)
			return false;
		pos = w->off + w->len;
	}
	return true;
}

/*
 * Reports read r as one event per write that produced its bytes.  Unless
 * forced, only once every byte's writer is known; forced, the bytes with
 * no known writer are reported as such.
 */
static bool settle_read(struct pipe_join *j, struct pipe_chan *c, const struct pending_read *r, bool force)
{
	uint64_t pos = r->off, end = r->off + r->len;

	if (!force && !range_covered(c, pos, end))
		return false;
	if (pos < c->base) {
		uint64_t to = end < c->base ? end : c->base;

		emit_segment(j, c, NULL, r, pos, to);
		pos = to;
	}
	for (size_t i = first_write_after(c, pos); pos < end; i++) {
		struct pending_write *w = i < c->nwrites ? &c->writes[i] : NULL;
		uint64_t to;

		if (!w || w->off > pos) {
			/* a gap: bytes whose write record never came */
			to = w && w->off < end ? w->off : end;
			emit_segment(j, c, NULL, r, pos, to);
			pos = to;
			if (w)
				i--;
			continue;
		}
		to = w->off + w->len < end ? w->off + w->len : end;
		emit_segment(j, c, w, r, pos, to);
		if (to > w->read_upto)
			w->read_upto = to;
		pos = to;
	}
	pop_read_writes(c);
	return true;
}

static void settle_pending_reads(struct pipe_join *j, struct pipe_chan *c, bool force)
{
	size_t out = 0;

	for (size_t i = 0; i < c->nreads; i++) {
		if (settle_read(j, c, &c->reads[i], force))
			continue;
		c->reads[out++] = c->reads[i];
	}
	c->nreads = out;
}

static void add_write(struct pipe_join *j, struct pipe_chan *c, const struct ipcd_pipe_io *rec)
{
	struct pending_write w = {
		.off = rec->offset, .len = rec->bytes, .read_upto = rec->offset,
		.start_ns = rec->start_ns, .end_ns = rec->hdr.ts_ns,
		.task = rec->task, .flags = rec->hdr.flags, .fd = rec->fd, .call = rec->call,
	};
	size_t at;

	if (rec->payload_len) {
		w.payload = malloc(rec->payload_len);
		if (w.payload) {
			memcpy(w.payload, rec->payload, rec->payload_len);
			w.payload_len = rec->payload_len;
		} else {
			w.flags |= IPCD_F_PAYLOAD_TRUNCATED;
		}
	}
	if (!grow((void **)&c->writes, &c->cap_writes, c->nwrites + 1, sizeof(w))) {
		free(w.payload);
		j->dropped++;
		return;
	}
	/* Records come nearly in offset order: search from the end. */
	at = c->nwrites;
	while (at > c->first && c->writes[at - 1].off > w.off)
		at--;
	memmove(&c->writes[at + 1], &c->writes[at], (c->nwrites - at) * sizeof(w));
	c->writes[at] = w;
	c->nwrites++;
	settle_pending_reads(j, c, false);
}

static void add_read(struct pipe_join *j, struct pipe_chan *c, const struct ipcd_pipe_io *rec)
{
	struct pending_read r = {
		.off = rec->offset, .len = rec->bytes, .end_ns = rec->hdr.ts_ns,
		.task = rec->task, .flags = rec->hdr.flags, .fd = rec->fd, .call = rec->call,
	};

	if (settle_read(j, c, &r, false))
		return;
	if (!grow((void **)&c->reads, &c->cap_reads, c->nreads + 1, sizeof(r))) {
		settle_read(j, c, &r, true);
		return;
	}
	c->reads[c->nreads++] = r;
}

void pipe_join_io(struct pipe_join *j, const struct ipcd_pipe_io *rec)
{
	struct pipe_chan *c = chan_get(j, rec->ino, rec->dev);

	if (!c) {
		j->dropped++;
		return;
	}
	if (!rec->bytes)
		return;
	if (rec->hdr.ts_ns > c->last_ns)
		c->last_ns = rec->hdr.ts_ns;
	if (rec->base > c->base)
		c->base = rec->base;
	if (rec->dir == IPCD_PIPE_WRITE)
		add_write(j, c, rec);
	else
		add_read(j, c, rec);
}

void pipe_join_fifo_path(struct pipe_join *j, const struct ipcd_fifo_path *rec)
{
	struct pipe_chan *c = chan_get(j, rec->ino, rec->dev);
	char path[IPCD_PATH_DEPTH * IPCD_NAME_LEN + 1] = "";
	size_t len = 0;

	if (!c)
		return;
	for (int i = (int)rec->depth - 1; i >= 0 && i < IPCD_PATH_DEPTH; i--) {
		size_t n = strnlen(rec->names[i], IPCD_NAME_LEN);

		if (len + 1 + n >= sizeof(path))
			break;
		path[len++] = '/';
		memcpy(path + len, rec->names[i], n);
		len += n;
	}
	if (!len)
		path[len++] = '/';
	path[len] = '\0';
	free(c->path);
	c->path = strdup(path);
}

void pipe_join_resync(struct pipe_join *j, const struct ipcd_pipe_resync *rec)
{
	struct pipe_chan *c = chan_get(j, rec->ino, rec->dev);
	size_t out = 0;

	if (!c)
		return;
	/* Reads of bytes no traced write produced: their writers are unknown. */
	for (size_t i = 0; i < c->nreads; i++) {
		if (c->reads[i].off < rec->to)
			settle_read(j, c, &c->reads[i], true);
		else
			c->reads[out++] = c->reads[i];
	}
	c->nreads = out;
	/*
	 * Bytes [from, to) of pending writes were never read; bytes below from
	 * were read by reads whose records were lost (already counted).
	 */
	for (size_t i = c->first; i < c->nwrites; i++) {
		struct pending_write *w = &c->writes[i];

		if (w->off < rec->to) {
			emit_unread(j, c, w, rec->from, IPCD_EF_READER_UNKNOWN);
			w->read_upto = w->off + w->len;
		}
	}
	drop_consumed_writes(c);
}

void pipe_join_expire(struct pipe_join *j, uint64_t now_ns, uint64_t max_age_ns)
{
	struct pipe_chan *c, *tmp;

	HASH_ITER(hh, j->chans, c, tmp) {
		size_t out = 0;

		for (size_t i = 0; i < c->nreads; i++) {
			if (now_ns - c->reads[i].end_ns >= max_age_ns && now_ns > c->reads[i].end_ns)
				settle_read(j, c, &c->reads[i], true);
			else
				c->reads[out++] = c->reads[i];
		}
		c->nreads = out;
	}
}

/* Bytes below the kernel's read counter were read, by readers unseen (filtered out or lost). */
static void drop_writes_read_unseen(struct pipe_chan *c, uint64_t r_off)
{
	for (size_t i = c->first; i < c->nwrites; i++)
		if (c->writes[i].read_upto < r_off)
			c->writes[i].read_upto = r_off;
	drop_consumed_writes(c);
}

static void forget_idle_chan(struct pipe_join *j, struct pipe_chan *c)
{
	if (c->nwrites > c->first || c->nreads || c->path)
		return;
	HASH_DEL(j->chans, c);
	chan_free(c);
}

/*
 * The kernel's read counter runs ahead of the records still in the ring:
 * a read it counts now may be delivered a little later.  So writes are
 * dropped below the counter seen one collect ago, whose reads have long
 * been delivered, and the counter seen now waits for the next collect.
 */
static uint64_t chan_pending_bytes(const struct pipe_chan *c)
{
	uint64_t bytes = 0;

	for (size_t i = c->first; i < c->nwrites; i++)
		bytes += sizeof(c->writes[i]) + c->writes[i].payload_len;
	return bytes;
}

static int by_last_record(const void *a, const void *b)
{
	const struct pipe_chan *x = *(struct pipe_chan *const *)a, *y = *(struct pipe_chan *const *)b;

	return x->last_ns < y->last_ns ? -1 : x->last_ns > y->last_ns;
}

/*
 * Nothing tells userspace that a pipe was destroyed with data in it (a
 * `cmd | head` that quit early), so its writes would wait for a reader
 * forever.  Past the cap, the pipes quiet for longest are reported unread
 * now, down to half the cap; should a reader come after all, its read
 * shows an unknown writer.
 */
static void bound_pending(struct pipe_join *j)
{
	struct pipe_chan *c, *tmp, **quiet;
	uint64_t total = 0;
	size_t n = 0;

	HASH_ITER(hh, j->chans, c, tmp)
		total += chan_pending_bytes(c);
	if (total <= j->pending_cap)
		return;
	quiet = malloc(HASH_COUNT(j->chans) * sizeof(*quiet));
	if (!quiet)
		return;
	HASH_ITER(hh, j->chans, c, tmp)
		if (c->nwrites > c->first)
			quiet[n++] = c;
	qsort(quiet, n, sizeof(*quiet), by_last_record);
	for (size_t i = 0; i < n && total > j->pending_cap / 2; i++) {
		c = quiet[i];
		total -= chan_pending_bytes(c);
		for (size_t w = c->first; w < c->nwrites; w++) {
			emit_unread(j, c, &c->writes[w], 0, IPCD_EF_UNREAD);
			c->writes[w].read_upto = c->writes[w].off + c->writes[w].len;
			j->evicted++;
		}
		drop_consumed_writes(c);
	}
	free(quiet);
}

void pipe_join_collect(struct pipe_join *j, pipe_read_offset_fn read_offset, void *ctx)
{
	struct pipe_chan *c, *tmp;
	uint64_t r_off;

	HASH_ITER(hh, j->chans, c, tmp) {
		if (c->nwrites > c->first) {
			drop_writes_read_unseen(c, c->seen_r_off);
			if (read_offset(ctx, &c->key, &r_off))
				c->seen_r_off = r_off;
		}
		forget_idle_chan(j, c);
	}
	bound_pending(j);
}

uint64_t pipe_join_evicted(const struct pipe_join *j)
{
	return j->evicted;
}

void pipe_join_flush(struct pipe_join *j, pipe_read_offset_fn read_offset, void *ctx)
{
	struct pipe_chan *c, *tmp;
	uint64_t r_off;

	HASH_ITER(hh, j->chans, c, tmp) {
		settle_pending_reads(j, c, true);
		if (c->nwrites > c->first && read_offset(ctx, &c->key, &r_off))
			drop_writes_read_unseen(c, r_off);
		for (size_t i = c->first; i < c->nwrites; i++)
			emit_unread(j, c, &c->writes[i], 0, IPCD_EF_UNREAD);
		for (size_t i = c->first; i < c->nwrites; i++)
			free(c->writes[i].payload);
		c->first = c->nwrites = 0;
	}
}

uint64_t pipe_join_dropped(const struct pipe_join *j)
{
	return j->dropped;
}

size_t pipe_join_pending(const struct pipe_join *j)
{
	const struct pipe_chan *c, *tmp;
	size_t n = 0;

	HASH_ITER(hh, j->chans, c, tmp)
		n += c->nwrites - c->first + c->nreads;
	return n;
}
