/* SPDX-License-Identifier: GPL-2.0 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "engine/by_age.h"
#include "families/sock_table.h"

/* Past this many sockets, the half seen longest ago is forgotten. */
#define SOCK_TABLE_MAX 65536

struct sock_entry {
	uint64_t sock;          /* cookie */
	UT_hash_handle hh;
	uint64_t ino;
	uint64_t peer;
	uint64_t seen;          /* order of the last record, for trimming */
	char *name;             /* NULL: unbound */
};

struct sock_table {
	struct sock_entry *socks;
	uint64_t clock;
};

struct sock_table *sock_table_new(void)
{
	return calloc(1, sizeof(struct sock_table));
}

static void entry_free(struct sock_entry *e)
{
	free(e->name);
	free(e);
}

void sock_table_free(struct sock_table *t)
{
	struct sock_entry *e, *tmp;

	if (!t)
		return;
	HASH_ITER(hh, t->socks, e, tmp) {
		HASH_DEL(t->socks, e);
		entry_free(e);
	}
	free(t);
}

static void trim(struct sock_table *t)
{
	size_t n = HASH_COUNT(t->socks);
	struct sock_entry **all;

	if (n < SOCK_TABLE_MAX)
		return;
	all = (struct sock_entry **)uthash_by_age(t->socks, n, offsetof(struct sock_entry, hh), offsetof(struct sock_entry, seen));
	if (!all)
		return;
	for (size_t i = 0; i < n / 2; i++) {
		HASH_DEL(t->socks, all[i]);
		entry_free(all[i]);
	}
	free(all);
}

static struct sock_entry *entry_get(struct sock_table *t, uint64_t sock)
{
	struct sock_entry *e;

	HASH_FIND(hh, t->socks, &sock, sizeof(sock), e);
	if (!e) {
		trim(t);
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->sock = sock;
		HASH_ADD(hh, t->socks, sock, sizeof(e->sock), e);
	}
	e->seen = ++t->clock;
	return e;
}

static const struct sock_entry *entry_find(const struct sock_table *t, uint64_t sock)
{
	struct sock_entry *e;

	if (!sock)
		return NULL;
	HASH_FIND(hh, t->socks, &sock, sizeof(sock), e);
	return e;
}

void sock_name_format(const char *sun_path, size_t len, char *buf, size_t size)
{
	size_t out = 0;

	if (!size)
		return;
	if (len && sun_path[0] == '\0') {
		/* abstract: every byte counts, NULs included */
		for (size_t i = 0; i < len && out + 1 < size; i++)
			buf[out++] = sun_path[i] ? sun_path[i] : '@';
	} else {
		for (size_t i = 0; i < len && sun_path[i] && out + 1 < size; i++)
			buf[out++] = sun_path[i];
	}
	buf[out] = '\0';
}

void sock_table_record(struct sock_table *t, const struct ipcd_unix_name *rec)
{
	struct sock_entry *e = entry_get(t, rec->sock);
	char name[sizeof(rec->name) + 1];
	size_t len = rec->name_len < sizeof(rec->name) ? rec->name_len : sizeof(rec->name);

	if (!e)
		return;
	if (rec->ino)
		e->ino = rec->ino;
	e->peer = rec->peer;
	sock_name_format(rec->name, len, name, sizeof(name));
	free(e->name);
	e->name = name[0] ? strdup(name) : NULL;
}

void sock_table_saw_ino(struct sock_table *t, uint64_t sock, uint64_t ino)
{
	struct sock_entry *e;

	if (!sock || !ino)
		return;
	e = entry_get(t, sock);
	if (e)
		e->ino = ino;
}

const char *sock_table_name(const struct sock_table *t, uint64_t sock)
{
	const struct sock_entry *e = entry_find(t, sock);

	return e ? e->name : NULL;
}

uint64_t sock_table_ino(const struct sock_table *t, uint64_t sock)
{
	const struct sock_entry *e = entry_find(t, sock);

	return e ? e->ino : 0;
}

size_t sock_table_size(const struct sock_table *t)
{
	return HASH_COUNT(t->socks);
}

void sock_table_describe(const struct sock_table *t, struct ipcd_event *e)
{
	const struct sock_entry *src = entry_find(t, e->src_sock), *dst = entry_find(t, e->dst_sock);

	if (src) {
		e->src_name = src->name;
		if (!e->src_ino)
			e->src_ino = src->ino;
	}
	if (dst) {
		e->dst_name = dst->name;
		if (!e->dst_ino)
			e->dst_ino = dst->ino;
	}
	/* neither end bound: only socketpair(2) makes such a connected pair */
	if (src && dst && !src->name && !dst->name)
		e->flags |= IPCD_EF_SOCKETPAIR;
}
