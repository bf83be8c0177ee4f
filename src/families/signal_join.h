/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The signal collector's records made into events: one record is one
 * event, sent or failed; a failed signal's target is named from the
 * process table if it still exists.
 */
#ifndef IPCD_SIGNAL_JOIN_H
#define IPCD_SIGNAL_JOIN_H

#include "engine/event.h"
#include "engine/stream_join.h"

struct proc_table;
struct signal_join;

/* procs: the processes alive, for a failed signal's target (NULL: unnamed). */
struct signal_join *signal_join_new(ipcd_emit_fn emit, void *emit_ctx, const struct proc_table *procs);
void signal_join_free(struct signal_join *s);

void signal_join_record(struct signal_join *s, const struct ipcd_signal *rec);

#endif /* IPCD_SIGNAL_JOIN_H */
