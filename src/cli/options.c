/* SPDX-License-Identifier: GPL-2.0 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "filter/filter.h"
#include "sinks/sinks.h"
#include "util/wall_time.h"
#include "cli/options.h"

enum long_only_option {
	OPT_KERNEL_SIGNALS = 256,
	OPT_BUFFER_SIZE,
	OPT_CHANNELS,
	OPT_VERSION,
	OPT_LIFECYCLE,
	OPT_STATS,
	OPT_ANALYZE,
	OPT_PRINT,
	OPT_FOLLOW,
	OPT_INSIDE,
	OPT_TIME,
	OPT_TOP,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_REMOTE,
	OPT_TOKEN_FILE,
	OPT_CACERT,
};

static const struct option long_options[] = {
	{ "type", required_argument, NULL, 't' },
	{ "pid", required_argument, NULL, 'p' },
	{ "src-pid", required_argument, NULL, 's' },
	{ "dst-pid", required_argument, NULL, 'd' },
	{ "comm", required_argument, NULL, 'P' },
	{ "src-comm", required_argument, NULL, 'S' },
	{ "dst-comm", required_argument, NULL, 'D' },
	{ "count", required_argument, NULL, 'c' },
	{ "format", required_argument, NULL, 'f' },
	{ "hex", no_argument, NULL, 'x' },
	{ "bytes", required_argument, NULL, 'B' },
	{ "no-lost", no_argument, NULL, 'L' },
	{ "kernel-signals", no_argument, NULL, OPT_KERNEL_SIGNALS },
	{ "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },
	{ "channels", required_argument, NULL, OPT_CHANNELS },
	{ "lifecycle", no_argument, NULL, OPT_LIFECYCLE },
	{ "write", required_argument, NULL, 'w' },
	{ "read", required_argument, NULL, 'r' },
	{ "filter", required_argument, NULL, 'F' },
	{ "file-size", required_argument, NULL, 'C' },
	{ "rotate", required_argument, NULL, 'G' },
	{ "compress", no_argument, NULL, 'z' },
	{ "stats", optional_argument, NULL, OPT_STATS },
	{ "analyze", no_argument, NULL, OPT_ANALYZE },
	{ "print", no_argument, NULL, OPT_PRINT },
	{ "follow", required_argument, NULL, OPT_FOLLOW },
	{ "inside", no_argument, NULL, OPT_INSIDE },
	{ "user", required_argument, NULL, 'u' },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "ascii", no_argument, NULL, 'A' },
	{ "numeric", no_argument, NULL, 'n' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "remote", required_argument, NULL, OPT_REMOTE },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure", no_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

void ipcd_print_usage(FILE *out)
{
	/* 79 columns at most: a terminal 80 wide shows it unwrapped (tests check) */
	fputs("Usage: ipcdump [OPTIONS] [FILTER EXPRESSION]\n"
	      "       ipcdump [OPTIONS] [FILTER EXPRESSION] -- COMMAND [ARGS...]\n"
	      "Trace inter-process communication: who talks to whom, over what, saying what.\n"
	      "With a COMMAND: run it, trace it and every process it starts, and exit with\n"
	      "its status.\n"
	      "\n"
	      "  -t, --type TYPE[,TYPE] only these types (repeatable): a|all k|signal|kill\n"
	      "                         p|pipe|fifo u|unix ud|unix-dgram us|unix-stream\n"
	      "                         uq|unix-seqpacket t|pty\n"
	      "                         lo|loopback lt|loopback-tcp lu|loopback-udp\n"
	      "                         mq|msgqueue mqs|mq-sysv mqp|mq-posix shm\n"
	      "  -p, --pid PID          source or destination pid (repeatable)\n"
	      "  -s, --src-pid PID      source pid (repeatable)\n"
	      "  -d, --dst-pid PID      destination pid (repeatable)\n"
	      "  -P, --comm COMM        source or destination comm (repeatable)\n"
	      "  -S, --src-comm COMM    source comm (repeatable)\n"
	      "  -D, --dst-comm COMM    destination comm (repeatable)\n"
	      "                         values of one flag are ORed, different flags ANDed\n"
	      "  -c, --count N          exit after N events\n"
	      "  -f, --format FMT       text (default), json (one object per line) or csv\n"
	      "  -x, --hex              dump the bytes transferred\n"
	      "  -B, --bytes N          with -x, at most N bytes per event\n"
	      "                         (0: all, up to 16384)\n"
	      "  -F, --filter EXPR      only events matching EXPR (also: the trailing\n"
	      "                         arguments), e.g. 'comm == \"nginx*\" and bytes > 100\n"
	      "                         or payload contains \"GET \"'; fields: type pid\n"
	      "                         src.pid dst.pid tid ppid comm src.comm dst.comm\n"
	      "                         bytes size latency signal port src.port dst.port\n"
	      "                         channel path payload key; see ipcdump-filter(7)\n"
	      "      --stats[=SECONDS]  per channel and process pair: messages, rate,\n"
	      "                         bytes, sizes, latency percentiles; every SECONDS,\n"
	      "                         or at the end\n"
	      "      --analyze          a report at the end instead of events: top\n"
	      "                         talkers, busiest channels, slowest deliveries,\n"
	      "                         most connected\n"
	      "  -L, --no-lost          do not report lost events as they happen\n"
	      "  -w, --write FILE       write a capture file (- for stdout), not events;\n"
	      "                         FILE.db or FILE.sqlite: a SQLite store of the\n"
	      "                         events (docs/storage.md)\n"
	      "      --print            with -w, print the events too (--stats and\n"
	      "                         --analyze report on them too)\n"
	      "  -r, --read FILE        read a capture file (- for stdin) instead of\n"
	      "                         tracing; with -w and a filter, write the channels\n"
	      "                         it matches; FILE.db or FILE.sqlite: a SQLite store\n"
	      "      --since TIME       with -r, the events from TIME on: 2026-11-30T10:00,\n"
	      "                         10:00 (today), -1h (ago), @SECONDS, now\n"
	      "      --until TIME       with -r, the events up to TIME\n"
	      "      --remote URL       read an ipcdumpd's events (https://HOST:9477, or\n"
	      "                         unix:/PATH of its socket) instead of tracing:\n"
	      "                         follow them live, or with --since/--until query\n"
	      "                         its store\n"
	      "      --token-file FILE  with --remote, its bearer token (FILE must not be\n"
	      "                         readable by group or others)\n"
	      "      --cacert FILE      with --remote, the CA certificate to check its\n"
	      "                         certificate with\n"
	      "  -k, --insecure         with --remote, do not check its certificate\n"
	      "  -C, --file-size SIZE   with -w, a new file (FILE.1, FILE.2, ...) past SIZE\n"
	      "                         (e.g. 100M)\n"
	      "  -G, --rotate SECONDS   with -w, a new file every SECONDS\n"
	      "  -z, --compress         with -w, compress with zstd (-r reads either)\n"
	      "      --kernel-signals   also signals the kernel sends (SIGCHLD, SIGSEGV,\n"
	      "                         timers)\n"
	      "      --buffer-size SIZE ring buffer size, e.g. 16M (default 16M)\n"
	      "      --channels N       pipes (and unix sockets) the kernel follows at\n"
	      "                         once (default 131072; each costs about 420 bytes\n"
	      "                         of kernel memory)\n"
	      "      --lifecycle        also unix socket connect, accept, shutdown and\n"
	      "                         close, and message queue msgget/IPC_RMID/mq_open/\n"
	      "                         mq_unlink/mq_notify\n"
	      "      --follow PID       the IPC of PID and its descendants, now and to\n"
	      "                         come (repeatable); ends when they have all exited\n"
	      "      --inside           with a COMMAND or --follow: only events between\n"
	      "                         two processes of the tree (default: either end)\n"
	      "  -u, --user USER        run COMMAND as USER (default: under sudo, the\n"
	      "                         invoking user)\n"
	      "  -o, --output FILE      events to FILE instead of stdout (created 0600)\n"
	      "  -q, --quiet            no \"tracing\" line and no summary on stderr\n"
	      "  -A, --ascii            with -x, payloads as printable ASCII only\n"
	      "  -n, --numeric          ports as numbers, not service names\n"
	      "      --time=MODE        clock (default), date, epoch, delta, relative or\n"
	      "                         none\n"
	      "      --top N            rows per table in --stats and --analyze\n"
	      "                         (default 10)\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          the version, and what this kernel lets ipcdump\n"
	      "                         trace\n"
	      "Capture files (-w) and -o files hold payloads: they are created mode 0600.\n",
	      out);
}

/* strtoull with every check tcpdump's parse_int makes: digits only, in range. */
static int parse_uint(const char *str, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*str))  /* strtoull takes blanks and signs */
		return -EINVAL;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Sizes like 16M, 512K, 1G or plain bytes. */
static int parse_size(const char *str, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!isdigit((unsigned char)*str))
		return -EINVAL;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno || end == str)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	default: return -EINVAL;
	}
	if (*end || v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int usage_error(FILE *err, const char *fmt, const char *arg)
{
	fputs("ipcdump: ", err);
	fprintf(err, fmt, arg);
	fputs(" (see ipcdump --help)\n", err);
	return IPCD_EXIT_USAGE;
}

static int64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --since/--until: -1 to go on, or the exit code. */
static int parse_wall_time(const char *arg, int64_t *ns, FILE *err)
{
	if (wall_time_parse(arg, wall_now_ns(), ns) || *ns <= 0)
		return usage_error(err, "invalid time '%s': expected 2026-11-30T10:00:00, 10:00, -1h, @SECONDS "
				   "or now", arg);
	return -1;
}

/*
 * Edit distance with transpositions counted as one edit (optimal string
 * alignment): "hlep" is one slip from "help", not two.  Names are short;
 * longer ones are cut, which only makes a suggestion less likely.
 */
#define NAME_MAX_LEN 32

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, NAME_MAX_LEN), lb = strnlen(b, NAME_MAX_LEN);
	size_t d[NAME_MAX_LEN + 1][NAME_MAX_LEN + 1];

	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/*
 * How far a typed name is from a known one, for a suggestion: a word typed
 * inside a longer name ("tcp" in "loopback-tcp") counts as one slip.
 */
static size_t name_distance(const char *typed, const char *known)
{
	if ((strlen(typed) >= 3 && strstr(known, typed)) || !strcasecmp(typed, known))
		return 1;
	return edit_distance(typed, known);
}

/* The known name closest to typed, if it is close enough to be what was meant; else NULL. */
const char *ipcd_closest_name(const char *typed, const char *const *names, size_t count)
{
	size_t len = strlen(typed), allowed = len / 3 > 1 ? len / 3 : 1;
	size_t best = SIZE_MAX;
	const char *closest = NULL;

	if (!len)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		size_t d = name_distance(typed, names[i]);

		if (d < best) {
			best = d;
			closest = names[i];
		}
	}
	return best <= allowed && best < len ? closest : NULL;
}

/*
 * "unknown WHAT 'typed' (did you mean 'x'?); valid: a, b, c", one line:
 * what was wrong, the likely fix, and every choice.
 */
static int unknown_name_among(FILE *err, const char *what, const char *typed, const char *const *names,
			      size_t count, const char *const *listed, size_t listed_count)
{
	const char *closest = ipcd_closest_name(typed, names, count);

	fprintf(err, "ipcdump: unknown %s '%s'", what, typed);
	if (closest)
		fprintf(err, " (did you mean '%s'?)", closest);
	fputs("; valid:", err);
	for (size_t i = 0; i < listed_count; i++)
		fprintf(err, "%s %s", i ? "," : "", listed[i]);
	fputs(" (see ipcdump --help)\n", err);
	return IPCD_EXIT_USAGE;
}

static int unknown_name(FILE *err, const char *what, const char *typed, const char *const *names, size_t count)
{
	return unknown_name_among(err, what, typed, names, count, names, count);
}

/* An unknown long option: the closest of ours, as "--name". */
static const char *closest_long_option(const char *typed)
{
	const char *names[sizeof(long_options) / sizeof(long_options[0])];
	size_t count = 0;
	const char *eq = strchr(typed, '=');
	char bare[NAME_MAX_LEN + 1];

	/* "--stas=5" is compared as "stas" */
	snprintf(bare, sizeof(bare), "%.*s", eq ? (int)(eq - typed) : (int)strlen(typed), typed);
	for (const struct option *o = long_options; o->name; o++)
		names[count++] = o->name;
	return ipcd_closest_name(bare, names, count);
}

/* getopt takes "--stat" for "--stats", but not "--src", which begins two: name them. */
static bool ambiguous_option(FILE *err, const char *typed)
{
	size_t len = strcspn(typed, "="), matches = 0;

	for (const struct option *o = long_options; o->name; o++)
		matches += len && !strncmp(o->name, typed, len);
	if (matches < 2)
		return false;
	fprintf(err, "ipcdump: ambiguous option '--%.*s': it begins", (int)len, typed);
	for (const struct option *o = long_options; o->name; o++)
		if (!strncmp(o->name, typed, len))
			fprintf(err, " --%s", o->name);
	fputs(" (see ipcdump --help)\n", err);
	return true;
}

/* getopt leaves the culprit in optopt for short options, in argv for long ones. */
static int bad_option(FILE *err, int opt, const char *arg)
{
	char name[3] = { '-', (char)optopt, '\0' };
	bool is_long = !optopt || !strncmp(arg, "--", 2);
	const char *what = is_long ? arg : name;
	const char *closest;

	if (opt == ':')
		return usage_error(err, "option '%s' needs a value", what);
	if (is_long && !strncmp(arg, "--", 2) && ambiguous_option(err, arg + 2))
		return IPCD_EXIT_USAGE;
	closest = is_long && !strncmp(arg, "--", 2) ? closest_long_option(arg + 2) : NULL;
	if (closest) {
		fprintf(err, "ipcdump: unknown option '%s' (did you mean '--%s'?) (see ipcdump --help)\n", what,
			closest);
		return IPCD_EXIT_USAGE;
	}
	return usage_error(err, "unknown option '%s'", what);
}

static int add_pid(struct ipcd_id_list *list, const char *arg, FILE *err)
{
	uint64_t pid;

	if (parse_uint(arg, 1, INT32_MAX, &pid))
		return usage_error(err, "invalid pid '%s': expected a number from 1 to 2147483647", arg);
	if (list->count >= IPCD_FILTER_MAX)
		return usage_error(err, "too many pids (the limit is 1024) at '%s'", arg);
	list->ids[list->count++] = (uint32_t)pid;
	return -1;
}

/* The kernel keeps 15 characters of a comm; longer names match by those. */
static int add_comm(struct ipcd_comm_list *list, const char *arg, FILE *err)
{
	if (!*arg)
		return usage_error(err, "empty comm%s", "");
	if (list->count >= IPCD_FILTER_MAX)
		return usage_error(err, "too many comms (the limit is 1024) at '%s'", arg);
	memset(list->comms[list->count], 0, IPCD_COMM_LEN);
	strncpy(list->comms[list->count], arg, IPCD_COMM_LEN - 1);
	list->count++;
	return -1;
}

static const char *const time_mode_names[] = {
	[IPCD_TIME_CLOCK] = "clock",
	[IPCD_TIME_DATE] = "date",
	[IPCD_TIME_EPOCH] = "epoch",
	[IPCD_TIME_DELTA] = "delta",
	[IPCD_TIME_RELATIVE] = "relative",
	[IPCD_TIME_NONE] = "none",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static int parse_time_mode(const char *arg, struct ipcd_options *opts, FILE *err)
{
	for (size_t i = 0; i < COUNT_OF(time_mode_names); i++) {
		if (!strcmp(arg, time_mode_names[i])) {
			opts->time_mode = (enum ipcd_time_mode)i;
			return -1;
		}
	}
	return unknown_name(err, "time mode", arg, time_mode_names, COUNT_OF(time_mode_names));
}

static const char *const format_names[] = {
	[IPCD_FORMAT_TEXT] = "text",
	[IPCD_FORMAT_JSON] = "json",
	[IPCD_FORMAT_CSV] = "csv",
};

static int parse_format(const char *arg, struct ipcd_options *opts, FILE *err)
{
	for (size_t i = 0; i < COUNT_OF(format_names); i++) {
		if (!strcmp(arg, format_names[i])) {
			opts->format = (enum ipcd_format)i;
			return -1;
		}
	}
	return unknown_name(err, "format", arg, format_names, COUNT_OF(format_names));
}

/*
 * The names -t takes: with the one-letter abbreviations for suggestions,
 * without them for the list of valid names (--help has them).
 */
static int unknown_type(FILE *err, const char *typed)
{
	const char *all[IPCD_TYPE_NAMES_MAX], *full[IPCD_TYPE_NAMES_MAX];

	return unknown_name_among(err, "type", typed, all, ipcd_type_alias_names(all, COUNT_OF(all), true), full,
				  ipcd_type_alias_names(full, COUNT_OF(full), false));
}

/* -t NAME, or a comma list of names ("pipe,unix"): each adds its types. */
static int parse_types(const char *arg, struct ipcd_options *opts, FILE *err)
{
	char *list = strdup(arg), *save = NULL, *name;
	int rc = -1;

	if (!list)
		return usage_error(err, "out of memory%s", "");
	/* strtok_r would skip an empty name ("pipe,,unix"): each is checked */
	for (name = list; rc < 0 && name; name = save) {
		uint32_t mask;

		save = strchr(name, ',');
		if (save)
			*save++ = '\0';
		mask = ipcd_parse_type(name);
		if (mask)
			opts->types |= mask;
		else
			rc = unknown_type(err, name);
	}
	free(list);
	return rc;
}

static int parse_one(int opt, const char *arg, struct ipcd_options *opts, FILE *err)
{
	uint64_t v;

	switch (opt) {
	case 't':
		return parse_types(arg, opts, err);
	case 'p': return add_pid(&opts->any_pids, arg, err);
	case 's': return add_pid(&opts->src_pids, arg, err);
	case 'd': return add_pid(&opts->dst_pids, arg, err);
	case 'P': return add_comm(&opts->any_comms, arg, err);
	case 'S': return add_comm(&opts->src_comms, arg, err);
	case 'D': return add_comm(&opts->dst_comms, arg, err);
	case 'c':
		if (parse_uint(arg, 1, UINT64_MAX, &v))
			return usage_error(err, "invalid count '%s': expected a positive number", arg);
		opts->count = v;
		return -1;
	case 'f':
		return parse_format(arg, opts, err);
	case 'x': opts->dump_bytes = true; return -1;
	case 'B':
		if (parse_uint(arg, 0, UINT32_MAX, &v))
			return usage_error(err, "invalid byte count '%s': expected a number >= 0", arg);
		opts->max_bytes = (uint32_t)v;
		opts->max_bytes_given = true;
		return -1;
	case 'L': opts->quiet_lost = true; return -1;
	case 'z': opts->compress = true; return -1;
	case 'C':
		if (parse_size(arg, &v) || v < 4096)
			return usage_error(err, "invalid file size '%s': expected 4K or more, e.g. 100M", arg);
		opts->rotate_bytes = v;
		return -1;
	case 'G':
		if (parse_uint(arg, 1, 86400 * 365, &v))
			return usage_error(err, "invalid rotation '%s': expected seconds, 1 or more", arg);
		opts->rotate_secs = v;
		return -1;
	case 'F':
		free(opts->filter_text);
		opts->filter_text = strdup(arg);
		return opts->filter_text ? -1 : usage_error(err, "out of memory%s", "");
	case 'w':
		if (!*arg)
			return usage_error(err, "empty capture file name%s", "");
		opts->write_path = arg;
		return -1;
	case 'r':
		if (!*arg)
			return usage_error(err, "empty capture file name%s", "");
		opts->read_path = arg;
		return -1;
	case OPT_REMOTE:
		if (!*arg)
			return usage_error(err, "empty --remote URL%s", "");
		opts->remote_url = arg;
		return -1;
	case OPT_TOKEN_FILE:
		if (!*arg)
			return usage_error(err, "empty token file name%s", "");
		opts->token_file = arg;
		return -1;
	case OPT_CACERT:
		if (!*arg)
			return usage_error(err, "empty CA certificate file name%s", "");
		opts->cacert = arg;
		return -1;
	case 'k': opts->insecure = true; return -1;
	case OPT_KERNEL_SIGNALS: opts->kernel_signals = true; return -1;
	case OPT_LIFECYCLE: opts->lifecycle = true; return -1;
	case OPT_ANALYZE: opts->analyze = true; return -1;
	case OPT_PRINT: opts->print = true; return -1;
	case OPT_STATS:
		opts->stats = true;
		if (arg) {
			char *end;
			double secs;

			errno = 0;
			secs = strtod(arg, &end);
			if (errno || *end || !(secs >= 0.001) || secs > 86400)
				return usage_error(err, "invalid stats interval '%s': expected seconds, 0.001 to 86400", arg);
			opts->stats_interval_ms = (uint64_t)(secs * 1000 + 0.5);
		}
		return -1;
	case OPT_BUFFER_SIZE:
		if (parse_size(arg, &v) || v < 4096 || v > (1ull << 30))
			return usage_error(err, "invalid buffer size '%s': expected 4K to 1G", arg);
		opts->buffer_size = v;
		return -1;
	case OPT_CHANNELS:
		if (parse_uint(arg, 1024, 1u << 24, &v))
			return usage_error(err, "invalid channel count '%s': expected 1024 to 16777216", arg);
		opts->max_channels = (uint32_t)v;
		return -1;
	case OPT_FOLLOW:
		return add_pid(&opts->follow_pids, arg, err);
	case OPT_INSIDE: opts->inside = true; return -1;
	case 'u':
		if (!*arg)
			return usage_error(err, "empty user name%s", "");
		opts->run_as_user = arg;
		return -1;
	case OPT_TIME:
		return parse_time_mode(arg, opts, err);
	case OPT_SINCE:
	case OPT_UNTIL:
		return parse_wall_time(arg, opt == OPT_SINCE ? &opts->since_ns : &opts->until_ns, err);
	case 'o':
		if (!*arg)
			return usage_error(err, "empty output file name%s", "");
		opts->output_path = arg;
		return -1;
	case 'q': opts->quiet = true; return -1;
	case 'A': opts->ascii = true; return -1;
	case 'n': opts->numeric = true; return -1;
	case OPT_TOP:
		if (parse_uint(arg, 1, 1000000, &v))
			return usage_error(err, "invalid --top '%s': expected a number from 1 to 1000000", arg);
		opts->top = (uint32_t)v;
		return -1;
	case 'h': opts->show_help = true; return -1;
	case 'V':
	case OPT_VERSION: opts->show_version = true; return -1;
	default:
		return IPCD_EXIT_USAGE;
	}
}

/* The trailing arguments are one filter expression, as tcpdump takes them. */
static int join_trailing_filter(int argc, char **argv, struct ipcd_options *opts, FILE *err)
{
	size_t len = 1;
	char *text;

	if (opts->filter_text)
		return usage_error(err, "a filter both with -F and after the options ('%s')", argv[optind]);
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	text = calloc(1, len);
	if (!text)
		return usage_error(err, "out of memory%s", "");
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	opts->filter_text = text;
	return -1;
}

/*
 * What the expression requires goes to the kernel where the flags' lists
 * are empty: "src.pid == 5" as -s 5, "comm == sh" as -P sh, "type == pipe"
 * as -t pipe.  Safe because every event the expression passes passes these
 * too, and the expression is still checked on each event.  A list the
 * flags already use is left alone: the flags OR their values.
 */
struct pushdown {
	struct ipcd_options *opts;
	struct ipcd_id_list *pid_lists[3];
	struct ipcd_comm_list *comm_lists[3];
	bool had_pids[3], had_comms[3];
};

static void push_one(void *ctx, const char *field, const char *value)
{
	static const char *const pid_fields[] = { "pid", "src.pid", "dst.pid" };
	static const char *const comm_fields[] = { "comm", "src.comm", "dst.comm" };
	struct pushdown *p = ctx;
	uint64_t pid;
	uint32_t type;

	for (int i = 0; i < 3; i++) {
		struct ipcd_id_list *l = p->pid_lists[i];
		struct ipcd_comm_list *c = p->comm_lists[i];

		if (!strcmp(field, pid_fields[i]) && !p->had_pids[i] && l->count < IPCD_FILTER_MAX &&
		    !parse_uint(value, 1, INT32_MAX, &pid))
			l->ids[l->count++] = (uint32_t)pid;
		/* wildcards and long names: the kernel compares whole comms */
		if (!strcmp(field, comm_fields[i]) && !p->had_comms[i] && c->count < IPCD_FILTER_MAX &&
		    !strpbrk(value, "*?[") && strlen(value) < IPCD_COMM_LEN) {
			memset(c->comms[c->count], 0, IPCD_COMM_LEN);
			memcpy(c->comms[c->count++], value, strlen(value));
		}
	}
	/*
	 * A lifecycle type needs its family's collector: the family goes down,
	 * the expression picks.  Lost records come from every collector.
	 */
	if (!strcmp(field, "type") && (type = ipcd_type_family(value)) && !(type & IPCD_TYPE_BIT(IPCD_TYPE_LOST))) {
		p->opts->types &= ipcd_types_collected_with(type);
	}
}

static void push_down_filter(struct ipcd_options *opts)
{
	struct pushdown p = {
		.opts = opts,
		.pid_lists = { &opts->any_pids, &opts->src_pids, &opts->dst_pids },
		.comm_lists = { &opts->any_comms, &opts->src_comms, &opts->dst_comms },
	};

	for (int i = 0; i < 3; i++) {
		p.had_pids[i] = p.pid_lists[i]->count > 0;
		p.had_comms[i] = p.comm_lists[i]->count > 0;
	}
	fexpr_each_required(opts->filter, push_one, &p);
}

/* A filter error points at its column, under the expression, as tcpdump's would. */
static int parse_filter(struct ipcd_options *opts, FILE *err)
{
	char why[512];  /* room for the list of type names */
	size_t col = 0;

	opts->filter = fexpr_parse(opts->filter_text, why, sizeof(why), &col);
	if (opts->filter)
		return -1;
	fprintf(err, "ipcdump: filter: %s at column %zu\n  %s\n  %*s^\n", why, col + 1, opts->filter_text,
		(int)col, "");
	return IPCD_EXIT_USAGE;
}

void ipcd_options_free(struct ipcd_options *opts)
{
	fexpr_free(opts->filter);
	free(opts->filter_text);
	opts->filter = NULL;
	opts->filter_text = NULL;
}

/* Options that take their value in the next argument, as getopt reads them: "-w" "--", "--read" "--". */
bool ipcd_option_takes_value(const char *arg)
{
	static const char with_value[] = "tpsdPSDcfBwrFCGuo";

	if (arg[0] == '-' && arg[1] && arg[1] != '-') {
		/* a group: "-xw" takes the next argument, "-wFILE" does not */
		for (const char *c = arg + 1; *c; c++)
			if (strchr(with_value, *c))
				return c[1] == '\0';
		return false;
	}
	if (!strncmp(arg, "--", 2) && arg[2] && !strchr(arg, '=')) {
		for (const struct option *o = long_options; o->name; o++)
			if (!strcmp(arg + 2, o->name))
				return o->has_arg == required_argument;
	}
	return false;
}

/* The first "--" that is not an option's value: what follows it is the command to run. */
static int command_start(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (ipcd_option_takes_value(argv[i])) {
			i++;
			continue;
		}
		if (!strcmp(argv[i], "--"))
			return i;
	}
	return argc;
}

/* With -w, something prints to stdout or -o's file too: the events (--print) or a report. */
static bool prints_with_capture(const struct ipcd_options *opts)
{
	return opts->print || opts->stats || opts->analyze;
}

/* --remote reads events, as -r does a store: what goes with it. */
static int check_remote(const struct ipcd_options *opts, FILE *err)
{
	if (!opts->remote_url) {
		if (opts->token_file || opts->cacert || opts->insecure)
			return usage_error(err, "--token-file, --cacert and -k go with --remote%s", "");
		return -1;
	}
	if (opts->read_path)
		return usage_error(err, "--remote and -r: one source of events at a time%s", "");
	if (opts->command || opts->follow_pids.count)
		return usage_error(err, "--remote reads a daemon's events: it runs no command and follows no "
				   "process%s", "");
	if (opts->write_path && !ipcd_sqlite_path(opts->write_path))
		return usage_error(err, "--remote receives events, not kernel records: -w can keep them in a "
				   "SQLite store (FILE.db), not in a capture file (%s)", opts->write_path);
	return -1;
}

/* What only makes sense together: one line about the first thing wrong. */
static int check_combinations(const struct ipcd_options *opts, FILE *err)
{
	bool tree = opts->command || opts->follow_pids.count;
	int rc;

	if (opts->read_path && opts->write_path && !strcmp(opts->read_path, "-"))
		return usage_error(err, "-r with -w reads its file twice: not from stdin%s", "");
	if ((opts->rotate_bytes || opts->rotate_secs) && (!opts->write_path || !strcmp(opts->write_path, "-")))
		return usage_error(err, "-C and -G need -w with a file name%s", "");
	if (opts->output_path && opts->write_path && !prints_with_capture(opts))
		return usage_error(err, "-o and -w: -w writes the events already, as a capture%s", "");
	if (prints_with_capture(opts) && !opts->output_path && opts->write_path && !strcmp(opts->write_path, "-"))
		return usage_error(err, "-w - writes the capture to stdout: --print, --stats and --analyze "
				   "need -o FILE with it%s", "");
	if (opts->compress && !opts->write_path)
		return usage_error(err, "-z needs -w%s", "");
	if ((rc = check_remote(opts, err)) >= 0)
		return rc;
	if ((opts->since_ns || opts->until_ns) && !opts->read_path && !opts->remote_url)
		return usage_error(err, "--since and --until choose among the events of a file read with -r%s", "");
	if (opts->since_ns && opts->until_ns && opts->since_ns > opts->until_ns)
		return usage_error(err, "--since is after --until%s", "");
	if (opts->write_path && ipcd_sqlite_path(opts->write_path) &&
	    (opts->rotate_bytes || opts->rotate_secs || opts->compress))
		return usage_error(err, "-C, -G and -z are for capture files, not a SQLite store (%s)", opts->write_path);
	if (opts->read_path && ipcd_sqlite_path(opts->read_path) && opts->write_path &&
	    !ipcd_sqlite_path(opts->write_path))
		return usage_error(err, "a SQLite store holds events, not kernel records: -w can copy it to "
				   "another store (FILE.db), not to a capture file (%s)", opts->write_path);
	if (opts->read_path && tree)
		return usage_error(err, "-r reads a capture: it runs no command and follows no process%s", "");
	if (opts->inside && !tree)
		return usage_error(err, "--inside needs a command after -- or --follow%s", "");
	if (opts->run_as_user && !opts->command)
		return usage_error(err, "-u needs a command after --%s", "");
	return -1;
}

/* -B that cannot do what it says: tracing goes on, with one line saying so. */
static void warn_about_bytes(const struct ipcd_options *opts, FILE *err)
{
	if (!opts->max_bytes_given)
		return;
	if (!opts->dump_bytes && !opts->write_path) {
		fprintf(err, "ipcdump: warning: -B has no effect without -x (or -w): no payload is captured\n");
		return;
	}
	if (opts->max_bytes > IPCD_PAYLOAD_MAX)
		fprintf(err, "ipcdump: warning: -B %" PRIu32 " is above the %d bytes an event can hold: "
			"keeping %d\n", opts->max_bytes, IPCD_PAYLOAD_MAX, IPCD_PAYLOAD_MAX);
}

int ipcd_parse_options(int argc, char **argv, struct ipcd_options *opts, FILE *err)
{
	int opt, rc, dashes;

	ipcd_options_init(opts);
	dashes = command_start(argc, argv);
	if (dashes < argc) {
		if (dashes + 1 == argc)
			return usage_error(err, "a command to run after --%s", "");
		opts->command = argv + dashes + 1;
		argc = dashes;
	}
	optind = 0;  /* 0, not 1: glibc then also forgets a half-read "-xyz" group */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":t:p:s:d:P:S:D:c:f:xB:Lhw:r:F:C:G:zu:o:qAnVk", long_options, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return bad_option(err, opt, argv[optind - 1]);
		rc = parse_one(opt, optarg, opts, err);
		if (rc >= 0)
			return rc;
	}
	if (optind < argc && (rc = join_trailing_filter(argc, argv, opts, err)) >= 0)
		return rc;
	if (opts->filter_text && (rc = parse_filter(opts, err)) >= 0)
		return rc;
	if ((rc = check_combinations(opts, err)) >= 0)
		return rc;
	warn_about_bytes(opts, err);
	if (!opts->types)
		opts->types = ipcd_all_types();
	if (opts->filter)
		push_down_filter(opts);
	/* the flags and the expression, as one expression for userspace */
	if (!ipcd_filter_compile(opts))
		return usage_error(err, "out of memory%s", "");
	/* lifecycle events come with the types asked for */
	if (opts->lifecycle)
		opts->types |= ipcd_lifecycle_types(opts->types);
	return -1;
}
