// SPDX-License-Identifier: GPL-2.0
/*
 * Every route of the API, matched exactly (server.h).  docs/openapi.yaml
 * documents each; a test checks that none is missing there.
 */
#include "api/routes.h"

const struct ipcda_route ipcda_routes[] = {
	{ "GET", "/healthz", IPCDA_ROLE_NONE, ipcda_get_healthz },
	{ "GET", "/readyz", IPCDA_ROLE_NONE, ipcda_get_readyz },
	{ "GET", "/metrics", IPCDA_ROLE_READ, ipcda_get_metrics },
	{ "GET", "/api/v1/status", IPCDA_ROLE_READ, ipcda_get_status },
	{ "POST", "/api/v1/reload", IPCDA_ROLE_ADMIN, ipcda_post_reload },
	{ "GET", "/api/v1/events", IPCDA_ROLE_READ, ipcda_get_events },
	{ "GET", "/api/v1/events/stream", IPCDA_ROLE_READ, ipcda_get_events_stream },
	{ "GET", "/api/v1/stats", IPCDA_ROLE_READ, ipcda_get_stats },
	{ "GET", "/api/v1/graph", IPCDA_ROLE_READ, ipcda_get_graph },
	{ NULL, NULL, IPCDA_ROLE_NONE, NULL },
};
