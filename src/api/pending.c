// SPDX-License-Identifier: GPL-2.0
/*
 * Stand-ins for the endpoints that read the store and the live feed (api.h:
 * events, stream, stats, graph, and the live feed itself) until they land:
 * each endpoint answers 501, the live feed's sink takes events and keeps
 * nothing.  This file goes when api/events.c, stream.c, stats.c, graph.c
 * and live.c arrive.
 */
#include <stdlib.h>
#include "api/api.h"
#include "sinks/sink.h"

struct ipcda_live {
	int unused;
};

void ipcda_get_events(struct ipcda_request *rq)
{
	ipcda_reply_error(rq, 501, "not implemented");
}

void ipcda_get_events_stream(struct ipcda_request *rq)
{
	ipcda_reply_error(rq, 501, "not implemented");
}

void ipcda_get_stats(struct ipcda_request *rq)
{
	ipcda_reply_error(rq, 501, "not implemented");
}

void ipcda_get_graph(struct ipcda_request *rq)
{
	ipcda_reply_error(rq, 501, "not implemented");
}

struct ipcda_live *ipcda_live_new(void)
{
	return calloc(1, sizeof(struct ipcda_live));
}

struct ipcd_sink *ipcda_live_sink_new(struct ipcda_live *live)
{
	struct ipcd_sink *s = ipcd_sink_new("live");

	if (s)
		s->ctx = live;
	return s;
}

void ipcda_live_free(struct ipcda_live *live)
{
	free(live);
}

void ipcda_live_counts(struct ipcda_live *live, uint64_t *clients, uint64_t *dropped_slow)
{
	(void)live;
	*clients = 0;
	*dropped_slow = 0;
}
