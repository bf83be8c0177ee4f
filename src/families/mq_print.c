/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Message queues in text, JSON and CSV: SysV (key, msqid, mtype) and POSIX
 * (name, priority) messages, and, with --lifecycle, the queue's own calls
 * (mq-op: msgget, IPC_RMID, mq_open, mq_unlink, mq_notify).
 */
#include <inttypes.h>
#include "format/format.h"

static const struct ipcd_tok mq_op_names[] = {
	{ IPCD_MQOP_MSGGET, "msgget" }, { IPCD_MQOP_MSGRMID, "msgctl_rmid" },
	{ IPCD_MQOP_MQ_OPEN, "mq_open" }, { IPCD_MQOP_MQ_UNLINK, "mq_unlink" },
	{ IPCD_MQOP_MQ_NOTIFY, "mq_notify" },
	{ 0, NULL }
};

static const char *mq_op_name(uint32_t op)
{
	return ipcd_tok_name(mq_op_names, (int)op, "unknown");
}

/* The queue's own calls (--lifecycle), not messages: their mq_id holds the call's return value. */
static bool mq_is_op(const struct ipcd_event *e)
{
	return e->type == IPCD_TYPE_MQ_OP;
}

static void mq_text(struct text_kv *kv, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	char buf[IPCD_MQ_NAME_LEN + 2];

	(void)style;
	if (mq_is_op(e))
		text_kv_str(kv, "op", mq_op_name(e->mq_op));
	if (e->mq_has_key) {
		snprintf(buf, sizeof(buf), "0x%08x", (uint32_t)e->mq_key);
		text_kv_str(kv, "key", buf);
	}
	if (e->mq_kind == IPCD_MQ_SYSV && !mq_is_op(e))
		text_kv_i64(kv, "msqid", e->mq_id);
	if (e->mq_name) {
		snprintf(buf, sizeof(buf), "/%s", e->mq_name);
		text_kv_str(kv, "name", buf);
	}
	if (mq_is_op(e)) {
		text_kv_i64(kv, "result", e->mq_id);
		return;
	}
	if (e->mq_type >= 0)
		text_kv_i64(kv, e->mq_kind == IPCD_MQ_SYSV ? "mtype" : "prio", e->mq_type);
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	text_kv_flags(kv, e->flags);
}

static void mq_json(struct json_writer *jw, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	char buf[IPCD_MQ_NAME_LEN + 2];

	(void)style;
	if (mq_is_op(e))
		jw_kv_string(jw, "op", mq_op_name(e->mq_op));
	jw_key(jw, "key");
	if (e->mq_has_key)
		jw_int(jw, e->mq_key);
	else
		jw_null(jw);
	if (e->mq_kind == IPCD_MQ_SYSV && !mq_is_op(e))
		jw_kv_int(jw, "msqid", e->mq_id);
	if (e->mq_name) {
		snprintf(buf, sizeof(buf), "/%s", e->mq_name);
		jw_kv_string(jw, "name", buf);
	}
	if (mq_is_op(e)) {
		jw_kv_int(jw, "result", e->mq_id);
		return;
	}
	if (e->mq_kind == IPCD_MQ_SYSV)
		jw_kv_int(jw, "mtype", e->mq_type);
	else if (e->mq_type >= 0)
		jw_kv_int(jw, "prio", e->mq_type);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_flags(jw, e->flags);
}

static void mq_csv(struct csv_row *r, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	if (mq_is_op(e))
		row_str(r, CC_OP, mq_op_name(e->mq_op));
	if (e->mq_has_key)
		row_i64(r, CC_KEY, e->mq_key);
	if (e->mq_kind == IPCD_MQ_SYSV && !mq_is_op(e))
		row_i64(r, CC_MSQID, e->mq_id);
	if (e->mq_name) {
		snprintf(r->text, sizeof(r->text), "/%s", e->mq_name);
		row_str(r, CC_NAME, r->text);
	}
	if (mq_is_op(e))
		row_i64(r, CC_RESULT, e->mq_id);
	else if (e->mq_kind == IPCD_MQ_SYSV)
		row_i64(r, CC_MTYPE, e->mq_type);
	else if (e->mq_type >= 0)
		row_i64(r, CC_PRIO, e->mq_type);
}

/* A SysV queue by its id, a POSIX queue by its name. */
static void mq_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	if (e->type == IPCD_TYPE_MQ_SYSV)
		snprintf(buf, len, "msqid:%" PRId64, e->mq_id);
	else if (e->mq_name)
		snprintf(buf, len, "/%s", e->mq_name);
}

const struct ipcd_printer ipcd_mq_printer = {
	.text = mq_text,
	.json = mq_json,
	.csv = mq_csv,
	.channel = mq_channel,
};
