/* SPDX-License-Identifier: GPL-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "engine/grow.h"
#include "families/shm_events.h"
#include "families/channel_keys.h"

struct sharer {
	uint32_t pid;
	uint32_t maps;   /* attachments of this process */
};

struct shm_object {
	struct ipcd_shm_obj key;
	UT_hash_handle hh;
	char name[IPCD_NAME_LEN + 1];
	bool sysv;
	int64_t shmid;
	uint64_t size;
	struct sharer sharers[IPCD_SHARERS_MAX];
	uint32_t nsharers;
};

/* A wake or a wait waiting for the other half. */
struct futex_half {
	struct ipcd_futex rec;
	int32_t left;    /* wakes: tasks it woke not yet paired */
};

struct shm_events {
	struct shm_object *objects;
	struct futex_half *wakes, *waits;
	size_t nwakes, cap_wakes, nwaits, cap_waits;
	struct ipcd_semop *posts, *semwaits;   /* semops waiting for their other half */
	size_t nposts, cap_posts, nsemwaits, cap_semwaits;
	ipcd_emit_fn emit;
	void *emit_ctx;
};

struct shm_events *shm_events_new(ipcd_emit_fn emit, void *emit_ctx)
{
	struct shm_events *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->emit = emit;
	s->emit_ctx = emit_ctx;
	return s;
}

void shm_events_free(struct shm_events *s)
{
	struct shm_object *o, *tmp;

	if (!s)
		return;
	HASH_ITER(hh, s->objects, o, tmp) {
		HASH_DEL(s->objects, o);
		free(o);
	}
	free(s->wakes);
	free(s->waits);
	free(s->posts);
	free(s->semwaits);
	free(s);
}

static struct shm_object *object_get(struct shm_events *s, const struct ipcd_shm_obj *key)
{
	struct shm_object *o;
	struct ipcd_shm_obj k = { .ino = key->ino, .dev = key->dev };

	HASH_FIND(hh, s->objects, &k, sizeof(k), o);
	if (o || !(o = calloc(1, sizeof(*o))))
		return o;
	o->key = k;
	o->shmid = -1;
	HASH_ADD(hh, s->objects, key, sizeof(o->key), o);
	return o;
}

static void sharer_add(struct shm_object *o, uint32_t pid)
{
	for (uint32_t i = 0; i < o->nsharers; i++) {
		if (o->sharers[i].pid == pid) {
			o->sharers[i].maps++;
			return;
		}
	}
	if (o->nsharers < IPCD_SHARERS_MAX)
		o->sharers[o->nsharers++] = (struct sharer){ pid, 1 };
}

static void sharer_drop(struct shm_object *o, uint32_t pid, bool all)
{
	for (uint32_t i = 0; i < o->nsharers; i++) {
		if (o->sharers[i].pid != pid)
			continue;
		if (all || !--o->sharers[i].maps)
			o->sharers[i] = o->sharers[--o->nsharers];
		return;
	}
}

static void describe(struct ipcd_event *e, const struct shm_object *o, uint32_t *pids)
{
	e->shm_name = o->name[0] ? o->name : NULL;
	e->shm_sysv = o->sysv;
	e->shm_id = o->shmid;
	e->shm_size = o->size;
	for (uint32_t i = 0; i < o->nsharers; i++)
		pids[i] = o->sharers[i].pid;
	e->shm_sharers = pids;
	e->shm_nsharers = o->nsharers;
}

/*
 * A mapping of a BPF map (another BPF tool's ring buffer, say) is memory
 * shared with the kernel, not between processes.  Captures written before
 * the collector left them out still hold them.
 */
static bool is_bpf_map(const char *name)
{
	return !strncmp(name, "bpf-map", IPCD_NAME_LEN);
}

/* A SysV event that named only the id (shmctl) gets the key its segment's attach showed. */
static void sysv_key_by_id(const struct shm_events *s, struct ipcd_event *e)
{
	const struct shm_object *o;

	if (!e->shm_sysv || e->shm_has_key || e->shm_id < 0)
		return;
	for (o = s->objects; o; o = o->hh.next) {
		if (o->sysv && o->shmid == e->shm_id && !strncmp(o->name, "SYSV", 4)) {
			e->shm_key = (int32_t)strtoul(o->name + 4, NULL, 16);
			e->shm_has_key = true;
			return;
		}
	}
}

void shm_events_op(struct shm_events *s, const struct ipcd_shm_op *rec)
{
	struct ipcd_event e;
	struct shm_object *o = NULL;
	uint32_t pids[IPCD_SHARERS_MAX];
	char name[IPCD_NAME_LEN + 1];

	if (is_bpf_map(rec->name)) {
		/* known by its name, so that futex handoffs on it are left out too */
		if (rec->obj.ino && (o = object_get(s, &rec->obj)))
			snprintf(o->name, sizeof(o->name), "%.*s", IPCD_NAME_LEN, rec->name);
		return;
	}
	ipcd_event_init(&e, IPCD_TYPE_SHM, rec->hdr.ts_ns);
	ipcd_endpoint_from_task(&e.src, &rec->task);
	e.shm_op = rec->op;
	e.shm_addr = rec->addr;
	e.shm_id = rec->id;
	e.shm_key = rec->key;
	e.shm_has_key = rec->op == IPCD_SHMOP_SHMGET;
	e.shm_size = rec->size;
	e.shm_sysv = rec->sysv;
	e.chan_key = rec->obj.ino;
	if (rec->obj.ino && (o = object_get(s, &rec->obj))) {
		snprintf(o->name, sizeof(o->name), "%.*s", IPCD_NAME_LEN, rec->name);
		o->sysv = rec->sysv;
		if (rec->op == IPCD_SHMOP_ATTACH) {
			if (rec->sysv)
				o->shmid = rec->id;
			o->size = rec->size;
			sharer_add(o, rec->task.pid);
		} else if (rec->op == IPCD_SHMOP_DETACH) {
			sharer_drop(o, rec->task.pid, false);
		}
		describe(&e, o, pids);
		e.shm_id = rec->op == IPCD_SHMOP_MEMFD ? rec->id : o->shmid;
		if (rec->size)
			e.shm_size = rec->size;
	} else if (rec->name[0]) {
		snprintf(name, sizeof(name), "%.*s", IPCD_NAME_LEN, rec->name);
		e.shm_name = name;
	}
	/* SysV segments are named SYSV<key in hex> by the kernel */
	if (e.shm_sysv && e.shm_name && !strncmp(e.shm_name, "SYSV", 4)) {
		e.shm_key = (int32_t)strtoul(e.shm_name + 4, NULL, 16);
		e.shm_has_key = true;
	}
	sysv_key_by_id(s, &e);
	s->emit(s->emit_ctx, &e);
}

void shm_events_exited(struct shm_events *s, uint32_t pid)
{
	struct shm_object *o, *tmp;

	HASH_ITER(hh, s->objects, o, tmp)
		sharer_drop(o, pid, true);
}

static bool same_futex(const struct ipcd_futex *a, const struct ipcd_futex *b)
{
	return a->obj.ino == b->obj.ino && a->obj.dev == b->obj.dev && a->offset == b->offset;
}

/* waker (NULL: not seen) ended wait. */
static void emit_handoff(struct shm_events *s, const struct ipcd_futex *waker, const struct ipcd_futex *wait)
{
	struct ipcd_event e;
	struct shm_object *o = object_get(s, &wait->obj);
	uint32_t pids[IPCD_SHARERS_MAX];

	if (o && is_bpf_map(o->name))
		return;
	ipcd_event_init(&e, IPCD_TYPE_SHM, wait->hdr.ts_ns);
	e.shm_op = IPCD_SHMOP_FUTEX_WAKE;
	e.shm_offset = wait->offset;
	e.chan_key = ipcd_futex_channel(wait);
	e.shm_id = -1;
	if (o)
		describe(&e, o, pids);
	if (e.shm_sysv && e.shm_name && !strncmp(e.shm_name, "SYSV", 4)) {
		e.shm_key = (int32_t)strtoul(e.shm_name + 4, NULL, 16);
		e.shm_has_key = true;
	}
	ipcd_endpoint_from_task(&e.dst, &wait->task);
	if (waker) {
		ipcd_endpoint_from_task(&e.src, &waker->task);
		/* from the wake's call to the woken wait's return */
		if (wait->hdr.ts_ns >= waker->start_ns) {
			e.latency_ns = wait->hdr.ts_ns - waker->start_ns;
			e.flags |= IPCD_EF_HAS_LATENCY;
		}
	} else {
		e.flags |= IPCD_EF_WRITER_UNKNOWN;
	}
	s->emit(s->emit_ctx, &e);
}

/* A wake can only have ended a wait that returned after it began, in another task. */
static bool woke(const struct futex_half *wake, const struct ipcd_futex *wait)
{
	return wake->left > 0 && same_futex(&wake->rec, wait) && wake->rec.task.tid != wait->task.tid &&
	       wait->hdr.ts_ns >= wake->rec.start_ns;
}

static void drop_spent_wakes(struct shm_events *s)
{
	size_t out = 0;

	for (size_t i = 0; i < s->nwakes; i++)
		if (s->wakes[i].left > 0)
			s->wakes[out++] = s->wakes[i];
	s->nwakes = out;
}

void shm_events_futex(struct shm_events *s, const struct ipcd_futex *rec)
{
	struct futex_half half = { .rec = *rec, .left = rec->result };

	if (rec->op == IPCD_FUTEX_WAITED) {
		for (size_t i = 0; i < s->nwakes; i++) {
			if (woke(&s->wakes[i], rec)) {
				emit_handoff(s, &s->wakes[i].rec, rec);
				s->wakes[i].left--;
				drop_spent_wakes(s);
				return;
			}
		}
		if (grow_array((void **)&s->waits, &s->cap_waits, s->nwaits + 1, sizeof(half)))
			s->waits[s->nwaits++] = half;
		else
			emit_handoff(s, NULL, rec);
		return;
	}
	/* a wake: the waits that came first and that it may have ended, oldest first */
	{
		size_t out = 0;

		for (size_t i = 0; i < s->nwaits; i++) {
			if (woke(&half, &s->waits[i].rec)) {
				emit_handoff(s, &half.rec, &s->waits[i].rec);
				half.left--;
				continue;
			}
			s->waits[out++] = s->waits[i];
		}
		s->nwaits = out;
	}
	if (half.left > 0 && grow_array((void **)&s->wakes, &s->cap_wakes, s->nwakes + 1, sizeof(half)))
		s->wakes[s->nwakes++] = half;
}

/* ---- SysV semaphores ---------------------------------------------------- */

/* A release ended a wait if it came while the wait was blocked, from another process. */
static bool released(const struct ipcd_semop *post, const struct ipcd_semop *wait)
{
	return post->semid == wait->semid && post->semnum == wait->semnum && post->task.pid != wait->task.pid &&
	       post->hdr.ts_ns >= wait->start_ns && post->start_ns <= wait->hdr.ts_ns;
}

static void emit_sem(struct shm_events *s, const struct ipcd_semop *post, const struct ipcd_semop *wait)
{
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_SHM, wait->hdr.ts_ns);
	e.shm_op = IPCD_SHMOP_SEM_POST;
	e.shm_sysv = true;
	e.chan_key = ipcd_semop_channel(wait);
	e.shm_id = wait->semid;
	e.shm_offset = wait->semnum;
	ipcd_endpoint_from_task(&e.src, &post->task);
	ipcd_endpoint_from_task(&e.dst, &wait->task);
	e.latency_ns = wait->hdr.ts_ns > post->start_ns ? wait->hdr.ts_ns - post->start_ns : 0;
	e.flags |= IPCD_EF_HAS_LATENCY;
	s->emit(s->emit_ctx, &e);
}

static void remove_at(struct ipcd_semop *arr, size_t *n, size_t i)
{
	memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(*arr));
	(*n)--;
}

void shm_events_semop(struct shm_events *s, const struct ipcd_semop *rec)
{
	if (rec->op > 0) {
		for (size_t i = 0; i < s->nsemwaits; i++) {
			if (released(rec, &s->semwaits[i])) {
				emit_sem(s, rec, &s->semwaits[i]);
				remove_at(s->semwaits, &s->nsemwaits, i);
				return;
			}
		}
		if (grow_array((void **)&s->posts, &s->cap_posts, s->nposts + 1, sizeof(*rec)))
			s->posts[s->nposts++] = *rec;
		return;
	}
	for (size_t i = 0; i < s->nposts; i++) {
		if (released(&s->posts[i], rec)) {
			emit_sem(s, &s->posts[i], rec);
			remove_at(s->posts, &s->nposts, i);
			return;
		}
	}
	if (grow_array((void **)&s->semwaits, &s->cap_semwaits, s->nsemwaits + 1, sizeof(*rec)))
		s->semwaits[s->nsemwaits++] = *rec;
}

/* Semops with no other half in time: a wait that did not block, a release nobody waited for. */
static void expire_semops(struct ipcd_semop *arr, size_t *n, uint64_t now_ns, uint64_t max_age_ns)
{
	size_t out = 0;

	for (size_t i = 0; i < *n; i++)
		if (!(now_ns > arr[i].hdr.ts_ns && now_ns - arr[i].hdr.ts_ns >= max_age_ns))
			arr[out++] = arr[i];
	*n = out;
}

void shm_events_expire(struct shm_events *s, uint64_t now_ns, uint64_t max_age_ns)
{
	size_t out = 0;

	expire_semops(s->posts, &s->nposts, now_ns, max_age_ns);
	expire_semops(s->semwaits, &s->nsemwaits, now_ns, max_age_ns);

	for (size_t i = 0; i < s->nwaits; i++) {
		if (now_ns > s->waits[i].rec.hdr.ts_ns && now_ns - s->waits[i].rec.hdr.ts_ns >= max_age_ns)
			emit_handoff(s, NULL, &s->waits[i].rec);
		else
			s->waits[out++] = s->waits[i];
	}
	s->nwaits = out;
	out = 0;
	/* a wake's tasks woke long ago: whatever of it is left was not traced */
	for (size_t i = 0; i < s->nwakes; i++)
		if (!(now_ns > s->wakes[i].rec.hdr.ts_ns && now_ns - s->wakes[i].rec.hdr.ts_ns >= max_age_ns))
			s->wakes[out++] = s->wakes[i];
	s->nwakes = out;
}

void shm_events_flush(struct shm_events *s)
{
	shm_events_expire(s, UINT64_MAX, 0);
}
