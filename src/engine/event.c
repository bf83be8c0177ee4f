/* SPDX-License-Identifier: GPL-2.0 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/event.h"

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

/* ---- owned copies ------------------------------------------------------ */

static bool copy_str(const char **dst, const char *src)
{
	return !src || (*dst = strdup(src)) != NULL;
}

static bool copy_bytes(const void **dst, const void *src, size_t len)
{
	void *p;

	if (!src || !len)
		return true;
	if (!(p = malloc(len)))
		return false;
	*dst = memcpy(p, src, len);
	return true;
}

static bool copy_extra(const struct ipcd_sock_extra **dst, const struct ipcd_sock_extra *src)
{
	struct ipcd_sock_extra *x;

	if (!src)
		return true;
	if (!(x = malloc(sizeof(*x))))
		return false;
	*x = *src;
	*dst = x;
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++) {
		x->fds[i].path = src->fds[i].path ? strdup(src->fds[i].path) : NULL;
		if (src->fds[i].path && !x->fds[i].path) {
			x->ndesc = i;  /* what ipcd_sock_extra_free frees */
			return false;
		}
	}
	return true;
}

bool ipcd_event_copy(struct ipcd_event *dst, const struct ipcd_event *src)
{
	const void *payload = NULL, *sharers = NULL;
	bool ok;

	*dst = *src;
	dst->path = dst->src_name = dst->dst_name = dst->dest_addr = dst->mq_name = dst->shm_name = NULL;
	dst->extra = NULL;
	dst->shm_sharers = NULL;
	dst->payload = NULL;
	ok = copy_str(&dst->path, src->path) && copy_str(&dst->src_name, src->src_name) &&
	     copy_str(&dst->dst_name, src->dst_name) && copy_str(&dst->dest_addr, src->dest_addr) &&
	     copy_str(&dst->mq_name, src->mq_name) && copy_str(&dst->shm_name, src->shm_name) &&
	     copy_extra(&dst->extra, src->extra) &&
	     copy_bytes(&sharers, src->shm_sharers, src->shm_nsharers * sizeof(*src->shm_sharers)) &&
	     copy_bytes(&payload, src->payload, src->payload_len);
	dst->shm_sharers = sharers;
	dst->payload = payload;
	if (!ok)
		ipcd_event_copy_free(dst);
	return ok;
}

void ipcd_event_copy_free(struct ipcd_event *e)
{
	free((void *)e->path);
	free((void *)e->src_name);
	free((void *)e->dst_name);
	free((void *)e->dest_addr);
	free((void *)e->mq_name);
	free((void *)e->shm_name);
	ipcd_sock_extra_free((struct ipcd_sock_extra *)e->extra);
	free((void *)e->shm_sharers);
	free((void *)e->payload);
	e->path = e->src_name = e->dst_name = e->dest_addr = e->mq_name = e->shm_name = NULL;
	e->extra = NULL;
	e->shm_sharers = NULL;
	e->payload = NULL;
}
