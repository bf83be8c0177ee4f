/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a run traces, filters and writes: filled from the command line
 * (cli/options.c) or a front end's own configuration, read by the engine.
 */
#ifndef IPCD_ENGINE_OPTIONS_H
#define IPCD_ENGINE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/event.h"
#include "filter/filter_expr.h"

/* Exit codes, as tcpdump keeps them in one place. */
enum ipcd_exit {
	IPCD_EXIT_OK = 0,
	IPCD_EXIT_FAILURE = 1,  /* could not trace: not root, no BPF, no BTF */
	IPCD_EXIT_USAGE = 2,    /* bad command line */
};

/* --time: how each event's time is printed (tcpdump -t...-ttttt, strace -r). */
enum ipcd_time_mode {
	IPCD_TIME_CLOCK = 0,  /* time of day, HH:MM:SS.nnnnnnnnn (the default) */
	IPCD_TIME_DATE,       /* date and time of day, YYYY-MM-DD HH:MM:SS.nnnnnnnnn */
	IPCD_TIME_EPOCH,      /* seconds since 1970, SSSSSSSSSS.nnnnnnnnn */
	IPCD_TIME_DELTA,      /* seconds since the previous event printed */
	IPCD_TIME_RELATIVE,   /* seconds since the first event printed */
	IPCD_TIME_NONE,       /* no time */
};

enum ipcd_format {
	IPCD_FORMAT_TEXT = 0,
	IPCD_FORMAT_JSON,
	IPCD_FORMAT_CSV,
};

#define IPCD_FILTER_MAX 1024

struct ipcd_id_list {
	size_t count;
	uint32_t ids[IPCD_FILTER_MAX];
};

struct ipcd_comm_list {
	size_t count;
	char comms[IPCD_FILTER_MAX][IPCD_COMM_LEN];
};

struct ipcd_options {
	uint32_t types;              /* IPCD_TYPE_BIT mask of selected types */
	struct ipcd_id_list any_pids, src_pids, dst_pids;         /* -p -s -d */
	struct ipcd_comm_list any_comms, src_comms, dst_comms;    /* -P -S -D */
	uint64_t count;              /* -c: stop after this many events, 0 = never */
	enum ipcd_format format;     /* -f */
	bool dump_bytes;             /* -x */
	uint32_t max_bytes;          /* -B: payload bytes per event, 0 = all we capture */
	bool max_bytes_given;        /* -B was on the command line */
	bool quiet_lost;             /* -L */
	bool kernel_signals;         /* --kernel-signals */
	bool lifecycle;              /* --lifecycle: unix connect/accept/shutdown/close */
	const char *write_path;      /* -w: a capture file to write ("-": stdout) */
	const char *read_path;       /* -r: a capture file (or a SQLite store) to read instead of tracing */
	int64_t since_ns, until_ns;  /* --since, --until: -r's (or --remote's) events in [since, until], wall-clock ns; 0: no bound */
	const char *remote_url;      /* --remote: an ipcdumpd's API to read instead of tracing (cli/remote.c) */
	const char *token_file;      /* --token-file: its bearer token */
	const char *cacert;          /* --cacert: the CA that signed its certificate */
	bool insecure;               /* -k: its certificate is not checked */
	bool compress;               /* -z: zstd-compressed capture files */
	bool print;                  /* --print: with -w, print the events too (tcpdump -w FILE --print) */
	uint64_t rotate_bytes;       /* -C: a new capture file past this size, 0: never */
	uint64_t rotate_secs;        /* -G: a new capture file this often, 0: never */
	bool stats;                  /* --stats: totals instead of events */
	bool analyze;                /* --analyze: a report at the end instead of events */
	uint64_t stats_interval_ms;  /* --stats=SECONDS: a report every so often, 0: at the end */
	char *filter_text;           /* -F, or the trailing arguments */
	struct fexpr *filter;        /* filter_text parsed */
	uint64_t buffer_size;        /* --buffer-size, ring buffer bytes */
	uint32_t max_channels;       /* --channels, entries of the kernel's per-channel tables */
	char **command;              /* after "--": a command to run and trace, NULL-terminated */
	struct ipcd_id_list follow_pids;  /* --follow */
	bool inside;                 /* --inside: both ends in the tree */
	const char *run_as_user;     /* -u */
	enum ipcd_time_mode time_mode;  /* --time */
	const char *output_path;     /* -o: events to this file instead of stdout */
	bool quiet;                  /* -q: no "tracing" line, no summary */
	bool ascii;                  /* -A: payloads as printable ASCII only */
	bool numeric;                /* -n: ports as numbers, no service names */
	uint32_t top;                /* --top N: rows per table in --stats and --analyze */
	bool show_help, show_version;
	const char *program;         /* what the engine's stderr lines start with: "ipcdump", "ipcdumpd" */
	bool log_levels;             /* each such line says its level ("info:", "error:"), as a service logs */
	FILE *diagnostics;           /* where the run's own lines go; NULL: stderr */
};

/* The defaults: every collector's types, a 16 MiB ring, 131072 channels, --top 10; no filter; "ipcdump". */
void ipcd_options_init(struct ipcd_options *opts);

/* What the engine's stderr lines start with (options never initialised: "ipcdump"). */
static inline const char *ipcd_program_name(const struct ipcd_options *opts)
{
	return opts && opts->program ? opts->program : "ipcdump";
}

/* A tree is traced: a command's, or --follow's. */
static inline bool ipcd_tracing_tree(const struct ipcd_options *opts)
{
	return opts->command || opts->follow_pids.count;
}

/* The -t names are the families' (engine/registry.c implements these). */

/* Parses one -t value into a type mask; 0 when unknown. */
uint32_t ipcd_parse_type(const char *name);
/*
 * The types "type == name" matches in the filter: a -t name's types (a
 * whole family with its lifecycle events), or one printed type name; 0 when
 * unknown.
 */
uint32_t ipcd_type_family(const char *name);
/* The names ipcd_type_family takes, for an error message: "all, signal, kill, ...". */
void ipcd_type_names(char *buf, size_t len);

/* The -B value that payload capture uses (with -x or -w): never above IPCD_PAYLOAD_MAX. */
uint32_t ipcd_payload_limit(const struct ipcd_options *opts);

/* Room for every name ipcd_type_alias_names gives. */
#define IPCD_TYPE_NAMES_MAX 64
/* The -t names (with their one- and two-letter abbreviations if asked), into names; how many. */
size_t ipcd_type_alias_names(const char **names, size_t max, bool abbreviations);
/* What -t all and no -t select: every event type but the lifecycle ones. */
uint32_t ipcd_all_types(void);
/* --lifecycle: the lifecycle event types of the families in types. */
uint32_t ipcd_lifecycle_types(uint32_t types);
/* types, with the data types a lifecycle type is collected with (its family's collector). */
uint32_t ipcd_types_collected_with(uint32_t types);

#endif /* IPCD_ENGINE_OPTIONS_H */
