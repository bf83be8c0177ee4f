/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The print sink: each event through the output printers (format/)
 * to the run's output, in the run's format and style.
 */
#include <stdlib.h>
#include "sinks/sinks.h"
#include "format/output.h"
#include "engine/pipeline.h"

static int print_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	const struct ipcd_options *opts = ipcd_pipeline_options(p);
	struct ipcd_output *o = s->ctx;

	ipcd_output_init(o, ipcd_pipeline_output(p), opts->format, opts->dump_bytes);
	ipcd_output_style(o, opts);
	o->mono_to_real_ns = ipcd_pipeline_clock(p);
	return 0;
}

static enum ipcd_sink_result print_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct ipcd_output *o = s->ctx;

	ipcd_output_event(o, e);
	/* a closed pipe or a full disk: nothing more can be printed */
	return ferror(o->out) ? IPCD_SINK_FAILED : IPCD_SINK_WRITTEN;
}

static void print_free(struct ipcd_sink *s)
{
	free(s->ctx);
}

static struct ipcd_sink *new_printer(const char *name, const char *fate)
{
	struct ipcd_sink *s = ipcd_sink_new(name);

	if (!s || !(s->ctx = calloc(1, sizeof(struct ipcd_output)))) {
		free(s);
		return NULL;
	}
	s->fate = fate;
	s->reports_losses = true;
	s->open = print_open;
	s->event = print_event;
	s->free = print_free;
	return s;
}

struct ipcd_sink *ipcd_print_sink_new(void)
{
	struct ipcd_sink *s = new_printer("print", "printed");

	/* what the joins still hold at the end goes out merged by time, as it happened */
	if (s)
		s->time_ordered = true;
	return s;
}

struct ipcd_sink *ipcd_lost_sink_new(void)
{
	return new_printer("lost", NULL);
}
