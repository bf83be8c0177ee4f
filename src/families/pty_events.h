/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pty collector's records made into events.  A write into one side of
 * a terminal is reported when the other side is next read: its reader is
 * the destination.  If nobody reads it in time, the last process seen on
 * that side is named instead, and failing that, nobody.
 */
#ifndef IPCD_PTY_EVENTS_H
#define IPCD_PTY_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "engine/stream_join.h"

struct pty_events;

struct pty_events *pty_events_new(ipcd_emit_fn emit, void *emit_ctx);
void pty_events_free(struct pty_events *p);

/* Checks the record's size against what it holds. */
void pty_events_io(struct pty_events *p, const struct ipcd_pty_io *rec, size_t size);
/* Writes not read within max_age_ns are reported with the side's last user. */
void pty_events_expire(struct pty_events *p, uint64_t now_ns, uint64_t max_age_ns);
void pty_events_flush(struct pty_events *p);
size_t pty_events_pending(const struct pty_events *p);
uint64_t pty_events_dropped(const struct pty_events *p);

#endif /* IPCD_PTY_EVENTS_H */
