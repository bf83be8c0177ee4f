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
#include "daemon/service.h"
#include "engine/options.h"

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

static void on_signal(int sig)
{
	switch (sig) {
	case SIGHUP: ipcdd_service_reload(); break;
	case SIGUSR1: ipcdd_service_reopen(); break;
	default: ipcdd_service_stop(); break;
	}
}

/* Before the collectors load: a SIGHUP or SIGUSR1 while they do must not end the process. */
static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
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
	else {
		install_signal_handlers();
		rc = ipcdd_service_run(args.config_path, &cfg);
	}
	ipcdd_config_free(&cfg);
	return rc;
}
