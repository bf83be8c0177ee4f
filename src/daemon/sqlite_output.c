// SPDX-License-Identifier: GPL-2.0
/*
 * The SQLite output: sinks/sqlite.c's store, named by the configuration.
 * The database opens when the run starts (the sink's open), so a bad path
 * is reported there, before any collector is attached.
 */
#include "daemon/sqlite_output.h"

#include "sinks/sinks.h"

/* payload: N and {TYPE: N}: bytes kept per type (0: none, which a plain payload_limit cannot say). */
static void set_payload(struct ipcd_sink *s, const struct ipcdd_payload *payload, uint32_t trace_payload)
{
	uint32_t most = payload->given ? payload->default_bytes : trace_payload;

	s->payload_by_type = true;
	for (int t = 0; t < IPCD_TYPE_COUNT; t++) {
		s->payload_limit_of[t] = most;
		for (size_t i = 0; i < payload->rule_count; i++)
			if (payload->rules[i].types & IPCD_TYPE_BIT(t))
				s->payload_limit_of[t] = payload->rules[i].bytes;
	}
}

struct ipcd_sink *ipcdd_sqlite_output_new(struct ipcdd_output *out, uint32_t trace_payload, FILE *err)
{
	struct ipcd_sink *s = ipcd_sqlite_sink_new(out->path);

	if (!s) {
		fprintf(err, "ipcdumpd: error: out of memory\n");
		return NULL;
	}
	ipcd_sqlite_sink_set_program(s, "ipcdumpd");
	ipcd_sqlite_sink_set_retention(s, out->retention_secs, out->retention_bytes);
	set_payload(s, &out->payload, trace_payload);
	s->filter = out->filter;  /* the sink owns it now */
	out->filter = NULL;
	return s;
}
