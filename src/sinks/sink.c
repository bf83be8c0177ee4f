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

void ipcd_sink_free(struct ipcd_sink *s)
{
	if (!s)
		return;
	if (s->free)
		s->free(s);
	fexpr_free(s->filter);
	free(s);
}
