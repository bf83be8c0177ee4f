/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pipes and FIFOs.  Their join is the byte-stream join the engine owns and
 * lends (unix stream sockets and TCP go to it too): this family hands it the
 * pipe collector's records and settles it with the kernel's read counters.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include "engine/family.h"
#include "ipcdump.skel.h"  /* after records.h, whose types it uses */
#include "engine/stream_join.h"
#include "families/channel_keys.h"

struct pipe_family {
	struct stream_join *streams;
	pipe_read_offset_fn read_offset;
	void *read_offset_ctx;
};

static void *pipe_new(const struct ipcd_family_env *env)
{
	struct pipe_family *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->streams = env->streams;
	p->read_offset = env->pipe_read_offset;
	p->read_offset_ctx = env->read_offset_ctx;
	return p;
}

/* The stream join is the engine's: only this family's own state goes. */
static void pipe_free(void *state)
{
	free(state);
}

static void on_pipe_io(void *state, const void *rec, size_t size)
{
	struct pipe_family *p = state;
	const struct ipcd_pipe_io *io = rec;

	if (sizeof(*io) + io->payload_len <= size)
		stream_join_io(p->streams, io);
}

static void on_pipe_resync(void *state, const void *rec, size_t size)
{
	(void)size;
	stream_join_resync(((struct pipe_family *)state)->streams, rec);
}

static void on_fifo_path(void *state, const void *rec, size_t size)
{
	(void)size;
	stream_join_fifo_path(((struct pipe_family *)state)->streams, rec);
}

static bool pipe_io_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_pipe_io))
		return false;
	*key = ipcd_pipe_io_channel(rec);
	return true;
}

static bool pipe_resync_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_pipe_resync))
		return false;
	*key = ipcd_pipe_resync_channel(rec);
	return true;
}

static void pipe_expire(void *state, uint64_t now_ns, uint64_t max_age_ns)
{
	stream_join_expire(((struct pipe_family *)state)->streams, now_ns, max_age_ns);
}

static void pipe_collect(void *state)
{
	struct pipe_family *p = state;

	stream_join_collect(p->streams, p->read_offset, p->read_offset_ctx);
}

static void pipe_flush(void *state)
{
	struct pipe_family *p = state;

	stream_join_flush(p->streams, p->read_offset, p->read_offset_ctx);
}

static uint64_t pipe_dropped(const void *state)
{
	return stream_join_dropped(((const struct pipe_family *)state)->streams);
}

static uint64_t pipe_evicted(const void *state)
{
	return stream_join_evicted(((const struct pipe_family *)state)->streams);
}

/*
 * Past this many pipes in use at once, the least recently used lose their
 * byte counters, and their next bytes may not join.
 */
static void pipe_configure(struct ipcdump_bpf *skel, const struct ipcd_options *opts, bool enabled)
{
	bpf_map__set_max_entries(skel->maps.pipe_states, enabled ? opts->max_channels : 1);
}

static void pipe_ignore_fd(struct ipcdump_bpf *skel, int fd, const struct stat *st)
{
	struct ipcd_pipe_key key = {};
	uint8_t one = 1;

	(void)fd;
	if (!S_ISFIFO(st->st_mode))
		return;
	key.ino = st->st_ino;
	/* the kernel's dev_t encoding: 12 bits of major above 20 bits of minor */
	key.dev = (major(st->st_dev) << 20) | minor(st->st_dev);
	bpf_map_update_elem(bpf_map__fd(skel->maps.ignored_pipes), &key, &one, BPF_ANY);
}

/* The kernel's read counter of a pipe or FIFO. */
static bool pipe_read_offset(struct ipcdump_bpf *skel, const struct ipcd_pipe_key *key, uint64_t *r_off)
{
	struct ipcd_pipe_state pst;

	if (key->kind == IPCD_STREAM_UNIX || bpf_map_lookup_elem(bpf_map__fd(skel->maps.pipe_states), key, &pst))
		return false;
	*r_off = pst.r_off;
	return true;
}

static const struct ipcd_family_record pipe_records[] = {
	{ IPCD_REC_PIPE_IO, sizeof(struct ipcd_pipe_io), "pipe_io", on_pipe_io, pipe_io_channel },
	{ IPCD_REC_PIPE_RESYNC, sizeof(struct ipcd_pipe_resync), "pipe_resync", on_pipe_resync, pipe_resync_channel },
	{ IPCD_REC_FIFO_PATH, sizeof(struct ipcd_fifo_path), "fifo_path", on_fifo_path, NULL },
	{ 0 },
};

static const struct ipcd_type_alias pipe_aliases[] = {
	{ "p", "pipe", "fifo", IPCD_TYPE_BIT(IPCD_TYPE_PIPE) },
	{ 0 },
};

/* Its event types, by the names every format prints. */
static const struct ipcd_type_label pipe_type_labels[] = {
	{ IPCD_TYPE_PIPE, "pipe" },
	{ 0, NULL },
};

/* its printer: families/pipe_print.c */
extern const struct ipcd_printer ipcd_pipe_printer;

const struct ipcd_family ipcd_family_pipe = {
	.name = "pipe",
	.collector = IPCD_COLL_PIPE,
	.prog_prefix = "ipcd_pipe_",
	.types = IPCD_TYPE_BIT(IPCD_TYPE_PIPE),
	.type_labels = pipe_type_labels,
	.aliases = pipe_aliases,
	.names_rank = 4,
	.records = pipe_records,
	.printer = &ipcd_pipe_printer,
	.configure = pipe_configure,
	.ignore_fd = pipe_ignore_fd,
	.read_offset = pipe_read_offset,
	.new = pipe_new,
	.free = pipe_free,
	.expire = pipe_expire,
	.collect = pipe_collect,
	.flush = pipe_flush,
	.dropped = pipe_dropped,
	.evicted = pipe_evicted,
};
