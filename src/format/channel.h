/* SPDX-License-Identifier: GPL-2.0 */
/* The channel an event travels on, named as the filter's "channel" field and CSV's column. */
#ifndef IPCD_FORMAT_CHANNEL_H
#define IPCD_FORMAT_CHANNEL_H

#include <stddef.h>
#include "engine/event.h"

/* One line naming an event's channel: "pipe:[123]", "/tmp/s", "127.0.0.1:80", "/dev/pts/3"... */
void ipcd_event_channel(const struct ipcd_event *e, char *buf, size_t len);

#endif /* IPCD_FORMAT_CHANNEL_H */
