/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdumpd's YAML configuration: what to trace (trace:), where events go
 * (outputs:) and the REST API (api:).  Each section's keys are one declarative table in config.c.
 */
#ifndef IPCD_DAEMON_CONFIG_H
#define IPCD_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "api/server.h"

struct fexpr;

#define IPCDD_DEFAULT_CONFIG "/etc/ipcdump/ipcdumpd.yaml"
#define IPCDD_PAYLOAD_RULES_MAX 32
#define IPCDD_OUTPUTS_MAX 32

/* payload: {default: N, TYPE: N}: bytes kept per event, by type. */
struct ipcdd_payload {
	uint32_t default_bytes;
	bool given;
	size_t rule_count;
	struct {
		uint32_t types;  /* IPCD_TYPE_BIT mask */
		uint32_t bytes;
	} rules[IPCDD_PAYLOAD_RULES_MAX];
};

enum ipcdd_output_type { IPCDD_OUTPUT_FILE, IPCDD_OUTPUT_SYSLOG, IPCDD_OUTPUT_SQLITE };
enum ipcdd_format { IPCDD_FORMAT_JSON, IPCDD_FORMAT_CSV, IPCDD_FORMAT_TEXT, IPCDD_FORMAT_CAPTURE };
/* syslog's journald: auto, when journald runs and no socket is named; true, always; false, never. */
enum ipcdd_journald { IPCDD_JOURNALD_AUTO, IPCDD_JOURNALD_ON, IPCDD_JOURNALD_OFF };

struct ipcdd_output {
	enum ipcdd_output_type type;
	unsigned line, column;  /* where it is in the file, for messages at start */
	char *path;             /* file, sqlite */
	enum ipcdd_format format;
	uint64_t rotate_size;   /* bytes, 0: never */
	uint64_t rotate_interval;  /* seconds, 0: never */
	uint32_t rotate_keep;   /* rotated files kept, 0: all */
	bool compress;          /* compress: zstd */
	char *filter_text;
	struct fexpr *filter;
	struct ipcdd_payload payload;
	uint32_t mode;          /* file mode, 0600 by default */
	char *facility;         /* syslog */
	char *severity;         /* syslog: every event's */
	char *socket;           /* syslog: its unix datagram socket, NULL: /dev/log */
	char *tag;              /* syslog: the APP-NAME, SYSLOG_IDENTIFIER */
	enum ipcdd_journald journald;
	uint64_t retention_secs;   /* sqlite: rows older than this go, 0: kept */
	uint64_t retention_bytes;  /* sqlite: oldest rows go past this size, 0: no bound */
	uint32_t queue;         /* events waiting for the output at most; more are dropped and counted */
};

struct ipcdd_config {
	uint32_t types;            /* IPCD_TYPE_BIT mask; the registry's default when not given */
	char *filter_text;
	struct fexpr *filter;
	struct ipcdd_payload payload;
	bool kernel_signals;
	bool lifecycle;
	uint64_t buffer_size;
	uint32_t channels;
	size_t output_count;
	struct ipcdd_output outputs[IPCDD_OUTPUTS_MAX];
	struct ipcda_config api;   /* the REST API (api:); api.enabled false: none */
};

/*
 * Reads path into cfg (which it initializes with the defaults).  Writes one
 * line "PATH:LINE:COLUMN: error: message" to err per error and returns how
 * many there were; -1 when the file cannot be read at all (said on err).
 */
int ipcdd_config_load(const char *path, struct ipcdd_config *cfg, FILE *err);
void ipcdd_config_free(struct ipcdd_config *cfg);

/* The most payload the trace keeps for any type: what the kernel captures, what an output may ask at most. */
uint32_t ipcdd_trace_payload_max(const struct ipcdd_config *cfg);
/* The bytes p keeps of a type's events (an engine/event.h type): its default, or its last rule naming the type. */
uint32_t ipcdd_payload_of_type(const struct ipcdd_payload *p, unsigned type);
const char *ipcdd_format_name(enum ipcdd_format format);
const char *ipcdd_output_type_name(enum ipcdd_output_type type);

#endif /* IPCD_DAEMON_CONFIG_H */
