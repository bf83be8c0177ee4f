/* SPDX-License-Identifier: GPL-2.0 */
/* The server's own endpoints (api/status.c, api/metrics.c); the store's are in api.h. */
#ifndef IPCD_API_ROUTES_H
#define IPCD_API_ROUTES_H

#include "api/server.h"

void ipcda_get_healthz(struct ipcda_request *rq);
void ipcda_get_readyz(struct ipcda_request *rq);
void ipcda_get_status(struct ipcda_request *rq);
void ipcda_post_reload(struct ipcda_request *rq);
void ipcda_get_metrics(struct ipcda_request *rq);

#endif /* IPCD_API_ROUTES_H */
