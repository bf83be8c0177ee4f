/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdump: the command line's front end.  argv -> options -> a pipeline
 * (engine/pipeline.h: source -> joins -> filter -> sinks) -> its exit code;
 * and the command or the processes a traced tree starts from (cli/tree.c).
 */
#include <errno.h>
#include <signal.h>
#include <sys/utsname.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "engine/capture.h"
#include "engine/pipeline.h"
#include "engine/tracer.h"
#include "sinks/sinks.h"
#include "cli/options.h"
#include "cli/remote.h"
#include "cli/tree.h"

#define OUTPUT_BUFFER (1u << 16)

static struct ipcd_pipeline *running;
static struct cli_tree tree;

static void on_stop_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	/* A command runs: the first stop signal is for it, passed on; a second stops ipcdump. */
	if (tree.command_takes_signal) {
		tree.command_takes_signal = 0;
		/* ^C from the terminal reached the whole process group: the command has it */
		if (info->si_code != SI_KERNEL)
			tree.signal_to_forward = sig;
		return;
	}
	if (running)
		ipcd_pipeline_stop(running);
}

static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_stop_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a closed stdout shows up as a write error, which ends the run cleanly */
	signal(SIGPIPE, SIG_IGN);
}

/* What a bug report needs: our version, libbpf's, the kernel, and what it lets us load. */
static void print_version(void)
{
	struct utsname u;

	printf("ipcdump %s\n", IPCD_VERSION);
	printf("libbpf %u.%u\n", libbpf_major_version(), libbpf_minor_version());
	if (!uname(&u))
		printf("kernel %s %s %s\n", u.sysname, u.release, u.machine);
	fflush(stdout);
	ipcd_tracer_probe(stdout);
}

/* Where events go: stdout, or -o's file, made private (events carry payloads). */
static FILE *open_events_output(const struct ipcd_options *opts)
{
	FILE *out = stdout;

	if (opts->output_path && strcmp(opts->output_path, "-") &&
	    !(out = capture_create_private(opts->output_path))) {
		fprintf(stderr, "ipcdump: cannot write %s: %s\n", opts->output_path, strerror(errno));
		return NULL;
	}
	/* to a file or a pipe, events go out in big writes (the loop flushes every poll) */
	if (!isatty(fileno(out)))
		setvbuf(out, NULL, _IOFBF, OUTPUT_BUFFER);
	return out;
}

/* -o's file is closed here, so that a full disk shows in the exit code. */
static int close_events_output(const struct ipcd_options *opts, FILE *out, int rc)
{
	bool failed;

	if (out == stdout)
		return rc;
	failed = ferror(out);
	failed |= fclose(out) != 0;
	if (failed && !rc) {
		fprintf(stderr, "ipcdump: writing %s failed\n", opts->output_path);
		return IPCD_EXIT_FAILURE;
	}
	return rc;
}

/* The run: the traced tree's roots first, then the pipeline, then the command's exit. */
static int run_pipeline(struct ipcd_pipeline *p, const struct ipcd_options *opts)
{
	struct ipcd_live_hooks hooks;
	int rc;

	if (opts->read_path && ipcd_sqlite_path(opts->read_path))
		return ipcd_sqlite_read(p);
	if (opts->remote_url)
		return ipcd_remote_read(p);
	if (!ipcd_tracing_tree(opts))
		return ipcd_pipeline_run(p, NULL);
	tree.opts = opts;
	if (!(rc = cli_tree_prepare(&tree, p))) {
		hooks = cli_tree_hooks(&tree);
		rc = ipcd_pipeline_run(p, &hooks);
	}
	return cli_tree_end(&tree, rc);
}

/* Traces, or reads a capture, with the options parsed. */
static int run(const struct ipcd_options *opts)
{
	struct ipcd_pipeline *p;
	FILE *events_out;
	int rc;

	if (opts->show_help) {
		ipcd_print_usage(stdout);
		return IPCD_EXIT_OK;
	}
	if (opts->show_version) {
		print_version();
		return IPCD_EXIT_OK;
	}
	if (!(events_out = open_events_output(opts)))
		return IPCD_EXIT_FAILURE;
	p = ipcd_pipeline_new(opts, events_out);
	if (!p || !ipcd_pipeline_from_options(p, opts)) {
		fprintf(stderr, "ipcdump: out of memory\n");
		ipcd_pipeline_free(p);
		return close_events_output(opts, events_out, IPCD_EXIT_FAILURE);
	}
	running = p;
	install_signal_handlers();
	rc = run_pipeline(p, opts);
	running = NULL;
	ipcd_pipeline_free(p);
	return close_events_output(opts, events_out, rc);
}

/*
 * ipcdump-analyze FILE [OPTIONS]: ipcdump -r FILE --analyze.  The same
 * program under another name (a link), as tcpdump's tools are.
 */
static bool called_as_analyze(const char *argv0)
{
	const char *name = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;

	return !strcmp(name, "ipcdump-analyze");
}

static void print_analyze_usage(FILE *out)
{
	fputs("Usage: ipcdump-analyze FILE [OPTIONS] [FILTER EXPRESSION]\n"
	      "A report on a capture file (made with ipcdump -w FILE): top talkers,\n"
	      "busiest channels, slowest deliveries, most connected processes.\n"
	      "The same as ipcdump -r FILE --analyze; FILE - reads stdin.\n"
	      "OPTIONS are ipcdump's, e.g. -f json, --top N, -t TYPE, -o FILE\n"
	      "(see ipcdump --help).\n",
	      out);
}

/* One of the names (long, then short) is among the options, before any "--". */
static bool asks_for(int argc, char **argv, const char *long_name, const char *short_name)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], long_name) || !strcmp(argv[i], short_name))
			return true;
	return false;
}

/* FILE: the first argument that is neither an option nor an option's value; 0 if none. */
static int analyze_file_arg(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (argv[i][0] != '-' || !strcmp(argv[i], "-"))
			return i;
		if (!strcmp(argv[i], "-r") || !strcmp(argv[i], "--read"))
			return i + 1 < argc ? i + 1 : 0;  /* -r FILE said as ipcdump would */
		if (ipcd_option_takes_value(argv[i]))
			i++;
	}
	return 0;
}

/*
 * Returns the argv to parse, or NULL after usage (exit code in *rc):
 * "--analyze -r FILE" and the other arguments.  With no FILE the usage is
 * printed: without -r, ipcdump would trace the whole machine, forever.
 */
static char **analyze_args(int *argc, char **argv, int *rc)
{
	static char *args[256];
	int file = 0, n = 0;

	if (asks_for(*argc, argv, "--help", "-h")) {
		print_analyze_usage(stdout);
		*rc = IPCD_EXIT_OK;
		return NULL;
	}
	if (asks_for(*argc, argv, "--version", "-V"))
		return argv;
	if (*argc + 3 > (int)(sizeof(args) / sizeof(args[0])) || !(file = analyze_file_arg(*argc, argv))) {
		fputs("Usage: ipcdump-analyze FILE [OPTIONS] (see ipcdump-analyze --help)\n", stderr);
		*rc = IPCD_EXIT_USAGE;
		return NULL;
	}
	args[n++] = argv[0];
	args[n++] = "--analyze";
	for (int i = 1; i < *argc; i++) {
		if (i == file && strcmp(argv[i - 1], "-r") && strcmp(argv[i - 1], "--read"))
			args[n++] = "-r";
		args[n++] = argv[i];
	}
	args[n] = NULL;
	*argc = n;
	return args;
}

int main(int argc, char **argv)
{
	static struct ipcd_options opts;
	bool analyze = argc > 0 && called_as_analyze(argv[0]);
	int rc;

	if (analyze && !(argv = analyze_args(&argc, argv, &rc)))
		return rc;
	rc = ipcd_parse_options(argc, argv, &opts, stderr);

	if (rc < 0)
		rc = run(&opts);
	ipcd_options_free(&opts);
	return rc;
}
