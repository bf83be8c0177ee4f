/* SPDX-License-Identifier: GPL-2.0 */
/* libipcdump's event accessors and formatting, over the engine's event and its writers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/lib.h"
#include "families/signal_names.h"
#include "format/channel.h"
#include "format/output.h"

void lib_event_view(struct ipcdump_event *view, const struct ipcd_event *e, int64_t mono_to_real_ns)
{
	view->e = e;
	view->mono_to_real_ns = mono_to_real_ns;
	view->channel_done = false;
}

/* A "lost" report has no ends: the engine leaves them zero, the API says unknown. */
static const struct ipcd_endpoint no_end = { .pid = -1, .tid = -1, .ppid = -1 };

static const struct ipcd_endpoint *end_of(const struct ipcdump_event *event, enum ipcdump_end end)
{
	if (event->e->type == IPCD_TYPE_LOST)
		return &no_end;
	return end == IPCDUMP_DST ? &event->e->dst : &event->e->src;
}

const char *ipcdump_event_type(const struct ipcdump_event *event)
{
	return ipcd_type_name(event->e->type);
}

uint64_t ipcdump_event_time_ns(const struct ipcdump_event *event)
{
	return event->e->ts_ns;
}

int64_t ipcdump_event_wall_ns(const struct ipcdump_event *event)
{
	return (int64_t)(event->e->ts_ns + (uint64_t)event->mono_to_real_ns);
}

int64_t ipcdump_event_pid(const struct ipcdump_event *event, enum ipcdump_end end)
{
	return end_of(event, end)->pid;
}

int64_t ipcdump_event_tid(const struct ipcdump_event *event, enum ipcdump_end end)
{
	return end_of(event, end)->tid;
}

int64_t ipcdump_event_ppid(const struct ipcdump_event *event, enum ipcdump_end end)
{
	return end_of(event, end)->ppid;
}

const char *ipcdump_event_comm(const struct ipcdump_event *event, enum ipcdump_end end)
{
	return end_of(event, end)->comm;
}

const char *ipcdump_event_parent_comm(const struct ipcdump_event *event, enum ipcdump_end end)
{
	return end_of(event, end)->pcomm;
}

uint64_t ipcdump_event_bytes(const struct ipcdump_event *event)
{
	return event->e->bytes;
}

int64_t ipcdump_event_latency_ns(const struct ipcdump_event *event)
{
	return event->e->flags & IPCD_EF_HAS_LATENCY ? (int64_t)event->e->latency_ns : -1;
}

/* Named on demand: most callers never ask, and the view is the library's to fill. */
const char *ipcdump_event_channel(const struct ipcdump_event *event)
{
	struct ipcdump_event *view = (struct ipcdump_event *)event;

	if (!view->channel_done) {
		ipcd_event_channel(view->e, view->channel, sizeof(view->channel));
		view->channel_done = true;
	}
	return view->channel;
}

uint64_t ipcdump_event_channel_key(const struct ipcdump_event *event)
{
	return event->e->chan_key;
}

const void *ipcdump_event_payload(const struct ipcdump_event *event, size_t *len)
{
	if (len)
		*len = event->e->payload ? event->e->payload_len : 0;
	return event->e->payload_len ? event->e->payload : NULL;
}

int ipcdump_event_signal(const struct ipcdump_event *event)
{
	return event->e->type == IPCD_TYPE_SIGNAL ? event->e->sig : 0;
}

const char *ipcdump_event_signal_name(const struct ipcdump_event *event)
{
	struct ipcdump_event *view = (struct ipcdump_event *)event;

	if (event->e->type != IPCD_TYPE_SIGNAL)
		return NULL;
	return ipcd_signal_name(event->e->sig, view->signal_name, sizeof(view->signal_name));
}

uint64_t ipcdump_event_lost(const struct ipcdump_event *event)
{
	return event->e->type == IPCD_TYPE_LOST ? event->e->lost_count : 0;
}

/* ---- formatting ------------------------------------------------------------- */

/* The writers print to a FILE: a memory one, copied into the caller's buffer as snprintf would. */
int ipcdump_event_format(const struct ipcdump_event *event, enum ipcdump_format format, unsigned int flags,
			 char *buf, size_t len)
{
	struct ipcd_output o;
	char *text = NULL;
	size_t size = 0;
	FILE *mem;

	if ((format != IPCDUMP_FORMAT_TEXT && format != IPCDUMP_FORMAT_JSON) || (flags & ~IPCDUMP_FORMAT_PAYLOAD) ||
	    (!buf && len))
		return -EINVAL;
	if (!(mem = open_memstream(&text, &size)))
		return -ENOMEM;
	ipcd_output_init(&o, mem, format == IPCDUMP_FORMAT_JSON ? IPCD_FORMAT_JSON : IPCD_FORMAT_TEXT,
			 flags & IPCDUMP_FORMAT_PAYLOAD);
	o.mono_to_real_ns = event->mono_to_real_ns;
	ipcd_output_event(&o, event->e);
	if (fclose(mem) || size > INT32_MAX) {
		free(text);
		return -ENOMEM;
	}
	if (size && text[size - 1] == '\n')
		text[--size] = '\0';
	if (len)
		snprintf(buf, len, "%s", text);
	free(text);
	return (int)size;
}
