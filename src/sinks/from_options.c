/* SPDX-License-Identifier: GPL-2.0 */
/* The sink list a run's options ask for: shared by every front end that has a struct ipcd_options. */
#include "sinks/sinks.h"
#include "engine/pipeline.h"

/* Events print unless they go elsewhere (-w, --stats, --analyze), or --print asks for both. */
static bool prints_events(const struct ipcd_options *opts)
{
	return opts->print || !(opts->write_path || opts->stats || opts->analyze);
}

static bool add(struct ipcd_pipeline *p, struct ipcd_sink *s)
{
	if (!s)
		return false;
	ipcd_pipeline_add_sink(p, s);
	return true;
}

bool ipcd_pipeline_from_options(struct ipcd_pipeline *p, const struct ipcd_options *opts)
{
	/* a run that prints no events still reports its losses there */
	if (!add(p, prints_events(opts) ? ipcd_print_sink_new() : ipcd_lost_sink_new()))
		return false;
	/* -w FILE.db: the events into a SQLite store; any other name: a capture file */
	if (opts->write_path && ipcd_sqlite_path(opts->write_path)) {
		if (!add(p, ipcd_sqlite_sink_new(opts->write_path)))
			return false;
	} else if (opts->write_path &&
	    !add(p, opts->read_path ? ipcd_capture_filter_sink_new() : ipcd_capture_sink_new()))
		return false;
	if (opts->stats && !add(p, ipcd_stats_sink_new()))
		return false;
	if (opts->analyze && !add(p, ipcd_analyze_sink_new()))
		return false;
	return true;
}
