/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared memory in text, JSON and CSV: the object (SysV key and shmid, or
 * a file or memfd's name), who maps it, and the futex wakes and semaphore
 * posts that hand it from one process to another.
 */
#include <inttypes.h>
#include <string.h>
#include "format/format.h"

static const struct ipcd_tok shm_op_names[] = {
	{ IPCD_SHMOP_SHMGET, "shmget" }, { IPCD_SHMOP_ATTACH, "attach" },
	{ IPCD_SHMOP_DETACH, "detach" }, { IPCD_SHMOP_REMOVE, "remove" },
	{ IPCD_SHMOP_MEMFD, "memfd_create" }, { IPCD_SHMOP_FUTEX_WAKE, "futex_wake" },
	{ IPCD_SHMOP_SEM_POST, "semop" },
	{ 0, NULL }
};

static const char *shm_op_name(uint32_t op)
{
	return ipcd_tok_name(shm_op_names, (int)op, "unknown");
}

/* The ops after which an event lists the processes mapping the object. */
static bool shm_op_has_sharers(uint32_t op)
{
	return op == IPCD_SHMOP_ATTACH || op == IPCD_SHMOP_DETACH || op == IPCD_SHMOP_FUTEX_WAKE;
}

/* ---- text ----------------------------------------------------------- */

static void text_sharers(struct text_kv *kv, const struct ipcd_event *e)
{
	if (e->shm_nsharers) {
		text_kv_key(kv, "sharers");
		for (uint32_t i = 0; i < e->shm_nsharers; i++) {
			if (i)
				text_kv_part_char(kv, ',');
			text_kv_part_u64(kv, e->shm_sharers[i]);
		}
	} else if (shm_op_has_sharers(e->shm_op)) {
		/* mapped before tracing began, or by processes gone: not "nobody" */
		text_kv_str(kv, "sharers", "unknown");
	}
}

static void text_sem_post(struct text_kv *kv, const struct ipcd_event *e)
{
	text_kv_i64(kv, "semid", e->shm_id);
	text_kv_u64(kv, "semnum", e->shm_offset);
	text_kv_u64(kv, "latency_ns", e->latency_ns);
}

static void shm_text(struct text_kv *kv, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	char buf[32];

	(void)style;
	text_kv_str(kv, "op", shm_op_name(e->shm_op));
	if (e->shm_has_key) {
		snprintf(buf, sizeof(buf), "0x%08x", (uint32_t)e->shm_key);
		text_kv_str(kv, "key", buf);
	}
	if (e->shm_op == IPCD_SHMOP_SEM_POST) {
		text_sem_post(kv, e);
		return;
	}
	if (e->shm_sysv && e->shm_id >= 0)
		text_kv_i64(kv, "shmid", e->shm_id);
	if (e->shm_name && !e->shm_sysv)
		text_kv_str(kv, "name", e->shm_name);
	if (e->shm_op == IPCD_SHMOP_FUTEX_WAKE) {
		text_kv_u64(kv, "offset", e->shm_offset);
		if (e->flags & IPCD_EF_HAS_LATENCY)
			text_kv_u64(kv, "latency_ns", e->latency_ns);
	} else if (e->shm_size) {
		text_kv_u64(kv, "size", e->shm_size);
	}
	text_sharers(kv, e);
	text_kv_flags(kv, e->flags);
}

/* ---- JSON ----------------------------------------------------------- */

static void json_sharers(struct json_writer *jw, const struct ipcd_event *e)
{
	/* none known is not an empty list: the object may be mapped by processes not seen mapping it */
	jw_kv_bool(jw, "sharers_known", e->shm_nsharers > 0);
	jw_key(jw, "sharers");
	if (e->shm_nsharers) {
		jw_array_begin(jw);
		for (uint32_t i = 0; i < e->shm_nsharers; i++)
			jw_int(jw, e->shm_sharers[i]);
		jw_array_end(jw);
	} else {
		jw_null(jw);
	}
}

static void shm_json(struct json_writer *jw, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	jw_kv_string(jw, "op", shm_op_name(e->shm_op));
	if (e->shm_op == IPCD_SHMOP_SEM_POST) {
		jw_kv_int(jw, "semid", e->shm_id);
		jw_kv_uint(jw, "semnum", e->shm_offset);
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
		return;
	}
	jw_kv_string(jw, "kind", e->shm_sysv ? "sysv" : "file");
	jw_key(jw, "key");
	if (e->shm_has_key)
		jw_int(jw, e->shm_key);
	else
		jw_null(jw);
	if (e->shm_sysv && e->shm_id >= 0)
		jw_kv_int(jw, "shmid", e->shm_id);
	json_string_or_null(jw, "name", e->shm_sysv ? NULL : e->shm_name);
	jw_kv_uint(jw, "size", e->shm_size);
	if (e->shm_addr)
		jw_kv_uint(jw, "addr", e->shm_addr);
	if (e->shm_op == IPCD_SHMOP_FUTEX_WAKE)
		jw_kv_uint(jw, "offset", e->shm_offset);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_sharers(jw, e);
	json_flags(jw, e->flags);
}

/* ---- CSV ------------------------------------------------------------ */

/* "12;34": the pids mapping the object, however many. */
static void csv_sharers(FILE *out, const struct ipcd_event *e)
{
	for (uint32_t i = 0; i < e->shm_nsharers; i++) {
		if (i)
			fputc_unlocked(';', out);
		put_u64(out, e->shm_sharers[i]);
	}
}

static void shm_csv(struct csv_row *r, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	row_str(r, CC_OP, shm_op_name(e->shm_op));
	if (e->shm_op == IPCD_SHMOP_SEM_POST) {
		row_i64(r, CC_SEMID, e->shm_id);
		row_u64(r, CC_SEMNUM, e->shm_offset);
		/* a semaphore post's latency is always there, as in JSON */
		r->has_latency = true;
		return;
	}
	row_str(r, CC_KIND, e->shm_sysv ? "sysv" : "file");
	if (e->shm_has_key)
		row_i64(r, CC_KEY, e->shm_key);
	if (e->shm_sysv && e->shm_id >= 0)
		row_i64(r, CC_SHMID, e->shm_id);
	row_str(r, CC_NAME, e->shm_sysv ? NULL : e->shm_name);
	row_u64(r, CC_SHM_SIZE, e->shm_size);
	if (e->shm_addr)
		row_u64(r, CC_ADDR, e->shm_addr);
	if (e->shm_op == IPCD_SHMOP_FUTEX_WAKE)
		row_u64(r, CC_OFFSET, e->shm_offset);
	row_writer(r, CC_SHARERS, csv_sharers);
	row_str(r, CC_SHARERS_KNOWN, e->shm_nsharers ? "true" : "false");
}

/*
 * Shared memory as its users know it: a SysV segment by key and id, a memfd
 * by its name, a shared mapping of /dev/zero or MAP_ANONYMOUS (the kernel
 * names its file "dev/zero") as anonymous, a file by its name.
 */
static void shm_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	if (e->shm_op == IPCD_SHMOP_SEM_POST)
		snprintf(buf, len, "sysv semid %" PRId64, e->shm_id);
	else if (e->shm_sysv && e->shm_has_key && e->shm_key && e->shm_id >= 0)
		snprintf(buf, len, "sysv key 0x%08x shmid %" PRId64, (uint32_t)e->shm_key, e->shm_id);
	else if (e->shm_sysv && e->shm_id >= 0)
		snprintf(buf, len, "sysv shmid %" PRId64, e->shm_id);   /* IPC_PRIVATE, or a key not seen */
	else if (e->shm_name && !strcmp(e->shm_name, "dev/zero"))
		snprintf(buf, len, "anonymous shared memory:[%" PRIu64 "]", e->chan_key);
	else if (e->shm_name)
		snprintf(buf, len, "%s", e->shm_name);
	else if (e->chan_key)
		snprintf(buf, len, "shared memory:[%" PRIu64 "]", e->chan_key);   /* mapped before tracing */
}

const struct ipcd_printer ipcd_shm_printer = {
	.text = shm_text,
	.json = shm_json,
	.csv = shm_csv,
	.channel = shm_channel,
};
