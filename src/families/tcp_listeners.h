/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP sockets that were listening before tracing began: the listen() that
 * would have named their process is past, so they are found in /proc.
 */
#ifndef IPCD_TCP_LISTENERS_H
#define IPCD_TCP_LISTENERS_H

#include <stdint.h>
#include "records.h"

typedef void (*tcp_listener_fn)(void *ctx, uint16_t port, const struct ipcd_task *task);

/*
 * Calls fn for each TCP port listened on now (IPv4 and IPv6) with the
 * process that holds the listening socket; of several (a server that
 * forked its workers after listen()), the one that started first, which
 * is the one that listened.  proc is the procfs root ("/proc").
 * Returns how many it found.
 */
size_t tcp_listeners_scan(const char *proc, tcp_listener_fn fn, void *ctx);

#endif
