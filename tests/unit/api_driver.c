/* SPDX-License-Identifier: GPL-2.0 */
/* api.h's server side over plain structs, for the endpoints' unit tests (api_driver.h). */
#include "api_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PAIRS 32

struct pair {
	char *name, *value;
};

struct ipcda_context {
	char *store_path;
	struct ipcda_live *live;
};

struct ipcda_request {
	struct ipcda_context *ctx;
	struct pair args[MAX_PAIRS], headers[MAX_PAIRS], reply_headers[MAX_PAIRS];
	int nargs, nheaders, nreply_headers;
	unsigned status;
	char content_type[128];
	char *body;
	size_t len, cap;
	ipcda_produce_fn produce;
	void *stream_ctx;
	void (*done)(void *ctx);
	bool ended, idle;
};

struct ipcda_context *api_context_new(const char *store_path, struct ipcda_live *live)
{
	struct ipcda_context *ctx = calloc(1, sizeof(*ctx));

	if (ctx && store_path)
		ctx->store_path = strdup(store_path);
	if (ctx)
		ctx->live = live;
	return ctx;
}

void api_context_free(struct ipcda_context *ctx)
{
	if (ctx)
		free(ctx->store_path);
	free(ctx);
}

struct ipcda_request *api_request_new(struct ipcda_context *ctx)
{
	struct ipcda_request *rq = calloc(1, sizeof(*rq));

	if (rq)
		rq->ctx = ctx;
	return rq;
}

static void add_pair(struct pair *pairs, int *n, const char *name, const char *value)
{
	if (*n >= MAX_PAIRS)
		abort();
	pairs[*n].name = strdup(name);
	pairs[*n].value = strdup(value);
	(*n)++;
}

static void free_pairs(struct pair *pairs, int n)
{
	for (int i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
}

void api_request_arg(struct ipcda_request *rq, const char *name, const char *value)
{
	add_pair(rq->args, &rq->nargs, name, value);
}

void api_request_header(struct ipcda_request *rq, const char *name, const char *value)
{
	add_pair(rq->headers, &rq->nheaders, name, value);
}

static void end_stream(struct ipcda_request *rq)
{
	if (rq->done && !rq->ended)
		rq->done(rq->stream_ctx);
	rq->ended = true;
}

void api_request_free(struct ipcda_request *rq)
{
	if (!rq)
		return;
	end_stream(rq);
	free_pairs(rq->args, rq->nargs);
	free_pairs(rq->headers, rq->nheaders);
	free_pairs(rq->reply_headers, rq->nreply_headers);
	free(rq->body);
	free(rq);
}

static const char *find(const struct pair *pairs, int n, const char *name, bool nocase)
{
	for (int i = 0; i < n; i++)
		if (nocase ? !strcasecmp(pairs[i].name, name) : !strcmp(pairs[i].name, name))
			return pairs[i].value;
	return NULL;
}

/* ---- api.h: the server's side ------------------------------------------------- */

const char *ipcda_arg(const struct ipcda_request *rq, const char *name)
{
	return find(rq->args, rq->nargs, name, false);
}

const char *ipcda_header(const struct ipcda_request *rq, const char *name)
{
	return find(rq->headers, rq->nheaders, name, true);
}

struct ipcda_context *ipcda_context_of(const struct ipcda_request *rq)
{
	return rq->ctx;
}

char *ipcda_store_path(struct ipcda_context *ctx)
{
	return ctx->store_path ? strdup(ctx->store_path) : NULL;
}

struct ipcda_live *ipcda_live_of(struct ipcda_context *ctx)
{
	return ctx->live;
}

int ipcda_reply_header(struct ipcda_request *rq, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n") || strpbrk(value, "\r\n"))
		return -1;
	add_pair(rq->reply_headers, &rq->nreply_headers, name, value);
	return 0;
}

static void append(struct ipcda_request *rq, const void *data, size_t len)
{
	if (rq->len + len + 1 > rq->cap) {
		rq->cap = (rq->len + len + 1) * 2;
		if (!(rq->body = realloc(rq->body, rq->cap)))
			abort();
	}
	memcpy(rq->body + rq->len, data, len);
	rq->len += len;
	rq->body[rq->len] = '\0';
}

static void set_reply(struct ipcda_request *rq, unsigned status, const char *content_type)
{
	if (rq->status)   /* a handler answers once */
		abort();
	rq->status = status;
	snprintf(rq->content_type, sizeof(rq->content_type), "%s", content_type ? content_type : "");
}

int ipcda_reply(struct ipcda_request *rq, unsigned status, const char *content_type, const void *body, size_t len)
{
	set_reply(rq, status, content_type);
	append(rq, body, len);
	rq->ended = true;
	return 0;
}

int ipcda_reply_error(struct ipcda_request *rq, unsigned status, const char *message)
{
	char *body;
	size_t len;
	FILE *f = open_memstream(&body, &len);

	if (!f)
		abort();
	fputs("{\"error\": \"", f);
	for (const char *c = message; *c; c++) {
		if (*c == '\n')
			fputs("\\n", f);
		else if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputs("\"}\n", f);
	fclose(f);
	ipcda_reply(rq, status, "application/json", body, len);
	free(body);
	return 0;
}

int ipcda_reply_stream(struct ipcda_request *rq, unsigned status, const char *content_type, ipcda_produce_fn produce,
		       void *ctx, void (*done)(void *ctx))
{
	set_reply(rq, status, content_type);
	rq->produce = produce;
	rq->stream_ctx = ctx;
	rq->done = done;
	return 0;
}

/* ---- the test's side -------------------------------------------------------------- */

unsigned api_reply_status(const struct ipcda_request *rq)
{
	return rq->status;
}

const char *api_reply_content_type(const struct ipcda_request *rq)
{
	return rq->content_type;
}

const char *api_reply_header(const struct ipcda_request *rq, const char *name)
{
	return find(rq->reply_headers, rq->nreply_headers, name, true);
}

const char *api_reply_body(const struct ipcda_request *rq, size_t *len)
{
	if (len)
		*len = rq->len;
	return rq->body ? rq->body : "";
}

void api_reply_consume(struct ipcda_request *rq)
{
	rq->len = 0;
	if (rq->body)
		rq->body[0] = '\0';
}

bool api_reply_pump(struct ipcda_request *rq, size_t chunk, unsigned calls)
{
	char *buf = malloc(chunk);

	if (!buf)
		abort();
	for (unsigned i = 0; !rq->ended && rq->produce && (!calls || i < calls); i++) {
		ssize_t n = rq->produce(rq->stream_ctx, buf, chunk);

		rq->idle = n == 0;
		if (n < 0)
			end_stream(rq);
		else
			append(rq, buf, (size_t)n);
	}
	free(buf);
	return rq->ended;
}

bool api_reply_idle(const struct ipcda_request *rq)
{
	return rq->idle;
}
