/* SPDX-License-Identifier: GPL-2.0 */
/* The unix family's event types, data (stream, datagram, seqpacket) and lifecycle (unix-conn), and its names. */
#ifndef IPCD_UNIX_TYPES_H
#define IPCD_UNIX_TYPES_H

#include <stdbool.h>
#include <stddef.h>   /* engine/event.h uses size_t */
#include "engine/event.h"

/* A unix socket's data event, not its lifecycle: what has sockets on both ends to name. */
static inline bool ipcd_unix_is_data(enum ipcd_type type)
{
	return type == IPCD_TYPE_UNIX_STREAM || type == IPCD_TYPE_UNIX_DGRAM ||
	       type == IPCD_TYPE_UNIX_SEQPACKET;
}

/* What a passed descriptor refers to: "file", "pipe", "socket", "memfd"... */
const char *ipcd_fd_kind_name(int kind);
/* A unix-conn event: "connect", "accept", "shutdown", "close". */
const char *ipcd_conn_event_name(int event);

#endif /* IPCD_UNIX_TYPES_H */
