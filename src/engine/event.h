/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPC event: one transfer from a source process to a destination
 * process, as every output format, filter and (later) capture file sees it.
 * Collectors turn raw kernel records (records.h) into these.
 */
#ifndef IPCD_EVENT_H
#define IPCD_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include "records.h"

/* Event types; the bit of each is its -t selector. */
enum ipcd_type {
	IPCD_TYPE_PIPE = 0,
	IPCD_TYPE_SIGNAL,
	IPCD_TYPE_UNIX_STREAM,
	IPCD_TYPE_UNIX_DGRAM,
	IPCD_TYPE_PTY,
	IPCD_TYPE_LOOPBACK_TCP,
	IPCD_TYPE_LOOPBACK_UDP,
	IPCD_TYPE_UNIX_SEQPACKET,
	IPCD_TYPE_UNIX_CONN, /* unix connection lifecycle (--lifecycle) */
	IPCD_TYPE_LOOPBACK_TCP_CONN,  /* loopback TCP connect, accept, close */
	IPCD_TYPE_MQ_SYSV,
	IPCD_TYPE_MQ_POSIX,
	IPCD_TYPE_MQ_OP,     /* queue lifecycle (--lifecycle) */
	IPCD_TYPE_SHM,       /* shared memory: mappings and futex handoffs */
	IPCD_TYPE_LOST,      /* records the kernel could not deliver */
	IPCD_TYPE_COUNT,
};

#define IPCD_TYPE_BIT(t) (1u << (t))

/* Flags of an event, beyond the record flags it inherits (low 16 bits). */
enum ipcd_event_flag {
	IPCD_EF_UNREAD = 1u << 16,         /* written, never read while traced */
	IPCD_EF_WRITER_UNKNOWN = 1u << 17, /* read; no traced write produced it */
	IPCD_EF_HAS_LATENCY = 1u << 18,
	IPCD_EF_READER_UNKNOWN = 1u << 19, /* left the pipe; no traced read took it */
	IPCD_EF_SOCKETPAIR = 1u << 20,     /* unix: neither socket has a name */
};

/* A file descriptor passed over a unix socket (SCM_RIGHTS). */
struct ipcd_fd_desc {
	int32_t fd;         /* in the sender */
	uint16_t kind;      /* enum ipcd_fd_kind, 0 unknown */
	uint64_t ino;
	char *path;         /* path or name, NULL unknown */
};

/* What a unix socket send carried besides bytes. */
struct ipcd_sock_extra {
	uint32_t nfds;      /* descriptors passed */
	uint32_t ndesc;     /* of those, described in fds (the first IPCD_PASSED_FDS_MAX) */
	struct ipcd_fd_desc fds[IPCD_PASSED_FDS_MAX];
	bool creds;         /* SCM_CREDENTIALS sent */
	uint32_t cred_pid, cred_uid, cred_gid;
};

void ipcd_sock_extra_free(struct ipcd_sock_extra *x);

struct ipcd_endpoint {
	int64_t pid;   /* -1: unknown */
	int64_t tid;
	int64_t ppid;
	char comm[IPCD_COMM_LEN];
	char pcomm[IPCD_COMM_LEN];  /* the parent's comm, "" if unknown */
};

struct ipcd_event {
	uint64_t ts_ns;          /* CLOCK_MONOTONIC */
	/*
	 * Its number: the store's row id (a live run numbers its events as they
	 * reach the sinks, engine/pipeline.h), so a live client and the store
	 * name an event alike; 0: none.
	 */
	uint64_t id;
	enum ipcd_type type;
	uint32_t flags;          /* record flags | enum ipcd_event_flag */
	struct ipcd_endpoint src;
	struct ipcd_endpoint dst;
	uint64_t bytes;          /* bytes transferred */
	uint64_t latency_ns;     /* source's call to destination's return */

	/* pipes */
	uint64_t ino;
	const char *path;        /* FIFO path, NULL for anonymous pipes */
	int32_t src_fd, dst_fd;
	uint8_t src_call, dst_call;   /* enum ipcd_pipe_call, 0 unknown */

	/* unix sockets */
	uint64_t src_sock, dst_sock;     /* socket cookies, 0 unknown */
	uint64_t src_ino, dst_ino;       /* socket inodes, 0 unknown */
	const char *src_name, *dst_name; /* bound names ("/path", "@abstract"), NULL unbound */
	const char *dest_addr;           /* the address an unconnected send named */
	const struct ipcd_sock_extra *extra;  /* passed fds and credentials, NULL none */
	uint32_t conn_event;             /* lifecycle: enum ipcd_conn_event */
	int32_t conn_arg;                /* lifecycle: shutdown's how */
	uint8_t sock_type;               /* lifecycle: enum ipcd_sock_type */

	/* loopback TCP and UDP */
	bool has_inet;
	bool inet_v6;                    /* an AF_INET6 socket */
	uint8_t inet_proto;              /* enum ipcd_inet_proto */
	struct ipcd_inet_tuple inet;     /* src -> dst of the bytes, or of the connection */
	bool dst_is_listener;            /* a connect's dst listened; which process accepted is not known */
	uint64_t chan_key;               /* the channel as capture_channel() keys its records */

	/* pseudo-terminals */
	uint32_t pty_index;              /* N of /dev/pts/N */
	uint8_t pty_writer_side;         /* enum ipcd_pty_side: slave, output; master, input */
	uint32_t pty_session, pty_fg_pgrp;

	/* message queues */
	uint32_t mq_kind;                /* enum ipcd_mq_kind */
	int64_t mq_id;                   /* SysV msqid, -1 if none */
	bool mq_has_key;
	int32_t mq_key;                  /* SysV key */
	const char *mq_name;             /* POSIX name, without '/' */
	int64_t mq_type;                 /* SysV mtype, POSIX priority (-1 unknown) */
	uint32_t mq_op;                  /* lifecycle: enum ipcd_mq_op_kind */

	/* shared memory */
	uint32_t shm_op;                 /* enum ipcd_shm_op_kind */
	const char *shm_name;
	bool shm_sysv, shm_has_key;
	int32_t shm_key;
	int64_t shm_id;                  /* shmid or descriptor, -1 none */
	uint64_t shm_size, shm_addr, shm_offset;
	const uint32_t *shm_sharers;     /* pids mapping the object after this event */
	uint32_t shm_nsharers;

	/* signals */
	int32_t sig;
	int32_t code;
	int32_t result;
	int32_t error;           /* -errno of a failed send */
	uint32_t sig_flags;
	uint64_t value;

	/* lost records */
	enum ipcd_collector lost_collector;
	uint64_t lost_count;

	const uint8_t *payload;  /* with -x; payload_len may be < bytes */
	uint32_t payload_len;
};

/* Room for any path ipcd_path_format writes. */
#define IPCD_PATH_MAX (IPCD_PATH_DEPTH * IPCD_NAME_LEN + 1)

const char *ipcd_type_name(enum ipcd_type type);
/*
 * "127.0.0.1:80" or "[::1]:80" for a 16-byte address (IPv4 v4-mapped);
 * port 0: the address alone.
 */
void ipcd_inet_addr_format(const uint8_t *addr, uint16_t port, char *buf, size_t len);
/* Joins the components of a kernel path record into "/a/b/c". */
void ipcd_path_format(const struct ipcd_path *path, char *buf, size_t len);
const char *ipcd_collector_name(enum ipcd_collector c);
/* An event of this type at ts_ns with both ends and fds unknown, all else zero. */
void ipcd_event_init(struct ipcd_event *e, enum ipcd_type type, uint64_t ts_ns);
void ipcd_endpoint_unknown(struct ipcd_endpoint *ep);
void ipcd_endpoint_from_task(struct ipcd_endpoint *ep, const struct ipcd_task *task);
/*
 * dst: src with everything it points to copied, to keep past the call
 * that emitted src; false (dst holding nothing) if out of memory.
 */
bool ipcd_event_copy(struct ipcd_event *dst, const struct ipcd_event *src);
/* Frees what ipcd_event_copy allocated. */
void ipcd_event_copy_free(struct ipcd_event *e);

#endif /* IPCD_EVENT_H */
