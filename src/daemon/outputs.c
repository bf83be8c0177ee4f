// SPDX-License-Identifier: GPL-2.0
/* One constructor per output type: the only place that knows them all. */
#include "daemon/outputs.h"

#include "daemon/file_output.h"
#include "daemon/sqlite_output.h"

static struct ipcd_sink *not_implemented(const char *config_path, const struct ipcdd_output *out, FILE *err)
{
	fprintf(err, "%s:%u:%u: error: %s output is not implemented yet\n", config_path, out->line, out->column,
		ipcdd_output_type_name(out->type));
	return NULL;
}

struct ipcd_sink *ipcdd_output_sink_new(const char *config_path, struct ipcdd_output *out,
					uint32_t trace_payload, FILE *err)
{
	switch (out->type) {
	case IPCDD_OUTPUT_FILE:
		if (out->format == IPCDD_FORMAT_CAPTURE)
			break;
		return ipcdd_file_output_new(out, trace_payload, err);
	case IPCDD_OUTPUT_SQLITE:
		return ipcdd_sqlite_output_new(out, trace_payload, err);
	case IPCDD_OUTPUT_SYSLOG:
		break;
	}
	return not_implemented(config_path, out, err);
}
