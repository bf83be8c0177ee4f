// SPDX-License-Identifier: GPL-2.0
/*
 * ipcdumpd, the collector service: reads its YAML configuration
 * (daemon/config.c) and traces into the outputs it names.
 *   ipcdumpd [-c FILE] [--check-config] [--help] [--version]
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/config.h"
#include "daemon/notify.h"
#include "daemon/outputs.h"
#include "engine/options.h"
#include "engine/pipeline.h"

struct daemon_args {
	const char *config_path;
	bool check_config;
};

static void print_usage(FILE *out)
{
	fputs("Usage: ipcdumpd [-c FILE] [--check-config] [--help] [--version]\n"
	      "The ipcdump collector service: traces IPC into the outputs its configuration names.\n"
	      "  -c, --config FILE   the configuration (default " IPCDD_DEFAULT_CONFIG ")\n"
	      "      --check-config  read the configuration, report every error, and exit:\n"
	      "                      0 if it is valid, 2 after one line per error\n"
	      "  -h, --help          this help\n"
	      "  -V, --version       the version\n",
	      out);
}

/* -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct daemon_args *args)
{
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	args->config_path = IPCDD_DEFAULT_CONFIG;
	opterr = 0;  /* our own message, with the level */
	while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'c': args->config_path = optarg; break;
		case 'k': args->check_config = true; break;
		case 'h': print_usage(stdout); return IPCD_EXIT_OK;
		case 'V': printf("ipcdumpd %s\n", IPCD_VERSION); return IPCD_EXIT_OK;
		default:
			fprintf(stderr, "ipcdumpd: error: bad option '%s' (see ipcdumpd --help)\n", argv[optind - 1]);
			return IPCD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipcdumpd: error: unexpected argument '%s' (see ipcdumpd --help)\n", argv[optind]);
		return IPCD_EXIT_USAGE;
	}
	return -1;
}

static struct ipcd_pipeline *running;

static void on_stop_signal(int sig)
{
	(void)sig;
	if (running)
		ipcd_pipeline_stop(running);
}

static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The most payload any type keeps: what the kernel captures (per-type rules cut it in the outputs). */
static uint32_t trace_payload(const struct ipcdd_config *cfg)
{
	uint32_t most = cfg->payload.default_bytes;

	for (size_t i = 0; i < cfg->payload.rule_count; i++)
		if (cfg->payload.rules[i].bytes > most)
			most = cfg->payload.rules[i].bytes;
	return most;
}

/* trace: as the engine's options; the filter stays the configuration's. */
static void options_from_config(struct ipcd_options *opts, const struct ipcdd_config *cfg)
{
	ipcd_options_init(opts);
	opts->types = cfg->types;
	if (cfg->lifecycle)
		opts->types |= ipcd_lifecycle_types(opts->types);
	opts->lifecycle = cfg->lifecycle;
	opts->kernel_signals = cfg->kernel_signals;
	opts->buffer_size = cfg->buffer_size;
	opts->max_channels = cfg->channels;
	opts->max_bytes = trace_payload(cfg);
	opts->max_bytes_given = true;
	opts->dump_bytes = opts->max_bytes > 0;
	opts->filter = cfg->filter;
	opts->filter_text = cfg->filter_text;
}

/* Every output's sink into p's list; false after a one-line error (an output that cannot start). */
static bool add_outputs(struct ipcd_pipeline *p, const char *config_path, struct ipcdd_config *cfg)
{
	for (size_t i = 0; i < cfg->output_count; i++) {
		struct ipcd_sink *s = ipcdd_output_sink_new(config_path, &cfg->outputs[i], trace_payload(cfg), stderr);

		if (!s)
			return false;
		ipcd_pipeline_add_sink(p, s);
	}
	return true;
}

/* ---- what systemd hears (daemon/notify.c), from the live loop's hooks ---- */

/* READY=1 and what runs: at start, and again when a reload is done. */
static void notify_ready(const struct ipcdd_config *cfg)
{
	char status[64];

	snprintf(status, sizeof(status), "Tracing into %zu output%s", cfg->output_count,
		 cfg->output_count == 1 ? "" : "s");
	ipcdd_notify_ready(status);
}

static void on_started(void *ctx)
{
	notify_ready(ctx);
}

/* Every turn of the loop (50 ms): the watchdog hears from us only while it turns. */
static bool on_poll(void *ctx)
{
	(void)ctx;
	ipcdd_notify_watchdog(ipcd_monotonic_ns());
	return false;
}

static void on_stopping(void *ctx)
{
	(void)ctx;
	ipcdd_notify_stopping();
}

/* Traces into the outputs until SIGTERM or SIGINT; the exit code. */
static int run(const char *config_path, struct ipcdd_config *cfg)
{
	static struct ipcd_options opts;
	struct ipcd_live_hooks hooks = { .ctx = cfg, .started = on_started, .poll = on_poll,
					 .stopping = on_stopping };
	struct ipcd_pipeline *p;
	int rc;

	options_from_config(&opts, cfg);
	if (!(p = ipcd_pipeline_new(&opts, NULL))) {
		fputs("ipcdumpd: error: out of memory\n", stderr);
		return IPCD_EXIT_FAILURE;
	}
	if (!add_outputs(p, config_path, cfg)) {
		ipcd_pipeline_free(p);
		return IPCD_EXIT_USAGE;
	}
	running = p;
	install_signal_handlers();
	ipcdd_notify_init();
	rc = ipcd_pipeline_run(p, &hooks);
	running = NULL;
	ipcd_pipeline_free(p);
	return rc;
}

int main(int argc, char **argv)
{
	struct daemon_args args = { 0 };
	struct ipcdd_config cfg;
	int rc = parse_args(argc, argv, &args), errors;

	if (rc >= 0)
		return rc;
	errors = ipcdd_config_load(args.config_path, &cfg, stderr);
	if (errors || args.check_config)
		rc = errors ? IPCD_EXIT_USAGE : IPCD_EXIT_OK;
	else
		rc = run(args.config_path, &cfg);
	ipcdd_config_free(&cfg);
	return rc;
}
