/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared memory: who maps which object, and the handoffs through the
 * kernel between its sharers (futex wakes, SysV semaphore releases).
 */
#include "engine/family.h"
#include "families/channel_keys.h"
#include "families/shm_events.h"

static void *shm_new(const struct ipcd_family_env *env)
{
	return shm_events_new(env->emit, env->emit_ctx);
}

static void shm_free(void *state)
{
	shm_events_free(state);
}

static void on_shm_op(void *state, const void *rec, size_t size)
{
	(void)size;
	shm_events_op(state, rec);
}

static void on_futex(void *state, const void *rec, size_t size)
{
	(void)size;
	shm_events_futex(state, rec);
}

static void on_semop(void *state, const void *rec, size_t size)
{
	(void)size;
	shm_events_semop(state, rec);
}

static bool futex_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_futex))
		return false;
	*key = ipcd_futex_channel(rec);
	return true;
}

static bool semop_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_semop))
		return false;
	*key = ipcd_semop_channel(rec);
	return true;
}

static void shm_expire(void *state, uint64_t now_ns, uint64_t max_age_ns)
{
	shm_events_expire(state, now_ns, max_age_ns);
}

static void shm_flush(void *state)
{
	shm_events_flush(state);
}

/* A process gone maps nothing. */
static void shm_process_exited(void *state, uint32_t pid)
{
	shm_events_exited(state, pid);
}

/* Mappings are kept whole by a filtered capture: they say who shares an object. */
static const struct ipcd_family_record shm_records[] = {
	{ IPCD_REC_SHM_OP, sizeof(struct ipcd_shm_op), "shm_op", on_shm_op, NULL },
	{ IPCD_REC_FUTEX, sizeof(struct ipcd_futex), "futex", on_futex, futex_channel },
	{ IPCD_REC_SEMOP, sizeof(struct ipcd_semop), "semop", on_semop, semop_channel },
	{ 0 },
};

static const struct ipcd_type_alias shm_aliases[] = {
	{ "shm", "shared-memory", NULL, IPCD_TYPE_BIT(IPCD_TYPE_SHM) },
	{ 0 },
};

/* Its event types, by the names every format prints. */
static const struct ipcd_type_label shm_type_labels[] = {
	{ IPCD_TYPE_SHM, "shm" },
	{ 0, NULL },
};

/* its printer: families/shm_print.c */
extern const struct ipcd_printer ipcd_shm_printer;

const struct ipcd_family ipcd_family_shm = {
	.name = "shm",
	.collector = IPCD_COLL_SHM,
	.prog_prefix = "ipcd_shm_",
	.types = IPCD_TYPE_BIT(IPCD_TYPE_SHM),
	.type_labels = shm_type_labels,
	.aliases = shm_aliases,
	.names_rank = 6,
	.records = shm_records,
	.printer = &ipcd_shm_printer,
	.new = shm_new,
	.free = shm_free,
	.expire = shm_expire,
	.flush = shm_flush,
	.process_exited = shm_process_exited,
};
