/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON Lines: one object per event, {time, ts_ns, type, src_*, dst_*,
 * size, meta: {the family's keys}, bytes (with -x)}.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "format/writer.h"

static void json_time(struct ipcd_output *o, uint64_t mono_ns)
{
	struct tm tm;
	long nsec;
	char buf[64], zone[8];

	output_wall_time(o, mono_ns, &tm, &nsec);
	strftime(zone, sizeof(zone), "%z", &tm);
	/* RFC 3339: +hh:mm, not +hhmm */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%.3s:%.2s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 nsec, zone, zone + 3);
	jw_kv_string(&o->jw, "time", buf);
	/* monotonic nanoseconds as a string: jq reads big numbers as doubles */
	snprintf(buf, sizeof(buf), "%" PRIu64, mono_ns);
	jw_kv_string(&o->jw, "ts_ns", buf);
}

static void json_endpoint(struct json_writer *jw, const char *side, const struct ipcd_endpoint *ep)
{
	char key[16];

	snprintf(key, sizeof(key), "%s_pid", side);
	jw_kv_int(jw, key, ep->pid);
	snprintf(key, sizeof(key), "%s_tid", side);
	jw_kv_int(jw, key, ep->tid);
	snprintf(key, sizeof(key), "%s_ppid", side);
	jw_kv_int(jw, key, ep->ppid);
	snprintf(key, sizeof(key), "%s_comm", side);
	jw_key(jw, key);
	if (ep->pid < 0 || !ep->comm[0])
		jw_null(jw);
	else
		jw_string_n(jw, ep->comm, strnlen(ep->comm, sizeof(ep->comm)));
	snprintf(key, sizeof(key), "%s_pcomm", side);
	jw_key(jw, key);
	if (ep->pid < 0 || !ep->pcomm[0])
		jw_null(jw);
	else
		jw_string_n(jw, ep->pcomm, strnlen(ep->pcomm, sizeof(ep->pcomm)));
}

void json_flags(struct json_writer *jw, uint32_t flags)
{
	jw_key(jw, "flags");
	jw_array_begin(jw);
	for (size_t i = 0; i < ipcd_flag_count; i++)
		if (flags & ipcd_flag_names[i].flag)
			jw_string(jw, ipcd_flag_names[i].name);
	jw_array_end(jw);
}

void json_string_or_null(struct json_writer *jw, const char *key, const char *value)
{
	jw_key(jw, key);
	if (value)
		jw_string(jw, value);
	else
		jw_null(jw);
}

void json_calls(struct json_writer *jw, const struct ipcd_event *e)
{
	const char *call;

	if (e->src_fd >= 0)
		jw_kv_int(jw, "src_fd", e->src_fd);
	if (e->dst_fd >= 0)
		jw_kv_int(jw, "dst_fd", e->dst_fd);
	if ((call = ipcd_pipe_call_name(e->src_call)))
		jw_kv_string(jw, "src_call", call);
	if ((call = ipcd_pipe_call_name(e->dst_call)))
		jw_kv_string(jw, "dst_call", call);
}

/* Lost events have no ends: the collector and the count. */
static void json_lost(struct json_writer *jw, const struct ipcd_event *e)
{
	jw_kv_string(jw, "collector", ipcd_collector_name(e->lost_collector));
	jw_kv_uint(jw, "count", e->lost_count);
}

static void json_meta(struct ipcd_output *o, const struct ipcd_event *e)
{
	const struct ipcd_printer *printer = ipcd_printer_of_type(e->type);

	jw_key(&o->jw, "meta");
	jw_object_begin(&o->jw);
	if (printer && printer->json) {
		struct ipcd_print_style style = output_print_style(o);

		printer->json(&o->jw, e, &style);
	}
	jw_object_end(&o->jw);
}

void ipcd_json_write(struct ipcd_output *o, const struct ipcd_event *e)
{
	struct json_writer *jw = &o->jw;

	jw_object_begin(jw);
	json_time(o, e->ts_ns);
	jw_kv_string(jw, "type", ipcd_type_name(e->type));
	if (e->type == IPCD_TYPE_LOST) {
		json_lost(jw, e);
	} else {
		json_endpoint(jw, "src", &e->src);
		json_endpoint(jw, "dst", &e->dst);
		jw_kv_uint(jw, "size", e->bytes);
		json_meta(o, e);
		if (o->dump_bytes && (e->payload_len || e->bytes)) {
			jw_key(jw, "bytes");
			jw_base64(jw, e->payload, e->payload_len);
		}
	}
	jw_object_end(jw);
	jw_end_line(jw);
}
