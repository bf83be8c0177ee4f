/* SPDX-License-Identifier: GPL-2.0 */
/* Signals in text, JSON and CSV: number and name, si_code, what became of it. */
#include "families/signal_names.h"
#include "format/format.h"

static void signal_text(struct text_kv *kv, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	char buf[24];

	(void)style;
	text_kv_i64(kv, "num", e->sig);
	text_kv_str(kv, "name", ipcd_signal_name(e->sig, buf, sizeof(buf)));
	text_kv_str(kv, "code", ipcd_signal_code_name(e->code));
	if (e->sig_flags & IPCD_SIGF_HAS_VALUE)
		text_kv_u64(kv, "value", e->value);
	text_kv_str(kv, "result", ipcd_signal_result_name(e->result));
	if (e->result == IPCD_SIG_FAILED)
		text_kv_str(kv, "error", ipcd_error_name(e->error));
	if (e->sig_flags & IPCD_SIGF_BLOCKED)
		text_kv_str(kv, "blocked", "yes");
	if (e->sig_flags & IPCD_SIGF_KERNEL)
		text_kv_str(kv, "origin", "kernel");
}

/* A timer's signal comes from the kernel on behalf of the timer's owner, the sender shown. */
static const char *signal_text_src_note(const struct ipcd_event *e)
{
	return e->sig_flags & IPCD_SIGF_TIMER_OWNER ? " (timer owner)" : NULL;
}

static void signal_json(struct json_writer *jw, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	char buf[24];

	(void)style;
	jw_kv_int(jw, "num", e->sig);
	jw_kv_string(jw, "name", ipcd_signal_name(e->sig, buf, sizeof(buf)));
	jw_kv_int(jw, "code", e->code);
	jw_kv_string(jw, "code_name", ipcd_signal_code_name(e->code));
	if (e->sig_flags & IPCD_SIGF_HAS_VALUE)
		jw_kv_uint(jw, "value", e->value);
	jw_kv_string(jw, "result", ipcd_signal_result_name(e->result));
	if (e->result == IPCD_SIG_FAILED)
		jw_kv_string(jw, "error", ipcd_error_name(e->error));
	jw_kv_bool(jw, "blocked", e->sig_flags & IPCD_SIGF_BLOCKED);
	jw_kv_bool(jw, "group", e->sig_flags & IPCD_SIGF_GROUP);
	jw_kv_bool(jw, "kernel", e->sig_flags & IPCD_SIGF_KERNEL);
	jw_kv_bool(jw, "src_is_timer_owner", e->sig_flags & IPCD_SIGF_TIMER_OWNER);
}

static void signal_csv(struct csv_row *r, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	row_i64(r, CC_NUM, e->sig);
	row_str(r, CC_NAME, ipcd_signal_name(e->sig, r->text, sizeof(r->text)));
	row_i64(r, CC_CODE, e->code);
	row_str(r, CC_CODE_NAME, ipcd_signal_code_name(e->code));
	if (e->sig_flags & IPCD_SIGF_HAS_VALUE)
		row_u64(r, CC_VALUE, e->value);
	row_str(r, CC_RESULT, ipcd_signal_result_name(e->result));
	if (e->result == IPCD_SIG_FAILED)
		row_str(r, CC_ERROR, ipcd_error_name(e->error));
	row_bool(r, CC_BLOCKED, e->sig_flags & IPCD_SIGF_BLOCKED);
	row_bool(r, CC_GROUP, e->sig_flags & IPCD_SIGF_GROUP);
	row_bool(r, CC_KERNEL, e->sig_flags & IPCD_SIGF_KERNEL);
	row_bool(r, CC_SRC_IS_TIMER_OWNER, e->sig_flags & IPCD_SIGF_TIMER_OWNER);
}

/* A signal's channel is the signal itself: "SIGUSR1". */
static void signal_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	char name[64];

	snprintf(buf, len, "%s", ipcd_signal_name(e->sig, name, sizeof(name)));
}

const struct ipcd_printer ipcd_signal_printer = {
	.text = signal_text,
	.text_src_note = signal_text_src_note,
	.json = signal_json,
	.csv = signal_csv,
	.channel = signal_channel,
};
