/* SPDX-License-Identifier: GPL-2.0 */
#include "util/base64.h"

#include <stdbool.h>
#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

ssize_t ipcd_base64_encode(const void *src, size_t len, char *dst, size_t cap)
{
	const uint8_t *in = src;
	size_t n = ipcd_base64_len(len), o = 0;

	if (cap <= n)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		dst[o++] = alphabet[v >> 18 & 63];
		dst[o++] = alphabet[v >> 12 & 63];
		dst[o++] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		dst[o++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	dst[o] = '\0';
	return (ssize_t)o;
}

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One group of four characters into out: the bytes it holds (1 to 3), or -1. */
static int decode_group(const char *g, bool last, uint8_t out[3])
{
	int v[4], pad = 0;

	for (int j = 0; j < 4; j++) {
		if (g[j] == '=' && last && j >= 2 && (j == 3 || g[3] == '=')) {
			v[j] = 0;
			pad++;
		} else if ((v[j] = value_of(g[j])) < 0) {
			return -1;
		}
	}
	uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];

	out[0] = (uint8_t)(bits >> 16);
	out[1] = (uint8_t)(bits >> 8);
	out[2] = (uint8_t)bits;
	return 3 - pad;
}

ssize_t ipcd_base64_decode(const char *src, size_t len, void *dst, size_t cap)
{
	uint8_t *out = dst, group[3];
	size_t o = 0;

	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int n = decode_group(src + i, i + 4 == len, group);

		if (n < 0 || o + (size_t)n > cap)
			return -1;
		for (int j = 0; j < n; j++)
			out[o++] = group[j];
	}
	return (ssize_t)o;
}
