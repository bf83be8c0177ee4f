/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP server's side of api.h until the server (api/server.c,
 * context.c) lands: the endpoints link, and no request ever reaches them.
 * Deleted when the server is merged.
 */
#include <stdlib.h>
#include "api/api.h"

const char *ipcda_arg(const struct ipcda_request *rq, const char *name)
{
	(void)rq;
	(void)name;
	return NULL;
}

const char *ipcda_header(const struct ipcda_request *rq, const char *name)
{
	(void)rq;
	(void)name;
	return NULL;
}

struct ipcda_context *ipcda_context_of(const struct ipcda_request *rq)
{
	(void)rq;
	return NULL;
}

char *ipcda_store_path(struct ipcda_context *ctx)
{
	(void)ctx;
	return NULL;
}

struct ipcda_live *ipcda_live_of(struct ipcda_context *ctx)
{
	(void)ctx;
	return NULL;
}

int ipcda_reply_header(struct ipcda_request *rq, const char *name, const char *value)
{
	(void)rq;
	(void)name;
	(void)value;
	return -1;
}

int ipcda_reply(struct ipcda_request *rq, unsigned status, const char *content_type, const void *body, size_t len)
{
	(void)rq;
	(void)status;
	(void)content_type;
	(void)body;
	(void)len;
	return -1;
}

int ipcda_reply_error(struct ipcda_request *rq, unsigned status, const char *message)
{
	(void)rq;
	(void)status;
	(void)message;
	return -1;
}

int ipcda_reply_stream(struct ipcda_request *rq, unsigned status, const char *content_type, ipcda_produce_fn produce,
		       void *ctx, void (*done)(void *ctx))
{
	(void)rq;
	(void)status;
	(void)content_type;
	(void)produce;
	if (done)
		done(ctx);
	return -1;
}
