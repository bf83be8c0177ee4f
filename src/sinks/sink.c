/* SPDX-License-Identifier: GPL-2.0 */
#include <stdlib.h>
#include "sinks/sink.h"
#include "filter/filter_expr.h"

struct ipcd_sink *ipcd_sink_new(const char *name)
{
	struct ipcd_sink *s = calloc(1, sizeof(*s));

	if (s)
		s->name = name;
	return s;
}

const char *ipcd_drop_reason_name(enum ipcd_drop_reason reason)
{
	static const char *const names[IPCD_DROP_REASONS] = {
		[IPCD_DROP_NO_MEMORY] = "out of memory",
		[IPCD_DROP_QUEUE_FULL] = "queue full",
		[IPCD_DROP_WRITE_FAILED] = "write failed",
		[IPCD_DROP_STUCK] = "stuck",
	};

	return reason < IPCD_DROP_REASONS ? names[reason] : "?";
}

void ipcd_sink_free(struct ipcd_sink *s)
{
	if (!s)
		return;
	if (s->free)
		s->free(s);
	fexpr_free(s->filter);
	free(s);
}
