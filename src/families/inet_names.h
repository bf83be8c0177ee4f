/* SPDX-License-Identifier: GPL-2.0 */
/* The loopback family's names: its connection events and the services of its ports. */
#ifndef IPCD_INET_NAMES_H
#define IPCD_INET_NAMES_H

#include <stddef.h>   /* engine/event.h uses size_t */
#include "engine/event.h"

/* A loopback-tcp-conn event: "connect", "accept", "close", "shutdown". */
const char *ipcd_inet_conn_event_name(int event);
/* The service name (/etc/services) of a loopback event's port, NULL if none. */
const char *ipcd_inet_service(const struct ipcd_event *e);

#endif /* IPCD_INET_NAMES_H */
