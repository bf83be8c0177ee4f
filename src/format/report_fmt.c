/* SPDX-License-Identifier: GPL-2.0 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "format/channel.h"
#include "format/report_fmt.h"

#define NSEC_PER_SEC 1000000000ll

/* v in a unit, with as many decimals as keep `digits` significant ones. */
static void scaled(char *buf, size_t len, double v, int digits, const char *prefix, const char *unit)
{
	int decimals = v >= 100 ? 0 : v >= 10 ? digits - 2 : digits - 1;

	if (decimals < 0)
		decimals = 0;
	snprintf(buf, len, "%s%.*f%s", prefix, decimals, v, unit);
}

static void duration(char *buf, size_t len, double ns, int digits, const char *prefix)
{
	/* a value that rounds up to 1000 of a unit is printed in the next */
	if (ns < 999.5)
		snprintf(buf, len, "%s%.0fns", prefix, ns);
	else if (ns < 999.5e3)
		scaled(buf, len, ns / 1e3, digits, prefix, "µs");
	else if (ns < 999.5e6)
		scaled(buf, len, ns / 1e6, digits, prefix, "ms");
	else
		scaled(buf, len, ns / 1e9, digits, prefix, "s");
}

void fmt_duration(char *buf, size_t len, uint64_t ns)
{
	duration(buf, len, (double)ns, 3, "");
}

void fmt_duration_approx(char *buf, size_t len, double ns)
{
	duration(buf, len, ns, 2, "~");
}

void fmt_bytes(char *buf, size_t len, uint64_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return;
	}
	v /= 1024;
	while (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

static void suffixed(char *buf, size_t len, double v)
{
	static const char suffix[] = "KMGTPE";
	size_t s = 0;

	v /= 1000;
	while (v >= 999.5 && s + 1 < sizeof(suffix) - 1) {
		v /= 1000;
		s++;
	}
	snprintf(buf, len, v >= 10 ? "%.0f%c" : "%.1f%c", v, suffix[s]);
}

void fmt_count(char *buf, size_t len, uint64_t n)
{
	if (n < 1000000)
		snprintf(buf, len, "%" PRIu64, n);
	else
		suffixed(buf, len, (double)n);
}

size_t display_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* The bytes of s's first `cols` columns. */
static size_t bytes_of_columns(const char *s, size_t cols)
{
	size_t i = 0, seen = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && seen++ == cols)
			break;
	}
	return i;
}

void put_cell(FILE *out, const char *s, size_t width, bool right)
{
	size_t w = display_width(s);

	if (w > width) {
		/* the cut shows: a name that looks whole but is not misleads */
		fwrite(s, 1, bytes_of_columns(s, width ? width - 1 : 0), out);
		if (width)
			fputs("…", out);
		return;
	}
	if (right)
		fprintf(out, "%*s", (int)(width - w), "");
	fputs(s, out);
	if (!right)
		fprintf(out, "%*s", (int)(width - w), "");
}

void put_label(FILE *out, const char *s, size_t width)
{
	if (display_width(s) > width)
		put_cell(out, s, width, false);
	else
		fputs(s, out);
}

void csv_cell(FILE *out, const char *s, bool first)
{
	if (!first)
		fputc(',', out);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void csv_uint(FILE *out, uint64_t v)
{
	fprintf(out, ",%" PRIu64, v);
}

void csv_int(FILE *out, int64_t v)
{
	fprintf(out, ",%" PRId64, v);
}

void csv_pid_comm(FILE *out, const struct ipcd_endpoint *ep)
{
	char comm[IPCD_COMM_LEN + 1];

	snprintf(comm, sizeof(comm), "%.*s", IPCD_COMM_LEN, ep->pid < 0 ? "" : ep->comm);
	if (ep->pid < 0)
		fputc(',', out);
	else
		csv_int(out, ep->pid);
	csv_cell(out, comm, false);
}

/* The local time of a monotonic timestamp; false if it is out of range. */
static bool wall_tm(uint64_t mono_ns, int64_t mono_to_real_ns, struct tm *tm, long *nsec)
{
	int64_t real;
	time_t sec;

	/* a capture file's offset is whatever it says: do not overflow on it */
	if (__builtin_add_overflow((int64_t)(mono_ns & INT64_MAX), mono_to_real_ns, &real) || real < 0)
		return false;
	sec = (time_t)(real / NSEC_PER_SEC);
	*nsec = (long)(real % NSEC_PER_SEC);
	return localtime_r(&sec, tm) != NULL;
}

void fmt_wall_ms(char *buf, size_t len, uint64_t mono_ns, int64_t mono_to_real_ns)
{
	struct tm tm;
	long nsec;

	if (!wall_tm(mono_ns, mono_to_real_ns, &tm, &nsec)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, nsec / 1000000);
}

void fmt_wall_span(char *buf, size_t len, uint64_t start_ns, uint64_t end_ns, int64_t mono_to_real_ns)
{
	char from[48], to[48];
	bool same_day;

	fmt_wall_ms(from, sizeof(from), start_ns, mono_to_real_ns);
	fmt_wall_ms(to, sizeof(to), end_ns, mono_to_real_ns);
	/* the same day twice says nothing: the end gets its time of day only (a "?" has no day) */
	same_day = strlen(from) > 11 && strlen(to) > 11 && !strncmp(from, to, 11);
	snprintf(buf, len, "%s to %s", from, same_day ? to + 11 : to);
}

void fmt_wall_rfc3339(char *buf, size_t len, uint64_t mono_ns, int64_t mono_to_real_ns)
{
	struct tm tm;
	long nsec;
	char zone[8];

	if (!wall_tm(mono_ns, mono_to_real_ns, &tm, &nsec)) {
		snprintf(buf, len, "?");
		return;
	}
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%.3s:%.2s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec, zone, zone + 3);
}

/* A comm as the event lines print it: bytes outside printable ASCII as \xNN. */
static void escaped_comm(char *buf, size_t len, const char *comm)
{
	size_t at = 0;

	for (size_t i = 0; i < IPCD_COMM_LEN && comm[i] && at + 5 < len; i++) {
		unsigned char c = (unsigned char)comm[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[at++] = (char)c;
		else
			at += (size_t)snprintf(buf + at, len - at, "\\x%02x", c);
	}
	buf[at] = '\0';
}

void fmt_endpoint(char *buf, size_t len, const struct ipcd_endpoint *ep)
{
	char comm[IPCD_COMM_LEN * 4 + 1];

	if (ep->pid < 0) {
		snprintf(buf, len, "<unknown>(<unknown>)");
		return;
	}
	escaped_comm(comm, sizeof(comm), ep->comm);
	snprintf(buf, len, "%" PRId64 "(%s)", ep->pid, comm[0] ? comm : "<unknown>");
}

/* ---- channels, with loopback client ports folded -------------------- */

void channel_namer_init(struct channel_namer *n)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned int lo = 32768, hi = 60999;   /* Linux's default */

	memset(n, 0, sizeof(*n));
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535) {
			lo = 32768;
			hi = 60999;
		}
		fclose(f);
	}
	n->ephemeral_lo = (uint16_t)lo;
	n->ephemeral_hi = (uint16_t)hi;
}

static bool is_inet(enum ipcd_type t)
{
	return t == IPCD_TYPE_LOOPBACK_TCP || t == IPCD_TYPE_LOOPBACK_UDP || t == IPCD_TYPE_LOOPBACK_TCP_CONN;
}

static bool known_server(const struct channel_namer *n, uint16_t port)
{
	return n->server_port[port / 8] & (1u << (port % 8));
}

static void learn_server_port(struct channel_namer *n, const struct ipcd_event *e)
{
	uint16_t port;

	if (e->type != IPCD_TYPE_LOOPBACK_TCP_CONN || !e->has_inet)
		return;
	if (e->conn_event == IPCD_INET_CONNECT)
		port = e->inet.dport;
	else if (e->conn_event == IPCD_INET_ACCEPT)
		port = e->inet.sport;
	else
		return;
	n->server_port[port / 8] |= (uint8_t)(1u << (port % 8));
}

static bool ephemeral(const struct channel_namer *n, uint16_t port)
{
	return port >= n->ephemeral_lo && port <= n->ephemeral_hi;
}

/* Which port of a tuple is a client's, to fold: 1 the source, 2 the destination, 0 neither. */
static int client_side(const struct channel_namer *n, uint16_t sport, uint16_t dport)
{
	bool ss = known_server(n, sport), ds = known_server(n, dport);

	if (ss != ds)
		return ss ? 2 : 1;
	if (ss)
		return 0;
	if (ephemeral(n, sport) != ephemeral(n, dport))
		return ephemeral(n, sport) ? 1 : 2;
	return 0;
}

/* "127.0.0.1:*" or "[::1]:*": an address with any port. */
static void any_port(const uint8_t *addr, char *buf, size_t len)
{
	static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char ip[64];

	ipcd_inet_addr_format(addr, 0, ip, sizeof(ip));
	snprintf(buf, len, memcmp(addr, v4_mapped, sizeof(v4_mapped)) ? "[%s]:*" : "%s:*", ip);
}

void channel_namer_name(struct channel_namer *n, const struct ipcd_event *e, char *buf, size_t len)
{
	char a[80], b[80];
	int side;

	learn_server_port(n, e);
	if (!is_inet(e->type) || !e->has_inet || !(side = client_side(n, e->inet.sport, e->inet.dport))) {
		ipcd_event_channel(e, buf, len);
		return;
	}
	if (side == 1)
		any_port(e->inet.saddr, a, sizeof(a));
	else
		ipcd_inet_addr_format(e->inet.saddr, e->inet.sport, a, sizeof(a));
	if (side == 2)
		any_port(e->inet.daddr, b, sizeof(b));
	else
		ipcd_inet_addr_format(e->inet.daddr, e->inet.dport, b, sizeof(b));
	snprintf(buf, len, "%s>%s", a, b);
}
