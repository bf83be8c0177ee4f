/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Varints (LEB128, 7 bits a byte) and length-prefixed bytes in a bounded
 * buffer, written and read back: the SQLite store's detail column
 * (sinks/store_detail.c) and an event's wire record (sinks/event_record.c)
 * are both made of them.  Neither side fails midway: a writer that runs out
 * of room marks itself full, a reader that meets damage marks itself bad,
 * and the caller looks once at the end.
 */
#ifndef IPCD_UTIL_VARINT_H
#define IPCD_UTIL_VARINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ipcd_varint_out {
	uint8_t *buf;
	size_t len, cap;
	bool full;   /* something did not fit: len is short of it */
};

struct ipcd_varint_in {
	const uint8_t *p, *end;
	bool bad;    /* ran past the end, or an overlong varint: what was read since is zero */
};

/* Signed numbers as small unsigned ones: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ... */
uint64_t ipcd_zigzag(int64_t v);
int64_t ipcd_unzigzag(uint64_t v);

void ipcd_put_byte(struct ipcd_varint_out *o, uint8_t b);
void ipcd_put_varint(struct ipcd_varint_out *o, uint64_t v);
void ipcd_put_signed(struct ipcd_varint_out *o, int64_t v);
/* n, then the n bytes */
void ipcd_put_bytes(struct ipcd_varint_out *o, const void *p, size_t n);

uint64_t ipcd_get_varint(struct ipcd_varint_in *r);
int64_t ipcd_get_signed(struct ipcd_varint_in *r);
/* What ipcd_put_bytes wrote, in place, its length in *n; NULL (and r bad) if it runs past the end. */
const uint8_t *ipcd_get_bytes(struct ipcd_varint_in *r, size_t *n);

#endif /* IPCD_UTIL_VARINT_H */
