/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Wall-clock times as --since and --until take them (in the local time
 * zone unless a Z says UTC):
 *   2026-11-30T10:00:00[.nnn][Z]   also with a space for the T
 *   2026-11-30                     that day's midnight
 *   10:00 or 10:00:30              today at that time
 *   -90s, -30m, -1h, -7d           that long before now (also -1h30m)
 *   @1764496800[.5]                seconds since the epoch
 *   now
 */
#ifndef IPCD_WALL_TIME_H
#define IPCD_WALL_TIME_H

#include <stdint.h>

/* text into *ns (ns since the epoch), with now_ns as "now"; 0, or -1 if it is none of the forms. */
int wall_time_parse(const char *text, int64_t now_ns, int64_t *ns);

#endif /* IPCD_WALL_TIME_H */
