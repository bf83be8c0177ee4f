/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON Lines: one object per event, {time, ts_ns, type, src_*, dst_*,
 * size, meta: {the family's keys}, bytes (with -x)}.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "format/writer.h"

/*
 * The digits of v, zero-padded to width, before end; returns where they
 * start.  By hand, not snprintf: the time is written for every event, and
 * printf's parsing showed in the daemon's profile.
 */
static char *digits_before(char *end, uint64_t v, int width)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (--width > 0 || v);
	return end;
}

/* RFC 3339 with nanoseconds and the zone as +hh:mm: "2026-12-01T03:04:05.000000123+00:00". */
static void format_time(char *buf, size_t size, const struct tm *tm, long nsec)
{
	long off = tm->tm_gmtoff;
	char *p = buf + size;

	*--p = '\0';
	p = digits_before(p, (uint64_t)(labs(off) / 60 % 60), 2);
	*--p = ':';
	p = digits_before(p, (uint64_t)(labs(off) / 3600 % 100), 2);
	*--p = off < 0 ? '-' : '+';
	p = digits_before(p, (uint64_t)nsec, 9);
	*--p = '.';
	p = digits_before(p, (uint64_t)tm->tm_sec, 2);
	*--p = ':';
	p = digits_before(p, (uint64_t)tm->tm_min, 2);
	*--p = ':';
	p = digits_before(p, (uint64_t)tm->tm_hour, 2);
	*--p = 'T';
	p = digits_before(p, (uint64_t)tm->tm_mday, 2);
	*--p = '-';
	p = digits_before(p, (uint64_t)tm->tm_mon + 1, 2);
	*--p = '-';
	p = digits_before(p, (uint64_t)(tm->tm_year + 1900), 4);
	memmove(buf, p, (size_t)(buf + size - p));
}

static void json_time(struct ipcd_output *o, uint64_t mono_ns)
{
	struct tm tm;
	long nsec;
	char buf[64], *ts;

	output_wall_time(o, mono_ns, &tm, &nsec);
	format_time(buf, sizeof(buf), &tm, nsec);
	jw_kv_string(&o->jw, "time", buf);
	/* monotonic nanoseconds as a string: jq reads big numbers as doubles */
	buf[sizeof(buf) - 1] = '\0';
	ts = digits_before(buf + sizeof(buf) - 1, mono_ns, 1);
	jw_kv_string(&o->jw, "ts_ns", ts);
}

/* An endpoint's keys, spelled out: built with snprintf they cost more than their values. */
struct endpoint_keys {
	const char *pid, *tid, *ppid, *comm, *pcomm;
};

static const struct endpoint_keys src_keys = { "src_pid", "src_tid", "src_ppid", "src_comm", "src_pcomm" };
static const struct endpoint_keys dst_keys = { "dst_pid", "dst_tid", "dst_ppid", "dst_comm", "dst_pcomm" };

static void json_endpoint(struct json_writer *jw, const struct endpoint_keys *key, const struct ipcd_endpoint *ep)
{
	jw_kv_int(jw, key->pid, ep->pid);
	jw_kv_int(jw, key->tid, ep->tid);
	jw_kv_int(jw, key->ppid, ep->ppid);
	jw_key(jw, key->comm);
	if (ep->pid < 0 || !ep->comm[0])
		jw_null(jw);
	else
		jw_string_n(jw, ep->comm, strnlen(ep->comm, sizeof(ep->comm)));
	jw_key(jw, key->pcomm);
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
		json_endpoint(jw, &src_keys, &e->src);
		json_endpoint(jw, &dst_keys, &e->dst);
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
