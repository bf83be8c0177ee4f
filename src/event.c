/* SPDX-License-Identifier: GPL-2.0 */
#include <string.h>
#include "event.h"

static const char *const type_names[IPCD_TYPE_COUNT] = {
	[IPCD_TYPE_PIPE] = "pipe",
	[IPCD_TYPE_SIGNAL] = "signal",
	[IPCD_TYPE_UNIX_STREAM] = "unix-stream",
	[IPCD_TYPE_UNIX_DGRAM] = "unix-dgram",
	[IPCD_TYPE_PTY] = "pty",
	[IPCD_TYPE_LOOPBACK_TCP] = "loopback-tcp",
	[IPCD_TYPE_LOOPBACK_UDP] = "loopback-udp",
	[IPCD_TYPE_LOST] = "lost",
};

const char *ipcd_type_name(enum ipcd_type type)
{
	if ((unsigned)type < IPCD_TYPE_COUNT && type_names[type])
		return type_names[type];
	return "unknown";
}

const char *ipcd_collector_name(enum ipcd_collector c)
{
	switch (c) {
	case IPCD_COLL_PROC: return "process";
	case IPCD_COLL_PIPE: return "pipe";
	case IPCD_COLL_SIGNAL: return "signal";
	default: return "unknown";
	}
}

void ipcd_endpoint_unknown(struct ipcd_endpoint *ep)
{
	ep->pid = ep->tid = ep->ppid = -1;
	memset(ep->comm, 0, sizeof(ep->comm));
	memset(ep->pcomm, 0, sizeof(ep->pcomm));
}

void ipcd_endpoint_from_task(struct ipcd_endpoint *ep, const struct ipcd_task *task)
{
	ep->pid = task->pid;
	ep->tid = task->tid;
	ep->ppid = task->ppid;
	memcpy(ep->comm, task->comm, sizeof(ep->comm));
	ep->comm[sizeof(ep->comm) - 1] = '\0';
	memset(ep->pcomm, 0, sizeof(ep->pcomm));
}
