/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Joins message sends to receives: unix datagrams and seqpackets, UDP.
 *
 * A received message names who sent it: for unix sockets the kernel
 * address of the sending socket (records.h, struct ipcd_unix_io.sender_sk),
 * unique while the message is queued; for UDP the source port.  Messages from one socket to one receiver keep their
 * order, so a receive is the oldest pending send of that socket to that
 * receiver.  Either record may come first; a receive waits for its send.
 */
#ifndef IPCD_MSG_JOIN_H
#define IPCD_MSG_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "engine/stream_join.h"

struct msg_join;

/* One message sent or received. */
struct msg_io {
	enum ipcd_type type;
	uint64_t sender_sk;         /* pairs the two sides; 0 in a receive: pair by own_name */
	uint64_t chan;              /* the channel's key, for the events (struct ipcd_event.chan_key) */
	uint64_t sock, ino;         /* this side's socket: cookie and inode */
	uint64_t dest;              /* a send: the receiving socket, 0 if unconnected */
	const char *dest_addr;      /* an unconnected send: the name it sent to, NULL none */
	const char *own_name;       /* a receive: the receiving socket's name, NULL none */
	uint32_t sender_pid;        /* a receive: the sending process as the kernel stamped it */
	uint64_t bytes;
	uint64_t end_ns;
	const struct ipcd_task *task;
	uint32_t flags;
	int32_t fd;
	uint8_t call;
	const uint8_t *payload;     /* copied */
	uint32_t payload_len;
	struct ipcd_sock_extra *extra;  /* a send's passed fds: the join owns it after */
	const struct ipcd_inet_tuple *inet;  /* UDP: the datagram's addresses, NULL for unix */
	bool inet_v6;
	/*
	 * A receive whose send may not be on this host (an unconnected UDP
	 * socket takes datagrams from anywhere): if no send pairs with it, it
	 * was no IPC and is not reported.
	 */
	bool local_only;
};

/* Names a sender that only the message knows (its send was not seen). */
typedef const char *(*msg_comm_fn)(void *ctx, uint32_t pid);

struct msg_join *msg_join_new(ipcd_emit_fn emit, void *emit_ctx, msg_comm_fn comm, void *comm_ctx);
void msg_join_free(struct msg_join *j);

void msg_join_send(struct msg_join *j, const struct msg_io *io);
void msg_join_recv(struct msg_join *j, const struct msg_io *io);

/* Receives that waited max_age_ns for their send: reported with the sender the message names. */
void msg_join_expire(struct msg_join *j, uint64_t now_ns, uint64_t max_age_ns);
/* At the end: every receive reported, every send never received reported unread. */
void msg_join_flush(struct msg_join *j);

/* Past this many bytes of pending sends, the oldest are reported unread. */
void msg_join_set_pending_cap(struct msg_join *j, uint64_t bytes);
uint64_t msg_join_evicted(const struct msg_join *j);
uint64_t msg_join_dropped(const struct msg_join *j);
size_t msg_join_pending(const struct msg_join *j);

#endif /* IPCD_MSG_JOIN_H */
