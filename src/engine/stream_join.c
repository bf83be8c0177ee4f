/* SPDX-License-Identifier: GPL-2.0 */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "engine/grow.h"
#include "engine/stream_join.h"

struct pending_write {
	uint64_t off, len;
	uint64_t read_upto;     /* bytes below this offset were read (streams are read in order) */
	uint64_t start_ns, end_ns;
	struct ipcd_task task;
	uint32_t flags;
	int32_t fd;
	uint8_t call;
	uint8_t *payload;
	uint32_t payload_len;
	uint64_t sock, ino;     /* unix: the sending socket */
	struct ipcd_sock_extra *extra;
};

struct pending_read {
	uint64_t off, len;
	uint64_t end_ns;
	struct ipcd_task task;
	uint32_t flags;
	int32_t fd;
	uint8_t call;
	uint64_t sock, ino;     /* unix: the receiving socket */
	/*
	 * The first bytes the reader got, when the kernel copied them: the
	 * writes' copies only hold the first -B bytes of each write, so a read
	 * of a later piece of a long write needs its own.  Borrowed from the
	 * record while the read is settled at once, owned once it waits.
	 */
	const uint8_t *payload;
	uint32_t payload_len;
	bool owns_payload;
};

struct stream_chan {
	struct ipcd_pipe_key key;
	UT_hash_handle hh;
	char *path;             /* FIFO path, NULL for anonymous pipes */
	enum ipcd_type type;    /* of its events */
	uint64_t base;          /* bytes below this were written before tracing */
	struct pending_write *writes;  /* [first, nwrites) pending, sorted by off */
	size_t first, nwrites, cap_writes;
	struct pending_read *reads;    /* in arrival order */
	size_t nreads, cap_reads;
	uint64_t seen_r_off;    /* the kernel's read counter at the last collect */
	uint64_t last_ns;       /* the newest record of this stream */
};

struct stream_join {
	struct stream_chan *chans;
	uint64_t dropped;       /* records not kept for want of memory */
	uint64_t pending_cap;   /* bytes that pending writes may hold */
	uint64_t evicted;       /* writes reported unread early to stay under the cap */
	ipcd_emit_fn emit;
	void *emit_ctx;
};

/* What pending writes may hold before the quietest streams are reported unread. */
#define STREAM_JOIN_PENDING_CAP (64ull << 20)

/* Flags an event carries over from its records. */
#define CARRIED_FLAGS (IPCD_F_ORDER_UNCERTAIN | IPCD_F_PAYLOAD_UNAVAILABLE | \
		       IPCD_F_STARTED_BEFORE | IPCD_F_BLOCKED | IPCD_F_FIFO | IPCD_F_CREDS)

struct stream_join *stream_join_new(ipcd_emit_fn emit, void *emit_ctx)
{
	struct stream_join *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->emit = emit;
	j->emit_ctx = emit_ctx;
	j->pending_cap = STREAM_JOIN_PENDING_CAP;
	return j;
}

void stream_join_set_pending_cap(struct stream_join *j, uint64_t bytes)
{
	j->pending_cap = bytes;
}

static void write_free(struct pending_write *w)
{
	free(w->payload);
	ipcd_sock_extra_free(w->extra);
	w->payload = NULL;
	w->extra = NULL;
}

static void read_free(struct pending_read *r)
{
	if (r->owns_payload)
		free((void *)r->payload);
	r->payload = NULL;
	r->payload_len = 0;
	r->owns_payload = false;
}

static void chan_free(struct stream_chan *c)
{
	for (size_t i = c->first; i < c->nwrites; i++)
		write_free(&c->writes[i]);
	for (size_t i = 0; i < c->nreads; i++)
		read_free(&c->reads[i]);
	free(c->writes);
	free(c->reads);
	free(c->path);
	free(c);
}

void stream_join_free(struct stream_join *j)
{
	struct stream_chan *c, *tmp;

	if (!j)
		return;
	HASH_ITER(hh, j->chans, c, tmp) {
		HASH_DEL(j->chans, c);
		chan_free(c);
	}
	free(j);
}

static struct stream_chan *chan_get(struct stream_join *j, const struct ipcd_pipe_key *key)
{
	struct stream_chan *c;

	HASH_FIND(hh, j->chans, key, sizeof(*key), c);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->key = *key;
	c->type = key->kind == IPCD_STREAM_UNIX ? IPCD_TYPE_UNIX_STREAM :
		  key->kind == IPCD_STREAM_TCP ? IPCD_TYPE_LOOPBACK_TCP : IPCD_TYPE_PIPE;
	HASH_ADD(hh, j->chans, key, sizeof(*key), c);
	return c;
}

/* ---- events ---------------------------------------------------------- */

static void event_base(struct ipcd_event *e, const struct stream_chan *c, uint64_t ts)
{
	ipcd_event_init(e, c->type, ts);
	e->chan_key = c->key.ino;
	if (c->type == IPCD_TYPE_PIPE) {
		e->ino = c->key.ino;
		e->path = c->path;
	}
}

static void event_set_writer(struct ipcd_event *e, const struct pending_write *w, uint64_t from,
			     uint64_t to)
{
	uint64_t lo = from - w->off, hi = to - w->off;

	ipcd_endpoint_from_task(&e->src, &w->task);
	e->src_fd = w->fd;
	e->src_call = w->call;
	e->src_sock = w->sock;
	e->src_ino = w->ino;
	e->flags |= w->flags & CARRIED_FLAGS;
	/* what came with the write comes with its first byte */
	if (from == w->off)
		e->extra = w->extra;
	if (lo < w->payload_len) {
		e->payload = w->payload + lo;
		e->payload_len = (uint32_t)((hi < w->payload_len ? hi : w->payload_len) - lo);
	}
}

/*
 * The bytes [from, to) come with whichever copy holds more of their start:
 * the write's (its first -B bytes) or the read's (the reader's first -B).
 * A read of the third piece of a 64 KiB write finds nothing in the write's
 * copy; the second write a read took may lie past the read's copy.
 */
static void event_set_payload(struct ipcd_event *e, const struct pending_write *w, const struct pending_read *r,
			      uint64_t from, uint64_t to)
{
	uint64_t in_read = from - r->off;
	/* a read that copied nothing says nothing of this event's bytes */
	uint32_t truncated = r->payload_len ? r->flags & IPCD_F_PAYLOAD_TRUNCATED : 0;

	if (w)
		truncated |= w->flags & IPCD_F_PAYLOAD_TRUNCATED;
	if (in_read < r->payload_len) {
		uint64_t end = r->off + r->payload_len < to ? r->off + r->payload_len : to;

		if (end - from > e->payload_len) {
			e->payload = r->payload + in_read;
			e->payload_len = (uint32_t)(end - from);
		}
	}
	/* the bytes are here after all, whatever one side could not copy */
	if (e->payload_len)
		e->flags &= ~IPCD_F_PAYLOAD_UNAVAILABLE;
	if (e->payload_len < to - from && truncated)
		e->flags |= IPCD_F_PAYLOAD_TRUNCATED;
}

static void event_set_reader(struct ipcd_event *e, const struct pending_read *r)
{
	ipcd_endpoint_from_task(&e->dst, &r->task);
	e->dst_fd = r->fd;
	e->dst_call = r->call;
	e->dst_sock = r->sock;
	e->dst_ino = r->ino;
	e->flags |= r->flags & CARRIED_FLAGS;
}

/* Bytes [from, to) of read r, produced by write w (NULL: unknown writer). */
static void emit_segment(struct stream_join *j, const struct stream_chan *c, const struct pending_write *w,
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
		} else if (!w->start_ns) {
			/* only the write's return is known, and the read beat it: next to nothing */
			e.flags |= IPCD_EF_HAS_LATENCY;
		}
	} else {
		e.flags |= IPCD_EF_WRITER_UNKNOWN;
	}
	event_set_payload(&e, w, r, from, to);
	j->emit(j->emit_ctx, &e);
}

/*
 * The rest of write w that no traced read took, from what was read (or
 * floor) to its end: still in the pipe (IPCD_EF_UNREAD), or gone by a way
 * no collector saw (IPCD_EF_READER_UNKNOWN).
 */
static void emit_unread(struct stream_join *j, const struct stream_chan *c, const struct pending_write *w,
			uint64_t floor, uint32_t why)
{
	struct ipcd_event e;
	uint64_t from = w->read_upto > floor ? w->read_upto : floor, to = w->off + w->len;

	if (from >= to)
		return;
	event_base(&e, c, w->end_ns);
	e.bytes = to - from;
	event_set_writer(&e, w, from, to);
	if (e.payload_len < to - from && (w->flags & IPCD_F_PAYLOAD_TRUNCATED))
		e.flags |= IPCD_F_PAYLOAD_TRUNCATED;
	e.flags |= why;
	j->emit(j->emit_ctx, &e);
}

/* ---- the join -------------------------------------------------------- */

static bool write_all_read(const struct pending_write *w)
{
	return w->read_upto >= w->off + w->len;
}

/* Forgets every write read to its end, wherever it is. */
static void drop_consumed_writes(struct stream_chan *c)
{
	size_t out = 0;

	for (size_t i = c->first; i < c->nwrites; i++) {
		if (write_all_read(&c->writes[i])) {
			write_free(&c->writes[i]);
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
static void pop_read_writes(struct stream_chan *c)
{
	while (c->first < c->nwrites && write_all_read(&c->writes[c->first])) {
		write_free(&c->writes[c->first]);
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
static size_t first_write_after(const struct stream_chan *c, uint64_t pos)
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
static bool range_covered(const struct stream_chan *c, uint64_t from, uint64_t to)
{
	uint64_t pos = from < c->base ? (to < c->base ? to : c->base) : from;

	for (size_t i = first_write_after(c, pos); pos < to; i++) {
		/* no writes at all: writes is NULL, and NULL + i is undefined even unread */
		if (i >= c->nwrites || c->writes[i].off > pos)
			return false;
		pos = c->writes[i].off + c->writes[i].len;
	}
	return true;
}

/*
 * Reports read r as one event per write that produced its bytes.  Unless
 * forced, only once every byte's writer is known; forced, the bytes with
 * no known writer are reported as such.
 */
static bool settle_read(struct stream_join *j, struct stream_chan *c, const struct pending_read *r, bool force)
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

/* Settles read r and frees what it holds; false (and nothing freed) if it must wait. */
static bool settle_and_free_read(struct stream_join *j, struct stream_chan *c, struct pending_read *r,
				 bool force)
{
	if (!settle_read(j, c, r, force))
		return false;
	read_free(r);
	return true;
}

static void settle_pending_reads(struct stream_join *j, struct stream_chan *c, bool force)
{
	size_t out = 0;

	for (size_t i = 0; i < c->nreads; i++) {
		if (settle_and_free_read(j, c, &c->reads[i], force))
			continue;
		c->reads[out++] = c->reads[i];
	}
	c->nreads = out;
}

static void add_write(struct stream_join *j, struct stream_chan *c, const struct stream_io *io)
{
	struct pending_write w = {
		.off = io->offset, .len = io->bytes, .read_upto = io->offset,
		.start_ns = io->start_ns, .end_ns = io->end_ns,
		.task = *io->task, .flags = io->flags, .fd = io->fd, .call = io->call,
		.sock = io->sock, .ino = io->ino, .extra = io->extra,
	};
	size_t at;

	if (io->payload_len) {
		w.payload = malloc(io->payload_len);
		if (w.payload) {
			memcpy(w.payload, io->payload, io->payload_len);
			w.payload_len = io->payload_len;
		} else {
			w.flags |= IPCD_F_PAYLOAD_TRUNCATED;
		}
	}
	/* most streams have one write pending at a time, and 100 000 of them may be open */
	if (!grow_array_from((void **)&c->writes, &c->cap_writes, c->nwrites + 1, sizeof(w), 1)) {
		write_free(&w);
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

static void add_read(struct stream_join *j, struct stream_chan *c, const struct stream_io *io)
{
	struct pending_read r = {
		.off = io->offset, .len = io->bytes, .end_ns = io->end_ns,
		.task = *io->task, .flags = io->flags, .fd = io->fd, .call = io->call,
		.sock = io->sock, .ino = io->ino, .payload = io->payload, .payload_len = io->payload_len,
	};
	uint8_t *copy;

	if (!r.payload)
		r.payload_len = 0;
	if (settle_read(j, c, &r, false))
		return;
	if (!grow_array((void **)&c->reads, &c->cap_reads, c->nreads + 1, sizeof(r))) {
		settle_read(j, c, &r, true);
		return;
	}
	/* it waits for its writes: keep its bytes beyond the record's life */
	if (r.payload_len) {
		copy = malloc(r.payload_len);
		if (copy)
			memcpy(copy, r.payload, r.payload_len);
		r.payload = copy;
		r.payload_len = copy ? r.payload_len : 0;
		r.owns_payload = copy != NULL;
	}
	c->reads[c->nreads++] = r;
}

void stream_join_add(struct stream_join *j, const struct stream_io *io)
{
	struct stream_chan *c = chan_get(j, &io->key);

	if (!c || !io->bytes) {
		if (!c)
			j->dropped++;
		ipcd_sock_extra_free(io->extra);
		return;
	}
	if (io->end_ns > c->last_ns)
		c->last_ns = io->end_ns;
	if (io->base > c->base)
		c->base = io->base;
	if (io->write)
		add_write(j, c, io);
	else
		add_read(j, c, io);
}

void stream_join_io(struct stream_join *j, const struct ipcd_pipe_io *rec)
{
	struct stream_io io = {
		.key = { .ino = rec->ino, .dev = rec->dev, .kind = IPCD_STREAM_PIPE },
		.write = rec->dir == IPCD_PIPE_WRITE,
		.offset = rec->offset, .bytes = rec->bytes, .base = rec->base,
		.start_ns = rec->start_ns, .end_ns = rec->hdr.ts_ns,
		.task = &rec->task, .flags = rec->hdr.flags, .fd = rec->fd, .call = rec->call,
		.payload = rec->payload, .payload_len = rec->payload_len,
	};

	stream_join_add(j, &io);
}

void stream_join_fifo_path(struct stream_join *j, const struct ipcd_fifo_path *rec)
{
	struct ipcd_pipe_key key = { .ino = rec->ino, .dev = rec->dev, .kind = IPCD_STREAM_PIPE };
	struct stream_chan *c = chan_get(j, &key);
	char path[IPCD_PATH_MAX];

	if (!c)
		return;
	ipcd_path_format(&rec->path, path, sizeof(path));
	free(c->path);
	c->path = strdup(path);
}

void stream_join_resync(struct stream_join *j, const struct ipcd_pipe_resync *rec)
{
	struct ipcd_pipe_key key = { .ino = rec->ino, .dev = rec->dev, .kind = rec->kind };
	struct stream_chan *c = chan_get(j, &key);
	size_t out = 0;

	if (!c)
		return;
	/* Reads of bytes no traced write produced: their writers are unknown. */
	for (size_t i = 0; i < c->nreads; i++) {
		if (c->reads[i].off < rec->to)
			settle_and_free_read(j, c, &c->reads[i], true);
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

void stream_join_expire(struct stream_join *j, uint64_t now_ns, uint64_t max_age_ns)
{
	struct stream_chan *c, *tmp;

	HASH_ITER(hh, j->chans, c, tmp) {
		size_t out = 0;

		for (size_t i = 0; i < c->nreads; i++) {
			if (now_ns - c->reads[i].end_ns >= max_age_ns && now_ns > c->reads[i].end_ns)
				settle_and_free_read(j, c, &c->reads[i], true);
			else
				c->reads[out++] = c->reads[i];
		}
		c->nreads = out;
	}
}

/* Bytes below the kernel's read counter were read, by readers unseen (filtered out or lost). */
static void drop_writes_read_unseen(struct stream_chan *c, uint64_t r_off)
{
	for (size_t i = c->first; i < c->nwrites; i++)
		if (c->writes[i].read_upto < r_off)
			c->writes[i].read_upto = r_off;
	drop_consumed_writes(c);
}

static void forget_idle_chan(struct stream_join *j, struct stream_chan *c)
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
static uint64_t chan_pending_bytes(const struct stream_chan *c)
{
	uint64_t bytes = 0;

	for (size_t i = c->first; i < c->nwrites; i++)
		bytes += sizeof(c->writes[i]) + c->writes[i].payload_len;
	return bytes;
}

static int by_last_record(const void *a, const void *b)
{
	const struct stream_chan *x = *(struct stream_chan *const *)a, *y = *(struct stream_chan *const *)b;

	return x->last_ns < y->last_ns ? -1 : x->last_ns > y->last_ns;
}

/*
 * Nothing tells userspace that a pipe was destroyed with data in it (a
 * `cmd | head` that quit early), so its writes would wait for a reader
 * forever.  Past the cap, the pipes quiet for longest are reported unread
 * now, down to half the cap; should a reader come after all, its read
 * shows an unknown writer.
 */
static void bound_pending(struct stream_join *j)
{
	struct stream_chan *c, *tmp, **quiet;
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

void stream_join_collect(struct stream_join *j, pipe_read_offset_fn read_offset, void *ctx)
{
	struct stream_chan *c, *tmp;
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

uint64_t stream_join_evicted(const struct stream_join *j)
{
	return j->evicted;
}

void stream_join_flush(struct stream_join *j, pipe_read_offset_fn read_offset, void *ctx)
{
	struct stream_chan *c, *tmp;
	uint64_t r_off;

	HASH_ITER(hh, j->chans, c, tmp) {
		settle_pending_reads(j, c, true);
		if (c->nwrites > c->first && read_offset(ctx, &c->key, &r_off))
			drop_writes_read_unseen(c, r_off);
		for (size_t i = c->first; i < c->nwrites; i++)
			emit_unread(j, c, &c->writes[i], 0, IPCD_EF_UNREAD);
		for (size_t i = c->first; i < c->nwrites; i++)
			write_free(&c->writes[i]);
		c->first = c->nwrites = 0;
	}
}

uint64_t stream_join_dropped(const struct stream_join *j)
{
	return j->dropped;
}

size_t stream_join_pending(const struct stream_join *j)
{
	const struct stream_chan *c, *tmp;
	size_t n = 0;

	HASH_ITER(hh, j->chans, c, tmp)
		n += c->nwrites - c->first + c->nreads;
	return n;
}
