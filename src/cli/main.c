/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdump: options -> load and attach collectors -> poll records -> join
 * them into events -> filter -> print, until a signal, -c or an error.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>
#include <bpf/libbpf.h>
#include "engine/capture.h"
#include "engine/event.h"
#include "filter/filter.h"
#include "records.h"
#include "cli/options.h"
#include "sinks/output.h"
#include "engine/stream_join.h"
#include "engine/proc_table.h"
#include "util/report_fmt.h"
#include "engine/tracer.h"
#include "families/inet_events.h"
#include "families/mq_events.h"
#include "families/pty_events.h"
#include "families/shm_events.h"
#include "sinks/stats.h"
#include "sinks/analyze.h"
#include "families/unix_events.h"
#include "cli/launch.h"
#include "engine/grow.h"

#define POLL_MS 50
#define OUTPUT_BUFFER (1u << 16)
#define TRACER_NICE (-10)
#define READ_WAIT_NS (1000ull * 1000 * 1000)   /* a read waits this long for its writes */
#define COLLECT_EVERY_NS (1000ull * 1000 * 1000)
#define EXPIRE_EVERY_NS (100ull * 1000 * 1000)
#define MAX_BATCH 65536
#define KEEP_EXITED_NS (10ull * 1000 * 1000 * 1000)  /* their events may still be joining */

struct ipcdump {
	const struct ipcd_options *opts;
	struct ipcd_tracer tracer;
	struct ipcd_output output;
	struct stream_join *pipes;   /* pipes, FIFOs and unix stream sockets */
	struct unix_events *unix;
	struct inet_events *inet;
	struct pty_events *ptys;
	struct mq_events *mqs;
	struct shm_events *shm;
	struct proc_table *procs;
	uint64_t printed;
	uint64_t lost_seen[IPCD_COLL_MAX];
	bool done;          /* -c reached or output closed */
	unsigned int batch; /* records handled in this poll */
	bool draining;      /* stopping: take everything left in the ring */
	struct capture_writer *capture;  /* -w */
	struct ipcd_stats *stats;        /* --stats */
	struct ipcd_analysis *analysis;  /* --analyze */
	struct matched *matched;         /* -r with -w: the channels of the matching events */
	bool filtering;                  /* -r with -w: first pass, finding them */
	uint64_t stats_start;            /* the window's start, CLOCK_MONOTONIC */
	uint64_t file_start;             /* when the current capture file began (-G) */
	uint64_t last_expire, last_collect;
	bool tree;                       /* -- CMD, --follow, or a capture of either */
	bool inside;                     /* --inside */
	struct launched command;         /* -- CMD */
	struct followed followed;        /* --follow */
	bool deferring;                  /* at exit: events wait in deferred, to print in time order */
	struct deferred *deferred;
	size_t ndeferred, deferred_cap;
};

/* An event kept to print later: an owned copy (ipcd_event_copy), and its place in the order emitted. */
struct deferred {
	struct ipcd_event e;
	size_t seq;
};

static volatile sig_atomic_t stop_requested;
/* A command runs: the first stop signal is for it, passed on; a second stops ipcdump. */
static volatile sig_atomic_t command_takes_signal;
static volatile sig_atomic_t signal_to_forward;

static void on_stop_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (command_takes_signal) {
		command_takes_signal = 0;
		/* ^C from the terminal reached the whole process group: the command has it */
		if (info->si_code != SI_KERNEL)
			signal_to_forward = sig;
		return;
	}
	stop_requested = 1;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void fill_parent(const struct proc_table *procs, struct ipcd_endpoint *ep)
{
	const char *pcomm = proc_table_comm(procs, ep->ppid);

	if (pcomm)
		memcpy(ep->pcomm, pcomm, sizeof(ep->pcomm));
}

/* Unix data events name their sockets by cookie; lifecycle events carry their names. */
/* -r with -w: the set of channel keys whose events matched. */
struct matched {
	uint64_t key;
	UT_hash_handle hh;
};

struct ipcdump;
static void note_match(struct ipcdump *app, uint64_t key);

static bool is_unix_data(enum ipcd_type type)
{
	return type == IPCD_TYPE_UNIX_STREAM || type == IPCD_TYPE_UNIX_DGRAM ||
	       type == IPCD_TYPE_UNIX_SEQPACKET;
}

/* Either end in the traced tree, or with --inside both (the kernel dropped what one end decided). */
static bool tree_match(const struct ipcdump *app, const struct ipcd_event *e)
{
	bool src, dst;

	if (!app->tree || e->type == IPCD_TYPE_LOST)
		return true;
	src = proc_table_in_tree(app->procs, e->src.pid);
	dst = proc_table_in_tree(app->procs, e->dst.pid);
	return app->inside ? src && dst : src || dst;
}

static void print_event(struct ipcdump *app, const struct ipcd_event *e)
{
	ipcd_output_event(&app->output, e);
	if (ferror(app->output.out)) {
		app->done = true;
		return;
	}
	app->printed++;
	if (app->opts->count && app->printed >= app->opts->count)
		app->done = true;
}

/* Keeps a copy of e to print later; false if there is no memory for it (it prints at once). */
static bool defer_event(struct ipcdump *app, const struct ipcd_event *e)
{
	struct deferred *d;

	if (!grow_array((void **)&app->deferred, &app->deferred_cap, app->ndeferred + 1, sizeof(*app->deferred)))
		return false;
	d = &app->deferred[app->ndeferred];
	if (!ipcd_event_copy(&d->e, e))
		return false;
	d->seq = app->ndeferred++;
	return true;
}

/* Oldest first; equal times keep the order they were emitted in. */
static int by_time(const void *a, const void *b)
{
	const struct deferred *x = a, *y = b;

	if (x->e.ts_ns != y->e.ts_ns)
		return x->e.ts_ns < y->e.ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The events deferred, printed in time order (up to -c), then freed. */
static void print_deferred(struct ipcdump *app)
{
	if (app->ndeferred)  /* qsort takes no NULL array, even empty */
		qsort(app->deferred, app->ndeferred, sizeof(*app->deferred), by_time);
	for (size_t i = 0; i < app->ndeferred; i++) {
		if (!app->done)
			print_event(app, &app->deferred[i].e);
		ipcd_event_copy_free(&app->deferred[i].e);
	}
	free(app->deferred);
	app->deferred = NULL;
	app->ndeferred = app->deferred_cap = 0;
	app->deferring = false;
}

static void emit_event(void *ctx, const struct ipcd_event *e)
{
	struct ipcdump *app = ctx;
	struct ipcd_event out;

	if (app->done || !(app->opts->types & IPCD_TYPE_BIT(e->type)))
		return;
	out = *e;
	if (is_unix_data(out.type))
		unix_events_describe(app->unix, &out);
	else if (out.type == IPCD_TYPE_LOOPBACK_TCP)
		inet_events_describe(app->inet, &out);
	/* the expression may ask for names and parents: after they are filled in */
	fill_parent(app->procs, &out.src);
	fill_parent(app->procs, &out.dst);
	if (!ipcd_filter_match(app->opts, &out) || !tree_match(app, &out))
		return;
	/* with -w the records go to the file, with --stats the events to the totals; they count, for -c */
	if (app->filtering) {
		note_match(app, out.chan_key);
		return;
	}
	if (app->stats)
		stats_add(app->stats, &out);
	if (app->analysis)
		analysis_add(app->analysis, &out);
	if (app->capture || app->stats || app->analysis) {
		app->printed++;
		if (app->opts->count && app->printed >= app->opts->count)
			app->done = true;
		return;
	}
	if (app->deferring && defer_event(app, &out))
		return;
	print_event(app, &out);
}

/*
 * A signal that failed to send has only the pid its sender named; the
 * process table knows its name if it exists, and no pid means no target.
 */
static void name_failed_target(struct ipcdump *app, struct ipcd_endpoint *dst)
{
	const char *comm;

	if (dst->pid <= 0) {
		ipcd_endpoint_unknown(dst);
		return;
	}
	comm = proc_table_live_comm(app->procs, dst->pid);
	dst->ppid = -1;
	if (comm)
		memcpy(dst->comm, comm, sizeof(dst->comm));
}

static void on_signal_record(struct ipcdump *app, const struct ipcd_signal *rec)
{
	struct ipcd_event e;

	memset(&e, 0, sizeof(e));
	e.type = IPCD_TYPE_SIGNAL;
	e.ts_ns = rec->hdr.ts_ns;
	e.chan_key = rec->hdr.ts_ns;  /* each signal is its own record */
	ipcd_endpoint_from_task(&e.src, &rec->src);
	ipcd_endpoint_from_task(&e.dst, &rec->dst);
	e.sig = rec->sig;
	e.code = rec->code;
	e.result = rec->result;
	e.error = rec->error;
	e.sig_flags = rec->sig_flags;
	e.value = rec->value;
	e.src_fd = e.dst_fd = -1;
	if (rec->result == IPCD_SIG_FAILED)
		name_failed_target(app, &e.dst);
	emit_event(app, &e);
}

static void on_proc_record(struct ipcdump *app, const struct ipcd_proc *rec)
{
	proc_table_record(app->procs, rec);
	/* a process gone maps nothing (the collector reports the group's last thread, leader or not) */
	if (rec->event == IPCD_PROC_EXIT)
		shm_events_exited(app->shm, rec->task.pid);
}

/* A capture of a traced tree names its members, so that reading it shows what tracing it showed. */
static void on_tree_record(struct ipcdump *app, const struct ipcd_tree_member *rec)
{
	app->tree = true;
	app->inside = rec->inside;
	proc_table_join_tree(app->procs, rec->pid);
}

static void write_process(void *ctx, uint32_t pid, uint32_t ppid, const char *comm);
static void write_tree_member(void *ctx, uint32_t pid);

/* What every capture file opens with: the processes alive, and the tree's members. */
static void write_snapshot(struct ipcdump *app)
{
	proc_table_foreach_alive(app->procs, write_process, app);
	if (app->tree)
		proc_table_foreach_tree_member(app->procs, write_tree_member, app);
}

/* -C/-G: the next file, which opens like the first. */
static void next_capture_file(struct ipcdump *app)
{
	if (capture_writer_rotate(app->capture))
		write_snapshot(app);
	app->file_start = monotonic_ns();
}

/* Each ring-buffer record: check that it is whole, then dispatch on its kind. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct ipcdump *app = ctx;
	const struct ipcd_record_header *hdr = data;

	if (size < sizeof(*hdr) || hdr->size > size)
		return 0;
	if (app->capture) {
		capture_writer_add(app->capture, data, hdr->size);
		if (app->opts->rotate_bytes && capture_writer_file_bytes(app->capture) >= app->opts->rotate_bytes)
			next_capture_file(app);
	}
	switch (hdr->kind) {
	case IPCD_REC_PIPE_IO:
		if (size >= sizeof(struct ipcd_pipe_io) &&
		    sizeof(struct ipcd_pipe_io) + ((const struct ipcd_pipe_io *)data)->payload_len <= size)
			stream_join_io(app->pipes, data);
		break;
	case IPCD_REC_PIPE_RESYNC:
		if (size >= sizeof(struct ipcd_pipe_resync))
			stream_join_resync(app->pipes, data);
		break;
	case IPCD_REC_FIFO_PATH:
		if (size >= sizeof(struct ipcd_fifo_path))
			stream_join_fifo_path(app->pipes, data);
		break;
	case IPCD_REC_PROC:
		if (size >= sizeof(struct ipcd_proc))
			on_proc_record(app, data);
		break;
	case IPCD_REC_SHM_OP:
		if (size >= sizeof(struct ipcd_shm_op))
			shm_events_op(app->shm, data);
		break;
	case IPCD_REC_FUTEX:
		if (size >= sizeof(struct ipcd_futex))
			shm_events_futex(app->shm, data);
		break;
	case IPCD_REC_SEMOP:
		if (size >= sizeof(struct ipcd_semop))
			shm_events_semop(app->shm, data);
		break;
	case IPCD_REC_SIGNAL:
		if (size >= sizeof(struct ipcd_signal))
			on_signal_record(app, data);
		break;
	case IPCD_REC_UNIX_IO:
		unix_events_io(app->unix, data, size);
		break;
	case IPCD_REC_UNIX_NAME:
		if (size >= sizeof(struct ipcd_unix_name))
			unix_events_name(app->unix, data);
		break;
	case IPCD_REC_PASSED_FD:
		if (size >= sizeof(struct ipcd_passed_fd))
			unix_events_passed_fd(app->unix, data);
		break;
	case IPCD_REC_UNIX_CONN:
		if (size >= sizeof(struct ipcd_unix_conn))
			unix_events_conn(app->unix, data);
		break;
	case IPCD_REC_MQ_IO:
		mq_events_io(app->mqs, data, size);
		break;
	case IPCD_REC_MQ_OP:
		if (size >= sizeof(struct ipcd_mq_op))
			mq_events_op(app->mqs, data);
		break;
	case IPCD_REC_PTY_IO:
		pty_events_io(app->ptys, data, size);
		break;
	case IPCD_REC_INET_IO:
		inet_events_io(app->inet, data, size);
		break;
	case IPCD_REC_INET_CONN:
		if (size >= sizeof(struct ipcd_inet_conn))
			inet_events_conn(app->inet, data);
		break;
	case IPCD_REC_TREE:
		if (size >= sizeof(struct ipcd_tree_member))
			on_tree_record(app, data);
		break;
	default:
		break;
	}
	/*
	 * A negative return ends the batch (this record counts as consumed):
	 * under a flood a batch would never end, and the loop has other work.
	 */
	if (app->done || (stop_requested && !app->draining) || ++app->batch >= MAX_BATCH)
		return -EINTR;
	return 0;
}

/* New losses become "lost N <collector> events" lines, unless -L. */
static void report_losses(struct ipcdump *app)
{
	for (int c = 0; c < IPCD_COLL_MAX; c++) {
		uint64_t lost = ipcd_tracer_lost(&app->tracer, c);
		struct ipcd_event e;

		if (lost <= app->lost_seen[c])
			continue;
		if (!app->opts->quiet_lost) {
			memset(&e, 0, sizeof(e));
			e.type = IPCD_TYPE_LOST;
			e.ts_ns = monotonic_ns();
			e.lost_collector = c;
			e.lost_count = lost - app->lost_seen[c];
			if (!app->done) {
				ipcd_output_event(&app->output, &e);
			}
		}
		app->lost_seen[c] = lost;
	}
}

/* What happened to the events that passed the filters, in this mode. */
static const char *events_fate(const struct ipcdump *app)
{
	if (app->filtering)
		return "matched";
	if (app->capture)
		return "captured";
	if (app->stats)
		return "counted";
	if (app->analysis)
		return "analyzed";
	return "printed";
}

static void print_summary(struct ipcdump *app)
{
	uint64_t dropped = stream_join_dropped(app->pipes) + msg_join_dropped(unix_events_messages(app->unix)) +
			   msg_join_dropped(inet_events_messages(app->inet)) + pty_events_dropped(app->ptys) +
			   mq_events_dropped(app->mqs);
	uint64_t total = dropped;

	if (app->opts->quiet)
		return;
	for (int c = 0; c < IPCD_COLL_MAX; c++)
		total += ipcd_tracer_lost(&app->tracer, c);
	fprintf(stderr, "ipcdump: %" PRIu64 " %s %s, %" PRIu64 " lost", app->printed,
		noun_for(app->printed, "event", "events"), events_fate(app), total);
	for (int c = 0; c < IPCD_COLL_MAX; c++) {
		uint64_t lost = ipcd_tracer_lost(&app->tracer, c);

		if (lost)
			fprintf(stderr, " (%s: %" PRIu64 ")", ipcd_collector_name(c), lost);
	}
	if (dropped)
		fprintf(stderr, " (out of memory: %" PRIu64 ")", dropped);
	fputc('\n', stderr);
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

static void announce(struct ipcdump *app)
{
	char running[128];

	if (app->opts->quiet)
		return;
	ipcd_tracer_describe(&app->tracer, running, sizeof(running));
	fprintf(stderr, "ipcdump: tracing %s events\n", running[0] ? running : "no");
}

/* How --stats and --analyze print: -f, --top, and the clock of the events (live, or a capture's). */
static struct ipcd_report_style report_style(const struct ipcdump *app)
{
	return (struct ipcd_report_style){
		.format = app->opts->format,
		.top = app->opts->top,
		.mono_to_real_ns = app->output.mono_to_real_ns,
	};
}

/* Pending halves waiting too long, and memory to give back: every so often, by now_ns. */
static void periodic(struct ipcdump *app, uint64_t now)
{
	/* both walk every channel known: not on every batch of a flood */
	if (now - app->last_expire >= EXPIRE_EVERY_NS) {
		stream_join_expire(app->pipes, now, READ_WAIT_NS);
		unix_events_expire(app->unix, now, READ_WAIT_NS);
		inet_events_expire(app->inet, now, READ_WAIT_NS);
		pty_events_expire(app->ptys, now, READ_WAIT_NS);
		mq_events_expire(app->mqs, now, READ_WAIT_NS);
		shm_events_expire(app->shm, now, READ_WAIT_NS);
		app->last_expire = now;
	}
	if (now - app->last_collect >= COLLECT_EVERY_NS) {
		stream_join_collect(app->pipes, ipcd_tracer_pipe_read_offset, &app->tracer);
		proc_table_expire(app->procs, now, KEEP_EXITED_NS);
		app->last_collect = now;
	}
	if (app->capture && app->opts->rotate_secs && now - app->file_start >= app->opts->rotate_secs * 1000000000ull)
		next_capture_file(app);
	if (app->stats && !app->stats_start)
		app->stats_start = now;
	if (app->stats && app->opts->stats_interval_ms &&
	    now - app->stats_start >= app->opts->stats_interval_ms * 1000000ull) {
		struct ipcd_report_style style = report_style(app);

		stats_report(app->stats, app->output.out, &style, app->stats_start, now);
		app->stats_start = now;
	}
}

static bool tree_finished(struct ipcdump *app);

static void run_loop(struct ipcdump *app)
{
	app->last_collect = app->last_expire = app->stats_start = monotonic_ns();
	while (!stop_requested && !app->done && !(app->tree && tree_finished(app))) {
		int rc;

		if (signal_to_forward) {
			launch_forward(&app->command, signal_to_forward);
			signal_to_forward = 0;
		}
		app->batch = 0;
		rc = ipcd_tracer_poll(&app->tracer, POLL_MS);
		if (rc < 0 && rc != -EINTR) {
			fprintf(stderr, "ipcdump: polling the ring buffer failed: %s\n", strerror(-rc));
			break;
		}
		report_losses(app);
		periodic(app, monotonic_ns());
		fflush(app->output.out);
	}
}

/* What waits in the joins is printed: the receives, and the sends never received. */
static void flush_joins(struct ipcdump *app)
{
	/* each join flushes its own channels in turn: what they hold goes out merged by time */
	app->deferring = true;
	stream_join_flush(app->pipes, ipcd_tracer_pipe_read_offset, &app->tracer);
	unix_events_flush(app->unix);
	inet_events_flush(app->inet);
	pty_events_flush(app->ptys);
	mq_events_flush(app->mqs);
	shm_events_flush(app->shm);
	print_deferred(app);
	if (app->stats) {
		struct ipcd_report_style style = report_style(app);

		stats_report(app->stats, app->output.out, &style, app->stats_start,
			     app->opts->read_path ? app->last_expire : monotonic_ns());
	}
	if (app->analysis) {
		struct ipcd_report_style style = report_style(app);

		analysis_report(app->analysis, app->output.out, &style);
	}
	fflush(app->output.out);
}

/* The exit summary, and what was reported early; after any error, which is read first. */
static void summarise(struct ipcdump *app)
{
	uint64_t evicted;

	print_summary(app);
	evicted = stream_join_evicted(app->pipes) + msg_join_evicted(unix_events_messages(app->unix)) +
		  msg_join_evicted(inet_events_messages(app->inet));
	if (evicted && !app->opts->quiet)
		fprintf(stderr, "ipcdump: note: %" PRIu64 " writes still unread were reported early "
			"to keep memory bounded\n", evicted);
}

/* Everything captured is printed before exit: the ring, then what waits in the joins. */
static void finish(struct ipcdump *app)
{
	int rc;

	ipcd_tracer_quiesce(&app->tracer);
	app->draining = true;
	/* what the ring still holds joins what the joins hold, all printed in time order */
	app->deferring = true;
	do {
		app->batch = 0;
		rc = ipcd_tracer_drain(&app->tracer);
	} while (rc != 0 && rc != -ENOMEM && !app->done);
	report_losses(app);
	flush_joins(app);
	summarise(app);
}

/* ---- capture files -------------------------------------------------------- */

/* A capture opens with the processes alive, so their names resolve when it is read. */
static void write_process(void *ctx, uint32_t pid, uint32_t ppid, const char *comm)
{
	struct ipcdump *app = ctx;
	struct ipcd_proc rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_PROC;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = monotonic_ns();
	rec.task.pid = rec.task.tid = pid;
	rec.task.ppid = ppid;
	memcpy(rec.task.comm, comm, sizeof(rec.task.comm));
	rec.event = IPCD_PROC_FORK;
	capture_writer_add(app->capture, &rec, sizeof(rec));
}

static void write_tree_member(void *ctx, uint32_t pid)
{
	struct ipcdump *app = ctx;
	struct ipcd_tree_member rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_TREE;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = monotonic_ns();
	rec.pid = pid;
	rec.inside = app->inside;
	capture_writer_add(app->capture, &rec, sizeof(rec));
}

static int close_capture(struct ipcdump *app)
{
	uint64_t records = capture_writer_records(app->capture), dropped = capture_writer_dropped(app->capture);
	int rc = capture_writer_close(app->capture);

	app->capture = NULL;
	if (rc) {
		fprintf(stderr, "ipcdump: writing %s failed: %s\n", app->opts->write_path, strerror(-rc));
		return IPCD_EXIT_FAILURE;
	}
	if (app->opts->quiet && !dropped)
		return IPCD_EXIT_OK;
	fprintf(stderr, "ipcdump: %" PRIu64 " %s written to %s", records, noun_for(records, "record", "records"),
		app->opts->write_path);
	if (dropped)
		fprintf(stderr, ", %" PRIu64 " dropped (the disk could not keep up)", dropped);
	fputc('\n', stderr);
	return dropped ? IPCD_EXIT_FAILURE : IPCD_EXIT_OK;
}

static int read_capture(struct ipcdump *app);

static void note_match(struct ipcdump *app, uint64_t key)
{
	struct matched *m;

	app->printed++;
	HASH_FIND(hh, app->matched, &key, sizeof(key), m);
	if (m || !(m = calloc(1, sizeof(*m))))
		return;
	m->key = key;
	HASH_ADD(hh, app->matched, key, sizeof(m->key), m);
}

static void free_matched(struct ipcdump *app)
{
	struct matched *m, *tmp;

	HASH_ITER(hh, app->matched, m, tmp) {
		HASH_DEL(app->matched, m);
		free(m);
	}
}

struct copy_ctx {
	struct ipcdump *app;
	struct capture_writer *out;
	uint64_t seen, kept;
};

/* Second pass: what every capture keeps, and the records of the matched channels. */
static int copy_record(void *ctx, void *data, size_t size)
{
	struct copy_ctx *c = ctx;
	struct matched *m = NULL;
	uint64_t key;

	c->seen++;
	if (capture_record_channel(data, size, &key))
		HASH_FIND(hh, c->app->matched, &key, sizeof(key), m);
	else
		m = (struct matched *)1;  /* processes, names, paths: always */
	if (m && capture_writer_add(c->out, data, ((struct ipcd_record_header *)data)->size))
		c->kept++;
	return 0;
}

/*
 * -r IN -w OUT [filter]: a smaller capture.  Messages are made of several
 * records, so whole channels are kept: those with an event that matches.
 */
static int filter_capture(struct ipcdump *app)
{
	char err[512];
	struct capture_reader *r;
	struct copy_ctx c = { .app = app };
	int rc;

	app->filtering = true;
	rc = read_capture(app);
	app->filtering = false;
	if (rc)
		return rc;
	r = capture_reader_open(app->opts->read_path, err, sizeof(err));
	if (r)
		c.out = capture_writer_open(app->opts->write_path, capture_reader_header(r)->mono_to_real_ns,
					   app->opts->compress, err, sizeof(err));
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
	if (!app->opts->quiet)
		fprintf(stderr, "ipcdump: %" PRIu64 " of %" PRIu64 " %s written to %s\n", c.kept, c.seen,
			noun_for(c.seen, "record", "records"), app->opts->write_path);
	return IPCD_EXIT_OK;
}

/* -r: each record as if it came from the ring, with the file's clock for the waits. */
static int on_file_record(void *ctx, void *data, size_t size)
{
	struct ipcdump *app = ctx;
	const struct ipcd_record_header *hdr = data;

	app->batch = 0;
	on_record(app, data, size);
	if (!app->last_expire)
		app->last_expire = app->last_collect = app->stats_start = hdr->ts_ns;
	if (hdr->ts_ns > app->last_expire)
		periodic(app, hdr->ts_ns);
	return app->done || stop_requested;
}

static int read_capture(struct ipcdump *app)
{
	char err[512];
	struct capture_reader *r = capture_reader_open(app->opts->read_path, err, sizeof(err));
	int rc;

	if (!r) {
		fprintf(stderr, "ipcdump: %s\n", err);
		return IPCD_EXIT_FAILURE;
	}
	app->output.mono_to_real_ns = capture_reader_header(r)->mono_to_real_ns;
	rc = capture_reader_run(r, on_file_record, app, err, sizeof(err));
	capture_reader_close(r);
	/* what came before the damage is printed, then the damage is named, then the summary */
	flush_joins(app);
	if (rc < 0)
		fprintf(stderr, "ipcdump: %s\n", err);
	summarise(app);
	return rc < 0 ? IPCD_EXIT_FAILURE : IPCD_EXIT_OK;
}

/* A sender only a message names: its comm, if it is still alive. */
static const char *comm_of_pid(void *ctx, uint32_t pid)
{
	struct ipcdump *app = ctx;

	return proc_table_comm(app->procs, pid);
}

static void free_state(struct ipcdump *app)
{
	unix_events_free(app->unix);
	inet_events_free(app->inet);
	pty_events_free(app->ptys);
	mq_events_free(app->mqs);
	shm_events_free(app->shm);
	stats_free(app->stats);
	analysis_free(app->analysis);
	stream_join_free(app->pipes);
	proc_table_free(app->procs);
}

/* ---- a traced tree (-- CMD, --follow) --------------------------------------- */

struct pid_array {
	uint32_t *ids;
	size_t count, cap;
};

static void add_to_array(void *ctx, uint32_t pid)
{
	struct pid_array *a = ctx;

	if (grow_array((void **)&a->ids, &a->cap, a->count + 1, sizeof(*a->ids)))
		a->ids[a->count++] = pid;
}

static void follow_member(void *ctx, uint32_t pid)
{
	struct ipcdump *app = ctx;

	ipcd_tracer_follow(&app->tracer, pid);
}

/*
 * The roots: --follow's processes, and the command, started stopped so that
 * tracing is attached before its first instruction.  Their descendants alive
 * now join; those to come, the kernel adds as they fork.
 */
static int prepare_tree(struct ipcdump *app)
{
	const struct ipcd_options *o = app->opts;
	char err[512];

	app->tree = true;
	app->inside = o->inside;
	if (follow_open(&app->followed, o->follow_pids.ids, o->follow_pids.count, err, sizeof(err)))
		goto fail;
	for (size_t i = 0; i < o->follow_pids.count; i++)
		proc_table_join_tree(app->procs, o->follow_pids.ids[i]);
	if (o->command) {
		if (launch_stopped(&app->command, o->command, o->run_as_user, err, sizeof(err)))
			goto fail;
		proc_table_join_tree(app->procs, (uint32_t)app->command.pid);
	}
	proc_table_scan(app->procs, "/proc");
	proc_table_tree_descendants(app->procs);
	return 0;
fail:
	fprintf(stderr, "ipcdump: %s\n", err);
	return IPCD_EXIT_FAILURE;
}

/* The command ends the run; without one, --follow's processes all gone do. */
static bool tree_finished(struct ipcdump *app)
{
	if (app->opts->command)
		return launch_done(&app->command);
	return app->followed.count && follow_all_exited(&app->followed);
}

/*
 * With a command, ipcdump exits with its status once it has exited; if
 * tracing ended first (-c, a second interrupt, output closed) the command
 * goes on untraced.  ipcdump's own failure comes first.
 */
static int end_tree(struct ipcdump *app, int rc)
{
	follow_close(&app->followed);
	if (!app->opts->command || !app->command.pid)
		return rc;
	if (rc && !app->command.exited) {
		launch_forward(&app->command, SIGKILL);
		launch_release(&app->command);
		launch_wait(&app->command);
	}
	if (rc)
		return rc;
	if (!launch_done(&app->command)) {
		/* -c, a second interrupt, or the output closed: the command is still someone's work */
		fprintf(stderr, "ipcdump: tracing stopped; %s (pid %d) goes on running, untraced\n",
			app->opts->command[0], (int)app->command.pid);
		return rc;
	}
	return launch_exit_code(&app->command);
}

/* ---- live tracing ---------------------------------------------------------- */

static int open_capture(struct ipcdump *app)
{
	char err[512];

	app->capture = capture_writer_open(app->opts->write_path, app->output.mono_to_real_ns, app->opts->compress,
					   err, sizeof(err));
	if (app->capture)
		return 0;
	fprintf(stderr, "ipcdump: %s\n", err);
	return IPCD_EXIT_FAILURE;
}

/*
 * The kernel has made the records already; if the traced processes (twenty
 * of them on two CPUs, say) leave ipcdump no CPU to take them, the ring
 * fills and they are lost.  So ipcdump takes a higher priority, as the
 * kernel's own work would have.  After forking a command, which keeps its
 * own; the writer thread and the unhooking child inherit it.
 */
static void raise_priority(void)
{
	errno = 0;
	int nice_now = getpriority(PRIO_PROCESS, 0);

	if (!errno && nice_now > TRACER_NICE)
		setpriority(PRIO_PROCESS, 0, TRACER_NICE);
}

static int trace_live(struct ipcdump *app)
{
	const struct ipcd_options *opts = app->opts;
	struct pid_array members = { 0 };
	int rc = 0;

	if (ipcd_tracing_tree(opts) && (rc = prepare_tree(app)))
		return end_tree(app, rc);
	if (app->tree)
		proc_table_foreach_tree_member(app->procs, add_to_array, &members);
	raise_priority();
	ipcd_timing("start");
	rc = ipcd_tracer_start(&app->tracer, opts, members.ids, members.count, on_record, app, stderr);
	free(members.ids);
	if (!rc && opts->write_path)
		rc = open_capture(app);
	if (rc) {
		ipcd_tracer_stop(&app->tracer);
		return end_tree(app, rc);
	}
	/* After attaching: a process born in between is in the scan or in a record. */
	proc_table_scan(app->procs, "/proc");
	ipcd_timing("scan /proc");
	if (app->tree) {
		proc_table_tree_descendants(app->procs);
		proc_table_foreach_tree_member(app->procs, follow_member, app);
	}
	if (app->capture) {
		write_snapshot(app);
		app->file_start = monotonic_ns();
	}
	ipcd_tracer_ignore_fd(&app->tracer, STDOUT_FILENO);
	ipcd_tracer_ignore_fd(&app->tracer, STDERR_FILENO);
	/* -o to a FIFO: the same, for its reader */
	ipcd_tracer_ignore_fd(&app->tracer, fileno(app->output.out));
	ipcd_timing("the rest");
	announce(app);
	if (opts->command) {
		command_takes_signal = 1;
		launch_release(&app->command);
	}
	run_loop(app);
	command_takes_signal = 0;
	finish(app);
	rc = app->capture ? close_capture(app) : IPCD_EXIT_OK;
	ipcd_tracer_stop(&app->tracer);
	return end_tree(app, rc);
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

/* Traces, or reads a capture, with the options parsed. */
static int run(const struct ipcd_options *opts)
{
	struct ipcdump app;
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

	memset(&app, 0, sizeof(app));
	app.opts = opts;
	if (!(events_out = open_events_output(opts)))
		return IPCD_EXIT_FAILURE;
	ipcd_output_init(&app.output, events_out, opts->format, opts->dump_bytes);
	ipcd_output_style(&app.output, opts);
	app.pipes = stream_join_new(emit_event, &app);
	app.procs = proc_table_new();
	app.unix = unix_events_new(app.pipes, emit_event, &app, comm_of_pid, &app);
	app.inet = inet_events_new(app.pipes, emit_event, &app, comm_of_pid, &app);
	app.ptys = pty_events_new(emit_event, &app);
	app.mqs = mq_events_new(emit_event, &app, "/proc/sysvipc/msg");
	app.shm = shm_events_new(emit_event, &app);
	if ((opts->stats && !(app.stats = stats_new())) || (opts->analyze && !(app.analysis = analysis_new()))) {
		fprintf(stderr, "ipcdump: out of memory\n");
		free_state(&app);
		return IPCD_EXIT_FAILURE;
	}
	if (!app.pipes || !app.procs || !app.unix || !app.inet || !app.ptys || !app.mqs || !app.shm) {
		fprintf(stderr, "ipcdump: out of memory\n");
		free_state(&app);
		return IPCD_EXIT_FAILURE;
	}
	install_signal_handlers();
	if (opts->read_path) {
		rc = opts->write_path ? filter_capture(&app) : read_capture(&app);
		free_matched(&app);
	} else {
		rc = trace_live(&app);
	}
	free_state(&app);
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
