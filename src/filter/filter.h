/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The filters over events in userspace: the IPCDump flags (-p -s -d -P -S
 * -D) are sugar for the filter language, so "-s 5 -s 6 -D cat" is
 * "(src.pid == 5 or src.pid == 6) and dst.comm == cat", ANDed with any
 * expression given.  The kernel drops what it can decide from one end
 * alone; this decides the rest once both ends are known.  An unknown end
 * matches no pid or comm.
 */
#ifndef IPCD_FILTER_H
#define IPCD_FILTER_H

#include <stdbool.h>
#include "engine/event.h"
#include "engine/options.h"

bool ipcd_filter_active(const struct ipcd_options *opts);
/* The flags' expression, ANDed with the user's (already checked) into opts->filter; false if out of memory. */
bool ipcd_filter_compile(struct ipcd_options *opts);
/* Lost-event reports always pass. */
bool ipcd_filter_match(const struct ipcd_options *opts, const struct ipcd_event *e);

#endif /* IPCD_FILTER_H */
