/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The REST API inside ipcdumpd's run (daemon/api_service.c): its live feed
 * and metrics, their sinks in the pipeline, the context the handlers read,
 * and the server.  The service drives it from the pipeline's thread.
 */
#ifndef IPCD_DAEMON_API_SERVICE_H
#define IPCD_DAEMON_API_SERVICE_H

#include <stddef.h>
#include <stdio.h>
#include "api/server.h"

struct ipcd_sink;
struct ipcda_context;

#define IPCDD_API_SINKS 2

struct ipcdd_api;

/* The feed, the metrics and their sinks for cfg (which outlives it); NULL if out of memory. */
struct ipcdd_api *ipcdd_api_new(const struct ipcda_config *cfg);
/* The sinks the pipeline keeps for as long as the API runs (reloads included); the pipeline owns them. */
size_t ipcdd_api_sinks(struct ipcdd_api *a, struct ipcd_sink **sinks);
struct ipcda_context *ipcdd_api_context(struct ipcdd_api *a);
/* Listens and serves: 0, or -1 after one line per failure on err. */
int ipcdd_api_start(struct ipcdd_api *a, FILE *err);
/* Stops serving (the replies under way end); again is harmless. */
void ipcdd_api_stop(struct ipcdd_api *a);
/* After the pipeline that held its sinks is freed. */
void ipcdd_api_free(struct ipcdd_api *a);
/* The two sections would serve alike. */
bool ipcdd_api_same(const struct ipcda_config *a, const struct ipcda_config *b);

enum ipcdd_api_reload {
	IPCDD_API_SAME,         /* nothing changed */
	IPCDD_API_CREDENTIALS,  /* tokens and users changed, and the API checks the new ones from now */
	IPCDD_API_RESTART,      /* anything else changed: it takes effect at restart */
	IPCDD_API_FAILED,       /* out of memory: the old credentials stay */
};

/*
 * A reload's api: section (next) against the running one (running, which
 * a, NULL when the API is off, serves): tokens and users are taken up at
 * once (they move from next to running); any other change waits for a
 * restart.
 */
enum ipcdd_api_reload ipcdd_api_reload(struct ipcdd_api *a, struct ipcda_config *running, struct ipcda_config *next);

#endif /* IPCD_DAEMON_API_SERVICE_H */
