/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdump_next: the pipeline runs on a thread of the session's own and
 * its sink copies each event into a bounded queue, which the caller's
 * thread empties.  A full queue makes the pipeline wait: a file is read
 * no faster than the caller reads; live, the kernel's ring takes the
 * slack and what it cannot hold is counted and reported as lost.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/lib.h"
#include "engine/pipeline.h"

/* Events waiting for ipcdump_next: enough to ride out a caller's pause, bounded in memory. */
#define QUEUE_EVENTS 4096

void lib_queue_event(struct ipcdump_session *s, const struct ipcd_event *e)
{
	struct lib_queue *q = &s->queue;
	struct ipcd_event copy;

	/* the copy is made outside the lock: the reader never waits for a malloc */
	if (!ipcd_event_copy(&copy, e))
		return;
	pthread_mutex_lock(&s->lock);
	while (q->count == q->cap && !s->closing)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->closing) {
		pthread_mutex_unlock(&s->lock);
		ipcd_event_copy_free(&copy);
		return;
	}
	q->slots[(q->head + q->count) % q->cap] = copy;
	q->count++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void lib_announce_attached(struct ipcdump_session *s)
{
	pthread_mutex_lock(&s->lock);
	s->attached = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *pipeline_thread(void *arg)
{
	struct ipcdump_session *s = arg;
	int rc = lib_run_pipeline(s);

	pthread_mutex_lock(&s->lock);
	s->finished = true;
	s->run_rc = rc;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* The thread takes no signal: the caller's handlers run on the caller's threads. */
static int start_thread(struct ipcdump_session *s)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, pipeline_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return lib_fail(s, -rc, "cannot start the session's thread: %s", strerror(rc));
	s->thread_started = true;
	return 0;
}

int ipcdump_start(struct ipcdump_session *session)
{
	struct ipcdump_session *s = session;
	int rc;

	if (!s)
		return -EINVAL;
	if (s->mode != LIB_UNREAD)
		return lib_fail(s, -EALREADY, "a session is read once");
	s->mode = LIB_ITERATOR;
	if (!(s->queue.slots = calloc(QUEUE_EVENTS, sizeof(*s->queue.slots))))
		return lib_fail(s, -ENOMEM, "out of memory");
	s->queue.cap = QUEUE_EVENTS;
	if ((rc = start_thread(s)))
		return rc;
	pthread_mutex_lock(&s->lock);
	while (!s->attached && !s->finished)
		pthread_cond_wait(&s->cond, &s->lock);
	rc = s->attached ? 0 : s->run_rc;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static struct timespec deadline_after(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* Under s->lock: an event queued, the end, or the timeout; false on the timeout. */
static bool wait_for_event(struct ipcdump_session *s, int timeout_ms)
{
	struct timespec deadline = deadline_after(timeout_ms > 0 ? timeout_ms : 0);

	while (!s->queue.count && !s->finished) {
		if (timeout_ms < 0)
			pthread_cond_wait(&s->cond, &s->lock);
		else if (!timeout_ms || pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT)
			return s->queue.count || s->finished;
	}
	return true;
}

static void drop_current(struct ipcdump_session *s)
{
	if (s->has_current)
		ipcd_event_copy_free(&s->current);
	s->has_current = false;
}

int ipcdump_next(struct ipcdump_session *session, const struct ipcdump_event **event, int timeout_ms)
{
	struct ipcdump_session *s = session;
	struct lib_queue *q;
	int rc;

	if (!s || !event)
		return -EINVAL;
	*event = NULL;
	if (s->mode == LIB_UNREAD && (rc = ipcdump_start(s)))
		return rc;
	if (s->mode != LIB_ITERATOR)
		return lib_fail(s, -EINVAL, "ipcdump_next on a session read by ipcdump_run");
	drop_current(s);
	q = &s->queue;
	pthread_mutex_lock(&s->lock);
	if (!wait_for_event(s, timeout_ms)) {
		pthread_mutex_unlock(&s->lock);
		return -EAGAIN;
	}
	if (!q->count) {
		rc = s->run_rc;
		pthread_mutex_unlock(&s->lock);
		return rc;
	}
	s->current = q->slots[q->head];
	s->has_current = true;
	q->head = (q->head + 1) % q->cap;
	q->count--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	lib_event_view(&s->view, &s->current, ipcd_pipeline_clock(s->pipeline));
	*event = &s->view;
	return 1;
}

void lib_iterator_free(struct ipcdump_session *s)
{
	struct lib_queue *q = &s->queue;

	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->closing = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		ipcd_pipeline_stop(s->pipeline);
		pthread_join(s->thread, NULL);
		s->thread_started = false;
	}
	for (; q->count; q->count--, q->head = (q->head + 1) % q->cap)
		ipcd_event_copy_free(&q->slots[q->head]);
	free(q->slots);
	q->slots = NULL;
	drop_current(s);
}
