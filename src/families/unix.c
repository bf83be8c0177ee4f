/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unix sockets: stream sends and receives joined in the engine's stream
 * join, datagrams and seqpackets in the family's message join, socket names
 * and passed descriptors; connect, accept, shutdown and close with
 * --lifecycle.
 */
#include <bpf/bpf.h>
#include "engine/family.h"
#include "ipcdump.skel.h"  /* after records.h, whose types it uses */
#include "families/channel_keys.h"
#include "families/unix_events.h"

#define UNIX_DATA_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM) | IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM) | \
			 IPCD_TYPE_BIT(IPCD_TYPE_UNIX_SEQPACKET))

static void *unix_new(const struct ipcd_family_env *env)
{
	return unix_events_new(env->streams, env->emit, env->emit_ctx, env->comm, env->comm_ctx);
}

static void unix_free(void *state)
{
	unix_events_free(state);
}

static void on_unix_io(void *state, const void *rec, size_t size)
{
	unix_events_io(state, rec, size);
}

static void on_unix_name(void *state, const void *rec, size_t size)
{
	(void)size;
	unix_events_name(state, rec);
}

static void on_passed_fd(void *state, const void *rec, size_t size)
{
	(void)size;
	unix_events_passed_fd(state, rec);
}

static void on_unix_conn(void *state, const void *rec, size_t size)
{
	(void)size;
	unix_events_conn(state, rec);
}

static bool unix_io_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_unix_io))
		return false;
	*key = ipcd_unix_io_channel(rec);
	return true;
}

static void unix_expire(void *state, uint64_t now_ns, uint64_t max_age_ns)
{
	unix_events_expire(state, now_ns, max_age_ns);
}

static void unix_flush(void *state)
{
	unix_events_flush(state);
}

/* Data events name their sockets by cookie; lifecycle events carry their names. */
static void unix_describe(const void *state, struct ipcd_event *e)
{
	if (IPCD_TYPE_BIT(e->type) & UNIX_DATA_TYPES)
		unix_events_describe(state, e);
}

static uint64_t unix_dropped(const void *state)
{
	return msg_join_dropped(unix_events_messages((struct unix_events *)state));
}

static uint64_t unix_evicted(const void *state)
{
	return msg_join_evicted(unix_events_messages((struct unix_events *)state));
}

/* The socket types the collector reports, as bits 1 << SOCK_*. */
static uint32_t unix_sock_types(uint32_t types)
{
	uint32_t bits = 0;

	if (types & IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM))
		bits |= 1u << IPCD_SOCK_STREAM;
	if (types & IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM))
		bits |= 1u << IPCD_SOCK_DGRAM;
	if (types & IPCD_TYPE_BIT(IPCD_TYPE_UNIX_SEQPACKET))
		bits |= 1u << IPCD_SOCK_SEQPACKET;
	return bits;
}

/*
 * Past this many sockets in use at once, the least recently used lose their
 * byte counters, and their next bytes may not join.
 */
static void unix_configure(struct ipcdump_bpf *skel, const struct ipcd_options *opts, bool enabled)
{
	uint32_t channels = enabled ? opts->max_channels : 1;

	skel->rodata->cfg_unix_lifecycle = opts->lifecycle;
	skel->rodata->cfg_unix_sock_types = unix_sock_types(opts->types);
	bpf_map__set_max_entries(skel->maps.unix_states, channels);
	bpf_map__set_max_entries(skel->maps.new_socks, channels);
}

/* The kernel's read counter of a unix stream socket. */
static bool unix_read_offset(struct ipcdump_bpf *skel, const struct ipcd_pipe_key *key, uint64_t *r_off)
{
	struct ipcd_unix_stream_state ust;

	if (key->kind != IPCD_STREAM_UNIX ||
	    bpf_map_lookup_elem(bpf_map__fd(skel->maps.unix_states), &key->ino, &ust))
		return false;
	*r_off = ust.r_off;
	return true;
}

static const struct ipcd_family_record unix_records[] = {
	{ IPCD_REC_UNIX_IO, sizeof(struct ipcd_unix_io), "unix_io", on_unix_io, unix_io_channel },
	{ IPCD_REC_UNIX_NAME, sizeof(struct ipcd_unix_name), "unix_name", on_unix_name, NULL },
	{ IPCD_REC_PASSED_FD, sizeof(struct ipcd_passed_fd), "passed_fd", on_passed_fd, NULL },
	{ IPCD_REC_UNIX_CONN, sizeof(struct ipcd_unix_conn), "unix_conn", on_unix_conn, NULL },
	{ 0 },
};

static const struct ipcd_type_alias unix_aliases[] = {
	{ "u", "unix", NULL, UNIX_DATA_TYPES },
	{ "ud", "unix-dgram", NULL, IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM) },
	{ "us", "unix-stream", NULL, IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM) },
	{ "uq", "unix-seqpacket", NULL, IPCD_TYPE_BIT(IPCD_TYPE_UNIX_SEQPACKET) },
	{ 0 },
};

/* Its event types, by the names every format prints. */
static const struct ipcd_type_label unix_type_labels[] = {
	{ IPCD_TYPE_UNIX_STREAM, "unix-stream" },
	{ IPCD_TYPE_UNIX_DGRAM, "unix-dgram" },
	{ IPCD_TYPE_UNIX_SEQPACKET, "unix-seqpacket" },
	{ IPCD_TYPE_UNIX_CONN, "unix-conn" },
	{ 0, NULL },
};

/* its printer: families/unix_print.c */
extern const struct ipcd_printer ipcd_unix_printer;

const struct ipcd_family ipcd_family_unix = {
	.name = "unix",
	.collector = IPCD_COLL_UNIX,
	.prog_prefix = "ipcd_unix_",
	.shared_prog_prefix = "ipcd_sock_",
	.types = UNIX_DATA_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_UNIX_CONN),
	.type_labels = unix_type_labels,
	.lifecycle_types = IPCD_TYPE_BIT(IPCD_TYPE_UNIX_CONN),
	.aliases = unix_aliases,
	.names_rank = 1,
	.records = unix_records,
	.printer = &ipcd_unix_printer,
	.configure = unix_configure,
	.read_offset = unix_read_offset,
	.new = unix_new,
	.free = unix_free,
	.expire = unix_expire,
	.flush = unix_flush,
	.describe = unix_describe,
	.dropped = unix_dropped,
	.evicted = unix_evicted,
};
