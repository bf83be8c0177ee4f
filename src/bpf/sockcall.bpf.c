/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Programs that serve the unix and loopback collectors alike, named
 * ipcd_sock_...: userspace loads and attaches them with whichever of the
 * two runs, and only once when both do.
 */
#include "sockcall.bpf.h"

/* At sendmmsg/recvmmsg entry: their messages are counted from the first. */
static __always_inline int mmsg_begin(void)
{
	struct ipcd_call_task *t;

	if (!is_live() || is_self())
		return 0;
	t = this_call_task();
	if (t)
		t->mmsg_index = 0;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_sendmmsg")
int ipcd_sock_enter_sendmmsg(void *ctx)
{
	return mmsg_begin();
}

SEC("tracepoint/syscalls/sys_enter_recvmmsg")
int ipcd_sock_enter_recvmmsg(void *ctx)
{
	return mmsg_begin();
}
