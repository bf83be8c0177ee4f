/* SPDX-License-Identifier: GPL-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "families/unix_events.h"
#include "families/channel_keys.h"

/* Passed descriptors wait this long for their send record, then are dropped. */
#define STAGED_FDS_MAX_AGE_NS (1000ull * 1000 * 1000)

/* Descriptors described for a thread's next send (ipcd_passed_fd records come first). */
struct staged_fds {
	uint32_t tid;
	UT_hash_handle hh;
	uint64_t ts_ns;
	struct ipcd_sock_extra *extra;
};

struct unix_events {
	struct stream_join *streams;
	struct msg_join *messages;
	struct sock_table *socks;
	struct staged_fds *staged;
	ipcd_emit_fn emit;
	void *emit_ctx;
	msg_comm_fn comm;
	void *comm_ctx;
};

struct unix_events *unix_events_new(struct stream_join *streams, ipcd_emit_fn emit, void *emit_ctx,
				    msg_comm_fn comm, void *comm_ctx)
{
	struct unix_events *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->streams = streams;
	u->emit = emit;
	u->emit_ctx = emit_ctx;
	u->comm = comm;
	u->comm_ctx = comm_ctx;
	u->messages = msg_join_new(emit, emit_ctx, comm, comm_ctx);
	u->socks = sock_table_new();
	if (!u->messages || !u->socks) {
		unix_events_free(u);
		return NULL;
	}
	return u;
}

static void staged_drop(struct unix_events *u, struct staged_fds *s)
{
	HASH_DEL(u->staged, s);
	ipcd_sock_extra_free(s->extra);
	free(s);
}

void unix_events_free(struct unix_events *u)
{
	struct staged_fds *s, *tmp;

	if (!u)
		return;
	HASH_ITER(hh, u->staged, s, tmp)
		staged_drop(u, s);
	msg_join_free(u->messages);
	sock_table_free(u->socks);
	free(u);
}

struct msg_join *unix_events_messages(struct unix_events *u)
{
	return u->messages;
}

static enum ipcd_type type_of(uint8_t sock_type)
{
	switch (sock_type) {
	case IPCD_SOCK_STREAM: return IPCD_TYPE_UNIX_STREAM;
	case IPCD_SOCK_SEQPACKET: return IPCD_TYPE_UNIX_SEQPACKET;
	default: return IPCD_TYPE_UNIX_DGRAM;
	}
}

/* ---- passed descriptors ---------------------------------------------- */

static char *describe_fd(const struct ipcd_passed_fd *rec)
{
	char path[IPCD_PATH_MAX], buf[IPCD_PATH_MAX + 32];
	const char *leaf = rec->path.depth ? rec->path.names[0] : "";

	switch (rec->kind) {
	case IPCD_FD_PIPE:
		snprintf(buf, sizeof(buf), "pipe:[%llu]", (unsigned long long)rec->ino);
		break;
	case IPCD_FD_SOCKET:
		snprintf(buf, sizeof(buf), "socket:[%llu]", (unsigned long long)rec->ino);
		break;
	case IPCD_FD_MEMFD:
		snprintf(buf, sizeof(buf), "%.*s", IPCD_NAME_LEN, leaf);
		break;
	case IPCD_FD_ANON:
		snprintf(buf, sizeof(buf), "anon_inode:%.*s", IPCD_NAME_LEN, leaf);
		break;
	case 0:
		return NULL;
	default:
		ipcd_path_format(&rec->path, path, sizeof(path));
		return strdup(path);
	}
	return strdup(buf);
}

void unix_events_passed_fd(struct unix_events *u, const struct ipcd_passed_fd *rec)
{
	struct staged_fds *s;
	struct ipcd_fd_desc *d;

	HASH_FIND(hh, u->staged, &rec->tid, sizeof(rec->tid), s);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s || !(s->extra = calloc(1, sizeof(*s->extra)))) {
			free(s);
			return;
		}
		s->tid = rec->tid;
		HASH_ADD(hh, u->staged, tid, sizeof(s->tid), s);
	}
	s->ts_ns = rec->hdr.ts_ns;
	if (rec->index >= IPCD_PASSED_FDS_MAX || rec->index != s->extra->ndesc)
		return;
	d = &s->extra->fds[s->extra->ndesc++];
	d->fd = rec->fd;
	d->kind = rec->kind;
	d->ino = rec->ino;
	d->path = describe_fd(rec);
}

/* What a send carried besides bytes: its thread's staged descriptors and its credentials. */
static struct ipcd_sock_extra *take_extra(struct unix_events *u, const struct ipcd_unix_io *rec)
{
	struct ipcd_sock_extra *x = NULL;
	struct staged_fds *s;

	HASH_FIND(hh, u->staged, &rec->task.tid, sizeof(rec->task.tid), s);
	if (s) {
		x = s->extra;
		s->extra = NULL;
		staged_drop(u, s);
	}
	if (!rec->nfds && !(rec->hdr.flags & IPCD_F_CREDS)) {
		ipcd_sock_extra_free(x);
		return NULL;
	}
	if (!x && !(x = calloc(1, sizeof(*x))))
		return NULL;
	x->nfds = rec->nfds;
	if (rec->hdr.flags & IPCD_F_CREDS) {
		x->creds = true;
		x->cred_pid = rec->cred_pid;
		x->cred_uid = rec->cred_uid;
		x->cred_gid = rec->cred_gid;
	}
	return x;
}

/* ---- sends and receives ---------------------------------------------- */

static void stream_io_of(struct unix_events *u, const struct ipcd_unix_io *rec)
{
	bool write = rec->dir == IPCD_PIPE_WRITE;
	struct stream_io io = {
		/* numbered in the stream of the receiving socket: its channel */
		.key = { .ino = ipcd_unix_io_channel(rec), .kind = IPCD_STREAM_UNIX },
		.write = write, .offset = rec->offset, .bytes = rec->bytes, .base = rec->base,
		.end_ns = rec->hdr.ts_ns, .task = &rec->task, .flags = rec->hdr.flags,
		.fd = rec->fd, .call = rec->call, .payload = rec->data, .payload_len = rec->payload_len,
		.sock = rec->sock, .ino = rec->ino,
	};

	if (!io.key.ino)
		return;
	if (write)
		io.extra = take_extra(u, rec);
	stream_join_add(u->streams, &io);
}

static void message_of(struct unix_events *u, const struct ipcd_unix_io *rec)
{
	char dest[IPCD_UNIX_ADDR_MAX + 1];
	struct msg_io io = {
		.type = type_of(rec->sock_type), .sender_sk = rec->sender_sk, .chan = ipcd_unix_io_channel(rec), .sock = rec->sock,
		.ino = rec->ino, .dest = rec->peer, .sender_pid = rec->sender_pid, .bytes = rec->bytes,
		.end_ns = rec->hdr.ts_ns, .task = &rec->task, .flags = rec->hdr.flags, .fd = rec->fd,
		.call = rec->call, .payload = rec->data, .payload_len = rec->payload_len,
	};

	if (rec->dir == IPCD_PIPE_WRITE) {
		/* a sockaddr_un: the family, then the name */
		if (rec->addr_len > 2) {
			sock_name_format((const char *)rec->data + rec->payload_len + 2, rec->addr_len - 2,
					 dest, sizeof(dest));
			io.dest_addr = dest;
		}
		io.extra = take_extra(u, rec);
		msg_join_send(u->messages, &io);
	} else {
		io.own_name = sock_table_name(u->socks, rec->sock);
		msg_join_recv(u->messages, &io);
	}
}

void unix_events_io(struct unix_events *u, const struct ipcd_unix_io *rec, size_t size)
{
	if (size < sizeof(*rec) || sizeof(*rec) + rec->payload_len + rec->addr_len > size)
		return;
	sock_table_saw_ino(u->socks, rec->sock, rec->ino);
	if (rec->sock_type == IPCD_SOCK_STREAM)
		stream_io_of(u, rec);
	else
		message_of(u, rec);
}

void unix_events_name(struct unix_events *u, const struct ipcd_unix_name *rec)
{
	sock_table_record(u->socks, rec);
}

void unix_events_conn(struct unix_events *u, const struct ipcd_unix_conn *rec)
{
	char name[sizeof(rec->name) + 1];
	size_t len = rec->name_len < sizeof(rec->name) ? rec->name_len : sizeof(rec->name);
	struct ipcd_event e;

	ipcd_event_init(&e, IPCD_TYPE_UNIX_CONN, rec->hdr.ts_ns);
	e.src_fd = rec->fd;
	ipcd_endpoint_from_task(&e.src, &rec->task);
	/* the process at the other end, as the kernel recorded it at the connect (SO_PEERCRED) */
	if (rec->peer_pid) {
		const char *comm = u->comm ? u->comm(u->comm_ctx, rec->peer_pid) : NULL;

		e.dst.pid = rec->peer_pid;
		if (comm)
			strncpy(e.dst.comm, comm, sizeof(e.dst.comm) - 1);
	}
	e.src_ino = rec->ino;
	e.dst_ino = rec->peer_ino;
	sock_name_format(rec->name, len, name, sizeof(name));
	e.src_name = name[0] ? name : NULL;
	e.conn_event = rec->event;
	e.conn_arg = rec->arg;
	e.sock_type = rec->sock_type;
	u->emit(u->emit_ctx, &e);
}

void unix_events_describe(const struct unix_events *u, struct ipcd_event *e)
{
	sock_table_describe(u->socks, e);
}

void unix_events_expire(struct unix_events *u, uint64_t now_ns, uint64_t max_age_ns)
{
	struct staged_fds *s, *tmp;

	msg_join_expire(u->messages, now_ns, max_age_ns);
	HASH_ITER(hh, u->staged, s, tmp)
		if (now_ns > s->ts_ns && now_ns - s->ts_ns > STAGED_FDS_MAX_AGE_NS)
			staged_drop(u, s);
}

void unix_events_flush(struct unix_events *u)
{
	msg_join_flush(u->messages);
}
