/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The REST API's endpoints without the HTTP server: api.h's request and
 * reply calls over plain structs, so unit tests call a handler and read
 * what it answered (its status, headers and body, streamed bodies pumped
 * at whatever pace the test chooses).
 */
#ifndef API_DRIVER_H
#define API_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include "api/api.h"

/* What the service shows the API: a store's path (NULL: none) and the live feed (may be NULL). */
struct ipcda_context *api_context_new(const char *store_path, struct ipcda_live *live);
void api_context_free(struct ipcda_context *ctx);

struct ipcda_request *api_request_new(struct ipcda_context *ctx);
/* name=value of the query (value as the server gives it: decoded) */
void api_request_arg(struct ipcda_request *rq, const char *name, const char *value);
void api_request_header(struct ipcda_request *rq, const char *name, const char *value);
/* Ends a streamed reply still running (done called, as when a client goes away), frees rq. */
void api_request_free(struct ipcda_request *rq);

/* The reply: status (0: none yet), content type, a header of it (NULL: absent). */
unsigned api_reply_status(const struct ipcda_request *rq);
const char *api_reply_content_type(const struct ipcda_request *rq);
const char *api_reply_header(const struct ipcda_request *rq, const char *name);
/* The body so far, NUL-terminated; its length in *len (may be NULL). */
const char *api_reply_body(const struct ipcda_request *rq, size_t *len);
/* Forgets the body read so far (a long stream's). */
void api_reply_consume(struct ipcda_request *rq);

/*
 * A streamed reply read: produce called with chunk bytes at a time, up to
 * calls times (0: until the end).  true when the body has ended (done
 * called).  A whole reply has ended already.
 */
bool api_reply_pump(struct ipcda_request *rq, size_t chunk, unsigned calls);
/* The stream's produce returned 0 on its last call (nothing ready). */
bool api_reply_idle(const struct ipcda_request *rq);

#endif /* API_DRIVER_H */
