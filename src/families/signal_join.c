/* SPDX-License-Identifier: GPL-2.0 */
#include <stdlib.h>
#include <string.h>
#include "engine/proc_table.h"
#include "families/channel_keys.h"
#include "families/signal_join.h"

struct signal_join {
	ipcd_emit_fn emit;
	void *emit_ctx;
	const struct proc_table *procs;
};

struct signal_join *signal_join_new(ipcd_emit_fn emit, void *emit_ctx, const struct proc_table *procs)
{
	struct signal_join *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->emit = emit;
	s->emit_ctx = emit_ctx;
	s->procs = procs;
	return s;
}

void signal_join_free(struct signal_join *s)
{
	free(s);
}

/*
 * A signal that failed to send has only the pid its sender named; the
 * process table knows its name if it exists, and no pid means no target.
 */
static void name_failed_target(const struct signal_join *s, struct ipcd_endpoint *dst)
{
	const char *comm;

	if (dst->pid <= 0) {
		ipcd_endpoint_unknown(dst);
		return;
	}
	comm = s->procs ? proc_table_live_comm(s->procs, dst->pid) : NULL;
	dst->ppid = -1;
	if (comm)
		memcpy(dst->comm, comm, sizeof(dst->comm));
}

void signal_join_record(struct signal_join *s, const struct ipcd_signal *rec)
{
	struct ipcd_event e;

	memset(&e, 0, sizeof(e));
	e.type = IPCD_TYPE_SIGNAL;
	e.ts_ns = rec->hdr.ts_ns;
	e.chan_key = ipcd_signal_channel(&rec->hdr);
	ipcd_endpoint_from_task(&e.src, &rec->src);
	ipcd_endpoint_from_task(&e.dst, &rec->dst);
	e.sig = rec->sig;
	e.code = rec->code;
	e.result = rec->result;
	e.error = rec->error;
	e.sig_flags = rec->sig_flags;
	e.value = rec->value;
	e.src_fd = e.dst_fd = -1;
	if (rec->result == IPCD_SIG_FAILED)
		name_failed_target(s, &e.dst);
	s->emit(s->emit_ctx, &e);
}
