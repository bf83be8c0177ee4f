// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "util/varint.h"

uint64_t ipcd_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

int64_t ipcd_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void ipcd_put_byte(struct ipcd_varint_out *o, uint8_t b)
{
	if (o->len >= o->cap) {
		o->full = true;
		return;
	}
	o->buf[o->len++] = b;
}

void ipcd_put_varint(struct ipcd_varint_out *o, uint64_t v)
{
	while (v >= 0x80) {
		ipcd_put_byte(o, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	ipcd_put_byte(o, (uint8_t)v);
}

void ipcd_put_signed(struct ipcd_varint_out *o, int64_t v)
{
	ipcd_put_varint(o, ipcd_zigzag(v));
}

void ipcd_put_bytes(struct ipcd_varint_out *o, const void *p, size_t n)
{
	ipcd_put_varint(o, n);
	if (o->cap - o->len < n) {
		o->full = true;
		return;
	}
	if (n)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

uint64_t ipcd_get_varint(struct ipcd_varint_in *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			break;
		uint8_t b = *r->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

int64_t ipcd_get_signed(struct ipcd_varint_in *r)
{
	return ipcd_unzigzag(ipcd_get_varint(r));
}

const uint8_t *ipcd_get_bytes(struct ipcd_varint_in *r, size_t *n)
{
	uint64_t len = ipcd_get_varint(r);
	const uint8_t *at = r->p;

	if (r->bad || len > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		*n = 0;
		return NULL;
	}
	r->p += len;
	*n = (size_t)len;
	return at;
}
