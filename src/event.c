/* SPDX-License-Identifier: GPL-2.0 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
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
	[IPCD_TYPE_UNIX_SEQPACKET] = "unix-seqpacket",
	[IPCD_TYPE_UNIX_CONN] = "unix-conn",
	[IPCD_TYPE_LOOPBACK_TCP_CONN] = "loopback-tcp-conn",
	[IPCD_TYPE_MQ_SYSV] = "mq-sysv",
	[IPCD_TYPE_MQ_POSIX] = "mq-posix",
	[IPCD_TYPE_MQ_OP] = "mq-op",
	[IPCD_TYPE_SHM] = "shm",
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
	case IPCD_COLL_UNIX: return "unix";
	case IPCD_COLL_INET: return "loopback";
	case IPCD_COLL_PTY: return "pty";
	case IPCD_COLL_MQ: return "mq";
	case IPCD_COLL_SHM: return "shm";
	default: return "unknown";
	}
}

void ipcd_event_init(struct ipcd_event *e, enum ipcd_type type, uint64_t ts_ns)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ns = ts_ns;
	e->src_fd = e->dst_fd = -1;
	ipcd_endpoint_unknown(&e->src);
	ipcd_endpoint_unknown(&e->dst);
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

void ipcd_path_format(const struct ipcd_path *path, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	for (int i = (int)path->depth - 1; i >= 0 && i < IPCD_PATH_DEPTH; i--) {
		size_t n = strnlen(path->names[i], IPCD_NAME_LEN);

		/* a pseudo file's own name ("memfd:x") is its whole path */
		if (!n && path->depth == 1)
			break;
		if (used + 1 + n >= len)
			break;
		buf[used++] = '/';
		memcpy(buf + used, path->names[i], n);
		used += n;
	}
	if (!used && len > 1)
		buf[used++] = '/';
	buf[used] = '\0';
}

void ipcd_sock_extra_free(struct ipcd_sock_extra *x)
{
	if (!x)
		return;
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++)
		free(x->fds[i].path);
	free(x);
}

static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

void ipcd_inet_addr_format(const uint8_t *addr, uint16_t port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	bool v4 = is_v4_mapped(addr);

	if (v4)
		inet_ntop(AF_INET, addr + 12, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
	if (!port)
		snprintf(buf, len, "%s", ip);
	else if (v4)
		snprintf(buf, len, "%s:%u", ip, port);
	else
		snprintf(buf, len, "[%s]:%u", ip, port);
}
