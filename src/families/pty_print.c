/* SPDX-License-Identifier: GPL-2.0 */
/* Pseudo-terminals in text, JSON and CSV: the tty, which way the bytes went, its session. */
#include "format/format.h"

/* What the slave writes is the program's output; what the master writes, its input. */
static const char *pty_direction(const struct ipcd_event *e)
{
	return e->pty_writer_side == IPCD_PTY_SLAVE ? "output" : "input";
}

static const char *pty_writer_side(const struct ipcd_event *e)
{
	return e->pty_writer_side == IPCD_PTY_SLAVE ? "slave" : "master";
}

static void pty_text(struct text_kv *kv, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	char tty[32];

	(void)style;
	snprintf(tty, sizeof(tty), "/dev/pts/%u", e->pty_index);
	text_kv_str(kv, "tty", tty);
	text_kv_str(kv, "direction", pty_direction(e));
	if (e->pty_session)
		text_kv_u64(kv, "session", e->pty_session);
	if (e->pty_fg_pgrp)
		text_kv_u64(kv, "fg_pgrp", e->pty_fg_pgrp);
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	text_kv_flags(kv, e->flags);
}

static void pty_json(struct json_writer *jw, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	char tty[32];

	(void)style;
	snprintf(tty, sizeof(tty), "/dev/pts/%u", e->pty_index);
	jw_kv_string(jw, "tty", tty);
	jw_kv_string(jw, "direction", pty_direction(e));
	jw_kv_string(jw, "writer_side", pty_writer_side(e));
	jw_kv_uint(jw, "session", e->pty_session);
	jw_kv_uint(jw, "fg_pgrp", e->pty_fg_pgrp);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_calls(jw, e);
	json_flags(jw, e->flags);
}

static void pty_csv(struct csv_row *r, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	snprintf(r->text, sizeof(r->text), "/dev/pts/%u", e->pty_index);
	row_str(r, CC_TTY, r->text);
	row_str(r, CC_DIRECTION, pty_direction(e));
	row_str(r, CC_WRITER_SIDE, pty_writer_side(e));
	row_u64(r, CC_SESSION, e->pty_session);
	row_u64(r, CC_FG_PGRP, e->pty_fg_pgrp);
	row_calls(r, e);
}

static void pty_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/pts/%u", e->pty_index);
}

const struct ipcd_printer ipcd_pty_printer = {
	.text = pty_text,
	.json = pty_json,
	.csv = pty_csv,
	.channel = pty_channel,
};
