/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A request target as the server reads it (api/url.c): the path and the
 * query string split, each percent-decoded by RFC 3986 (and '+' as a space
 * in the query, as HTML forms send it).  A '%' without two hex digits after
 * it, or one that decodes to a NUL, makes the request malformed: a 400,
 * never a guess.
 */
#ifndef IPCD_API_URL_H
#define IPCD_API_URL_H

#include <stdbool.h>
#include <stddef.h>

#define IPCDA_ARGS_MAX 32

struct ipcda_url {
	char *path;                      /* decoded */
	size_t arg_count;
	char *names[IPCDA_ARGS_MAX];     /* decoded */
	char *values[IPCDA_ARGS_MAX];    /* decoded; "" for "?name" */
};

/*
 * Decodes src[0..len) into dst, which has room for len + 1 bytes (decoding
 * never grows the text).  0, or -1 when src is malformed.
 */
int ipcda_percent_decode(const char *src, size_t len, char *dst, bool plus_is_space);

/*
 * target ("/api/v1/events?filter=a%20b") into url.  0; -1 malformed
 * (bad percent-encoding, more than IPCDA_ARGS_MAX arguments, no leading
 * '/'); -2 out of memory.  url is always freeable.
 */
int ipcda_url_parse(const char *target, struct ipcda_url *url);
void ipcda_url_free(struct ipcda_url *url);
/* The first argument named name; NULL when absent. */
const char *ipcda_url_arg(const struct ipcda_url *url, const char *name);

#endif /* IPCD_API_URL_H */
