/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The `detail` column's encoding (store_detail.h).  One table names every
 * field it keeps: its tag (never reused: old stores stay readable), where
 * it is in struct ipcd_event, and how it is written.
 */
#include "sinks/store_detail.h"

#include <stddef.h>
#include <string.h>
#include "util/varint.h"

enum field_kind {
	FIELD_UNSIGNED,  /* an unsigned integer of the member's size */
	FIELD_BOOL,      /* a bool, written as FIELD_UNSIGNED is: read back as 0 or 1 whatever the byte said */
	FIELD_SIGNED,    /* signed, zigzag-encoded */
	FIELD_STRING,    /* a const char *, kept with its NUL */
	FIELD_BYTES,     /* the member's bytes as they are (an address tuple) */
};

struct field {
	uint8_t tag;
	uint8_t kind;
	uint16_t offset, size;
};

#define U(tag, m) { tag, FIELD_UNSIGNED, offsetof(struct ipcd_event, m), sizeof(((struct ipcd_event *)0)->m) }
#define B(tag, m) { tag, FIELD_BOOL, offsetof(struct ipcd_event, m), sizeof(bool) }
#define S(tag, m) { tag, FIELD_SIGNED, offsetof(struct ipcd_event, m), sizeof(((struct ipcd_event *)0)->m) }
#define STR(tag, m) { tag, FIELD_STRING, offsetof(struct ipcd_event, m), sizeof(char *) }
#define RAW(tag, m) { tag, FIELD_BYTES, offsetof(struct ipcd_event, m), sizeof(((struct ipcd_event *)0)->m) }

static const struct field fields[] = {
	/* pipes */
	U(1, ino), STR(2, path), S(3, src_fd), S(4, dst_fd), U(5, src_call), U(6, dst_call),
	/* unix sockets */
	U(10, src_sock), U(11, dst_sock), U(12, src_ino), U(13, dst_ino),
	STR(14, src_name), STR(15, dst_name), STR(16, dest_addr),
	U(17, conn_event), S(18, conn_arg), U(19, sock_type),
	/* loopback */
	B(30, has_inet), B(31, inet_v6), U(32, inet_proto), RAW(33, inet), B(34, dst_is_listener), U(35, chan_key),
	/* pseudo-terminals */
	U(40, pty_index), U(41, pty_writer_side), U(42, pty_session), U(43, pty_fg_pgrp),
	/* message queues */
	U(50, mq_kind), S(51, mq_id), B(52, mq_has_key), S(53, mq_key), STR(54, mq_name), S(55, mq_type),
	U(56, mq_op),
	/* shared memory */
	U(60, shm_op), STR(61, shm_name), B(62, shm_sysv), B(63, shm_has_key), S(64, shm_key), S(65, shm_id),
	U(66, shm_size), U(67, shm_addr), U(68, shm_offset),
	/* signals */
	S(70, sig), S(71, code), S(72, result), S(73, error), U(74, sig_flags), U(75, value),
	/* lost records */
	U(80, lost_collector), U(81, lost_count),
};

/* Not in the table: each needs a loop. */
enum {
	TAG_SHARER = 100,      /* one per pid, in order */
	TAG_NFDS = 110, TAG_CREDS, TAG_CRED_PID, TAG_CRED_UID, TAG_CRED_GID,
	TAG_FD = 120,          /* a passed fd: bytes of fd, kind, ino varints and the path */
};

/* ---- writing ---------------------------------------------------------------- */

static uint64_t load_unsigned(const void *p, size_t size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: return *(const uint16_t *)p;
	case 4: return *(const uint32_t *)p;
	default: return *(const uint64_t *)p;
	}
}

static int64_t load_signed(const void *p, size_t size)
{
	switch (size) {
	case 1: return *(const int8_t *)p;
	case 2: return *(const int16_t *)p;
	case 4: return *(const int32_t *)p;
	default: return *(const int64_t *)p;
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void put_field(struct ipcd_varint_out *w, const struct field *f, const struct ipcd_event *e)
{
	const uint8_t *at = (const uint8_t *)e + f->offset;
	const char *str;

	switch (f->kind) {
	case FIELD_UNSIGNED:
	case FIELD_BOOL:
		if (load_unsigned(at, f->size)) {
			ipcd_put_byte(w, f->tag);
			ipcd_put_varint(w, load_unsigned(at, f->size));
		}
		break;
	case FIELD_SIGNED:
		if (load_signed(at, f->size)) {
			ipcd_put_byte(w, f->tag);
			ipcd_put_varint(w, ipcd_zigzag(load_signed(at, f->size)));
		}
		break;
	case FIELD_STRING:
		memcpy(&str, at, sizeof(str));
		if (str) {
			ipcd_put_byte(w, f->tag);
			ipcd_put_bytes(w, str, strlen(str) + 1);
		}
		break;
	case FIELD_BYTES:
		if (!all_zero(at, f->size)) {
			ipcd_put_byte(w, f->tag);
			ipcd_put_bytes(w, at, f->size);
		}
		break;
	}
}

static void put_fd(struct ipcd_varint_out *w, const struct ipcd_fd_desc *d)
{
	uint8_t tmp[64 + IPCD_PATH_MAX];
	struct ipcd_varint_out sub = { .buf = tmp, .cap = sizeof(tmp) };

	ipcd_put_varint(&sub, ipcd_zigzag(d->fd));
	ipcd_put_varint(&sub, d->kind);
	ipcd_put_varint(&sub, d->ino);
	if (d->path)
		ipcd_put_bytes(&sub, d->path, strlen(d->path) + 1);
	ipcd_put_byte(w, TAG_FD);
	w->full |= sub.full;
	ipcd_put_bytes(w, tmp, sub.len);
}

static void put_tagged(struct ipcd_varint_out *w, uint8_t tag, uint64_t v)
{
	if (!v)
		return;
	ipcd_put_byte(w, tag);
	ipcd_put_varint(w, v);
}

static void put_extra(struct ipcd_varint_out *w, const struct ipcd_sock_extra *x)
{
	put_tagged(w, TAG_NFDS, x->nfds);
	put_tagged(w, TAG_CREDS, x->creds);
	put_tagged(w, TAG_CRED_PID, x->cred_pid);
	put_tagged(w, TAG_CRED_UID, x->cred_uid);
	put_tagged(w, TAG_CRED_GID, x->cred_gid);
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++)
		put_fd(w, &x->fds[i]);
}

size_t ipcd_detail_encode(const struct ipcd_event *e, uint8_t *buf, size_t cap)
{
	struct ipcd_varint_out w = { .buf = buf, .cap = cap };

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		put_field(&w, &fields[i], e);
	for (uint32_t i = 0; e->shm_sharers && i < e->shm_nsharers; i++) {
		ipcd_put_byte(&w, TAG_SHARER);
		ipcd_put_varint(&w, e->shm_sharers[i]);
	}
	if (e->extra)
		put_extra(&w, e->extra);
	return w.full ? 0 : w.len;
}

/* ---- reading ---------------------------------------------------------------- */

/* A string kept with its NUL: usable in place. */
static const char *get_string(struct ipcd_varint_in *r)
{
	size_t n;
	const uint8_t *s = ipcd_get_bytes(r, &n);

	if (!s || !n || s[n - 1]) {
		r->bad = true;
		return NULL;
	}
	return (const char *)s;
}

static void store_unsigned(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: *(uint16_t *)p = (uint16_t)v; break;
	case 4: *(uint32_t *)p = (uint32_t)v; break;
	default: *(uint64_t *)p = v; break;
	}
}

static void get_field(struct ipcd_varint_in *r, const struct field *f, struct ipcd_event *e)
{
	uint8_t *at = (uint8_t *)e + f->offset;
	const uint8_t *bytes;
	const char *str;
	size_t n;

	switch (f->kind) {
	case FIELD_UNSIGNED:
		store_unsigned(at, f->size, ipcd_get_varint(r));
		break;
	case FIELD_BOOL:
		*(bool *)at = ipcd_get_varint(r) != 0;
		break;
	case FIELD_SIGNED:
		store_unsigned(at, f->size, (uint64_t)ipcd_unzigzag(ipcd_get_varint(r)));
		break;
	case FIELD_STRING:
		str = get_string(r);
		memcpy(at, &str, sizeof(str));
		break;
	case FIELD_BYTES:
		bytes = ipcd_get_bytes(r, &n);
		if (bytes && n == f->size)
			memcpy(at, bytes, n);
		else
			r->bad = true;
		break;
	}
}

static void get_fd(struct ipcd_varint_in *r, struct ipcd_sock_extra *x)
{
	size_t n;
	const uint8_t *sub = ipcd_get_bytes(r, &n);
	struct ipcd_varint_in s;
	struct ipcd_fd_desc *d;

	if (!sub || x->ndesc >= IPCD_PASSED_FDS_MAX) {
		r->bad = true;
		return;
	}
	s = (struct ipcd_varint_in){ .p = sub, .end = sub + n };
	d = &x->fds[x->ndesc++];
	d->fd = (int32_t)ipcd_unzigzag(ipcd_get_varint(&s));
	d->kind = (uint16_t)ipcd_get_varint(&s);
	d->ino = ipcd_get_varint(&s);
	d->path = s.p < s.end ? (char *)get_string(&s) : NULL;
	r->bad |= s.bad;
}

/* The tags outside the table: false if tag is not one of them. */
static bool get_special(struct ipcd_varint_in *r, uint8_t tag, struct ipcd_event *e, struct ipcd_detail_store *st)
{
	struct ipcd_sock_extra *x = &st->extra;

	switch (tag) {
	case TAG_SHARER:
		if (e->shm_nsharers >= sizeof(st->sharers) / sizeof(st->sharers[0])) {
			r->bad = true;
			return true;
		}
		st->sharers[e->shm_nsharers++] = (uint32_t)ipcd_get_varint(r);
		e->shm_sharers = st->sharers;
		return true;
	case TAG_NFDS: x->nfds = (uint32_t)ipcd_get_varint(r); break;
	case TAG_CREDS: x->creds = ipcd_get_varint(r) != 0; break;
	case TAG_CRED_PID: x->cred_pid = (uint32_t)ipcd_get_varint(r); break;
	case TAG_CRED_UID: x->cred_uid = (uint32_t)ipcd_get_varint(r); break;
	case TAG_CRED_GID: x->cred_gid = (uint32_t)ipcd_get_varint(r); break;
	case TAG_FD: get_fd(r, x); break;
	default: return false;
	}
	e->extra = x;
	return true;
}

static const struct field *field_of(uint8_t tag)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].tag == tag)
			return &fields[i];
	return NULL;
}

bool ipcd_detail_decode(struct ipcd_event *e, const uint8_t *buf, size_t len, struct ipcd_detail_store *st)
{
	struct ipcd_varint_in r = { .p = buf, .end = buf + len };
	const struct field *f;

	memset(&st->extra, 0, sizeof(st->extra));
	while (!r.bad && r.p < r.end) {
		uint8_t tag = *r.p++;

		if ((f = field_of(tag)))
			get_field(&r, f, e);
		else if (!get_special(&r, tag, e, st))
			return false;  /* a tag from a newer ipcdump: its length is not known */
	}
	return !r.bad;
}
