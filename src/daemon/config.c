// SPDX-License-Identifier: GPL-2.0
/*
 * ipcdumpd's configuration, read with libyaml's document API (every node
 * carries its line and column).  Each section is one table of keys (name,
 * kind, where the value goes, default), as Fluent Bit's config_map: the
 * checks, the defaults and dist/ipcdumpd.yaml follow the tables.  Errors do
 * not stop the reading: every one is reported, one line each.
 */
#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "api/auth.h"
#include "cli/options.h"
#include "daemon/syslog_output.h"
#include "engine/options.h"
#include "filter/filter_expr.h"
#include "records.h"

enum key_kind {
	KEY_BOOL,
	KEY_UINT,
	KEY_SIZE,        /* 16M, 512K, 1G or bytes */
	KEY_DURATION,    /* 30s, 5m, 1h, 7d or seconds */
	KEY_STRING,
	KEY_MODE,        /* octal, as chmod takes it */
	KEY_FORMAT,      /* json, csv, text, capture */
	KEY_LINE_FORMAT, /* json, text: one event per line */
	KEY_COMPRESS,    /* zstd */
	KEY_FACILITY,    /* a syslog facility */
	KEY_SEVERITY,    /* a syslog severity */
	KEY_APP_NAME,    /* RFC 5424's APP-NAME: 1..48 printable ASCII characters */
	KEY_JOURNALD,    /* auto, true or false */
	KEY_TYPES,       /* a list of -t names */
	KEY_FILTER,      /* the filter language; value: the text, aux: the parsed filter */
	KEY_PAYLOAD,     /* {default: N, TYPE: N} */
	KEY_ROTATE,      /* {size, interval, keep} */
	KEY_RETENTION,   /* a duration, a size, or a list of both */
	KEY_OUTPUT_TYPE, /* an output's type: read first, to pick its table */
	KEY_LISTEN,      /* api: a list of "HOST:PORT", "[V6]:PORT", "unix:PATH" */
	KEY_API_TLS,     /* api: {cert, key} */
	KEY_API_METRICS, /* api: {pairs, pairs_max} */
	KEY_TOKENS,      /* api: a list of {name, sha256, role} */
	KEY_USERS,       /* api: a list of {name, password_hash, role} */
	KEY_UIDS,        /* api: a list of uids */
	KEY_ROLE,        /* read or admin */
	KEY_SHA256,      /* 64 hex digits */
	KEY_PASSWORD_HASH, /* a crypt(3) hash */
};

struct config_key {
	const char *name;
	enum key_kind kind;
	size_t offset;       /* where the value goes in the section's struct */
	size_t aux_offset;   /* KEY_FILTER: the parsed filter; KEY_RETENTION: the size */
	const char *default_value;  /* parsed as if written in the file; NULL: none */
	bool required;
	uint64_t min, max;   /* KEY_UINT, KEY_SIZE: the range */
};

#define CFG(field) offsetof(struct ipcdd_config, field)
#define OUT(field) offsetof(struct ipcdd_output, field)

static const struct config_key trace_keys[] = {
	{ "types", KEY_TYPES, CFG(types), 0, NULL, false, 0, 0 },
	{ "filter", KEY_FILTER, CFG(filter_text), CFG(filter), NULL, false, 0, 0 },
	{ "payload", KEY_PAYLOAD, CFG(payload), 0, NULL, false, 0, 0 },
	{ "kernel_signals", KEY_BOOL, CFG(kernel_signals), 0, "false", false, 0, 0 },
	{ "lifecycle", KEY_BOOL, CFG(lifecycle), 0, "false", false, 0, 0 },
	{ "buffer_size", KEY_SIZE, CFG(buffer_size), 0, "16M", false, 4096, 1ull << 30 },
	{ "channels", KEY_UINT, CFG(channels), 0, "131072", false, 1, 1u << 24 },
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const struct config_key file_keys[] = {
	{ "type", KEY_OUTPUT_TYPE, OUT(type), 0, NULL, true, 0, 0 },
	{ "path", KEY_STRING, OUT(path), 0, NULL, true, 0, 0 },
	{ "format", KEY_FORMAT, OUT(format), 0, "json", false, 0, 0 },
	{ "rotate", KEY_ROTATE, 0, 0, NULL, false, 0, 0 },
	{ "compress", KEY_COMPRESS, OUT(compress), 0, NULL, false, 0, 0 },
	{ "filter", KEY_FILTER, OUT(filter_text), OUT(filter), NULL, false, 0, 0 },
	{ "payload", KEY_PAYLOAD, OUT(payload), 0, NULL, false, 0, 0 },
	{ "mode", KEY_MODE, OUT(mode), 0, "0600", false, 0, 0 },
	{ "queue", KEY_UINT, OUT(queue), 0, "65536", false, 1, 1u << 24 },  /* sinks.h IPCD_QUEUE_DEFAULT */
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const struct config_key rotate_keys[] = {
	{ "size", KEY_SIZE, OUT(rotate_size), 0, "0", false, 0, UINT64_MAX },
	{ "interval", KEY_DURATION, OUT(rotate_interval), 0, "0", false, 0, 0 },
	{ "keep", KEY_UINT, OUT(rotate_keep), 0, "0", false, 0, UINT32_MAX },
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const struct config_key syslog_keys[] = {
	{ "type", KEY_OUTPUT_TYPE, OUT(type), 0, NULL, true, 0, 0 },
	{ "facility", KEY_FACILITY, OUT(facility), 0, "daemon", false, 0, 0 },
	{ "format", KEY_LINE_FORMAT, OUT(format), 0, "text", false, 0, 0 },
	{ "filter", KEY_FILTER, OUT(filter_text), OUT(filter), NULL, false, 0, 0 },
	{ "queue", KEY_UINT, OUT(queue), 0, "65536", false, 1, 1u << 24 },  /* sinks.h IPCD_QUEUE_DEFAULT */
	{ "severity", KEY_SEVERITY, OUT(severity), 0, "info", false, 0, 0 },
	{ "socket", KEY_STRING, OUT(socket), 0, NULL, false, 0, 0 },
	{ "tag", KEY_APP_NAME, OUT(tag), 0, "ipcdumpd", false, 0, 0 },
	{ "journald", KEY_JOURNALD, OUT(journald), 0, "auto", false, 0, 0 },
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const struct config_key sqlite_keys[] = {
	{ "type", KEY_OUTPUT_TYPE, OUT(type), 0, NULL, true, 0, 0 },
	{ "path", KEY_STRING, OUT(path), 0, NULL, true, 0, 0 },
	{ "retention", KEY_RETENTION, OUT(retention_secs), OUT(retention_bytes), NULL, false, 0, 0 },
	{ "filter", KEY_FILTER, OUT(filter_text), OUT(filter), NULL, false, 0, 0 },
	{ "payload", KEY_PAYLOAD, OUT(payload), 0, NULL, false, 0, 0 },
	{ "queue", KEY_UINT, OUT(queue), 0, "65536", false, 1, 1u << 24 },  /* sinks.h IPCD_QUEUE_DEFAULT */
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

#define API(field) offsetof(struct ipcda_config, field)

/* The REST API (api/server.h, docs/api.md); limits keep a hostile client small. */
static const struct config_key api_keys[] = {
	{ "listen", KEY_LISTEN, 0, 0, NULL, true, 0, 0 },
	{ "tls", KEY_API_TLS, 0, 0, NULL, false, 0, 0 },
	{ "tokens", KEY_TOKENS, 0, 0, NULL, false, 0, 0 },
	{ "token_file", KEY_STRING, API(token_file), 0, NULL, false, 0, 0 },
	{ "users", KEY_USERS, 0, 0, NULL, false, 0, 0 },
	{ "unix_uids", KEY_UIDS, 0, 0, NULL, false, 0, 0 },
	{ "unix_role", KEY_ROLE, API(unix_role), 0, "read", false, 0, 0 },
	{ "insecure", KEY_BOOL, API(insecure), 0, "false", false, 0, 0 },
	{ "max_connections", KEY_UINT, API(max_connections), 0, "64", false, 1, 4096 },
	{ "max_connections_per_ip", KEY_UINT, API(max_connections_per_ip), 0, "16", false, 1, 4096 },
	{ "timeout", KEY_DURATION, API(timeout_secs), 0, "10s", false, 0, 0 },
	{ "max_header_size", KEY_SIZE, API(max_header_bytes), 0, "16K", false, 4096, 1ull << 20 },
	{ "max_body_size", KEY_SIZE, API(max_body_bytes), 0, "64K", false, 0, 1ull << 30 },
	{ "auth_failures", KEY_UINT, API(auth_failures), 0, "10", false, 1, 1000000 },
	{ "auth_window", KEY_DURATION, API(auth_window_secs), 0, "60s", false, 0, 0 },
	{ "metrics", KEY_API_METRICS, 0, 0, NULL, false, 0, 0 },
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const struct config_key api_tls_keys[] = {
	{ "cert", KEY_STRING, API(tls_cert), 0, NULL, true, 0, 0 },
	{ "key", KEY_STRING, API(tls_key), 0, NULL, true, 0, 0 },
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const struct config_key api_metrics_keys[] = {
	{ "pairs", KEY_BOOL, API(metrics_pairs), 0, "false", false, 0, 0 },
	{ "pairs_max", KEY_UINT, API(metrics_pairs_max), 0, "1000", false, 1, 100000 },
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const struct config_key token_keys[] = {
	{ "name", KEY_STRING, offsetof(struct ipcda_token, name), 0, NULL, true, 0, 0 },
	{ "sha256", KEY_SHA256, offsetof(struct ipcda_token, sha256), 0, NULL, true, 0, 0 },
	{ "role", KEY_ROLE, offsetof(struct ipcda_token, role), 0, "read", false, 0, 0 },
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const struct config_key user_keys[] = {
	{ "name", KEY_STRING, offsetof(struct ipcda_user, name), 0, NULL, true, 0, 0 },
	{ "password_hash", KEY_PASSWORD_HASH, offsetof(struct ipcda_user, password_hash), 0, NULL, true, 0, 0 },
	{ "role", KEY_ROLE, offsetof(struct ipcda_user, role), 0, "read", false, 0, 0 },
	{ NULL, 0, 0, 0, NULL, false, 0, 0 },
};

static const char *const top_keys[] = { "trace", "outputs", "api" };
static const char *const output_types[] = { "file", "syslog", "sqlite" };
static const struct config_key *const output_tables[] = { file_keys, syslog_keys, sqlite_keys };
static const char *const format_names[] = { "json", "csv", "text", "capture" };
static const char *const line_format_names[] = { "json", "text" };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One reading: the file's name for messages, where they go, and how many there were. */
struct reader {
	const char *path;
	FILE *err;
	int errors;
	yaml_document_t doc;
	struct ipcdd_config *cfg;
};

static void vreport(struct reader *r, size_t line, size_t column, const char *fmt, va_list ap)
{
	fprintf(r->err, "%s:%zu:%zu: error: ", r->path, line, column);
	vfprintf(r->err, fmt, ap);
	fputc('\n', r->err);
	r->errors++;
}

/* An error at node, shift characters into it (a filter's caret). */
__attribute__((format(printf, 4, 5)))
static void error_at(struct reader *r, const yaml_node_t *node, size_t shift, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(r, node->start_mark.line + 1, node->start_mark.column + 1 + shift, fmt, ap);
	va_end(ap);
}

static const char *scalar(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

static const char *node_kind_name(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

/* "unknown WHAT 'typed' (did you mean 'x'?)", at node. */
static void unknown_name(struct reader *r, const yaml_node_t *node, const char *what, const char *typed,
			 const char *const *names, size_t count)
{
	const char *closest = ipcd_closest_name(typed, names, count);

	if (closest)
		error_at(r, node, 0, "unknown %s '%s' (did you mean '%s'?)", what, typed, closest);
	else
		error_at(r, node, 0, "unknown %s '%s'", what, typed);
}

static int name_index(const char *typed, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (!strcmp(typed, names[i]))
			return (int)i;
	return -1;
}

/* ---- scalar values: text in, value out, or why not -------------------------- */

static int parse_number(const char *text, uint64_t *out, const char **end)
{
	char *stop;

	if (!isdigit((unsigned char)*text))  /* strtoull takes blanks and signs */
		return -EINVAL;
	errno = 0;
	*out = strtoull(text, &stop, 10);
	*end = stop;
	return errno ? -ERANGE : 0;
}

static int parse_scaled(const char *text, const char *units, const uint64_t *scales, uint64_t *out)
{
	const char *end, *unit;
	uint64_t v, scale = 1;

	if (parse_number(text, &v, &end))
		return -EINVAL;
	if (*end) {
		unit = strchr(units, *end);
		if (!unit || end[1])
			return -EINVAL;
		scale = scales[unit - units];
	}
	if (v > UINT64_MAX / scale)
		return -ERANGE;
	*out = v * scale;
	return 0;
}

static int parse_size(const char *text, uint64_t *out)
{
	static const uint64_t scales[] = { 1ull << 10, 1ull << 20, 1ull << 30, 1ull << 10, 1ull << 20, 1ull << 30 };

	return parse_scaled(text, "kmgKMG", scales, out);
}

static int parse_duration(const char *text, uint64_t *out)
{
	static const uint64_t scales[] = { 1, 60, 3600, 86400 };

	return parse_scaled(text, "smhd", scales, out);
}

static int parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };

	if (name_index(text, yes, COUNT(yes)) >= 0)
		*out = true;
	else if (name_index(text, no, COUNT(no)) >= 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* RFC 5424's APP-NAME: 1*48PRINTUSASCII (33..126). */
static bool app_name_ok(const char *text)
{
	size_t n = strlen(text);

	for (size_t i = 0; i < n; i++)
		if (text[i] < 33 || text[i] > 126)
			return false;
	return n >= 1 && n <= 48;
}

static void set_string(void *dest, const char *text)
{
	char **s = dest;

	free(*s);
	*s = strdup(text);
}

/* A scalar key's value; node NULL for a default (which cannot be wrong). */
static void set_scalar(struct reader *r, const struct config_key *k, void *section, const yaml_node_t *node,
		       const char *text)
{
	void *dest = (char *)section + k->offset;
	uint64_t v;
	bool b;
	int i;

	switch (k->kind) {
	case KEY_BOOL:
		if (parse_bool(text, &b))
			error_at(r, node, 0, "'%s' takes true or false, not '%s'", k->name, text);
		else
			*(bool *)dest = b;
		return;
	case KEY_UINT:
		if (parse_number(text, &v, &(const char *){ NULL }) || strspn(text, "0123456789") != strlen(text))
			error_at(r, node, 0, "'%s' takes a number, not '%s'", k->name, text);
		else if (v < k->min || v > k->max)
			error_at(r, node, 0, "'%s' %s is out of range %llu..%llu", k->name, text,
				 (unsigned long long)k->min, (unsigned long long)k->max);
		else if (k->max > UINT32_MAX)
			*(uint64_t *)dest = v;
		else
			*(uint32_t *)dest = (uint32_t)v;
		return;
	case KEY_SIZE:
		if (parse_size(text, &v))
			error_at(r, node, 0, "'%s' takes a size like 16M, 512K, 1G or bytes, not '%s'", k->name, text);
		else if (v < k->min || v > k->max)
			error_at(r, node, 0, "'%s' %s is out of range %llu..%llu bytes", k->name, text,
				 (unsigned long long)k->min, (unsigned long long)k->max);
		else
			*(uint64_t *)dest = v;
		return;
	case KEY_DURATION:
		if (parse_duration(text, &v))
			error_at(r, node, 0, "'%s' takes a duration like 30s, 5m, 1h, 7d or seconds, not '%s'", k->name,
				 text);
		else
			*(uint64_t *)dest = v;
		return;
	case KEY_STRING:
		if (!*text)
			error_at(r, node, 0, "'%s' is empty", k->name);
		else
			set_string(dest, text);
		return;
	case KEY_MODE: {
		char *end;
		unsigned long mode = strtoul(text, &end, 8);

		if (!*text || *end || strspn(text, "01234567") != strlen(text) || mode > 0777)
			error_at(r, node, 0, "'%s' takes an octal file mode like 0600, not '%s'", k->name, text);
		else
			*(uint32_t *)dest = (uint32_t)mode;
		return;
	}
	case KEY_FORMAT:
		if ((i = name_index(text, format_names, COUNT(format_names))) < 0)
			unknown_name(r, node, "format", text, format_names, COUNT(format_names));
		else
			*(enum ipcdd_format *)dest = (enum ipcdd_format)i;
		return;
	case KEY_LINE_FORMAT:
		if ((i = name_index(text, line_format_names, COUNT(line_format_names))) < 0)
			unknown_name(r, node, "format", text, line_format_names, COUNT(line_format_names));
		else
			*(enum ipcdd_format *)dest = i ? IPCDD_FORMAT_TEXT : IPCDD_FORMAT_JSON;
		return;
	case KEY_COMPRESS:
		if (strcmp(text, "zstd"))
			unknown_name(r, node, "compression", text, (const char *const[]){ "zstd" }, 1);
		else
			*(bool *)dest = true;
		return;
	case KEY_FACILITY:
		if (name_index(text, ipcdd_syslog_facility_names, ipcdd_syslog_facility_count) < 0)
			unknown_name(r, node, "syslog facility", text, ipcdd_syslog_facility_names,
				     ipcdd_syslog_facility_count);
		else
			set_string(dest, text);
		return;
	case KEY_SEVERITY:
		if (name_index(text, ipcdd_syslog_severity_names, ipcdd_syslog_severity_count) < 0)
			unknown_name(r, node, "syslog severity", text, ipcdd_syslog_severity_names,
				     ipcdd_syslog_severity_count);
		else
			set_string(dest, text);
		return;
	case KEY_APP_NAME:
		if (!app_name_ok(text))
			error_at(r, node, 0, "'%s' takes 1 to 48 printable ASCII characters without spaces, not '%s'",
				 k->name, text);
		else
			set_string(dest, text);
		return;
	case KEY_ROLE:
		if ((i = (int)ipcda_role_parse(text)) == IPCDA_ROLE_NONE)
			unknown_name(r, node, "role", text, (const char *const[]){ "read", "admin" }, 2);
		else
			*(enum ipcda_role *)dest = (enum ipcda_role)i;
		return;
	case KEY_SHA256:
		if (ipcda_sha256_parse(text, dest))
			error_at(r, node, 0, "'%s' takes the token's SHA-256 in 64 hex digits (sha256sum), not '%s'",
				 k->name, text);
		return;
	case KEY_PASSWORD_HASH:
		if (!ipcda_password_hash_ok(text))
			error_at(r, node, 0, "'%s' takes a crypt(3) hash ($y$... yescrypt, $6$... sha512-crypt: "
				 "mkpasswd), not this", k->name);
		else
			set_string(dest, text);
		return;
	case KEY_JOURNALD:
		if (!strcmp(text, "auto"))
			*(enum ipcdd_journald *)dest = IPCDD_JOURNALD_AUTO;
		else if (!parse_bool(text, &b))
			*(enum ipcdd_journald *)dest = b ? IPCDD_JOURNALD_ON : IPCDD_JOURNALD_OFF;
		else
			error_at(r, node, 0, "'%s' takes auto, true or false, not '%s'", k->name, text);
		return;
	default:
		return;
	}
}

/* ---- the structured values ----------------------------------------------------- */

static size_t quote_width(const yaml_node_t *node)
{
	return node->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	       node->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

static void set_filter(struct reader *r, const struct config_key *k, void *section, const yaml_node_t *node)
{
	char why[512];
	size_t col = 0;
	struct fexpr *f = fexpr_parse(scalar(node), why, sizeof(why), &col);

	if (!f) {
		error_at(r, node, quote_width(node) + col, "filter: %s", why);
		return;
	}
	set_string((char *)section + k->offset, scalar(node));
	fexpr_free(*(struct fexpr **)((char *)section + k->aux_offset));  /* a key given twice */
	*(struct fexpr **)((char *)section + k->aux_offset) = f;
}

static uint32_t parse_type_at(struct reader *r, const yaml_node_t *node, const char *name)
{
	const char *names[IPCD_TYPE_NAMES_MAX];
	uint32_t mask = ipcd_parse_type(name);

	if (!mask)
		unknown_name(r, node, "type", name, names, ipcd_type_alias_names(names, COUNT(names), false));
	return mask;
}

static void set_types(struct reader *r, uint32_t *types, const yaml_node_t *node)
{
	uint32_t mask = 0;

	if (node->type == YAML_SCALAR_NODE) {
		mask = parse_type_at(r, node, scalar(node));
	} else if (node->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(&r->doc, *it);

			if (item->type != YAML_SCALAR_NODE)
				error_at(r, item, 0, "'types' takes type names, not %s", node_kind_name(item));
			else
				mask |= parse_type_at(r, item, scalar(item));
		}
	} else {
		error_at(r, node, 0, "'types' takes a list of type names, not %s", node_kind_name(node));
	}
	if (mask)
		*types = mask;
}

uint32_t ipcdd_trace_payload_max(const struct ipcdd_config *cfg)
{
	uint32_t most = cfg->payload.default_bytes;

	for (size_t i = 0; i < cfg->payload.rule_count; i++)
		if (cfg->payload.rules[i].bytes > most)
			most = cfg->payload.rules[i].bytes;
	return most;
}

uint32_t ipcdd_payload_of_type(const struct ipcdd_payload *p, unsigned type)
{
	uint32_t bytes = p->default_bytes;

	for (size_t i = 0; i < p->rule_count; i++)
		if (p->rules[i].types & IPCD_TYPE_BIT(type))
			bytes = p->rules[i].bytes;
	return bytes;
}

/* The most the trace keeps of any of types (an IPCD_TYPE_BIT mask). */
static uint32_t trace_payload_of_types(const struct ipcdd_config *cfg, uint32_t types)
{
	uint32_t most = 0;

	for (unsigned t = 0; t < IPCD_TYPE_COUNT; t++)
		if ((types & IPCD_TYPE_BIT(t)) && ipcdd_payload_of_type(&cfg->payload, t) > most)
			most = ipcdd_payload_of_type(&cfg->payload, t);
	return most;
}

static bool payload_bytes(struct reader *r, const yaml_node_t *node, uint32_t limit, const char *limit_name,
			  uint32_t *out)
{
	uint64_t v;

	if (node->type != YAML_SCALAR_NODE || parse_size(scalar(node), &v)) {
		error_at(r, node, 0, "payload takes a number of bytes, not %s",
			 node->type == YAML_SCALAR_NODE ? scalar(node) : node_kind_name(node));
		return false;
	}
	if (v > limit) {
		error_at(r, node, 0, "payload %s is above the %s limit of %u bytes", scalar(node), limit_name, limit);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* payload: N, or {default: N, TYPE: N}; section is the trace's, or an output's limited by the trace's. */
static void set_payload(struct reader *r, struct ipcdd_payload *p, const yaml_node_t *node, bool in_trace)
{
	uint32_t limit = in_trace ? IPCD_PAYLOAD_MAX : ipcdd_trace_payload_max(r->cfg);
	const char *limit_name = in_trace ? "capture" : "trace";

	p->given = true;
	if (node->type == YAML_SCALAR_NODE) {
		payload_bytes(r, node, limit, limit_name, &p->default_bytes);
		return;
	}
	if (node->type != YAML_MAPPING_NODE) {
		error_at(r, node, 0, "'payload' takes a number or {default: N, TYPE: N}, not %s", node_kind_name(node));
		return;
	}
	for (yaml_node_pair_t *pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *key = yaml_document_get_node(&r->doc, pr->key);
		yaml_node_t *value = yaml_document_get_node(&r->doc, pr->value);
		uint32_t bytes, types;

		if (key->type != YAML_SCALAR_NODE) {
			error_at(r, key, 0, "payload keys are 'default' or type names");
			continue;
		}
		if (!strcmp(scalar(key), "default")) {
			payload_bytes(r, value, limit, limit_name, &p->default_bytes);
			continue;
		}
		types = parse_type_at(r, key, scalar(key));
		if (!types || !payload_bytes(r, value, limit, limit_name, &bytes))
			continue;
		/* a number for a type names what the output wants of it: more than the trace keeps is a mistake */
		if (!in_trace && bytes > trace_payload_of_types(r->cfg, types)) {
			error_at(r, value, 0, "payload %s for %s is above the trace's %u bytes for it", scalar(value),
				 scalar(key), trace_payload_of_types(r->cfg, types));
			continue;
		}
		if (p->rule_count == IPCDD_PAYLOAD_RULES_MAX) {
			error_at(r, key, 0, "more than %d payload rules", IPCDD_PAYLOAD_RULES_MAX);
			continue;
		}
		p->rules[p->rule_count].types = types;
		p->rules[p->rule_count++].bytes = bytes;
	}
}

/* retention: 7d, 1G, or [7d, 1G]: each item a duration or a size. */
static void set_retention_item(struct reader *r, struct ipcdd_output *out, const yaml_node_t *node)
{
	const char *text = scalar(node);
	uint64_t v;

	if (node->type != YAML_SCALAR_NODE)
		error_at(r, node, 0, "'retention' takes a duration like 7d or a size like 1G, not %s",
			 node_kind_name(node));
	else if (!parse_duration(text, &v) && strpbrk(text, "smhd"))
		out->retention_secs = v;
	else if (!parse_size(text, &v) && strpbrk(text, "kmgKMG"))
		out->retention_bytes = v;
	else
		error_at(r, node, 0, "'retention' takes a duration like 7d or a size like 1G, not '%s'", text);
}

static void set_retention(struct reader *r, struct ipcdd_output *out, const yaml_node_t *node)
{
	if (node->type != YAML_SEQUENCE_NODE) {
		set_retention_item(r, out, node);
		return;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++)
		set_retention_item(r, out, yaml_document_get_node(&r->doc, *it));
}

/* ---- the api: section's lists ------------------------------------------------------ */

static void read_section(struct reader *r, const yaml_node_t *map, const struct config_key *keys, void *section,
			 const char *where);
static void check_required(struct reader *r, const yaml_node_t *map, const struct config_key *keys,
			   const char *what);

/* A scalar or a list of scalars: each item to fn. */
static void each_scalar(struct reader *r, const yaml_node_t *node, const char *name,
			void (*fn)(struct reader *r, struct ipcda_config *api, const yaml_node_t *item),
			struct ipcda_config *api)
{
	if (node->type == YAML_SCALAR_NODE) {
		fn(r, api, node);
		return;
	}
	if (node->type != YAML_SEQUENCE_NODE) {
		error_at(r, node, 0, "'%s' takes a list, not %s", name, node_kind_name(node));
		return;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(&r->doc, *it);

		if (item->type != YAML_SCALAR_NODE)
			error_at(r, item, 0, "'%s' takes single values, not %s", name, node_kind_name(item));
		else
			fn(r, api, item);
	}
}

static void add_listen(struct reader *r, struct ipcda_config *api, const yaml_node_t *item)
{
	char host[128], why[256];
	uint16_t port;

	if (api->listen_count == IPCDA_LISTEN_MAX) {
		error_at(r, item, 0, "more than %d listen addresses", IPCDA_LISTEN_MAX);
		return;
	}
	if (ipcda_listen_is_unix(scalar(item), NULL) ? !scalar(item)[5] :
	    ipcda_listen_parse(scalar(item), host, sizeof(host), &port, why, sizeof(why))) {
		error_at(r, item, 0, "listen: %s", ipcda_listen_is_unix(scalar(item), NULL) ? "unix: needs a path" : why);
		return;
	}
	api->listen_line[api->listen_count] = item->start_mark.line + 1;
	api->listen_column[api->listen_count] = item->start_mark.column + 1;
	api->listen[api->listen_count++] = strdup(scalar(item));
}

static void add_uid(struct reader *r, struct ipcda_config *api, const yaml_node_t *item)
{
	uint64_t v;
	const char *end;

	if (parse_number(scalar(item), &v, &end) || *end || v > UINT32_MAX) {
		error_at(r, item, 0, "'unix_uids' takes numeric uids, not '%s'", scalar(item));
		return;
	}
	if (api->unix_uid_count == IPCDA_UIDS_MAX) {
		error_at(r, item, 0, "more than %d unix_uids", IPCDA_UIDS_MAX);
		return;
	}
	api->unix_uids[api->unix_uid_count++] = (uint32_t)v;
}

/* tokens: [{name, sha256, role}], users: [{name, password_hash, role}]: each read through its table. */
static void read_credentials(struct reader *r, struct ipcda_config *api, const yaml_node_t *node, bool users)
{
	const char *what = users ? "users" : "tokens";

	if (node->type != YAML_SEQUENCE_NODE) {
		error_at(r, node, 0, "'%s' takes a list of mappings, not %s", what, node_kind_name(node));
		return;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(&r->doc, *it);
		size_t *count = users ? &api->user_count : &api->token_count;
		size_t max = users ? IPCDA_USERS_MAX : IPCDA_TOKENS_MAX;
		void *entry = users ? (void *)&api->users[*count] : (void *)&api->tokens[*count];

		if (item->type != YAML_MAPPING_NODE) {
			error_at(r, item, 0, "an item of '%s' is a mapping, not %s", what, node_kind_name(item));
			continue;
		}
		if (*count == max) {
			error_at(r, item, 0, "more than %zu %s", max, what);
			return;
		}
		(*count)++;
		check_required(r, item, users ? user_keys : token_keys, users ? "a user" : "a token");
		read_section(r, item, users ? user_keys : token_keys, entry, users ? "a user" : "a token");
	}
}

/* ---- sections: a mapping read through its table -------------------------------- */

static const struct config_key *key_named(const struct config_key *keys, const char *name)
{
	for (const struct config_key *k = keys; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

/* "unknown key 'typed' in WHERE (did you mean 'x'?)" */
static void unknown_key(struct reader *r, const yaml_node_t *key, const struct config_key *keys, const char *where)
{
	const char *names[32], *closest;
	size_t count = 0;

	for (const struct config_key *k = keys; k->name && count < COUNT(names); k++)
		names[count++] = k->name;
	closest = ipcd_closest_name(scalar(key), names, count);
	if (closest)
		error_at(r, key, 0, "unknown key '%s' in %s (did you mean '%s'?)", scalar(key), where, closest);
	else
		error_at(r, key, 0, "unknown key '%s' in %s", scalar(key), where);
}

static void set_value(struct reader *r, const struct config_key *k, void *section, const yaml_node_t *value)
{
	switch (k->kind) {
	case KEY_TYPES:
		set_types(r, (uint32_t *)((char *)section + k->offset), value);
		return;
	case KEY_PAYLOAD:
		set_payload(r, (struct ipcdd_payload *)((char *)section + k->offset), value, section == r->cfg);
		return;
	case KEY_ROTATE:
		if (value->type != YAML_MAPPING_NODE)
			error_at(r, value, 0, "'rotate' takes {size, interval, keep}, not %s", node_kind_name(value));
		else
			read_section(r, value, rotate_keys, section, "rotate");
		return;
	case KEY_RETENTION:
		set_retention(r, section, value);
		return;
	case KEY_OUTPUT_TYPE:
		return;  /* read before the table was chosen */
	case KEY_LISTEN:
		each_scalar(r, value, k->name, add_listen, section);
		return;
	case KEY_UIDS:
		each_scalar(r, value, k->name, add_uid, section);
		return;
	case KEY_TOKENS:
	case KEY_USERS:
		read_credentials(r, section, value, k->kind == KEY_USERS);
		return;
	case KEY_API_TLS:
	case KEY_API_METRICS:
		if (value->type != YAML_MAPPING_NODE) {
			error_at(r, value, 0, "'%s' takes a mapping, not %s", k->name, node_kind_name(value));
			return;
		}
		if (k->kind == KEY_API_TLS)
			check_required(r, value, api_tls_keys, "tls");
		read_section(r, value, k->kind == KEY_API_TLS ? api_tls_keys : api_metrics_keys, section, k->name);
		return;
	default:
		break;
	}
	if (value->type != YAML_SCALAR_NODE) {
		error_at(r, value, 0, "'%s' takes a single value, not %s", k->name, node_kind_name(value));
		return;
	}
	if (k->kind == KEY_FILTER)
		set_filter(r, k, section, value);
	else
		set_scalar(r, k, section, value, scalar(value));
}

static void set_defaults(struct reader *r, const struct config_key *keys, void *section)
{
	for (const struct config_key *k = keys; k->name; k++)
		if (k->default_value)
			set_scalar(r, k, section, NULL, k->default_value);
}

static void read_section(struct reader *r, const yaml_node_t *map, const struct config_key *keys, void *section,
			 const char *where)
{
	set_defaults(r, keys, section);
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *key = yaml_document_get_node(&r->doc, pr->key);
		const struct config_key *k;

		if (key->type != YAML_SCALAR_NODE) {
			error_at(r, key, 0, "a key must be a name, not %s", node_kind_name(key));
			continue;
		}
		if (!(k = key_named(keys, scalar(key))))
			unknown_key(r, key, keys, where);
		else
			set_value(r, k, section, yaml_document_get_node(&r->doc, pr->value));
	}
}

static const yaml_node_t *map_value(struct reader *r, const yaml_node_t *map, const char *name)
{
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *key = yaml_document_get_node(&r->doc, pr->key);

		if (key->type == YAML_SCALAR_NODE && !strcmp(scalar(key), name))
			return yaml_document_get_node(&r->doc, pr->value);
	}
	return NULL;
}

static void check_required(struct reader *r, const yaml_node_t *map, const struct config_key *keys,
			   const char *what)
{
	for (const struct config_key *k = keys; k->name; k++)
		if (k->required && !map_value(r, map, k->name))
			error_at(r, map, 0, "%s needs '%s'", what, k->name);
}

/* A capture keeps the kernel's records whole, so that ipcdump -r can filter and cut them later. */
static void check_capture_output(struct reader *r, const yaml_node_t *node)
{
	static const char *const per_event[] = { "filter", "payload" };
	const yaml_node_t *value;

	for (size_t i = 0; i < COUNT(per_event); i++)
		if ((value = map_value(r, node, per_event[i])))
			error_at(r, value, 0, "a capture output keeps every record whole: '%s' goes in trace:, "
				 "or in ipcdump -r when reading it", per_event[i]);
}

static void read_output(struct reader *r, const yaml_node_t *node)
{
	struct ipcdd_output *out = &r->cfg->outputs[r->cfg->output_count];
	const yaml_node_t *type;
	char what[32];
	int t;

	if (node->type != YAML_MAPPING_NODE) {
		error_at(r, node, 0, "an output is a mapping with a 'type', not %s", node_kind_name(node));
		return;
	}
	if (!(type = map_value(r, node, "type"))) {
		error_at(r, node, 0, "an output needs 'type' (file, syslog or sqlite)");
		return;
	}
	if (type->type != YAML_SCALAR_NODE ||
	    (t = name_index(scalar(type), output_types, COUNT(output_types))) < 0) {
		if (type->type == YAML_SCALAR_NODE)
			unknown_name(r, type, "output type", scalar(type), output_types, COUNT(output_types));
		else
			error_at(r, type, 0, "'type' takes file, syslog or sqlite, not %s", node_kind_name(type));
		return;
	}
	if (r->cfg->output_count == IPCDD_OUTPUTS_MAX) {
		error_at(r, node, 0, "more than %d outputs", IPCDD_OUTPUTS_MAX);
		return;
	}
	r->cfg->output_count++;
	out->type = (enum ipcdd_output_type)t;
	out->line = node->start_mark.line + 1;
	out->column = node->start_mark.column + 1;
	snprintf(what, sizeof(what), "a %s output", output_types[t]);
	check_required(r, node, output_tables[t], what);
	snprintf(what, sizeof(what), "%s output", output_types[t]);
	read_section(r, node, output_tables[t], out, what);
	if (out->type == IPCDD_OUTPUT_FILE && out->format == IPCDD_FORMAT_CAPTURE)
		check_capture_output(r, node);
}

static void read_outputs(struct reader *r, const yaml_node_t *node)
{
	if (node->type != YAML_SEQUENCE_NODE) {
		error_at(r, node, 0, "'outputs' takes a list of outputs, not %s", node_kind_name(node));
		return;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++)
		read_output(r, yaml_document_get_node(&r->doc, *it));
}

/* An error at a place noted while reading (an api listen address). */
__attribute__((format(printf, 4, 5)))
static void error_at_place(struct reader *r, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(r, line, column, fmt, ap);
	va_end(ap);
}

/* Secure by default: TCP without TLS, or without credentials, only when insecure: true is written out. */
static void check_api(struct reader *r, const yaml_node_t *node)
{
	struct ipcda_config *api = &r->cfg->api;
	bool tcp = false, auth = api->token_count || api->user_count || api->token_file;

	for (size_t i = 0; i < api->listen_count; i++) {
		if (ipcda_listen_is_unix(api->listen[i], NULL))
			continue;
		tcp = true;
		if (!api->tls_cert && !api->insecure)
			error_at_place(r, api->listen_line[i], api->listen_column[i],
				       "api listens on TCP (%s) without TLS: add tls: {cert, key}, or write insecure: true",
				       api->listen[i]);
	}
	if (tcp && !auth && !api->insecure)
		error_at(r, node, 0, "api listens on TCP without credentials: add tokens, token_file or users, "
			 "or write insecure: true");
}

static void read_api(struct reader *r, const yaml_node_t *node)
{
	struct ipcda_config *api = &r->cfg->api;
	int errors;

	if (node->type != YAML_MAPPING_NODE) {
		error_at(r, node, 0, "'api' takes a mapping of keys, not %s", node_kind_name(node));
		return;
	}
	api->enabled = true;
	set_defaults(r, api_metrics_keys, api);
	check_required(r, node, api_keys, "api");
	read_section(r, node, api_keys, api, "api");
	/* root may call on a unix socket unless the file says who may */
	if (!map_value(r, node, "unix_uids"))
		api->unix_uids[api->unix_uid_count++] = 0;
	if (api->token_file && (errors = ipcda_token_file_load(api->token_file, api, r->err)))
		r->errors += errors < 0 ? 1 : errors;
	check_api(r, node);
}

/* trace: first, whatever the order in the file: outputs' payloads are checked against it. */
static void read_root(struct reader *r, const yaml_node_t *root)
{
	const yaml_node_t *trace, *outputs, *api;

	if (!root || root->type != YAML_MAPPING_NODE) {
		if (root)
			error_at(r, root, 0, "the configuration is a mapping of 'trace' and 'outputs', not %s",
				 node_kind_name(root));
		set_defaults(r, trace_keys, r->cfg);
		return;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *key = yaml_document_get_node(&r->doc, pr->key);

		if (key->type != YAML_SCALAR_NODE || name_index(scalar(key), top_keys, COUNT(top_keys)) < 0)
			unknown_name(r, key, "section", key->type == YAML_SCALAR_NODE ? scalar(key) : "?", top_keys,
				     COUNT(top_keys));
	}
	trace = map_value(r, root, "trace");
	if (trace && trace->type != YAML_MAPPING_NODE) {
		error_at(r, trace, 0, "'trace' takes a mapping of keys, not %s", node_kind_name(trace));
		trace = NULL;
	}
	if (trace)
		read_section(r, trace, trace_keys, r->cfg, "trace");
	else
		set_defaults(r, trace_keys, r->cfg);
	if ((outputs = map_value(r, root, "outputs")))
		read_outputs(r, outputs);
	if ((api = map_value(r, root, "api")))
		read_api(r, api);
}

static void config_init(struct ipcdd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->types = ipcd_all_types();
	cfg->payload.default_bytes = 256;
}

int ipcdd_config_load(const char *path, struct ipcdd_config *cfg, FILE *err)
{
	struct reader r = { .path = path, .err = err, .cfg = cfg };
	yaml_parser_t parser;
	FILE *f;

	config_init(cfg);
	for (size_t i = 0; i < IPCDD_OUTPUTS_MAX; i++)
		cfg->outputs[i].mode = 0600;
	if (!(f = fopen(path, "r"))) {
		fprintf(err, "ipcdumpd: error: %s: %s\n", path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &r.doc)) {
		fprintf(err, "%s:%zu:%zu: error: %s\n", path, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1, parser.problem ? parser.problem : "not YAML");
		r.errors = 1;
	} else {
		read_root(&r, yaml_document_get_root_node(&r.doc));
		yaml_document_delete(&r.doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return r.errors;
}

void ipcdd_config_free(struct ipcdd_config *cfg)
{
	fexpr_free(cfg->filter);
	free(cfg->filter_text);
	for (size_t i = 0; i < cfg->output_count; i++) {
		fexpr_free(cfg->outputs[i].filter);
		free(cfg->outputs[i].filter_text);
		free(cfg->outputs[i].path);
		free(cfg->outputs[i].facility);
		free(cfg->outputs[i].severity);
		free(cfg->outputs[i].socket);
		free(cfg->outputs[i].tag);
	}
	ipcda_config_free(&cfg->api);
	memset(cfg, 0, sizeof(*cfg));
}

const char *ipcdd_format_name(enum ipcdd_format format)
{
	return format_names[format];
}

const char *ipcdd_output_type_name(enum ipcdd_output_type type)
{
	return output_types[type];
}
