/* SPDX-License-Identifier: GPL-2.0 */
/* Pipes and FIFOs in text, JSON and CSV: the inode, a FIFO's path, latency. */
#include <inttypes.h>
#include "format/format.h"

static void pipe_text(struct text_kv *kv, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	text_kv_u64(kv, "pipe_inode", e->ino);
	if (e->path)
		text_kv_str(kv, "pipe_name", e->path);
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	text_kv_flags(kv, e->flags);
}

static void pipe_json(struct json_writer *jw, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	jw_kv_uint(jw, "pipe_inode", e->ino);
	if (e->path)
		jw_kv_string(jw, "pipe_name", e->path);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_calls(jw, e);
	json_flags(jw, e->flags);
}

static void pipe_csv(struct csv_row *r, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	row_u64(r, CC_PIPE_INODE, e->ino);
	row_str(r, CC_PIPE_NAME, e->path);
	row_calls(r, e);
}

/* A FIFO by its path, an anonymous pipe as /proc shows it: "pipe:[123]". */
static void pipe_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	if (e->path)
		snprintf(buf, len, "%s", e->path);
	else
		snprintf(buf, len, "pipe:[%" PRIu64 "]", e->ino);
}

const struct ipcd_printer ipcd_pipe_printer = {
	.text = pipe_text,
	.json = pipe_json,
	.csv = pipe_csv,
	.channel = pipe_channel,
};
