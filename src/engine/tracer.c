/* SPDX-License-Identifier: GPL-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "engine/event.h"
#include "ipcdump.skel.h"
#include "engine/registry.h"
#include "engine/tracer.h"

#define TRACEFS "/sys/kernel/tracing"
#define TREE_MAX_LIVE 65536  /* processes of a traced tree alive at once */

struct collector_desc {
	enum ipcd_collector id;
	const char *prog_prefix;  /* its programs are named ipcd_<prefix>_... */
	uint32_t types;           /* event types it serves */
	bool tracefs;             /* attaches classic tracepoints */
	const struct ipcd_family *family;  /* NULL: the process collector, the engine's own */
};

/* Each family's collector, in the registry's order, then process lifecycle. */
static struct collector_desc collectors[IPCD_COLL_MAX];
static size_t ncollectors;
#define NCOLLECTORS ncollectors

static void list_collectors(void)
{
	if (ncollectors)
		return;
	for (size_t i = 0; i < ipcd_family_count && ncollectors < IPCD_COLL_MAX - 1; i++) {
		const struct ipcd_family *f = ipcd_families[i];

		collectors[ncollectors++] = (struct collector_desc){ f->collector, f->prog_prefix, f->types, true, f };
	}
	/* Process lifecycle: no events of its own, loaded with any other. */
	collectors[ncollectors++] = (struct collector_desc){ IPCD_COLL_PROC, "ipcd_proc_", 0, false, NULL };
}

static const struct collector_desc *collector_of(const struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);

	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (!strncmp(name, collectors[i].prog_prefix, strlen(collectors[i].prog_prefix)))
			return &collectors[i];
	return NULL;
}

static const struct collector_desc *collector_desc_of(enum ipcd_collector id)
{
	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (collectors[i].id == id)
			return &collectors[i];
	return NULL;
}

/*
 * A program shared by several collectors (ipcd_sock_...: the
 * sendmmsg/recvmmsg bookkeeping both socket families read) is loaded with
 * any of them, attached once by whichever attaches first, detached when
 * none runs.
 */
static bool shared_by(const struct bpf_program *prog, const struct ipcd_family *f)
{
	return f && f->shared_prog_prefix &&
	       !strncmp(bpf_program__name(prog), f->shared_prog_prefix, strlen(f->shared_prog_prefix));
}

static bool serves(const struct bpf_program *prog, enum ipcd_collector id)
{
	const struct collector_desc *c = collector_of(prog);

	if (c)
		return c->id == id;
	c = collector_desc_of(id);
	return c && shared_by(prog, c->family);
}

/* Does prog serve a collector in set[] other than except? */
static bool serves_any(const struct bpf_program *prog, const bool *set, enum ipcd_collector except)
{
	for (int id = 0; id < IPCD_COLL_MAX; id++)
		if (id != (int)except && set[id] && serves(prog, id))
			return true;
	return false;
}

/*
 * IPCD_TIMING=1: how long each start-up phase took, one line each on
 * stderr (bench/startup shows them): where the time before "tracing" goes.
 */
void ipcd_timing(const char *phase)
{
	static struct timespec last;
	struct timespec now;

	if (!getenv("IPCD_TIMING"))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec)
		fprintf(stderr, "ipcdump: timing: %-28s %7.1f ms\n", phase,
			(now.tv_sec - last.tv_sec) * 1e3 + (now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

/* libbpf talks a lot; keep its warnings only, and only with IPCD_DEBUG. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || !getenv("IPCD_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * A line on err: "ipcdump: ..." (the program's name), and with the options'
 * log levels "error: " before what is not already a "warning: ".
 */
static void complain(FILE *err, const struct ipcd_options *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void complain(FILE *err, const struct ipcd_options *o, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "%s: %s", ipcd_program_name(o),
		o && o->log_levels && strncmp(fmt, "warning: ", 9) ? "error: " : "");
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
}

/* Classic tracepoints are found through tracefs, which may not be mounted. */
static int ensure_tracefs(void)
{
	struct stat st;

	if (!stat(TRACEFS "/events", &st) || !stat("/sys/kernel/debug/tracing/events", &st))
		return 0;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return 0;
}

static uint32_t round_ring_size(uint64_t size)
{
	uint32_t ring = 4096;

	while (ring < size && ring < (1u << 30))
		ring <<= 1;
	return ring;
}

static uint32_t filter_flags(const struct ipcd_options *o)
{
	return (o->src_pids.count ? IPCD_FILT_SRC_PID : 0) | (o->dst_pids.count ? IPCD_FILT_DST_PID : 0) |
	       (o->any_pids.count ? IPCD_FILT_ANY_PID : 0) | (o->src_comms.count ? IPCD_FILT_SRC_COMM : 0) |
	       (o->dst_comms.count ? IPCD_FILT_DST_COMM : 0) | (o->any_comms.count ? IPCD_FILT_ANY_COMM : 0) |
	       (ipcd_tracing_tree(o) ? (o->inside ? IPCD_FILT_TREE_BOTH : IPCD_FILT_TREE_ANY) : 0);
}

/* The unix collector tells syscalls apart by number, which differ per architecture. */
static void set_syscall_nrs(struct ipcd_syscall_nrs *nr)
{
	nr->read = SYS_read;
	nr->write = SYS_write;
	nr->readv = SYS_readv;
	nr->writev = SYS_writev;
	nr->sendto = SYS_sendto;
	nr->sendmsg = SYS_sendmsg;
	nr->sendmmsg = SYS_sendmmsg;
	nr->recvfrom = SYS_recvfrom;
	nr->recvmsg = SYS_recvmsg;
	nr->recvmmsg = SYS_recvmmsg;
	nr->sendfile = SYS_sendfile;
	nr->splice = SYS_splice;
	nr->close = SYS_close;
	nr->shutdown = SYS_shutdown;
}

/* Lifecycle hooks (close is a hot syscall) load only when asked for. */
static bool program_wanted(const struct bpf_program *prog, const struct ipcd_options *o)
{
	return o->lifecycle || !strstr(bpf_program__name(prog), "_life_");
}

static void configure(struct ipcdump_bpf *skel, const struct ipcd_options *o, const bool *enabled)
{
	struct bpf_program *prog;
	int ncpus = libbpf_num_possible_cpus();
	uint32_t ring = round_ring_size(o->buffer_size);

	skel->rodata->cfg_self_tgid = getpid();
	skel->rodata->cfg_payload_max = ipcd_payload_limit(o);
	skel->rodata->cfg_filters = filter_flags(o);
	set_syscall_nrs((struct ipcd_syscall_nrs *)&skel->rodata->cfg_nr);
	bpf_map__set_max_entries(skel->maps.events, ring);
	/* each family's own rodata and per-channel tables */
	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (collectors[i].family && collectors[i].family->configure)
			collectors[i].family->configure(skel, o, enabled[collectors[i].id]);
	/* read and written only when a filter runs in the kernel */
	bpf_map__set_max_entries(skel->maps.sent_chans, skel->rodata->cfg_filters ? o->max_channels : 1);
	/* a tree's live processes are there too: a whole build's worth */
	if (ipcd_tracing_tree(o))
		bpf_map__set_max_entries(skel->maps.pid_filter, TREE_MAX_LIVE);
	/* a quarter full: time to read it, well before it overflows */
	skel->rodata->cfg_wakeup_bytes = ring / 4;
	bpf_map__set_max_entries(skel->maps.scratch, ncpus > 0 ? ncpus : 1);
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, serves_any(prog, enabled, IPCD_COLL_MAX) && program_wanted(prog, o));
}

static int open_and_load(struct ipcd_tracer *t, const struct ipcd_options *o, const bool *enabled)
{
	int err;

	t->skel = ipcdump_bpf__open();
	if (!t->skel)
		return -errno;
	configure(t->skel, o, enabled);
	ipcd_timing("open skeleton");
	err = ipcdump_bpf__load(t->skel);
	ipcd_timing("load and verify");
	if (err) {
		ipcdump_bpf__destroy(t->skel);
		t->skel = NULL;
	}
	return err;
}

static int set_side(int map_fd, const void *key, uint8_t side)
{
	uint8_t sides = 0;

	bpf_map_lookup_elem(map_fd, key, &sides);
	sides |= side;
	return bpf_map_update_elem(map_fd, key, &sides, BPF_ANY);
}

static void fill_filter_maps(struct ipcd_tracer *t, const struct ipcd_options *o, const uint32_t *tree,
			     size_t tree_count)
{
	int pids = bpf_map__fd(t->skel->maps.pid_filter);
	int comms = bpf_map__fd(t->skel->maps.comm_filter);
	const struct { const struct ipcd_id_list *list; uint8_t side; } pid_lists[] = {
		{ &o->src_pids, IPCD_SIDE_SRC }, { &o->dst_pids, IPCD_SIDE_DST }, { &o->any_pids, IPCD_SIDE_ANY },
	};
	const struct { const struct ipcd_comm_list *list; uint8_t side; } comm_lists[] = {
		{ &o->src_comms, IPCD_SIDE_SRC }, { &o->dst_comms, IPCD_SIDE_DST }, { &o->any_comms, IPCD_SIDE_ANY },
	};

	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < pid_lists[l].list->count; i++)
			set_side(pids, &pid_lists[l].list->ids[i], pid_lists[l].side);
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < comm_lists[l].list->count; i++)
			set_side(comms, comm_lists[l].list->comms[i], comm_lists[l].side);
	for (size_t i = 0; i < tree_count; i++)
		set_side(pids, &tree[i], IPCD_SIDE_TREE);
}

bool ipcd_tracer_filters_in_kernel(const struct ipcd_tracer *t)
{
	return t->skel && (t->skel->rodata->cfg_filters & ~(IPCD_FILT_TREE_ANY | IPCD_FILT_TREE_BOTH));
}

int ipcd_tracer_follow(struct ipcd_tracer *t, uint32_t pid)
{
	return set_side(bpf_map__fd(t->skel->maps.pid_filter), &pid, IPCD_SIDE_TREE);
}

/* Where the skeleton keeps prog's link: its destroy detaches what it holds. */
static struct bpf_link **link_slot(struct ipcd_tracer *t, const struct bpf_program *prog)
{
	for (int i = 0; i < t->skel->skeleton->prog_cnt; i++)
		if (*t->skel->skeleton->progs[i].prog == prog)
			return t->skel->skeleton->progs[i].link;
	return NULL;
}

/*
 * IPCD_TEST_REFUSE=pipe,signal makes those collectors fail to attach as a
 * kernel that refuses them would ("*": all of them): the tests' way to
 * check that the others still run.
 */
static bool refused_for_test(const struct collector_desc *c)
{
	const char *list = getenv("IPCD_TEST_REFUSE");
	const char *name = ipcd_collector_name(c->id);
	size_t len = strlen(name);

	for (const char *p = list; p && *p; p += strcspn(p, ","), p += *p == ',') {
		if (*p == '*' && (p[1] == ',' || p[1] == '\0'))
			return true;
		if (!strncmp(p, name, len) && (p[len] == ',' || p[len] == '\0'))
			return true;
	}
	return false;
}

static int attach_collector(struct ipcd_tracer *t, const struct collector_desc *c, const char **why)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	int err;

	if (refused_for_test(c)) {
		*why = "IPCD_TEST_REFUSE";
		return -EPERM;
	}

	if (c->tracefs && (err = ensure_tracefs())) {
		*why = "cannot mount tracefs at " TRACEFS;
		return err;
	}
	/*
	 * Syscall exits before entries: an exit without its entry is picked up
	 * as a call begun before tracing, but an entry whose exit came before
	 * the exit was attached would stay "in flight" on its pipe.
	 */
	for (int pass = 0; pass < 2; pass++) {
		bpf_object__for_each_program(prog, t->skel->obj) {
			bool is_exit = strstr(bpf_program__name(prog), "_exit_") != NULL;
			struct bpf_link **slot;

			if (!serves(prog, c->id) || is_exit != (pass == 0) || !bpf_program__autoload(prog))
				continue;
			slot = link_slot(t, prog);
			if (*slot)
				continue;  /* attached already, for another collector it serves */
			link = bpf_program__attach(prog);
			if (!link) {
				*why = bpf_program__name(prog);
				return -errno;
			}
			*slot = link;
		}
	}
	return 0;
}

/* Detaches c's programs, but those another running collector serves too. */
static void detach_collector(struct ipcd_tracer *t, const struct collector_desc *c)
{
	for (int i = 0; i < t->skel->skeleton->prog_cnt; i++) {
		const struct bpf_program *prog = *t->skel->skeleton->progs[i].prog;
		struct bpf_link **link = t->skel->skeleton->progs[i].link;

		if (serves(prog, c->id) && *link && !serves_any(prog, t->running, c->id)) {
			bpf_link__destroy(*link);
			*link = NULL;
		}
	}
}

static bool any_enabled(const bool *enabled)
{
	for (int i = 0; i < IPCD_COLL_MAX; i++)
		if (enabled[i])
			return true;
	return false;
}

/* Process bookkeeping alone reports nothing: it does not count. */
static bool any_event_collector(const bool *running)
{
	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (running[collectors[i].id] && collectors[i].types)
			return true;
	return false;
}

/*
 * Loads everything wanted (t->skel holds it on success, and 0 is returned).
 * If the kernel refuses, finds which collectors it refuses by loading each
 * alone: refused[id] gets the error of each that failed, and the load's
 * error is returned with nothing loaded.  -EPERM and -EACCES refuse BPF as
 * a whole: not worth asking per collector.
 */
static int find_loadable(struct ipcd_tracer *t, const struct ipcd_options *o, int *refused)
{
	bool alone[IPCD_COLL_MAX];
	int rc, first;

	memset(refused, 0, IPCD_COLL_MAX * sizeof(*refused));
	first = open_and_load(t, o, t->wanted);
	if (!first || first == -EPERM || first == -EACCES)
		return first;
	for (size_t i = 0; i < NCOLLECTORS; i++) {
		enum ipcd_collector id = collectors[i].id;

		if (!t->wanted[id])
			continue;
		memset(alone, 0, sizeof(alone));
		alone[id] = true;
		rc = open_and_load(t, o, alone);
		if (rc) {
			refused[id] = rc;
		} else {
			ipcdump_bpf__destroy(t->skel);
			t->skel = NULL;
		}
	}
	return first;
}

/*
 * Loads everything wanted; if the kernel refuses, finds which collectors it
 * refuses, warns about those and loads the rest.
 */
static int load_collectors(struct ipcd_tracer *t, const struct ipcd_options *o, FILE *err)
{
	int refused[IPCD_COLL_MAX];
	int rc;

	memcpy(t->running, t->wanted, sizeof(t->running));
	rc = find_loadable(t, o, refused);
	if (!rc)
		return 0;
	if (rc == -EPERM || rc == -EACCES) {
		complain(err, o, "the kernel refused to load BPF programs (%s): "
			"BPF may be disabled or restricted\n", strerror(-rc));
		return IPCD_EXIT_FAILURE;
	}
	for (size_t i = 0; i < NCOLLECTORS; i++) {
		enum ipcd_collector id = collectors[i].id;

		if (!refused[id])
			continue;
		complain(err, o, "warning: %s collector not loaded: %s; tracing the others\n",
			ipcd_collector_name(id), strerror(-refused[id]));
		snprintf(t->why_not[id], sizeof(t->why_not[id]), "not loaded: %s", strerror(-refused[id]));
		t->running[id] = false;
	}
	if (!any_event_collector(t->running)) {
		complain(err, o, "no collector could be loaded (set IPCD_DEBUG=1 for details)\n");
		return IPCD_EXIT_FAILURE;
	}
	rc = open_and_load(t, o, t->running);
	if (rc) {
		complain(err, o, "cannot load BPF programs: %s\n", strerror(-rc));
		return IPCD_EXIT_FAILURE;
	}
	return 0;
}

static int check_environment(const struct ipcd_options *o, FILE *err)
{
	struct stat st;

	if (geteuid() != 0) {
		complain(err, o, "must run as root (needs CAP_BPF and CAP_PERFMON)\n");
		return IPCD_EXIT_FAILURE;
	}
	if (stat("/sys/kernel/btf/vmlinux", &st)) {
		complain(err, o, "kernel BTF is missing (/sys/kernel/btf/vmlinux): "
			"a kernel built with CONFIG_DEBUG_INFO_BTF=y is needed\n");
		return IPCD_EXIT_FAILURE;
	}
	return 0;
}

/* The options a probe loads with: every program, and maps as small as they go. */
static void probe_options(struct ipcd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->types = ~0u;
	o->lifecycle = true;
	o->buffer_size = 4096;
	o->max_channels = 1024;
}

/*
 * For --version: which collectors this kernel lets us load, each loaded and
 * verified (never attached).  The same fallback tracing uses: all at once,
 * and each alone only if that fails.
 */
void ipcd_tracer_probe(FILE *out)
{
	static struct ipcd_options o;  /* its pid lists are big for a stack */
	struct ipcd_tracer t;
	int refused[IPCD_COLL_MAX] = { 0 };
	const char *whole = NULL;
	int rc;

	memset(&t, 0, sizeof(t));
	libbpf_set_print(libbpf_quiet);
	list_collectors();
	if (geteuid() != 0) {
		fprintf(out, "collectors: not probed: loading BPF needs root (run ipcdump --version as root)\n");
		return;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(out, "collectors: none can load: kernel BTF is missing (/sys/kernel/btf/vmlinux)\n");
		return;
	}
	probe_options(&o);
	for (size_t i = 0; i < NCOLLECTORS; i++)
		t.wanted[collectors[i].id] = true;
	rc = find_loadable(&t, &o, refused);
	ipcdump_bpf__destroy(t.skel);
	if (rc == -EPERM || rc == -EACCES)
		whole = "the kernel refuses BPF programs";
	fprintf(out, "collectors (loaded and verified here, not attached):\n");
	for (size_t i = 0; i < NCOLLECTORS; i++) {
		enum ipcd_collector id = collectors[i].id;

		fprintf(out, "  %-9s ", ipcd_collector_name(id));
		if (whole)
			fprintf(out, "cannot load: %s (%s)\n", whole, strerror(-rc));
		else if (refused[id])
			fprintf(out, "cannot load: %s\n", strerror(-refused[id]));
		else if (refused_for_test(&collectors[i]))
			fprintf(out, "cannot attach: IPCD_TEST_REFUSE\n");
		else
			fprintf(out, "can load\n");
	}
}

int ipcd_tracer_start(struct ipcd_tracer *t, const struct ipcd_options *opts, const uint32_t *tree,
		      size_t tree_count, ipcd_record_fn on_record, void *ctx, FILE *err)
{
	int rc;

	memset(t, 0, sizeof(*t));
	libbpf_set_print(libbpf_quiet);
	list_collectors();
	if ((rc = check_environment(opts, err)))
		return rc;
	for (size_t i = 0; i < NCOLLECTORS; i++)
		t->wanted[collectors[i].id] = (opts->types & collectors[i].types) != 0;
	if (!any_enabled(t->wanted))
		return 0;
	/* Process bookkeeping serves every other collector. */
	t->wanted[IPCD_COLL_PROC] = true;
	if ((rc = load_collectors(t, opts, err)))
		return rc;
	if (ipcd_tracing_tree(opts) && !t->running[IPCD_COLL_PROC]) {
		complain(err, opts, "cannot follow a process tree: the proc collector did not load\n");
		return IPCD_EXIT_FAILURE;
	}
	fill_filter_maps(t, opts, tree, tree_count);
	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (t->running[collectors[i].id] && collectors[i].family && collectors[i].family->fill_maps)
			collectors[i].family->fill_maps(t->skel);
	ipcd_timing("fill maps");
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_record, ctx, NULL);
	if (!t->rb) {
		complain(err, opts, "cannot set up the ring buffer: %s\n", strerror(errno));
		return IPCD_EXIT_FAILURE;
	}
	for (size_t i = 0; i < NCOLLECTORS; i++) {
		const struct collector_desc *c = &collectors[i];
		const char *why = "";

		if (!t->running[c->id])
			continue;
		rc = attach_collector(t, c, &why);
		ipcd_timing(ipcd_collector_name(c->id));
		if (rc) {
			complain(err, opts, "warning: %s collector not attached (%s: %s); tracing the others\n",
				ipcd_collector_name(c->id), why, strerror(-rc));
			snprintf(t->why_not[c->id], sizeof(t->why_not[c->id]), "not attached (%s: %s)", why,
				 strerror(-rc));
			detach_collector(t, c);
			t->running[c->id] = false;
		}
	}
	if (ipcd_tracing_tree(opts) && !t->running[IPCD_COLL_PROC]) {
		complain(err, opts, "cannot follow a process tree: the proc collector did not attach\n");
		return IPCD_EXIT_FAILURE;
	}
	if (!any_event_collector(t->running)) {
		complain(err, opts, "no collector could be attached (set IPCD_DEBUG=1 for details)\n");
		return IPCD_EXIT_FAILURE;
	}
	__atomic_store_n(&t->skel->bss->tracing_state, IPCD_TRACING_LIVE, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * Unhooking a syscall tracepoint waits for an RCU grace period (about 70 ms
 * each here, one after the other): a child takes over the hooks and unhooks
 * them after ipcdump has exited.  Our own closes are then only dropped
 * references.  The hooks do nothing by then (tracing_state is stopped).
 */
static void unhook_in_background(struct ipcdump_bpf *skel)
{
	pid_t pid = fork();
	int null;

	if (pid != 0)
		return;  /* the parent, or fork failed: the parent unhooks itself */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		/* let whoever reads our output see its end now */
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	setsid();
	/* named apart, so that `pkill -x ipcdump` and tools counting tracers can tell */
	prctl(PR_SET_NAME, "ipcdump-unhook", 0, 0, 0);
	ipcdump_bpf__destroy(skel);
	_exit(0);
}

void ipcd_tracer_stop(struct ipcd_tracer *t)
{
	ring_buffer__free(t->rb);
	t->rb = NULL;
	if (t->skel) {
		__atomic_store_n(&t->skel->bss->tracing_state, IPCD_TRACING_STOPPED, __ATOMIC_SEQ_CST);
		unhook_in_background(t->skel);
	}
	ipcdump_bpf__destroy(t->skel);
	t->skel = NULL;
}

void ipcd_tracer_ignore_fd(struct ipcd_tracer *t, int fd)
{
	struct stat st;

	if (!t->skel || fstat(fd, &st))
		return;
	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (t->running[collectors[i].id] && collectors[i].family && collectors[i].family->ignore_fd)
			collectors[i].family->ignore_fd(t->skel, fd, &st);
}

int ipcd_tracer_poll(struct ipcd_tracer *t, int timeout_ms)
{
	int rc;

	if (!t->rb) {
		usleep(timeout_ms * 1000);
		return 0;
	}
	/*
	 * Sleeps until the ring fills up or the timeout; records written
	 * without a wakeup (most of them) are then taken by the consume.
	 */
	rc = ring_buffer__poll(t->rb, timeout_ms);
	if (rc < 0)
		return rc;
	return ring_buffer__consume(t->rb);
}

/* How long calls in flight at the stop get to finish their exits. */
#define STOP_GRACE_US 20000

void ipcd_tracer_quiesce(struct ipcd_tracer *t)
{
	if (!t->skel)
		return;
	__atomic_store_n(&t->skel->bss->tracing_state, IPCD_TRACING_STOPPED, __ATOMIC_SEQ_CST);
	usleep(STOP_GRACE_US);
}

int ipcd_tracer_drain(struct ipcd_tracer *t)
{
	return t->rb ? ring_buffer__consume(t->rb) : 0;
}

uint64_t ipcd_tracer_lost(const struct ipcd_tracer *t, enum ipcd_collector c)
{
	if (!t->skel || c >= IPCD_COLL_MAX)
		return 0;
	return __atomic_load_n(&t->skel->bss->counters.lost[c], __ATOMIC_RELAXED);
}

bool ipcd_tracer_pipe_read_offset(void *tracer, const struct ipcd_pipe_key *key, uint64_t *r_off)
{
	struct ipcd_tracer *t = tracer;

	if (!t->skel)
		return false;
	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (t->running[collectors[i].id] && collectors[i].family && collectors[i].family->read_offset &&
		    collectors[i].family->read_offset(t->skel, key, r_off))
			return true;
	return false;
}

void ipcd_tracer_describe(const struct ipcd_tracer *t, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NCOLLECTORS; i++) {
		const struct collector_desc *c = &collectors[i];

		if (!t->running[c->id] || !c->types)
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? ", " : "",
				 ipcd_collector_name(c->id));
	}
}
