/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unix sockets in text, JSON and CSV: data (stream, datagram, seqpacket)
 * with the descriptors and credentials it carried, and, with --lifecycle,
 * connect, accept, shutdown and close (unix-conn).
 */
#include <inttypes.h>
#include "families/unix_types.h"
#include "format/format.h"

static const struct ipcd_tok fd_kind_names[] = {
	{ IPCD_FD_FILE, "file" }, { IPCD_FD_PIPE, "pipe" }, { IPCD_FD_FIFO, "fifo" },
	{ IPCD_FD_SOCKET, "socket" }, { IPCD_FD_MEMFD, "memfd" }, { IPCD_FD_ANON, "anon_inode" },
	{ IPCD_FD_OTHER, "other" },
	{ 0, NULL }
};

const char *ipcd_fd_kind_name(int kind)
{
	return ipcd_tok_name(fd_kind_names, kind, "unknown");
}

static const struct ipcd_tok conn_event_names[] = {
	{ IPCD_CONN_CONNECT, "connect" }, { IPCD_CONN_ACCEPT, "accept" },
	{ IPCD_CONN_SHUTDOWN, "shutdown" }, { IPCD_CONN_CLOSE, "close" },
	{ 0, NULL }
};

const char *ipcd_conn_event_name(int event)
{
	return ipcd_tok_name(conn_event_names, event, "unknown");
}

static const struct ipcd_tok sock_type_names[] = {
	{ IPCD_SOCK_STREAM, "stream" }, { IPCD_SOCK_DGRAM, "dgram" }, { IPCD_SOCK_SEQPACKET, "seqpacket" },
	{ 0, NULL }
};

/* The name a unix event's channel goes by: the receiver's, else the sender's. */
static const char *unix_channel_name(const struct ipcd_event *e)
{
	if (e->dst_name)
		return e->dst_name;
	if (e->src_name)
		return e->src_name;
	return e->dest_addr;
}

/* ---- text ----------------------------------------------------------- */

/* " (/etc/passwd pipe:[123])": what each passed descriptor refers to */
static void text_passed_fds(struct text_kv *kv, const struct ipcd_sock_extra *x)
{
	text_kv_u64(kv, "fds", x->nfds);
	if (!x->ndesc)
		return;
	text_kv_part_str(kv, " (");
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++) {
		if (i)
			text_kv_part_char(kv, ' ');
		text_kv_part_escaped(kv, x->fds[i].path ? x->fds[i].path : "?", SIZE_MAX);
	}
	if (x->nfds > x->ndesc)
		text_kv_part_str(kv, " ...");
	text_kv_part_char(kv, ')');
}

static void text_creds(struct text_kv *kv, const struct ipcd_sock_extra *x)
{
	text_kv_key(kv, "creds");
	text_kv_part_str(kv, "pid=");
	text_kv_part_u64(kv, x->cred_pid);
	text_kv_part_str(kv, ",uid=");
	text_kv_part_u64(kv, x->cred_uid);
	text_kv_part_str(kv, ",gid=");
	text_kv_part_u64(kv, x->cred_gid);
}

static void unix_data_text(struct text_kv *kv, const struct ipcd_event *e)
{
	const char *name = unix_channel_name(e);

	if (e->src_ino)
		text_kv_u64(kv, "src_inode", e->src_ino);
	if (e->dst_ino)
		text_kv_u64(kv, "dst_inode", e->dst_ino);
	if (name)
		text_kv_str(kv, "path", name);
	else if (e->flags & IPCD_EF_SOCKETPAIR)
		text_kv_str(kv, "path", "(socketpair)");
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	if (e->extra && e->extra->nfds)
		text_passed_fds(kv, e->extra);
	if (e->extra && e->extra->creds)
		text_creds(kv, e->extra);
	text_kv_flags(kv, e->flags);
}

static void unix_conn_text(struct text_kv *kv, const struct ipcd_event *e)
{
	text_kv_str(kv, "event", ipcd_conn_event_name(e->conn_event));
	text_kv_str(kv, "sock_type", ipcd_tok_name(sock_type_names, e->sock_type, "unknown"));
	if (e->src_ino)
		text_kv_u64(kv, "inode", e->src_ino);
	if (e->dst_ino)
		text_kv_u64(kv, "peer_inode", e->dst_ino);
	if (e->src_name)
		text_kv_str(kv, "path", e->src_name);
	if (e->conn_event == IPCD_CONN_SHUTDOWN)
		text_kv_str(kv, "how", ipcd_shutdown_how_name(e->conn_arg));
}

static void unix_text(struct text_kv *kv, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	if (ipcd_unix_is_data(e->type))
		unix_data_text(kv, e);
	else
		unix_conn_text(kv, e);
}

/* ---- JSON ----------------------------------------------------------- */

static void json_passed_fds(struct json_writer *jw, const struct ipcd_sock_extra *x)
{
	jw_kv_uint(jw, "nfds", x->nfds);
	jw_key(jw, "fds");
	jw_array_begin(jw);
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++) {
		const struct ipcd_fd_desc *d = &x->fds[i];

		jw_object_begin(jw);
		jw_kv_int(jw, "fd", d->fd);
		jw_kv_string(jw, "kind", ipcd_fd_kind_name(d->kind));
		jw_kv_uint(jw, "inode", d->ino);
		json_string_or_null(jw, "path", d->path);
		jw_object_end(jw);
	}
	jw_array_end(jw);
}

static void json_creds(struct json_writer *jw, const struct ipcd_sock_extra *x)
{
	jw_key(jw, "creds");
	jw_object_begin(jw);
	jw_kv_uint(jw, "pid", x->cred_pid);
	jw_kv_uint(jw, "uid", x->cred_uid);
	jw_kv_uint(jw, "gid", x->cred_gid);
	jw_object_end(jw);
}

static void unix_data_json(struct json_writer *jw, const struct ipcd_event *e)
{
	if (e->src_ino)
		jw_kv_uint(jw, "src_inode", e->src_ino);
	if (e->dst_ino)
		jw_kv_uint(jw, "dst_inode", e->dst_ino);
	json_string_or_null(jw, "path", unix_channel_name(e));
	json_string_or_null(jw, "src_path", e->src_name);
	json_string_or_null(jw, "dst_path", e->dst_name);
	if (e->dest_addr)
		jw_kv_string(jw, "sendto_path", e->dest_addr);
	jw_kv_bool(jw, "socketpair", e->flags & IPCD_EF_SOCKETPAIR);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_calls(jw, e);
	if (e->extra && e->extra->nfds)
		json_passed_fds(jw, e->extra);
	if (e->extra && e->extra->creds)
		json_creds(jw, e->extra);
	json_flags(jw, e->flags);
}

static void unix_conn_json(struct json_writer *jw, const struct ipcd_event *e)
{
	jw_kv_string(jw, "event", ipcd_conn_event_name(e->conn_event));
	jw_kv_string(jw, "sock_type", ipcd_tok_name(sock_type_names, e->sock_type, "unknown"));
	if (e->src_ino)
		jw_kv_uint(jw, "inode", e->src_ino);
	if (e->dst_ino)
		jw_kv_uint(jw, "peer_inode", e->dst_ino);
	json_string_or_null(jw, "path", e->src_name);
	if (e->src_fd >= 0)
		jw_kv_int(jw, "fd", e->src_fd);
	if (e->conn_event == IPCD_CONN_SHUTDOWN)
		jw_kv_int(jw, "how", e->conn_arg);
}

static void unix_json(struct json_writer *jw, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	if (ipcd_unix_is_data(e->type))
		unix_data_json(jw, e);
	else
		unix_conn_json(jw, e);
}

/* ---- CSV ------------------------------------------------------------ */

/* "3:file:1234:/etc/hostname;4:pipe:99:pipe:[99]", always quoted (paths hold anything). */
static void csv_fds(FILE *out, const struct ipcd_event *e)
{
	const struct ipcd_sock_extra *x = e->extra;
	char head[64];

	fputc_unlocked('"', out);
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++) {
		const struct ipcd_fd_desc *d = &x->fds[i];

		snprintf(head, sizeof(head), "%s%d:%s:%" PRIu64 ":", i ? ";" : "", d->fd, ipcd_fd_kind_name(d->kind),
			 d->ino);
		fputs_unlocked(head, out);
		csv_quoted_part(out, d->path ? d->path : "");
	}
	fputc_unlocked('"', out);
}

static void unix_data_csv(struct csv_row *r, const struct ipcd_event *e)
{
	if (e->src_ino)
		row_u64(r, CC_SRC_INODE, e->src_ino);
	if (e->dst_ino)
		row_u64(r, CC_DST_INODE, e->dst_ino);
	row_str(r, CC_PATH, unix_channel_name(e));
	row_str(r, CC_SRC_PATH, e->src_name);
	row_str(r, CC_DST_PATH, e->dst_name);
	row_str(r, CC_SENDTO_PATH, e->dest_addr);
	row_bool(r, CC_SOCKETPAIR, e->flags & IPCD_EF_SOCKETPAIR);
	row_calls(r, e);
	if (e->extra && e->extra->nfds) {
		row_u64(r, CC_NFDS, e->extra->nfds);
		row_writer(r, CC_FDS, csv_fds);
	}
	if (e->extra && e->extra->creds) {
		row_u64(r, CC_CREDS_PID, e->extra->cred_pid);
		row_u64(r, CC_CREDS_UID, e->extra->cred_uid);
		row_u64(r, CC_CREDS_GID, e->extra->cred_gid);
	}
}

static void unix_conn_csv(struct csv_row *r, const struct ipcd_event *e)
{
	row_str(r, CC_EVENT, ipcd_conn_event_name(e->conn_event));
	row_str(r, CC_SOCK_TYPE, ipcd_tok_name(sock_type_names, e->sock_type, "unknown"));
	if (e->src_ino)
		row_u64(r, CC_INODE, e->src_ino);
	if (e->dst_ino)
		row_u64(r, CC_PEER_INODE, e->dst_ino);
	row_str(r, CC_PATH, e->src_name);
	if (e->src_fd >= 0)
		row_i64(r, CC_FD, e->src_fd);
	if (e->conn_event == IPCD_CONN_SHUTDOWN)
		row_i64(r, CC_HOW, e->conn_arg);
}

static void unix_csv(struct csv_row *r, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	(void)style;
	if (ipcd_unix_is_data(e->type))
		unix_data_csv(r, e);
	else
		unix_conn_csv(r, e);
}

/* A socket by its path; a socketpair has none. */
static void unix_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	if (!ipcd_unix_is_data(e->type))
		snprintf(buf, len, "%s", e->src_name ? e->src_name : "");
	else if (unix_channel_name(e))
		snprintf(buf, len, "%s", unix_channel_name(e));
	else if (e->flags & IPCD_EF_SOCKETPAIR)
		snprintf(buf, len, "socketpair");
}

const struct ipcd_printer ipcd_unix_printer = {
	.text = unix_text,
	.json = unix_json,
	.csv = unix_csv,
	.channel = unix_channel,
};
