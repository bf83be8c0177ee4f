// SPDX-License-Identifier: GPL-2.0
/*
 * ipcdumpd's run (service.h).  Everything here happens on the pipeline's
 * thread: the signal handlers only raise flags, which the live loop's poll
 * hook reads between two batches of events.  So a reload swaps the outputs
 * at a point between events: each goes to the old outputs or the new ones,
 * exactly once, and the collectors stay attached throughout.
 */
#include "daemon/service.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/context.h"
#include "daemon/api_service.h"
#include "daemon/notify.h"
#include "daemon/outputs.h"
#include "engine/options.h"
#include "engine/pipeline.h"
#include "sinks/sinks.h"

#define WARN_EVERY_NS (10ull * 1000 * 1000 * 1000)   /* an output's drops: one warning this often at most */
#define CHECK_DROPS_EVERY_NS (1000ull * 1000 * 1000)
#define PUBLISH_EVERY_NS (100ull * 1000 * 1000)  /* the API's status snapshot */
#define RELOAD_MESSAGE_MAX 4096

/* One output of the running configuration and its sink (a queue around the output's own). */
struct slot {
	struct ipcd_sink *sink;
	uint64_t warned_by[IPCD_DROP_REASONS];  /* drops already in a warning */
	uint64_t last_warning_ns;
};

struct service {
	const char *config_path;
	struct ipcdd_config cfg;      /* the running configuration */
	struct ipcd_options opts;     /* what was loaded with the collectors: changes need a restart */
	struct ipcd_pipeline *p;
	struct slot slots[IPCDD_OUTPUTS_MAX];  /* cfg's outputs, in order */
	uint64_t last_drop_check_ns;
	bool started;                 /* the collectors attached: the outputs have counts to report */
	/* the REST API: its section read at start only (the server keeps reading it), NULL api: none */
	struct ipcda_config api_cfg;
	struct ipcdd_api *api;
	bool api_failed;              /* it could not listen: the run ends */
	uint64_t last_publish_ns, reloads, reload_failures;
};

static volatile sig_atomic_t stop_requested, reload_requested, reopen_requested;
static struct ipcd_pipeline *volatile running;

void ipcdd_service_stop(void)
{
	stop_requested = 1;
	if (running)
		ipcd_pipeline_stop(running);
}

void ipcdd_service_reload(void)
{
	reload_requested = 1;
}

void ipcdd_service_reopen(void)
{
	reopen_requested = 1;
}

/* "ipcdumpd: LEVEL: ...", one line. */
static void say(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const char *level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ipcdumpd: %s: ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the configuration as the engine's options ---------------------------------- */

/* trace: as the engine's options; the filter stays the configuration's. */
static void options_from_config(struct ipcd_options *opts, const struct ipcdd_config *cfg)
{
	ipcd_options_init(opts);
	opts->program = "ipcdumpd";
	opts->log_levels = true;
	opts->types = cfg->types;
	if (cfg->lifecycle)
		opts->types |= ipcd_lifecycle_types(opts->types);
	opts->lifecycle = cfg->lifecycle;
	opts->kernel_signals = cfg->kernel_signals;
	opts->buffer_size = cfg->buffer_size;
	opts->max_channels = cfg->channels;
	opts->max_bytes = ipcdd_trace_payload_max(cfg);
	opts->max_bytes_given = true;
	opts->dump_bytes = opts->max_bytes > 0;
	opts->filter = cfg->filter;
	opts->filter_text = cfg->filter_text;
}

/* ---- outputs ------------------------------------------------------------------ */

/* "file /var/log/ipcdump/events.json", "syslog daemon": how the log names an output. */
static void describe_output(const struct ipcdd_output *out, char *buf, size_t len)
{
	const char *what = out->path ? out->path : out->facility;

	snprintf(buf, len, "%s%s%s", ipcdd_output_type_name(out->type), what ? " " : "", what ? what : "");
}

/* out's sink behind its own queue; NULL after a one-line error. */
static struct ipcd_sink *output_sink_new(const char *config_path, const struct ipcdd_config *cfg,
				        struct ipcdd_output *out)
{
	struct ipcd_sink *s = ipcdd_output_sink_new(config_path, out, ipcdd_trace_payload_max(cfg), stderr);

	if (!s)
		return NULL;
	ipcdd_output_payload_limits(s, &cfg->payload, &out->payload);
	if (!(s = ipcd_queue_sink_new(s, out->queue)))
		say("error", "out of memory");
	return s;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Two outputs written alike: a reload keeps the running one as it is. */
static bool same_output(const struct ipcdd_output *a, const struct ipcdd_output *b)
{
	return a->type == b->type && same_text(a->path, b->path) && a->format == b->format &&
	       a->rotate_size == b->rotate_size && a->rotate_interval == b->rotate_interval &&
	       a->rotate_keep == b->rotate_keep && a->compress == b->compress &&
	       same_text(a->filter_text, b->filter_text) && !memcmp(&a->payload, &b->payload, sizeof(a->payload)) &&
	       a->mode == b->mode && same_text(a->facility, b->facility) && a->retention_secs == b->retention_secs &&
	       a->retention_bytes == b->retention_bytes && a->queue == b->queue &&
	       same_text(a->severity, b->severity) && same_text(a->socket, b->socket) && same_text(a->tag, b->tag) &&
	       a->journald == b->journald;
}

/* "3 dropped (queue full: 2, write failed: 1)": the drops since those counted in since (NULL: all). */
static void describe_drops(const struct ipcd_sink_counters *c, const uint64_t *since, char *buf, size_t len)
{
	uint64_t by[IPCD_DROP_REASONS], dropped = 0;
	size_t n;
	bool first = true;

	for (int r = 0; r < IPCD_DROP_REASONS; r++)
		dropped += by[r] = c->dropped_by[r] - (since ? since[r] : 0);
	n = snprintf(buf, len, "%" PRIu64 " dropped", dropped);
	for (int r = 0; r < IPCD_DROP_REASONS && n < len; r++) {
		if (!by[r])
			continue;
		n += snprintf(buf + n, len - n, "%s%s: %" PRIu64, first ? " (" : ", ", ipcd_drop_reason_name(r), by[r]);
		first = false;
	}
	if (!first && n < len)
		snprintf(buf + n, len - n, ")");
}

/* "output 2 (file /x.jsonl): 120 written, 3 dropped (queue full: 3)", with what comes before it. */
static void report_output(struct service *sv, size_t i, const char *before)
{
	struct ipcd_sink_counters c;
	char what[512], drops[256];
	bool stuck = ipcd_queue_sink_stuck(sv->slots[i].sink);

	ipcd_queue_sink_counters(sv->slots[i].sink, &c);
	describe_output(&sv->cfg.outputs[i], what, sizeof(what));
	describe_drops(&c, NULL, drops, sizeof(drops));
	/* one left behind stuck is an error: the daemon exits non-zero for it */
	say(stuck ? "error" : "info", "%soutput %zu (%s): %" PRIu64 " written, %s%s", before, i + 1, what, c.written,
	    drops, stuck ? "; left behind stuck" : "");
}

/* Every output's sink, in order, into the pipeline's list; false after a one-line error. */
static bool add_outputs(struct service *sv)
{
	for (size_t i = 0; i < sv->cfg.output_count; i++) {
		struct ipcd_sink *s = output_sink_new(sv->config_path, &sv->cfg, &sv->cfg.outputs[i]);

		if (!s)
			return false;
		ipcd_pipeline_add_sink(sv->p, s);
		sv->slots[i].sink = s;
	}
	return true;
}

/* ---- while it runs: drops --------------------------------------------------------- */

/* An output whose drops grew says so, with the reasons, at most every 10 s. */
static void warn_of_drops(struct service *sv, uint64_t now)
{
	for (size_t i = 0; i < sv->cfg.output_count; i++) {
		struct slot *sl = &sv->slots[i];
		struct ipcd_sink_counters c;
		char what[512], drops[256];
		uint64_t grew = 0;

		if (!sl->sink || (sl->last_warning_ns && now - sl->last_warning_ns < WARN_EVERY_NS))
			continue;
		ipcd_queue_sink_counters(sl->sink, &c);
		for (int r = 0; r < IPCD_DROP_REASONS; r++)
			grew += c.dropped_by[r] - sl->warned_by[r];
		if (!grew)
			continue;
		describe_output(&sv->cfg.outputs[i], what, sizeof(what));
		describe_drops(&c, sl->warned_by, drops, sizeof(drops));
		/* "written" is the total so far; the drops are the new ones */
		say("warning", "output %zu (%s) is dropping events: %" PRIu64 " written in all, %s", i + 1, what,
		    c.written, drops);
		memcpy(sl->warned_by, c.dropped_by, sizeof(sl->warned_by));
		sl->last_warning_ns = now;
	}
}

/* ---- while it runs: SIGUSR1 ------------------------------------------------------- */

/* Each output's reopen goes through its queue: after the events before it. */
static void reopen_outputs(struct service *sv)
{
	say("info", "reopening %zu output%s", sv->cfg.output_count, sv->cfg.output_count == 1 ? "" : "s");
	for (size_t i = 0; i < sv->cfg.output_count; i++)
		if (sv->slots[i].sink && sv->slots[i].sink->reopen)
			sv->slots[i].sink->reopen(sv->slots[i].sink);
}

/* ---- while it runs: SIGHUP ------------------------------------------------------- */

/* Keys the collectors were loaded with: a new value waits for a restart (said once per reload). */
static void note_restart_keys(const struct service *sv, const struct ipcdd_config *next)
{
	struct ipcd_options want;

	options_from_config(&want, next);
	if (want.types != sv->opts.types)
		say("warning", "trace.types changed: takes effect at restart");
	if (want.lifecycle != sv->opts.lifecycle)
		say("warning", "trace.lifecycle changed: takes effect at restart");
	if (want.kernel_signals != sv->opts.kernel_signals)
		say("warning", "trace.kernel_signals changed: takes effect at restart");
	if (want.buffer_size != sv->opts.buffer_size)
		say("warning", "trace.buffer_size changed: takes effect at restart");
	if (want.max_channels != sv->opts.max_channels)
		say("warning", "trace.channels changed: takes effect at restart");
	if (want.max_bytes > sv->opts.max_bytes)
		say("warning", "trace.payload %" PRIu32 " is above the %" PRIu32 " bytes the kernel captures: "
		    "takes effect at restart", want.max_bytes, sv->opts.max_bytes);
}

/* The payload outputs may keep: the new configuration's, never above what the kernel captures. */
static uint32_t reload_payload(const struct service *sv, const struct ipcdd_config *next)
{
	uint32_t want = ipcdd_trace_payload_max(next);

	return want < sv->opts.max_bytes ? want : sv->opts.max_bytes;
}

/*
 * The next configuration's sinks into slots: a running output written alike
 * is kept (taken from the running slots, *kept counts them), any other made
 * anew.  false after a one-line error, with the new sinks freed and the
 * running ones untouched.
 */
static bool build_outputs(struct service *sv, struct ipcdd_config *next, struct slot *slots, size_t *kept)
{
	bool taken[IPCDD_OUTPUTS_MAX] = { false }, fresh[IPCDD_OUTPUTS_MAX] = { false };
	uint32_t payload = reload_payload(sv, next);
	/* outputs without a payload of their own keep the trace's: a new one changes them all */
	bool payload_same = payload == reload_payload(sv, &sv->cfg);

	*kept = 0;
	for (size_t j = 0; j < next->output_count; j++) {
		memset(&slots[j], 0, sizeof(slots[j]));
		for (size_t i = 0; i < sv->cfg.output_count && payload_same; i++) {
			if (taken[i] || !sv->slots[i].sink || !same_output(&sv->cfg.outputs[i], &next->outputs[j]))
				continue;
			taken[i] = true;
			slots[j] = sv->slots[i];
			(*kept)++;
			break;
		}
		if (slots[j].sink)
			continue;
		fresh[j] = true;
		if (!(slots[j].sink = output_sink_new(sv->config_path, next, &next->outputs[j]))) {
			for (size_t k = 0; k < j; k++)
				if (fresh[k])
					ipcd_sink_free(slots[k].sink);
			return false;
		}
	}
	return true;
}

static bool in_slots(const struct slot *slots, size_t n, const struct ipcd_sink *s)
{
	for (size_t i = 0; i < n; i++)
		if (slots[i].sink == s)
			return true;
	return false;
}

/* The outputs leaving: their last events written (queues drained), then their counts in the log. */
static void report_leaving(struct service *sv, const struct slot *next, size_t count)
{
	for (size_t i = 0; i < sv->cfg.output_count; i++) {
		struct ipcd_sink *s = sv->slots[i].sink;

		if (!s || in_slots(next, count, s))
			continue;
		if (s->flush)
			s->flush(s, ipcd_monotonic_ns());
		report_output(sv, i, "closing ");
	}
}

/* The next configuration takes over the run: its filter, its outputs. */
static void switch_to(struct service *sv, struct ipcdd_config *next, struct slot *slots, size_t kept)
{
	struct ipcd_sink *sinks[IPCDD_OUTPUTS_MAX + IPCDD_API_SINKS];
	size_t count = next->output_count, api_sinks = 0;

	if (!ipcd_pipeline_set_filter(sv->p, next->filter)) {
		/* the kernel holds part of the running filter: it stays, and next frees the old one's text */
		say("warning", "trace.filter: takes effect at restart");
		fexpr_free(next->filter);
		free(next->filter_text);
		next->filter = sv->cfg.filter;
		next->filter_text = sv->cfg.filter_text;
		sv->cfg.filter = NULL;
		sv->cfg.filter_text = NULL;
	}
	report_leaving(sv, slots, count);
	for (size_t j = 0; j < count; j++)
		sinks[j] = slots[j].sink;
	/* the API's sinks stay in the list, as they are */
	if (sv->api)
		api_sinks = ipcdd_api_sinks(sv->api, sinks + count);
	if (ipcd_pipeline_replace_sinks(sv->p, sinks, count + api_sinks))
		say("error", "some outputs of the new configuration could not start");
	/* one that could not open is gone (freed) */
	for (size_t j = 0; j < count; j++)
		slots[j].sink = sinks[j];
	ipcdd_config_free(&sv->cfg);
	sv->cfg = *next;
	sv->opts.filter = sv->cfg.filter;
	sv->opts.filter_text = sv->cfg.filter_text;
	memset(sv->slots, 0, sizeof(sv->slots));
	memcpy(sv->slots, slots, count * sizeof(*slots));
	say("info", "configuration reloaded from %s: %zu output%s (%zu kept as they were)", sv->config_path,
	    count, count == 1 ? "" : "s", kept);
}

/* READY=1 and what runs (daemon/notify.c): at start, and again when a reload is done. */
static void notify_ready(const struct service *sv)
{
	char status[64];

	snprintf(status, sizeof(status), "Tracing into %zu output%s", sv->cfg.output_count,
		 sv->cfg.output_count == 1 ? "" : "s");
	ipcdd_notify_ready(status);
}

/* The configuration's errors: to the log, and (as far as they fit) to what the reload answers. */
static int load_for_reload(struct service *sv, struct ipcdd_config *next, char *message, size_t len)
{
	char *errors_text = NULL;
	size_t errors_len = 0;
	FILE *err = open_memstream(&errors_text, &errors_len);
	int errors = ipcdd_config_load(sv->config_path, next, err ? err : stderr);

	if (err && !fclose(err) && errors_text) {
		/* each error is one "FILE:LINE:COLUMN: error: ..." line of the log */
		fputs(errors_text, stderr);
		snprintf(message, len, "%s", errors_text);
	}
	free(errors_text);
	return errors;
}

/*
 * SIGHUP, or POST /api/v1/reload: the file read and checked in full; a bad
 * one changes nothing.  true when the new configuration runs; message says
 * what happened (a bad file's errors).
 */
static bool reload(struct service *sv, char *message, size_t len)
{
	struct ipcdd_config next;
	struct slot slots[IPCDD_OUTPUTS_MAX];
	size_t kept, used;
	int errors;

	say("info", "reloading the configuration from %s", sv->config_path);
	ipcdd_notify_reloading();
	message[0] = '\0';
	errors = load_for_reload(sv, &next, message, len);
	if (errors || !build_outputs(sv, &next, slots, &kept)) {
		say("error", "%s: keeping the running configuration", sv->config_path);
		used = strlen(message);
		snprintf(message + used, len - used, "%s: keeping the running configuration%s", sv->config_path,
			 errors ? "" : " (an output could not start: see the log)");
		ipcdd_config_free(&next);
		sv->reload_failures++;
		notify_ready(sv);
		return false;
	}
	note_restart_keys(sv, &next);
	switch (ipcdd_api_reload(sv->api, &sv->api_cfg, &next.api)) {
	case IPCDD_API_CREDENTIALS: say("info", "api: tokens and users reloaded"); break;
	case IPCDD_API_RESTART: say("warning", "api: changes other than tokens and users take effect at restart"); break;
	case IPCDD_API_FAILED: say("error", "api: out of memory: the tokens and users stay as they were"); break;
	default: break;
	}
	ipcda_config_free(&next.api);
	switch_to(sv, &next, slots, kept);
	snprintf(message, len, "configuration reloaded from %s: %zu output%s (%zu kept as they were)",
		 sv->config_path, sv->cfg.output_count, sv->cfg.output_count == 1 ? "" : "s", kept);
	sv->reloads++;
	notify_ready(sv);
	return true;
}

/* ---- the REST API ---------------------------------------------------------------- */

/* What /api/v1/status and /metrics show: collectors, outputs, the store. */
static void fill_status(struct service *sv, struct ipcda_status *st)
{
	memset(st, 0, sizeof(*st));
	st->ready = sv->started;
	st->collector_count = IPCD_COLL_MAX;
	for (int c = 0; c < IPCD_COLL_MAX; c++) {
		struct ipcda_collector_status *cs = &st->collectors[c];
		const char *why_not;

		snprintf(cs->name, sizeof(cs->name), "%s", ipcd_collector_name(c));
		ipcd_pipeline_collector(sv->p, c, &cs->wanted, &cs->attached, &cs->lost, &why_not);
		snprintf(cs->why_not, sizeof(cs->why_not), "%s", why_not);
	}
	for (size_t i = 0; i < sv->cfg.output_count && i < IPCDA_STATUS_OUTPUTS_MAX; i++) {
		const struct ipcdd_output *out = &sv->cfg.outputs[i];
		struct ipcda_output_status *os = &st->outputs[st->output_count++];
		struct ipcd_sink_counters c = { 0 };
		size_t capacity = 0;

		snprintf(os->type, sizeof(os->type), "%s", ipcdd_output_type_name(out->type));
		snprintf(os->what, sizeof(os->what), "%s", out->path ? out->path : out->facility ? out->facility : "");
		if (!sv->slots[i].sink)
			continue;
		ipcd_queue_sink_counters(sv->slots[i].sink, &c);
		os->queued = ipcd_queue_sink_waiting(sv->slots[i].sink, &capacity);
		os->capacity = capacity;
		os->written = c.written;
		memcpy(os->dropped_by, c.dropped_by, sizeof(os->dropped_by));
		if (out->type == IPCDD_OUTPUT_SQLITE && !st->store_path[0] && out->path)
			snprintf(st->store_path, sizeof(st->store_path), "%s", out->path);
	}
	st->reloads = sv->reloads;
	st->reload_failures = sv->reload_failures;
}

static void publish_status(struct service *sv)
{
	struct ipcda_status *st = malloc(sizeof(*st));

	if (!st)
		return;
	fill_status(sv, st);
	ipcda_context_publish(ipcdd_api_context(sv->api), st);
	free(st);
}

/* The API's feed and metrics join the pipeline's sinks; false: out of memory. */
static bool add_api(struct service *sv)
{
	struct ipcd_sink *sinks[IPCDD_API_SINKS];
	size_t n;

	/* the server reads the section while it runs: the service keeps it apart from reloads */
	sv->api_cfg = sv->cfg.api;
	memset(&sv->cfg.api, 0, sizeof(sv->cfg.api));
	if (!sv->api_cfg.enabled)
		return true;
	if (!(sv->api = ipcdd_api_new(&sv->api_cfg)))
		return false;
	n = ipcdd_api_sinks(sv->api, sinks);
	for (size_t i = 0; i < n; i++)
		ipcd_pipeline_add_sink(sv->p, sinks[i]);
	return true;
}

/* After the collectors attach: the API listens.  One that cannot ends the run. */
static void start_api(struct service *sv)
{
	publish_status(sv);
	if (ipcdd_api_start(sv->api, stderr)) {
		sv->api_failed = true;
		ipcd_pipeline_stop(sv->p);
		return;
	}
	say("info", "api: listening on %zu address%s", sv->api_cfg.listen_count,
	    sv->api_cfg.listen_count == 1 ? "" : "es");
}

/* Every poll: a reload the API asked for, and (ten times a second) the status snapshot. */
static void poll_api(struct service *sv, uint64_t now)
{
	struct ipcda_context *ctx = ipcdd_api_context(sv->api);
	char message[RELOAD_MESSAGE_MAX];

	if (ipcda_context_reload_wanted(ctx)) {
		bool ok = reload(sv, message, sizeof(message));

		ipcda_context_reload_done(ctx, ok, message);
		sv->last_publish_ns = 0;
	}
	if (now - sv->last_publish_ns >= PUBLISH_EVERY_NS) {
		publish_status(sv);
		sv->last_publish_ns = now;
	}
}

/* ---- the run ------------------------------------------------------------------- */

static void on_started(void *ctx)
{
	struct service *sv = ctx;

	sv->started = true;
	if (sv->api)
		start_api(sv);
	notify_ready(ctx);
}

/* The loop is over, the draining starts: the API stops before the outputs close. */
static void on_stopping(void *ctx)
{
	struct service *sv = ctx;

	ipcdd_notify_stopping();
	if (sv->api)
		ipcdd_api_stop(sv->api);
}

/* Before each poll of the ring, between two events: what the signals asked for, and the drops. */
static bool on_poll(void *ctx)
{
	struct service *sv = ctx;
	uint64_t now;

	if (reload_requested) {
		char message[RELOAD_MESSAGE_MAX];

		reload_requested = 0;
		reload(sv, message, sizeof(message));
	}
	if (reopen_requested) {
		reopen_requested = 0;
		reopen_outputs(sv);
	}
	now = ipcd_monotonic_ns();
	/* the watchdog hears from us only while the loop turns */
	ipcdd_notify_watchdog(now);
	if (now - sv->last_drop_check_ns >= CHECK_DROPS_EVERY_NS) {
		warn_of_drops(sv, now);
		sv->last_drop_check_ns = now;
	}
	if (sv->api)
		poll_api(sv, now);
	return false;
}

int ipcdd_service_run(const char *config_path, struct ipcdd_config *cfg)
{
	struct service *sv = calloc(1, sizeof(*sv));
	const struct ipcd_live_hooks hooks = { .ctx = sv, .started = on_started, .poll = on_poll,
					       .stopping = on_stopping };
	int rc;

	if (!sv) {
		say("error", "out of memory");
		ipcdd_config_free(cfg);
		return IPCD_EXIT_FAILURE;
	}
	sv->config_path = config_path;
	sv->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	options_from_config(&sv->opts, &sv->cfg);
	if (!(sv->p = ipcd_pipeline_new(&sv->opts, NULL))) {
		say("error", "out of memory");
		rc = IPCD_EXIT_FAILURE;
	} else if (!add_outputs(sv)) {
		rc = IPCD_EXIT_USAGE;
	} else if (!add_api(sv)) {
		say("error", "out of memory");
		rc = IPCD_EXIT_FAILURE;
	} else {
		running = sv->p;
		if (stop_requested)  /* a SIGTERM while it started */
			ipcd_pipeline_stop(sv->p);
		ipcdd_notify_init();
		rc = ipcd_pipeline_run(sv->p, &hooks);
		running = NULL;
		if (sv->api_failed && !rc)
			rc = IPCD_EXIT_FAILURE;
		/* after the pipeline's own summary: each output's */
		for (size_t i = 0; i < sv->cfg.output_count && sv->started; i++)
			if (sv->slots[i].sink)
				report_output(sv, i, "");
	}
	ipcd_pipeline_free(sv->p);
	/* after the pipeline, which held its sinks */
	ipcdd_api_free(sv->api);
	ipcda_config_free(&sv->api_cfg);
	ipcdd_config_free(&sv->cfg);
	free(sv);
	return rc;
}
