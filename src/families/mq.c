/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Message queues, SysV and POSIX: each receive paired with the send it
 * took; queue opens, creations and removals with --lifecycle.
 */
#include <stdio.h>
#include <bpf/bpf.h>
#include "engine/family.h"
#include "ipcdump.skel.h"  /* after records.h, whose types it uses */
#include "families/channel_keys.h"
#include "families/mq_events.h"

#define MQ_DATA_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_MQ_SYSV) | IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX))
#define SYSVIPC_MSG "/proc/sysvipc/msg"

static void *mq_new(const struct ipcd_family_env *env)
{
	return mq_events_new(env->emit, env->emit_ctx, SYSVIPC_MSG);
}

static void mq_free(void *state)
{
	mq_events_free(state);
}

static void on_mq_io(void *state, const void *rec, size_t size)
{
	mq_events_io(state, rec, size);
}

static void on_mq_op(void *state, const void *rec, size_t size)
{
	(void)size;
	mq_events_op(state, rec);
}

static bool mq_io_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_mq_io))
		return false;
	*key = ipcd_mq_io_channel(rec);
	return true;
}

static void mq_expire(void *state, uint64_t now_ns, uint64_t max_age_ns)
{
	mq_events_expire(state, now_ns, max_age_ns);
}

static void mq_flush(void *state)
{
	mq_events_flush(state);
}

static uint64_t mq_dropped(const void *state)
{
	return mq_events_dropped(state);
}

static void mq_configure(struct ipcdump_bpf *skel, const struct ipcd_options *opts, bool enabled)
{
	(void)enabled;
	skel->rodata->cfg_mq_lifecycle = opts->lifecycle;
	skel->rodata->cfg_mq_kinds = ((opts->types & IPCD_TYPE_BIT(IPCD_TYPE_MQ_SYSV)) ? 1u << IPCD_MQ_SYSV : 0) |
				     ((opts->types & IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX)) ? 1u << IPCD_MQ_POSIX : 0);
}

/* The keys of the SysV queues that exist already; msgget teaches the collector the rest. */
static void mq_fill_maps(struct ipcdump_bpf *skel)
{
	int map = bpf_map__fd(skel->maps.sysv_keys);
	FILE *f = fopen(SYSVIPC_MSG, "re");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		long long key, id;
		int32_t k, i;

		if (sscanf(line, "%lld %lld", &key, &id) != 2)
			continue;
		k = (int32_t)key;
		i = (int32_t)id;
		bpf_map_update_elem(map, &i, &k, BPF_ANY);
	}
	fclose(f);
}

static const struct ipcd_family_record mq_records[] = {
	{ IPCD_REC_MQ_IO, sizeof(struct ipcd_mq_io), "mq_io", on_mq_io, mq_io_channel },
	{ IPCD_REC_MQ_OP, sizeof(struct ipcd_mq_op), "mq_op", on_mq_op, NULL },
	{ 0 },
};

static const struct ipcd_type_alias mq_aliases[] = {
	{ "mq", "msgqueue", NULL, MQ_DATA_TYPES },
	{ "mqs", "mq-sysv", NULL, IPCD_TYPE_BIT(IPCD_TYPE_MQ_SYSV) },
	{ "mqp", "mq-posix", NULL, IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX) },
	{ 0 },
};

/* Its event types, by the names every format prints. */
static const struct ipcd_type_label mq_type_labels[] = {
	{ IPCD_TYPE_MQ_SYSV, "mq-sysv" },
	{ IPCD_TYPE_MQ_POSIX, "mq-posix" },
	{ IPCD_TYPE_MQ_OP, "mq-op" },
	{ 0, NULL },
};

/* its printer: families/mq_print.c */
extern const struct ipcd_printer ipcd_mq_printer;

const struct ipcd_family ipcd_family_mq = {
	.name = "mq",
	.collector = IPCD_COLL_MQ,
	.prog_prefix = "ipcd_mq_",
	.types = MQ_DATA_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_MQ_OP),
	.type_labels = mq_type_labels,
	.lifecycle_types = IPCD_TYPE_BIT(IPCD_TYPE_MQ_OP),
	.aliases = mq_aliases,
	.names_rank = 5,
	.records = mq_records,
	.printer = &ipcd_mq_printer,
	.configure = mq_configure,
	.fill_maps = mq_fill_maps,
	.new = mq_new,
	.free = mq_free,
	.expire = mq_expire,
	.flush = mq_flush,
	.dropped = mq_dropped,
};
