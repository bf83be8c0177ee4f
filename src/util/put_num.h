/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decimal numbers onto a stream, by hand and without stdio's locks: numbers
 * are most of an event's text, and printf's parsing and locking showed up
 * as most of ipcdump's CPU per event.  One thread writes a stream.
 */
#ifndef IPCD_PUT_NUM_H
#define IPCD_PUT_NUM_H

#include <stdint.h>
#include <stdio.h>

static inline void put_u64(FILE *out, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), out);
}

static inline void put_i64(FILE *out, int64_t v)
{
	if (v < 0) {
		fputc_unlocked('-', out);
		put_u64(out, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(out, (uint64_t)v);
	}
}

#endif /* IPCD_PUT_NUM_H */
