/* SPDX-License-Identifier: GPL-2.0 */
/* Pseudo-terminals: a write into one side, reported when the other side is next read. */
#include "engine/family.h"
#include "families/channel_keys.h"
#include "families/pty_events.h"

static void *pty_new(const struct ipcd_family_env *env)
{
	return pty_events_new(env->emit, env->emit_ctx);
}

static void pty_free(void *state)
{
	pty_events_free(state);
}

static void on_pty_io(void *state, const void *rec, size_t size)
{
	pty_events_io(state, rec, size);
}

static bool pty_io_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_pty_io))
		return false;
	*key = ipcd_pty_io_channel(rec);
	return true;
}

static void pty_expire(void *state, uint64_t now_ns, uint64_t max_age_ns)
{
	pty_events_expire(state, now_ns, max_age_ns);
}

static void pty_flush(void *state)
{
	pty_events_flush(state);
}

static uint64_t pty_dropped(const void *state)
{
	return pty_events_dropped(state);
}

static const struct ipcd_family_record pty_records[] = {
	{ IPCD_REC_PTY_IO, sizeof(struct ipcd_pty_io), "pty_io", on_pty_io, pty_io_channel },
	{ 0 },
};

static const struct ipcd_type_alias pty_aliases[] = {
	{ "t", "pty", NULL, IPCD_TYPE_BIT(IPCD_TYPE_PTY) },
	{ 0 },
};

const struct ipcd_family ipcd_family_pty = {
	.name = "pty",
	.collector = IPCD_COLL_PTY,
	.prog_prefix = "ipcd_pty_",
	.types = IPCD_TYPE_BIT(IPCD_TYPE_PTY),
	.aliases = pty_aliases,
	.names_rank = 2,
	.records = pty_records,
	.printer = NULL,  /* families/pty_print.c: ipcd_pty_printer, connected when it lands */
	.new = pty_new,
	.free = pty_free,
	.expire = pty_expire,
	.flush = pty_flush,
	.dropped = pty_dropped,
};
