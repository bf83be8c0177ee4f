/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loopback TCP and UDP in text, JSON and CSV: both addresses, the service
 * (/etc/services, unless -n), and, for TCP, connect, accept, shutdown and
 * close (loopback-tcp-conn).
 */
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "families/inet_names.h"
#include "format/format.h"

static const struct ipcd_tok inet_conn_event_names[] = {
	{ IPCD_INET_CONNECT, "connect" }, { IPCD_INET_ACCEPT, "accept" },
	{ IPCD_INET_CLOSE, "close" }, { IPCD_INET_SHUTDOWN, "shutdown" },
	{ 0, NULL }
};

const char *ipcd_inet_conn_event_name(int event)
{
	return ipcd_tok_name(inet_conn_event_names, event, "unknown");
}

/*
 * getservbyport reads /etc/services each time: each port is looked up once.
 * The cache is the process's, and events print in several threads at once
 * (the daemon's outputs, the API's requests): the lock keeps it whole and
 * getservbyport, which is not reentrant, to one caller.  Names, once in, stay.
 */
static const char *port_service(uint16_t port, uint8_t proto)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char **cache[2];
	static const char none[] = "";
	int p = proto == IPCD_PROTO_UDP;
	struct servent *se;
	const char *name = NULL;

	if (!port)
		return NULL;
	pthread_mutex_lock(&lock);
	if (!cache[p] && !(cache[p] = calloc(65536, sizeof(char *))))
		goto out;
	if (!cache[p][port]) {
		se = getservbyport(htons(port), p ? "udp" : "tcp");
		cache[p][port] = se ? strdup(se->s_name) : (char *)none;
		if (!cache[p][port])
			cache[p][port] = (char *)none;
	}
	name = cache[p][port][0] ? cache[p][port] : NULL;
out:
	pthread_mutex_unlock(&lock);
	return name;
}

/* The service of a connection: its destination port's, else its source port's. */
const char *ipcd_inet_service(const struct ipcd_event *e)
{
	const char *name = port_service(e->inet.dport, e->inet_proto);

	return name ? name : port_service(e->inet.sport, e->inet_proto);
}

static bool addr_is_v4(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

/* ---- text ----------------------------------------------------------- */

/* A shutdown's how; a connect's error, when its handshake failed. */
static void text_conn_arg(struct text_kv *kv, const struct ipcd_event *e)
{
	if (e->conn_event == IPCD_INET_SHUTDOWN)
		text_kv_str(kv, "how", ipcd_shutdown_how_name(e->conn_arg));
	else if (e->conn_event == IPCD_INET_CONNECT && e->conn_arg < 0)
		text_kv_str(kv, "error", ipcd_error_name(e->conn_arg));
}

static void text_addresses(struct text_kv *kv, const struct ipcd_event *e, bool numeric)
{
	char addr[64];
	const char *service = numeric ? NULL : ipcd_inet_service(e);

	ipcd_inet_addr_format(e->inet.saddr, e->inet.sport, addr, sizeof(addr));
	text_kv_str(kv, "src", addr);
	ipcd_inet_addr_format(e->inet.daddr, e->inet.dport, addr, sizeof(addr));
	text_kv_str(kv, "dst", addr);
	if (service)
		text_kv_str(kv, "service", service);
}

static void inet_text(struct text_kv *kv, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	if (e->type == IPCD_TYPE_LOOPBACK_TCP_CONN)
		text_kv_str(kv, "event", ipcd_inet_conn_event_name(e->conn_event));
	if (e->has_inet)
		text_addresses(kv, e, style->numeric);
	if (e->type == IPCD_TYPE_LOOPBACK_TCP_CONN) {
		text_conn_arg(kv, e);
		return;
	}
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	text_kv_flags(kv, e->flags);
}

/* ---- JSON ----------------------------------------------------------- */

static void json_conn(struct json_writer *jw, const struct ipcd_event *e)
{
	jw_kv_string(jw, "event", ipcd_inet_conn_event_name(e->conn_event));
	if (e->conn_event == IPCD_INET_SHUTDOWN)
		jw_kv_int(jw, "how", e->conn_arg);
	if (e->conn_event == IPCD_INET_CONNECT) {
		json_string_or_null(jw, "error", e->conn_arg < 0 ? ipcd_error_name(e->conn_arg) : NULL);
		jw_kv_bool(jw, "dst_is_listener", e->dst_is_listener);
	}
}

static void json_addresses(struct json_writer *jw, const struct ipcd_event *e, bool numeric)
{
	char addr[64];

	jw_kv_string(jw, "family", addr_is_v4(e->inet.daddr) ? "ipv4" : "ipv6");
	ipcd_inet_addr_format(e->inet.saddr, 0, addr, sizeof(addr));
	jw_kv_string(jw, "src_addr", addr);
	jw_kv_uint(jw, "src_port", e->inet.sport);
	ipcd_inet_addr_format(e->inet.daddr, 0, addr, sizeof(addr));
	jw_kv_string(jw, "dst_addr", addr);
	jw_kv_uint(jw, "dst_port", e->inet.dport);
	json_string_or_null(jw, "service", numeric ? NULL : ipcd_inet_service(e));
}

static void inet_json(struct json_writer *jw, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	if (e->type == IPCD_TYPE_LOOPBACK_TCP_CONN)
		json_conn(jw, e);
	if (e->has_inet)
		json_addresses(jw, e, style->numeric);
	if (e->src_ino)
		jw_kv_uint(jw, "src_inode", e->src_ino);
	if (e->dst_ino)
		jw_kv_uint(jw, "dst_inode", e->dst_ino);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_calls(jw, e);
	json_flags(jw, e->flags);
}

/* ---- CSV ------------------------------------------------------------ */

static void row_conn(struct csv_row *r, const struct ipcd_event *e)
{
	row_str(r, CC_EVENT, ipcd_inet_conn_event_name(e->conn_event));
	if (e->conn_event == IPCD_INET_SHUTDOWN)
		row_i64(r, CC_HOW, e->conn_arg);
	if (e->conn_event == IPCD_INET_CONNECT) {
		if (e->conn_arg < 0)
			row_str(r, CC_ERROR, ipcd_error_name(e->conn_arg));
		row_bool(r, CC_DST_IS_LISTENER, e->dst_is_listener);
	}
}

static void row_addresses(struct csv_row *r, const struct ipcd_event *e, bool numeric)
{
	row_str(r, CC_FAMILY, addr_is_v4(e->inet.daddr) ? "ipv4" : "ipv6");
	ipcd_inet_addr_format(e->inet.saddr, 0, r->addr[0], sizeof(r->addr[0]));
	row_str(r, CC_SRC_ADDR, r->addr[0]);
	row_u64(r, CC_SRC_PORT, e->inet.sport);
	ipcd_inet_addr_format(e->inet.daddr, 0, r->addr[1], sizeof(r->addr[1]));
	row_str(r, CC_DST_ADDR, r->addr[1]);
	row_u64(r, CC_DST_PORT, e->inet.dport);
	row_str(r, CC_SERVICE, numeric ? NULL : ipcd_inet_service(e));
}

static void inet_csv(struct csv_row *r, const struct ipcd_event *e, const struct ipcd_print_style *style)
{
	if (e->type == IPCD_TYPE_LOOPBACK_TCP_CONN)
		row_conn(r, e);
	if (e->has_inet)
		row_addresses(r, e, style->numeric);
	if (e->src_ino)
		row_u64(r, CC_SRC_INODE, e->src_ino);
	if (e->dst_ino)
		row_u64(r, CC_DST_INODE, e->dst_ino);
	row_calls(r, e);
}

/* "127.0.0.1:40000>127.0.0.1:80": the connection, both ends. */
static void inet_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	char a[64], b[64];

	if (!e->has_inet)
		return;
	ipcd_inet_addr_format(e->inet.saddr, e->inet.sport, a, sizeof(a));
	ipcd_inet_addr_format(e->inet.daddr, e->inet.dport, b, sizeof(b));
	snprintf(buf, len, "%s>%s", a, b);
}

const struct ipcd_printer ipcd_inet_printer = {
	.text = inet_text,
	.json = inet_json,
	.csv = inet_csv,
	.channel = inet_channel,
};
