// SPDX-License-Identifier: GPL-2.0
/*
 * The service's state as the API sees it (context.h).  One mutex guards the
 * snapshot and the reload handshake: the pipeline's thread holds it only to
 * copy a few kilobytes or raise a flag.
 */
#include "api/context.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/api.h"

struct ipcda_context {
	struct ipcda_live *live;
	struct ipcda_metrics *metrics;
	_Atomic(struct ipcda_auth *) auth;
	struct timespec started_mono, started_wall;

	pthread_mutex_t lock;
	pthread_cond_t reloaded;
	struct ipcda_status status;
	atomic_bool reload_wanted;     /* read by the service every poll without the lock */
	uint64_t reload_asked, reload_taken, reload_answered;   /* generations: a waiter waits for its own */
	bool reload_ok;
	char *reload_message;
	bool closed;                   /* the service stops: no reload will come */
};

struct ipcda_context *ipcda_context_new(struct ipcda_live *live, struct ipcda_metrics *metrics)
{
	struct ipcda_context *ctx = calloc(1, sizeof(*ctx));
	pthread_condattr_t attr;

	if (!ctx)
		return NULL;
	ctx->live = live;
	ctx->metrics = metrics;
	clock_gettime(CLOCK_MONOTONIC, &ctx->started_mono);
	clock_gettime(CLOCK_REALTIME, &ctx->started_wall);
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ctx->reloaded, &attr);
	pthread_condattr_destroy(&attr);
	return ctx;
}

void ipcda_context_free(struct ipcda_context *ctx)
{
	if (!ctx)
		return;
	pthread_cond_destroy(&ctx->reloaded);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx->reload_message);
	free(ctx);
}

void ipcda_context_publish(struct ipcda_context *ctx, const struct ipcda_status *st)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->status = *st;
	pthread_mutex_unlock(&ctx->lock);
}

bool ipcda_context_reload_wanted(struct ipcda_context *ctx)
{
	if (!atomic_exchange(&ctx->reload_wanted, false))
		return false;
	/* the requests made from now on wait for the next reload: this one may have read the file already */
	pthread_mutex_lock(&ctx->lock);
	ctx->reload_taken = ctx->reload_asked;
	pthread_mutex_unlock(&ctx->lock);
	return true;
}

void ipcda_context_reload_done(struct ipcda_context *ctx, bool ok, const char *message)
{
	pthread_mutex_lock(&ctx->lock);
	free(ctx->reload_message);
	ctx->reload_message = strdup(message);
	ctx->reload_ok = ok;
	/* one reload answers every request made before it began */
	ctx->reload_answered = ctx->reload_taken;
	pthread_cond_broadcast(&ctx->reloaded);
	pthread_mutex_unlock(&ctx->lock);
}

void ipcda_context_close(struct ipcda_context *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->closed = true;
	ctx->status.ready = false;
	pthread_cond_broadcast(&ctx->reloaded);
	pthread_mutex_unlock(&ctx->lock);
}

void ipcda_context_status(struct ipcda_context *ctx, struct ipcda_status *st)
{
	pthread_mutex_lock(&ctx->lock);
	*st = ctx->status;
	pthread_mutex_unlock(&ctx->lock);
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

double ipcda_context_uptime(struct ipcda_context *ctx)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return seconds_between(&ctx->started_mono, &now);
}

double ipcda_context_start_time(struct ipcda_context *ctx)
{
	return (double)ctx->started_wall.tv_sec + (double)ctx->started_wall.tv_nsec / 1e9;
}

struct ipcda_metrics *ipcda_context_metrics(struct ipcda_context *ctx)
{
	return ctx->metrics;
}

void ipcda_context_set_auth(struct ipcda_context *ctx, struct ipcda_auth *auth)
{
	atomic_store(&ctx->auth, auth);
}

struct ipcda_auth *ipcda_context_auth(struct ipcda_context *ctx)
{
	return atomic_load(&ctx->auth);
}

struct ipcda_live *ipcda_live_of(struct ipcda_context *ctx)
{
	return ctx->live;
}

char *ipcda_store_path(struct ipcda_context *ctx)
{
	char *path = NULL;

	pthread_mutex_lock(&ctx->lock);
	if (ctx->status.store_path[0])
		path = strdup(ctx->status.store_path);
	pthread_mutex_unlock(&ctx->lock);
	return path;
}

int ipcda_context_reload(struct ipcda_context *ctx, unsigned timeout_ms, bool *ok, char **message)
{
	struct timespec deadline;
	uint64_t mine;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&ctx->lock);
	mine = ++ctx->reload_asked;
	atomic_store(&ctx->reload_wanted, true);
	while (ctx->reload_answered < mine && rc != ETIMEDOUT && !ctx->closed)
		rc = pthread_cond_timedwait(&ctx->reloaded, &ctx->lock, &deadline);
	if (ctx->reload_answered >= mine) {
		*ok = ctx->reload_ok;
		*message = strdup(ctx->reload_message ? ctx->reload_message : "");
		rc = 0;
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&ctx->lock);
	return rc;
}
