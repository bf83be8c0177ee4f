/* SPDX-License-Identifier: GPL-2.0 */
/* Replies built on api.h's: the endpoints write their bodies into an open_memstream(3). */
#ifndef IPCD_API_REPLY_H
#define IPCD_API_REPLY_H

#include <stddef.h>
#include <stdio.h>

struct ipcda_request;

/*
 * Closes f (opened on *buf and *len) and sends what it holds with status
 * and content_type, or a 500 when it could not be made; *buf is freed (NULL).
 */
void ipcda_reply_memstream(struct ipcda_request *rq, unsigned status, const char *content_type, FILE *f,
			   char **buf, size_t *len);

#endif /* IPCD_API_REPLY_H */
