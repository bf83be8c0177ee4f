/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPCDump filters (-p -s -d -P -S -D) over events in userspace.  The
 * kernel drops what it can decide from one end alone; this decides the rest
 * once both ends are known.  Values of one flag are ORed, different flags
 * are ANDed, and an unknown end matches no pid or comm.
 */
#ifndef IPCD_FILTER_H
#define IPCD_FILTER_H

#include <stdbool.h>
#include "event.h"
#include "options.h"

bool ipcd_filter_active(const struct ipcd_options *opts);
bool ipcd_filter_match(const struct ipcd_options *opts, const struct ipcd_event *e);

#endif /* IPCD_FILTER_H */
