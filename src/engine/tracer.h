/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF side's lifecycle: open the skeleton, configure it from the
 * options, load it, attach each collector (a collector that cannot attach
 * is reported and left out; the others run), and poll the ring buffer.
 */
#ifndef IPCD_TRACER_H
#define IPCD_TRACER_H

#include <stdbool.h>
#include <stdio.h>
#include "records.h"
#include "engine/options.h"

struct ipcdump_bpf;
struct ring_buffer;

typedef int (*ipcd_record_fn)(void *ctx, void *data, size_t size);

struct ipcd_tracer {
	struct ipcdump_bpf *skel;
	struct ring_buffer *rb;
	bool wanted[IPCD_COLL_MAX];    /* asked for by the options */
	bool running[IPCD_COLL_MAX];   /* loaded and attached */
	char why_not[IPCD_COLL_MAX][128];  /* a wanted collector that is not running: why ("" unknown) */
};

/*
 * Returns 0, or an exit code after a one-line error on err.  tree: the
 * members of a traced tree (-- CMD, --follow) known before the start; the
 * kernel adds their children as they fork.
 */
int ipcd_tracer_start(struct ipcd_tracer *t, const struct ipcd_options *opts, const uint32_t *tree,
		      size_t tree_count, ipcd_record_fn on_record, void *ctx, FILE *err);
/* One more member of the traced tree, found after the start. */
int ipcd_tracer_follow(struct ipcd_tracer *t, uint32_t pid);
void ipcd_tracer_stop(struct ipcd_tracer *t);
/* The kernel drops events by the options' pid and comm lists (a traced tree is not counted). */
bool ipcd_tracer_filters_in_kernel(const struct ipcd_tracer *t);

/* Keeps ipcdump from tracing the pipe or terminal it writes its own output into. */
void ipcd_tracer_ignore_fd(struct ipcd_tracer *t, int fd);

int ipcd_tracer_poll(struct ipcd_tracer *t, int timeout_ms);
/*
 * Stops the collectors taking up new calls and lets calls in flight end:
 * do it before draining, or on a busy machine the ring never runs dry.
 */
void ipcd_tracer_quiesce(struct ipcd_tracer *t);
/* Hands over what is in the ring now, without waiting. */
int ipcd_tracer_drain(struct ipcd_tracer *t);

uint64_t ipcd_tracer_lost(const struct ipcd_tracer *t, enum ipcd_collector c);
bool ipcd_tracer_pipe_read_offset(void *tracer, const struct ipcd_pipe_key *key, uint64_t *r_off);

/*
 * --version: one line per collector, "can load" or why not, from loading
 * each into this kernel (as root; without root, one line saying so).
 */
void ipcd_tracer_probe(FILE *out);

/* IPCD_TIMING=1: the time since the previous phase, on stderr. */
void ipcd_timing(const char *phase);

/* "pipe, signal": the collectors running, for the start-up line. */
void ipcd_tracer_describe(const struct ipcd_tracer *t, char *buf, size_t len);

#endif /* IPCD_TRACER_H */
