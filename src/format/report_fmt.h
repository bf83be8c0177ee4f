/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What --stats and --analyze print with: numbers in units a person reads
 * (850ns, 12.3µs, 1.5 KiB), cells padded to a width counted in columns
 * (µ and … are two and three bytes but one column), CSV cells, and the
 * wall-clock time of a monotonic timestamp.
 */
#ifndef IPCD_REPORT_FMT_H
#define IPCD_REPORT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/event.h"
#include "engine/options.h"
#include "util/noun.h"

/* How a report is printed. */
struct ipcd_report_style {
	enum ipcd_format format;
	uint32_t top;             /* rows per text table; 0: all */
	int64_t mono_to_real_ns;  /* add to CLOCK_MONOTONIC for the wall clock */
};

/* A duration, three significant digits: "850ns", "12.3µs", "1.23ms", "4.56s". */
void fmt_duration(char *buf, size_t len, uint64_t ns);
/* An estimate, two significant digits and "~": "~12µs", "~1.2ms". */
void fmt_duration_approx(char *buf, size_t len, double ns);
/* A size: "512 B", "1.5 KiB", "12.3 MiB", "2.0 GiB". */
void fmt_bytes(char *buf, size_t len, uint64_t n);
/* A count that fits 6 columns: "123456", "1.2M", "34G". */
void fmt_count(char *buf, size_t len, uint64_t n);

/* Columns s takes on a terminal: UTF-8 continuation bytes take none. */
size_t display_width(const char *s);
/* s in width columns, right- or left-aligned; cut with "…" when longer. */
void put_cell(FILE *out, const char *s, size_t width, bool right);
/* A line's last cell: cut like put_cell, never padded. */
void put_label(FILE *out, const char *s, size_t width);

/* One CSV cell (RFC 4180), a comma before it unless first. */
void csv_cell(FILE *out, const char *s, bool first);
void csv_uint(FILE *out, uint64_t v);
void csv_int(FILE *out, int64_t v);
/* An end as two cells, pid and comm; both empty when the pid is unknown. */
void csv_pid_comm(FILE *out, const struct ipcd_endpoint *ep);

/* "2026-11-30 18:33:05.123" (local time) of a CLOCK_MONOTONIC timestamp. */
void fmt_wall_ms(char *buf, size_t len, uint64_t mono_ns, int64_t mono_to_real_ns);
/* "2026-11-30 18:33:05.123 to 18:33:07.456": the end's date only when it differs. */
void fmt_wall_span(char *buf, size_t len, uint64_t start_ns, uint64_t end_ns, int64_t mono_to_real_ns);
/* RFC 3339 with nanoseconds: "2026-11-30T18:33:05.123456789+00:00". */
void fmt_wall_rfc3339(char *buf, size_t len, uint64_t mono_ns, int64_t mono_to_real_ns);

/*
 * Channels as reports name them: a loopback client's ephemeral port folds
 * into "addr:*" ("127.0.0.1:*>127.0.0.1:6379"), so the connections to one
 * server make one row.  A port seen listening (a connect's target, an
 * accept's side) is a server's; failing that, of two ports the one in the
 * kernel's ephemeral range is the client's; else nothing folds.
 */
struct channel_namer {
	uint8_t server_port[65536 / 8];
	uint16_t ephemeral_lo, ephemeral_hi;  /* net.ipv4.ip_local_port_range */
};

void channel_namer_init(struct channel_namer *n);
void channel_namer_name(struct channel_namer *n, const struct ipcd_event *e, char *buf, size_t len);

/* "pid(comm)", as events print an end; "<unknown>(<unknown>)" when the pid is. */
void fmt_endpoint(char *buf, size_t len, const struct ipcd_endpoint *ep);

#endif /* IPCD_REPORT_FMT_H */
