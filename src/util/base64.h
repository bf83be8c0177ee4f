/* SPDX-License-Identifier: GPL-2.0 */
/* Standard base64 (RFC 4648, with padding): event records in JSON, credentials in headers. */
#ifndef IPCD_BASE64_H
#define IPCD_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* Characters the encoding of len bytes takes, without the NUL. */
static inline size_t ipcd_base64_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

/* src[0, len) into dst, NUL-terminated: its length, or -1 when dst (cap bytes) is too small. */
ssize_t ipcd_base64_encode(const void *src, size_t len, char *dst, size_t cap);
/*
 * src[0, len) (padding required, no white space) into dst: the bytes
 * decoded, or -1 when malformed or longer than cap.
 */
ssize_t ipcd_base64_decode(const char *src, size_t len, void *dst, size_t cap);

#endif /* IPCD_BASE64_H */
