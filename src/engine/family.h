/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An IPC family (pipes, signals, unix sockets, loopback, ptys, message
 * queues, shared memory): everything the engine, the filter and the
 * printers know of it, in one struct.  The engine, the capture code, the
 * tracer and the printers loop over the registry (engine/registry.c); they
 * name no family.  A new family is a BPF collector (src/bpf/NAME.bpf.c),
 * its join and this struct (src/families/NAME.c), a printer
 * (src/families/NAME_print.c) and one line in the registry; its records
 * (records.h) and event types (engine/event.h) are the ABI and the event.
 * The families written before the registry keep their joins in
 * NAME_events.c (signal: signal_join.c), which NAME.c adapts.
 */
#ifndef IPCD_ENGINE_FAMILY_H
#define IPCD_ENGINE_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "engine/options.h"
#include "records.h"

struct ipcdump_bpf;
struct stat;
struct json_writer;
struct stream_join;
struct proc_table;
struct text_kv;
struct csv_row;
struct ipcd_print_style;

typedef void (*ipcd_emit_fn)(void *ctx, const struct ipcd_event *e);

/* What the engine lends a family's join. */
struct ipcd_family_env {
	ipcd_emit_fn emit;            /* each event made, to the filter and the sinks */
	void *emit_ctx;
	/* a pid's comm, for a sender only a message names; NULL if unknown */
	const char *(*comm)(void *ctx, uint32_t pid);
	void *comm_ctx;
	/* the processes alive: a failed signal's target is named only if it still exists */
	const struct proc_table *procs;
	struct stream_join *streams;  /* the byte-stream join pipes, unix stream sockets and TCP share */
	/* how far a pipe's reader has read, from the kernel's table (live only; NULL reading a file) */
	bool (*pipe_read_offset)(void *ctx, const struct ipcd_pipe_key *key, uint64_t *r_off);
	void *read_offset_ctx;
};

/* One kind of kernel record (IPCD_REC_*) and what to do with it. */
struct ipcd_family_record {
	uint16_t kind;
	uint16_t min_size;   /* a shorter record is damaged and skipped */
	const char *name;    /* as the capture schema names it */
	void (*on_record)(void *state, const void *rec, size_t size);
	/*
	 * The channel a data record belongs to, keyed as the events made of it
	 * name theirs (ipcd_event.chan_key); NULL, or false: kept whole by a
	 * filtered capture (names, paths, lifecycle).
	 */
	bool (*channel_key)(const void *rec, size_t size, uint64_t *key);
};

/*
 * A filter field of the family's own ("signal == USR1"), compared as a
 * number.  Without src./dst.: the event has one value or none.
 */
struct ipcd_filter_field {
	const char *name;
	/* the event's value; false if it has none (then the comparison fails, != too) */
	bool (*value)(const struct ipcd_event *e, int64_t *num);
	/* a word that stands for a number ("USR1"); NULL: numbers only */
	bool (*word)(const char *text, int64_t *num);
};

/* An event type a family makes, and the name every format prints for it. */
struct ipcd_type_label {
	enum ipcd_type type;
	const char *name;   /* "unix-stream" */
};

/* A -t name: "u", "unix" (and another, "kill" for "signal") for a set of event types. */
struct ipcd_type_alias {
	const char *short_name;
	const char *long_name;
	const char *other_name;   /* NULL if none */
	uint32_t types;           /* IPCD_TYPE_BIT mask */
};

/*
 * How a family's events print (text, JSON, CSV side by side, and the
 * channel's name): struct ipcd_printer, in format/format.h with what the
 * printers use.
 */
struct ipcd_printer;

struct ipcd_family {
	const char *name;                 /* "unix", as ipcdump --version lists collectors */
	enum ipcd_collector collector;    /* its BPF collector */
	const char *prog_prefix;          /* its BPF programs are named ipcd_<name>_... */
	/* programs it shares with other collectors (ipcd_sock_: both socket families), NULL none */
	const char *shared_prog_prefix;
	uint32_t types;                   /* the event types it makes (IPCD_TYPE_BIT mask) */
	const struct ipcd_type_label *type_labels;  /* the name of each, NULL-name terminated */
	uint32_t lifecycle_types;         /* of those, the ones --lifecycle adds */
	const struct ipcd_type_alias *aliases;  /* its -t names, NULL-name terminated */
	/*
	 * Where its -t names come in --help, the messages and the filter's
	 * errors (0 first): they were listed in this order before the registry,
	 * which keeps the order the joins flush in.
	 */
	uint8_t names_rank;
	const struct ipcd_family_record *records; /* zero-kind terminated */
	const struct ipcd_filter_field *filter_fields;  /* NULL-name terminated, NULL none */
	const struct ipcd_printer *printer;

	/*
	 * The collector's rodata and map sizes, between open and load; enabled:
	 * its programs load (a map of a collector left out is made as small as it goes).
	 */
	void (*configure)(struct ipcdump_bpf *skel, const struct ipcd_options *opts, bool enabled);
	/* after loading, its collector running: what the kernel cannot know, from /proc and the like */
	void (*fill_maps)(struct ipcdump_bpf *skel);
	/* ipcdump writes its own output into fd: its collector leaves it out (a pipe, a terminal) */
	void (*ignore_fd)(struct ipcdump_bpf *skel, int fd, const struct stat *st);
	/* how far a stream's reader has read, from its collector's table; false: not its stream, or unknown */
	bool (*read_offset)(struct ipcdump_bpf *skel, const struct ipcd_pipe_key *key, uint64_t *r_off);

	void *(*new)(const struct ipcd_family_env *env);
	void (*free)(void *state);
	/* pending halves older than max_age_ns go out as they are */
	void (*expire)(void *state, uint64_t now_ns, uint64_t max_age_ns);
	/* every second or so: memory to give back */
	void (*collect)(void *state);
	/* at the end: everything pending goes out */
	void (*flush)(void *state);
	/* names the join knows and the records did not carry, before the filter sees the event */
	void (*describe)(const void *state, struct ipcd_event *e);
	void (*process_exited)(void *state, uint32_t pid);
	/* out of memory: events lost (dropped), and writes reported early to bound memory (evicted) */
	uint64_t (*dropped)(const void *state);
	uint64_t (*evicted)(const void *state);
};

#endif /* IPCD_ENGINE_FAMILY_H */
