// SPDX-License-Identifier: GPL-2.0
/* One constructor per output type: the only place that knows them all. */
#include "daemon/outputs.h"

#include "daemon/capture_output.h"
#include "daemon/file_output.h"
#include "daemon/sqlite_output.h"
#include "daemon/syslog_output.h"
#include "engine/event.h"

struct ipcd_sink *ipcdd_output_sink_new(const char *config_path, struct ipcdd_output *out,
					uint32_t trace_payload, FILE *err)
{
	switch (out->type) {
	case IPCDD_OUTPUT_FILE:
		if (out->format == IPCDD_FORMAT_CAPTURE)
			return ipcdd_capture_output_new(out, err);
		return ipcdd_file_output_new(out, trace_payload, err);
	case IPCDD_OUTPUT_SYSLOG:
		return ipcdd_syslog_output_new(out, err);
	case IPCDD_OUTPUT_SQLITE:
		return ipcdd_sqlite_output_new(out, trace_payload, err);
	}
	/* the configuration admits no other type */
	fprintf(err, "%s:%u:%u: error: unknown output type\n", config_path, out->line, out->column);
	return NULL;
}

void ipcdd_output_payload_limits(struct ipcd_sink *s, const struct ipcdd_payload *trace,
				 const struct ipcdd_payload *out)
{
	s->payload_by_type = true;
	for (unsigned t = 0; t < IPCD_TYPE_COUNT; t++) {
		uint32_t limit = ipcdd_payload_of_type(trace, t);

		/* an output may keep less of a type than the trace, never more */
		if (out->given && ipcdd_payload_of_type(out, t) < limit)
			limit = ipcdd_payload_of_type(out, t);
		s->payload_limit_of[t] = limit;
	}
}
