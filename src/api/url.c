// SPDX-License-Identifier: GPL-2.0
/*
 * Request targets (url.h).  Our own decoder rather than libmicrohttpd's,
 * which passes a malformed '%' through as it is: a filter expression must
 * reach the endpoint exactly as the client wrote it, or not at all.
 */
#include "api/url.h"

#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ipcda_percent_decode(const char *src, size_t len, char *dst, bool plus_is_space)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (src[i] == '\0')
			return -1;
		if (src[i] == '+' && plus_is_space) {
			dst[o++] = ' ';
			continue;
		}
		if (src[i] != '%') {
			dst[o++] = src[i];
			continue;
		}
		if (len - i < 3 || (hi = hex_value(src[i + 1])) < 0 || (lo = hex_value(src[i + 2])) < 0)
			return -1;
		/* a NUL would cut the text short where the client did not */
		if (!hi && !lo)
			return -1;
		dst[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dst[o] = '\0';
	return 0;
}

/* src[0..len) decoded into a new string in *out: 0, -1 malformed, -2 out of memory. */
static int decode_new(const char *src, size_t len, bool plus_is_space, char **out)
{
	char *s = malloc(len + 1);

	if (!s)
		return -2;
	if (ipcda_percent_decode(src, len, s, plus_is_space)) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* One "name=value" (or "name") of the query. */
static int parse_arg(const char *arg, size_t len, struct ipcda_url *url)
{
	const char *eq = memchr(arg, '=', len);
	size_t name_len = eq ? (size_t)(eq - arg) : len;
	int rc;

	if (url->arg_count == IPCDA_ARGS_MAX)
		return -1;
	if ((rc = decode_new(arg, name_len, true, &url->names[url->arg_count])))
		return rc;
	rc = eq ? decode_new(eq + 1, len - name_len - 1, true, &url->values[url->arg_count])
		: decode_new("", 0, true, &url->values[url->arg_count]);
	if (rc) {
		free(url->names[url->arg_count]);
		url->names[url->arg_count] = NULL;
		return rc;
	}
	url->arg_count++;
	return 0;
}

static int parse_query(const char *query, struct ipcda_url *url)
{
	while (*query) {
		size_t len = strcspn(query, "&");
		int rc;

		if (len && (rc = parse_arg(query, len, url)))
			return rc;
		query += len;
		if (*query == '&')
			query++;
	}
	return 0;
}

int ipcda_url_parse(const char *target, struct ipcda_url *url)
{
	size_t path_len = strcspn(target, "?#");
	int rc;

	memset(url, 0, sizeof(*url));
	if (target[0] != '/')
		return -1;
	if ((rc = decode_new(target, path_len, false, &url->path)))
		return rc;
	if (target[path_len] != '?')
		return 0;
	{
		size_t query_len = strcspn(target + path_len + 1, "#");
		char *query = strndup(target + path_len + 1, query_len);

		if (!query)
			return -2;
		rc = parse_query(query, url);
		free(query);
	}
	return rc;
}

void ipcda_url_free(struct ipcda_url *url)
{
	free(url->path);
	for (size_t i = 0; i < url->arg_count; i++) {
		free(url->names[i]);
		free(url->values[i]);
	}
	memset(url, 0, sizeof(*url));
}

const char *ipcda_url_arg(const struct ipcda_url *url, const char *name)
{
	for (size_t i = 0; i < url->arg_count; i++)
		if (!strcmp(url->names[i], name))
			return url->values[i];
	return NULL;
}
