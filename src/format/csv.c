/* SPDX-License-Identifier: GPL-2.0 */
/* CSV: a header, then one row per event with fixed columns (RFC 4180 quoting). */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "format/channel.h"
#include "format/writer.h"

/*
 * The CSV columns, in this order, stable (new columns are only ever added
 * at the end).  A cell is empty where the JSON has no such key or null.
 *
 * time,ts_ns,type,src_pid,src_tid,src_ppid,src_comm,src_pcomm,dst_pid,
 * dst_tid,dst_ppid,dst_comm,dst_pcomm,size,channel,latency_ns,flags,
 * payload_hex: as JSON's keys of those names (time as --time asks;
 * size: a lost row's count; channel: as the filter's field, a lost row's
 * collector; flags: '|'-joined; payload_hex: the payload, with -x), then
 * one column for each key of JSON's "meta", by the same name:
 *
 * event,op,src_fd,dst_fd,src_call,dst_call,pipe_inode,pipe_name,num,name,
 * code,code_name,value,result,error,blocked,group,kernel,
 * src_is_timer_owner,src_inode,dst_inode,path,src_path,dst_path,
 * sendto_path,socketpair,nfds,fds,creds_pid,creds_uid,creds_gid,sock_type,
 * inode,peer_inode,fd,how,family,src_addr,src_port,dst_addr,dst_port,
 * service,dst_is_listener,tty,direction,writer_side,
 * session,fg_pgrp,key,msqid,mtype,prio,semid,semnum,kind,shmid,shm_size,
 * addr,offset,sharers,sharers_known,collector,count
 *
 * except: creds {pid, uid, gid} is creds_pid, creds_uid, creds_gid; shm's
 * "size" (the object's) is shm_size; fds is "fd:kind:inode:path" per
 * descriptor, ';'-separated; sharers are ';'-separated pids; booleans are
 * true or false.  One name, one meaning across types where JSON shares it
 * (name: the signal's, the queue's or the object's; result: a signal's
 * outcome or an mq-op's return value; event: connect, accept, shutdown or
 * close).  The meta columns are enum csv_col (format.h), in this order.
 */
static const char *const csv_col_names[] = {
	"event", "op", "src_fd", "dst_fd", "src_call", "dst_call", "pipe_inode", "pipe_name",
	"num", "name", "code", "code_name", "value", "result", "error", "blocked", "group", "kernel",
	"src_is_timer_owner",
	"src_inode", "dst_inode", "path", "src_path", "dst_path", "sendto_path", "socketpair",
	"nfds", "fds", "creds_pid", "creds_uid", "creds_gid",
	"sock_type", "inode", "peer_inode", "fd", "how",
	"family", "src_addr", "src_port", "dst_addr", "dst_port", "service", "dst_is_listener",
	"tty", "direction", "writer_side", "session", "fg_pgrp",
	"key", "msqid", "mtype", "prio",
	"semid", "semnum", "kind", "shmid", "shm_size", "addr", "offset", "sharers", "sharers_known",
	"collector", "count",
};

_Static_assert(sizeof(csv_col_names) / sizeof(csv_col_names[0]) == CC_MAX, "a name for every meta column");

void row_u64(struct csv_row *r, enum csv_col c, uint64_t v)
{
	snprintf(r->num[c], sizeof(r->num[c]), "%" PRIu64, v);
	r->cell[c] = r->num[c];
}

void row_i64(struct csv_row *r, enum csv_col c, int64_t v)
{
	snprintf(r->num[c], sizeof(r->num[c]), "%" PRId64, v);
	r->cell[c] = r->num[c];
}

void row_calls(struct csv_row *r, const struct ipcd_event *e)
{
	if (e->src_fd >= 0)
		row_i64(r, CC_SRC_FD, e->src_fd);
	if (e->dst_fd >= 0)
		row_i64(r, CC_DST_FD, e->dst_fd);
	row_str(r, CC_SRC_CALL, ipcd_pipe_call_name(e->src_call));
	row_str(r, CC_DST_CALL, ipcd_pipe_call_name(e->dst_call));
}

void csv_quoted_part(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"')
			fputc_unlocked('"', out);
		fputc_unlocked(*s, out);
	}
}

/* RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
static void csv_field(FILE *out, const char *s)
{
	fputc_unlocked(',', out);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs_unlocked(s, out);
		return;
	}
	fputc_unlocked('"', out);
	csv_quoted_part(out, s);
	fputc_unlocked('"', out);
}

static void csv_int(FILE *out, int64_t v)
{
	fputc_unlocked(',', out);
	put_i64(out, v);
}

static void csv_endpoint(FILE *out, const struct ipcd_endpoint *ep)
{
	csv_int(out, ep->pid);
	csv_int(out, ep->tid);
	csv_int(out, ep->ppid);
	csv_field(out, ep->pid >= 0 ? ep->comm : "");
	csv_field(out, ep->pcomm);
}

/*
 * The time column, as --time asks: a row stands alone, so clock and date
 * both give the RFC 3339 date and time (as JSON's "time"); epoch, delta and
 * relative give seconds; none leaves the column empty (the columns stay).
 */
static void csv_time(struct ipcd_output *o, uint64_t mono_ns)
{
	struct tm tm;
	long nsec;
	char zone[8];

	switch (o->time_mode) {
	case IPCD_TIME_NONE:
		return;
	case IPCD_TIME_EPOCH:
		put_seconds(o->out, output_epoch_ns(o, mono_ns));
		return;
	case IPCD_TIME_DELTA:
		put_seconds(o->out, ns_since(mono_ns, o->prev_ns));
		return;
	case IPCD_TIME_RELATIVE:
		put_seconds(o->out, ns_since(mono_ns, o->first_ns));
		return;
	default:
		output_wall_time(o, mono_ns, &tm, &nsec);
		strftime(zone, sizeof(zone), "%z", &tm);
		fprintf(o->out, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%.3s:%.2s", tm.tm_year + 1900, tm.tm_mon + 1,
			tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec, zone, zone + 3);
		return;
	}
}

static void csv_header(FILE *out)
{
	fputs_unlocked("time,ts_ns,type,src_pid,src_tid,src_ppid,src_comm,src_pcomm,dst_pid,dst_tid,dst_ppid,"
		       "dst_comm,dst_pcomm,size,channel,latency_ns,flags,payload_hex", out);
	for (int c = 0; c < CC_MAX; c++) {
		fputc_unlocked(',', out);
		fputs_unlocked(csv_col_names[c], out);
	}
	fputc_unlocked('\n', out);
}

/* The meta cells: the family's, or a lost row's collector and count. */
static void csv_fill_row(struct ipcd_output *o, const struct ipcd_event *e, struct csv_row *r)
{
	const struct ipcd_printer *printer = ipcd_printer_of_type(e->type);

	memset(r->cell, 0, sizeof(r->cell));
	memset(r->writer, 0, sizeof(r->writer));
	r->has_latency = e->flags & IPCD_EF_HAS_LATENCY;
	if (printer && printer->csv) {
		struct ipcd_print_style style = output_print_style(o);

		printer->csv(r, e, &style);
	}
	if (e->type == IPCD_TYPE_LOST) {
		row_str(r, CC_COLLECTOR, ipcd_collector_name(e->lost_collector));
		row_u64(r, CC_COUNT, e->lost_count);
	}
}

/* The channel column: as the filter names it; a lost row's collector. */
static void csv_channel(FILE *out, const struct ipcd_event *e)
{
	char buf[IPCD_PATH_MAX + 160];

	if (e->type == IPCD_TYPE_LOST)
		snprintf(buf, sizeof(buf), "%s", ipcd_collector_name(e->lost_collector));
	else
		ipcd_event_channel(e, buf, sizeof(buf));
	csv_field(out, buf);
}

static void csv_flags(FILE *out, uint32_t flags)
{
	char buf[IPCD_PATH_MAX + 160];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ipcd_flag_count; i++)
		if ((flags & ipcd_flag_names[i].flag) && used + 32 < sizeof(buf))
			used += snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? "|" : "",
					 ipcd_flag_names[i].name);
	csv_field(out, buf);
}

static void csv_payload_hex(FILE *out, const struct ipcd_event *e)
{
	static const char hex[] = "0123456789abcdef";

	for (uint32_t i = 0; i < e->payload_len; i++) {
		fputc_unlocked(hex[e->payload[i] >> 4], out);
		fputc_unlocked(hex[e->payload[i] & 15], out);
	}
}

/* The meta columns of a row, each after its comma. */
static void csv_meta(FILE *out, const struct ipcd_event *e, const struct csv_row *r)
{
	for (int c = 0; c < CC_MAX; c++) {
		if (r->writer[c]) {
			fputc_unlocked(',', out);
			r->writer[c](out, e);
		} else {
			csv_field(out, r->cell[c] ? r->cell[c] : "");
		}
	}
}

void ipcd_csv_write(struct ipcd_output *o, const struct ipcd_event *e)
{
	struct csv_row row;
	char ts[32];

	if (!o->csv_header_done) {
		csv_header(o->out);
		o->csv_header_done = true;
	}
	csv_fill_row(o, e, &row);
	csv_time(o, e->ts_ns);
	snprintf(ts, sizeof(ts), "%" PRIu64, e->ts_ns);
	csv_field(o->out, ts);
	csv_field(o->out, ipcd_type_name(e->type));
	csv_endpoint(o->out, &e->src);
	csv_endpoint(o->out, &e->dst);
	csv_int(o->out, e->type == IPCD_TYPE_LOST ? (int64_t)e->lost_count : (int64_t)e->bytes);
	csv_channel(o->out, e);
	fputc_unlocked(',', o->out);
	if (row.has_latency)
		put_u64(o->out, e->latency_ns);
	csv_flags(o->out, e->flags);
	fputc_unlocked(',', o->out);
	if (o->dump_bytes)
		csv_payload_hex(o->out, e);
	csv_meta(o->out, e, &row);
	fputc_unlocked('\n', o->out);
}
