// SPDX-License-Identifier: GPL-2.0
/*
 * The service's own endpoints: /healthz (the server answers), /readyz (the
 * collectors are attached), /api/v1/status (the service's latest snapshot,
 * api/context.h) and POST /api/v1/reload (SIGHUP's reload, with its
 * outcome).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "api/api.h"
#include "api/context.h"
#include "api/reply.h"
#include "api/routes.h"
#include "util/json_writer.h"

#define RELOAD_WAIT_MS 30000

void ipcda_get_healthz(struct ipcda_request *rq)
{
	static const char body[] = "{\"status\": \"ok\"}\n";

	ipcda_reply(rq, 200, "application/json", body, sizeof(body) - 1);
}

void ipcda_get_readyz(struct ipcda_request *rq)
{
	static const char ready[] = "{\"status\": \"ready\"}\n", starting[] = "{\"status\": \"starting\"}\n";
	struct ipcda_status *st = malloc(sizeof(*st));

	if (!st) {
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	ipcda_context_status(ipcda_context_of(rq), st);
	if (st->ready)
		ipcda_reply(rq, 200, "application/json", ready, sizeof(ready) - 1);
	else
		ipcda_reply(rq, 503, "application/json", starting, sizeof(starting) - 1);
	free(st);
}

/* The store's bytes on disk: the database and its write-ahead log. */
static uint64_t store_bytes(const char *path)
{
	char wal[1100];
	struct stat st;
	uint64_t total = 0;

	if (!stat(path, &st))
		total += (uint64_t)st.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (!stat(wal, &st))
		total += (uint64_t)st.st_size;
	return total;
}

static void write_collectors(struct json_writer *w, const struct ipcda_status *st)
{
	jw_key(w, "collectors");
	jw_array_begin(w);
	for (size_t i = 0; i < st->collector_count; i++) {
		const struct ipcda_collector_status *c = &st->collectors[i];

		jw_object_begin(w);
		jw_kv_string(w, "name", c->name);
		jw_kv_bool(w, "attached", c->attached);
		if (!c->attached)
			jw_kv_string(w, "missing", !c->wanted ? "not among trace.types" :
				     c->why_not[0] ? c->why_not : !st->ready ? "starting" : "could not attach (see the log)");
		jw_kv_uint(w, "lost", c->lost);
		jw_object_end(w);
	}
	jw_array_end(w);
}

static void write_outputs(struct json_writer *w, const struct ipcda_status *st)
{
	jw_key(w, "outputs");
	jw_array_begin(w);
	for (size_t i = 0; i < st->output_count; i++) {
		const struct ipcda_output_status *o = &st->outputs[i];
		uint64_t dropped = 0;

		for (int r = 0; r < IPCD_DROP_REASONS; r++)
			dropped += o->dropped_by[r];
		jw_object_begin(w);
		jw_kv_string(w, "type", o->type);
		jw_kv_string(w, "target", o->what);
		jw_kv_uint(w, "queued", o->queued);
		jw_kv_uint(w, "queue_capacity", o->capacity);
		jw_kv_uint(w, "written", o->written);
		jw_kv_uint(w, "dropped", dropped);
		jw_key(w, "dropped_by");
		jw_object_begin(w);
		for (int r = 0; r < IPCD_DROP_REASONS; r++)
			jw_kv_uint(w, ipcd_drop_reason_name(r), o->dropped_by[r]);
		jw_object_end(w);
		jw_object_end(w);
	}
	jw_array_end(w);
}

void ipcda_get_status(struct ipcda_request *rq)
{
	struct ipcda_context *ctx = ipcda_context_of(rq);
	struct ipcda_status *st = malloc(sizeof(*st));
	uint64_t clients = 0, dropped_slow = 0;
	struct json_writer w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!st || !(f = open_memstream(&buf, &len))) {
		free(st);
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	ipcda_context_status(ctx, st);
	ipcda_live_counts(ipcda_live_of(ctx), &clients, &dropped_slow);
	jw_init(&w, f);
	jw_object_begin(&w);
	jw_kv_string(&w, "version", IPCD_VERSION);
	jw_key(&w, "uptime_seconds");
	jw_double(&w, ipcda_context_uptime(ctx));
	jw_kv_bool(&w, "ready", st->ready);
	write_collectors(&w, st);
	write_outputs(&w, st);
	jw_key(&w, "store");
	if (st->store_path[0]) {
		jw_object_begin(&w);
		jw_kv_string(&w, "path", st->store_path);
		jw_kv_uint(&w, "bytes", store_bytes(st->store_path));
		jw_object_end(&w);
	} else {
		jw_null(&w);
	}
	jw_key(&w, "stream");
	jw_object_begin(&w);
	jw_kv_uint(&w, "clients", clients);
	jw_kv_uint(&w, "dropped_slow", dropped_slow);
	jw_object_end(&w);
	jw_kv_uint(&w, "reloads", st->reloads);
	jw_kv_uint(&w, "reload_failures", st->reload_failures);
	jw_object_end(&w);
	jw_end_line(&w);
	free(st);
	ipcda_reply_memstream(rq, 200, "application/json", f, &buf, &len);
}

void ipcda_post_reload(struct ipcda_request *rq)
{
	struct json_writer w;
	char *message = NULL, *buf = NULL;
	size_t len = 0;
	bool ok = false;
	FILE *f;

	if (ipcda_context_reload(ipcda_context_of(rq), RELOAD_WAIT_MS, &ok, &message)) {
		ipcda_reply_error(rq, 503, "the service did not take up the reload in time");
		return;
	}
	if (!(f = open_memstream(&buf, &len))) {
		free(message);
		ipcda_reply_error(rq, 500, "out of memory");
		return;
	}
	jw_init(&w, f);
	jw_object_begin(&w);
	jw_kv_bool(&w, "reloaded", ok);
	jw_kv_string(&w, "message", message);
	jw_object_end(&w);
	jw_end_line(&w);
	free(message);
	/* a configuration with errors is the client's to fix: 422, with the errors */
	ipcda_reply_memstream(rq, ok ? 200 : 422, "application/json", f, &buf, &len);
}
