/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The capture sinks: -w writes the kernel's records as they come (the file
 * format is engine/capture.c), rotating with -C and -G; -r IN -w OUT
 * writes, once the run has read IN, the records of the channels whose
 * events matched.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "sinks/sinks.h"
#include "engine/capture.h"
#include "engine/pipeline.h"
#include "engine/proc_table.h"
#include "records.h"
#include "format/report_fmt.h"
#include "util/rotate_files.h"

struct capture_sink {
	struct ipcd_pipeline *run;
	const struct ipcd_options *opts;
	struct capture_writer *writer;
	/* where and how it writes: given (ipcdumpd), or the run's -w, -C, -G and -z at open */
	struct ipcd_capture_target target;
	char *target_path;     /* given: the target's own copy */
	uint64_t file_start;   /* when the current file began (-G), CLOCK_MONOTONIC */
	uint64_t refused_counted;  /* the writer's refused records already in the counters */
	uint64_t refused_at_warning;
	bool refusing;         /* said that the file refuses writes; said again once it takes them */
};

/* A capture opens with the processes alive, so their names resolve when it is read. */
static void write_process(void *ctx, uint32_t pid, uint32_t ppid, const char *comm)
{
	struct capture_sink *cs = ctx;
	struct ipcd_proc rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_PROC;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = ipcd_monotonic_ns();
	rec.task.pid = rec.task.tid = pid;
	rec.task.ppid = ppid;
	memcpy(rec.task.comm, comm, sizeof(rec.task.comm));
	rec.event = IPCD_PROC_FORK;
	capture_writer_add(cs->writer, &rec, sizeof(rec));
}

static void write_tree_member(void *ctx, uint32_t pid)
{
	struct capture_sink *cs = ctx;
	struct ipcd_tree_member rec;
	bool inside;

	ipcd_pipeline_tracing_tree(cs->run, &inside);
	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_TREE;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = ipcd_monotonic_ns();
	rec.pid = pid;
	rec.inside = inside;
	capture_writer_add(cs->writer, &rec, sizeof(rec));
}

/* What every capture file opens with: the processes alive, and the tree's members. */
static void write_snapshot(struct capture_sink *cs)
{
	const struct proc_table *procs = ipcd_pipeline_procs(cs->run);

	proc_table_foreach_alive(procs, write_process, cs);
	if (ipcd_pipeline_tracing_tree(cs->run, NULL))
		proc_table_foreach_tree_member(procs, write_tree_member, cs);
}

/* -C/-G: the next file, which opens like the first. */
static void next_capture_file(struct capture_sink *cs)
{
	if (capture_writer_rotate(cs->writer))
		write_snapshot(cs);
	cs->file_start = ipcd_monotonic_ns();
}

/*
 * A full disk, as the text outputs report theirs: the records the file
 * refused counted as "write failed" (records, as the queue counts those it
 * cannot hold), one warning when it starts, one line when it writes again.
 */
static void follow_refusals(struct ipcd_sink *s)
{
	struct capture_sink *cs = s->ctx;
	const char *program = ipcd_program_name(cs->opts);
	struct capture_writer_refusals r;
	uint64_t grew;

	capture_writer_refusals(cs->writer, &r);
	grew = r.records - cs->refused_counted;
	s->counters.dropped += grew;
	s->counters.dropped_by[IPCD_DROP_WRITE_FAILED] += grew;
	cs->refused_counted = r.records;
	if (!cs->refusing && (r.now || grew)) {
		fprintf(stderr, "%s: warning: cannot write %s: %s; its records are dropped and counted until it can\n",
			program, cs->target.path, strerror(-(r.now ? r.now : r.last)));
		cs->refusing = true;
		cs->refused_at_warning = r.records - grew;
	}
	if (cs->refusing && !r.now) {
		uint64_t lost = r.records - cs->refused_at_warning;

		fprintf(stderr, "%s: %swriting %s again; %" PRIu64 " %s dropped while it could not\n", program,
			cs->opts->log_levels ? "info: " : "note: ", cs->target.path, lost,
			noun_for(lost, "record", "records"));
		cs->refusing = false;
	}
}

/* A given target's rotation: logrotate's names, the live file always at its path. */
static void shift_rotated(void *ctx, const char *path)
{
	struct capture_sink *cs = ctx;
	int rc = rotate_files_shift(path, cs->target.keep);

	if (rc)
		fprintf(stderr, "ipcdump: warning: rotating %s: %s\n", path, strerror(-rc));
}

/* -w, -C, -G, -z: tcpdump's names (PATH, PATH.1, PATH.2, ... in the order written), every file kept. */
static void target_from_options(struct ipcd_capture_target *t, const struct ipcd_options *opts)
{
	memset(t, 0, sizeof(*t));
	t->path = opts->write_path;
	t->rotate_bytes = opts->rotate_bytes;
	t->rotate_secs = opts->rotate_secs;
	t->compress = opts->compress;
}

static int capture_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct capture_sink *cs = s->ctx;
	struct capture_writer_options o = { 0 };
	char err[512];

	cs->run = p;
	cs->opts = ipcd_pipeline_options(p);
	if (!cs->target_path)
		target_from_options(&cs->target, cs->opts);
	o.compress = cs->target.compress;
	o.mode = cs->target.mode;
	if (cs->target_path) {
		o.before_next = shift_rotated;
		o.ctx = cs;
	}
	cs->writer = capture_writer_open_with(cs->target.path, ipcd_pipeline_clock(p), &o, err, sizeof(err));
	if (!cs->writer) {
		fprintf(stderr, "ipcdump: %s\n", err);
		return IPCD_EXIT_FAILURE;
	}
	write_snapshot(cs);
	cs->file_start = ipcd_monotonic_ns();
	return 0;
}

static void capture_record(struct ipcd_sink *s, const void *rec, size_t size)
{
	struct capture_sink *cs = s->ctx;

	capture_writer_add(cs->writer, rec, size);
	/* while the disk refuses, a rotation would only push whole files out of keep for empty ones */
	if (cs->target.rotate_bytes && capture_writer_file_bytes(cs->writer) >= cs->target.rotate_bytes &&
	    !cs->refusing)
		next_capture_file(cs);
}

/* The records went to the file already; the event only counts (for -c and the summary). */
static enum ipcd_sink_result capture_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	(void)s;
	(void)e;
	return IPCD_SINK_WRITTEN;
}

static void capture_tick(struct ipcd_sink *s, uint64_t now)
{
	struct capture_sink *cs = s->ctx;

	/* a given target is a service's: its records reach the disk within a tick, not a chunk */
	if (cs->target_path && cs->writer)
		capture_writer_flush(cs->writer);
	if (cs->writer)
		follow_refusals(s);
	if (cs->target.rotate_secs && now - cs->file_start >= cs->target.rotate_secs * 1000000000ull && !cs->refusing)
		next_capture_file(cs);
}

static int capture_close(struct ipcd_sink *s)
{
	struct capture_sink *cs = s->ctx;
	int rc = capture_writer_end(cs->writer);
	uint64_t records, dropped = capture_writer_dropped(cs->writer), refused;

	follow_refusals(s);  /* the last writes may have been refused too */
	refused = cs->refused_counted;
	records = capture_writer_records(cs->writer) - refused;
	capture_writer_close(cs->writer);
	cs->writer = NULL;
	if (rc) {
		fprintf(stderr, "ipcdump: writing %s failed: %s\n", cs->target.path, strerror(-rc));
		return IPCD_EXIT_FAILURE;
	}
	if (cs->opts->quiet && !dropped && !refused)
		return IPCD_EXIT_OK;
	fprintf(stderr, "ipcdump: %" PRIu64 " %s written to %s", records, noun_for(records, "record", "records"),
		cs->target.path);
	if (dropped)
		fprintf(stderr, ", %" PRIu64 " dropped (the disk could not keep up)", dropped);
	if (refused)
		fprintf(stderr, ", %" PRIu64 " dropped (write failed)", refused);
	fputc('\n', stderr);
	/* a service's output counts its refused records in its summary and goes on, as its text outputs do */
	return dropped || (refused && !cs->target_path) ? IPCD_EXIT_FAILURE : IPCD_EXIT_OK;
}

static void capture_free(struct ipcd_sink *s)
{
	struct capture_sink *cs = s->ctx;

	if (cs && cs->writer)
		capture_writer_close(cs->writer);
	if (cs)
		free(cs->target_path);
	free(cs);
}

struct ipcd_sink *ipcd_capture_sink_new(void)
{
	struct ipcd_sink *s = ipcd_sink_new("capture");

	if (!s || !(s->ctx = calloc(1, sizeof(struct capture_sink)))) {
		free(s);
		return NULL;
	}
	s->fate = "captured";
	s->open = capture_open;
	s->record = capture_record;
	s->event = capture_event;
	s->tick = capture_tick;
	s->close = capture_close;
	s->free = capture_free;
	return s;
}

struct ipcd_sink *ipcd_capture_sink_to(const struct ipcd_capture_target *t)
{
	struct ipcd_sink *s = ipcd_capture_sink_new();
	struct capture_sink *cs = s ? s->ctx : NULL;

	if (!cs)
		return NULL;
	cs->target = *t;
	if (!(cs->target_path = strdup(t->path))) {
		ipcd_sink_free(s);
		return NULL;
	}
	cs->target.path = cs->target_path;
	return s;
}

/* ---- -r IN -w OUT [filter] ------------------------------------------------- */

/* The set of channel keys whose events matched. */
struct matched {
	uint64_t key;
	UT_hash_handle hh;
};

struct filter_sink {
	const struct ipcd_options *opts;
	struct matched *matched;
};

struct copy_ctx {
	struct filter_sink *fs;
	struct capture_writer *out;
	uint64_t seen, kept;
};

static int filter_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct filter_sink *fs = s->ctx;

	fs->opts = ipcd_pipeline_options(p);
	return 0;
}

/* First pass: the run reads IN, and each matching event names its channel. */
static enum ipcd_sink_result filter_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct filter_sink *fs = s->ctx;
	struct matched *m;
	uint64_t key = e->chan_key;

	HASH_FIND(hh, fs->matched, &key, sizeof(key), m);
	if (m)
		return IPCD_SINK_WRITTEN;
	if (!(m = calloc(1, sizeof(*m))))
		return IPCD_SINK_DROPPED;
	m->key = key;
	HASH_ADD(hh, fs->matched, key, sizeof(m->key), m);
	return IPCD_SINK_WRITTEN;
}

/* Second pass: what every capture keeps, and the records of the matched channels. */
static int copy_record(void *ctx, void *data, size_t size)
{
	struct copy_ctx *c = ctx;
	struct matched *m = NULL;
	uint64_t key;

	c->seen++;
	if (capture_record_channel(data, size, &key))
		HASH_FIND(hh, c->fs->matched, &key, sizeof(key), m);
	else
		m = (struct matched *)1;  /* processes, names, paths: always */
	if (m && capture_writer_add(c->out, data, ((struct ipcd_record_header *)data)->size))
		c->kept++;
	return 0;
}

/*
 * A smaller capture.  Messages are made of several records, so whole
 * channels are kept: those with an event that matched.  IN is read a
 * second time, so it cannot be stdin.
 */
static int filter_close(struct ipcd_sink *s)
{
	struct filter_sink *fs = s->ctx;
	const struct ipcd_options *opts = fs->opts;
	struct copy_ctx c = { .fs = fs };
	struct capture_reader *r;
	char err[512];
	int rc;

	r = capture_reader_open(opts->read_path, err, sizeof(err));
	if (r)
		c.out = capture_writer_open(opts->write_path, capture_reader_header(r)->mono_to_real_ns, opts->compress,
					    err, sizeof(err));
	if (!r || !c.out) {
		fprintf(stderr, "ipcdump: %s\n", err);
		capture_reader_close(r);
		return IPCD_EXIT_FAILURE;
	}
	rc = capture_reader_run(r, copy_record, &c, err, sizeof(err));
	capture_reader_close(r);
	if (capture_writer_close(c.out) || rc) {
		fprintf(stderr, "ipcdump: %s\n", rc ? err : "writing the capture failed");
		return IPCD_EXIT_FAILURE;
	}
	if (!opts->quiet)
		fprintf(stderr, "ipcdump: %" PRIu64 " of %" PRIu64 " %s written to %s\n", c.kept, c.seen,
			noun_for(c.seen, "record", "records"), opts->write_path);
	return IPCD_EXIT_OK;
}

static void filter_free(struct ipcd_sink *s)
{
	struct filter_sink *fs = s->ctx;
	struct matched *m, *tmp;

	if (!fs)
		return;
	HASH_ITER(hh, fs->matched, m, tmp) {
		HASH_DEL(fs->matched, m);
		free(m);
	}
	free(fs);
}

struct ipcd_sink *ipcd_capture_filter_sink_new(void)
{
	struct ipcd_sink *s = ipcd_sink_new("capture-filter");

	if (!s || !(s->ctx = calloc(1, sizeof(struct filter_sink)))) {
		free(s);
		return NULL;
	}
	s->fate = "matched";
	s->open = filter_open;
	s->event = filter_event;
	s->close = filter_close;
	s->free = filter_free;
	return s;
}
