/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loopback TCP and UDP: TCP sends and receives joined in the engine's
 * stream join, UDP datagrams in the family's message join; TCP connects,
 * accepts and closes as lifecycle events.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <bpf/bpf.h>
#include "engine/family.h"
#include "ipcdump.skel.h"  /* after records.h, whose types it uses */
#include "families/channel_keys.h"
#include "families/inet_events.h"
#include "families/tcp_listeners.h"

#define TCP_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_TCP) | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_TCP_CONN))

static void *inet_new(const struct ipcd_family_env *env)
{
	return inet_events_new(env->streams, env->emit, env->emit_ctx, env->comm, env->comm_ctx);
}

static void inet_free(void *state)
{
	inet_events_free(state);
}

static void on_inet_io(void *state, const void *rec, size_t size)
{
	inet_events_io(state, rec, size);
}

static void on_inet_conn(void *state, const void *rec, size_t size)
{
	(void)size;
	inet_events_conn(state, rec);
}

static bool inet_io_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_inet_io))
		return false;
	*key = ipcd_inet_io_channel(rec);
	return true;
}

static void inet_expire(void *state, uint64_t now_ns, uint64_t max_age_ns)
{
	inet_events_expire(state, now_ns, max_age_ns);
}

static void inet_flush(void *state)
{
	inet_events_flush(state);
}

/* The addresses of a TCP event, from its stream. */
static void inet_describe(const void *state, struct ipcd_event *e)
{
	if (e->type == IPCD_TYPE_LOOPBACK_TCP)
		inet_events_describe(state, e);
}

static uint64_t inet_dropped(const void *state)
{
	return msg_join_dropped(inet_events_messages((struct inet_events *)state));
}

static uint64_t inet_evicted(const void *state)
{
	return msg_join_evicted(inet_events_messages((struct inet_events *)state));
}

/* The protocols the collector reports, as bits 1 << IPCD_PROTO_*. */
static uint64_t inet_protos(uint32_t types)
{
	uint64_t bits = 0;

	if (types & TCP_TYPES)
		bits |= 1ull << IPCD_PROTO_TCP;
	if (types & IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP))
		bits |= 1ull << IPCD_PROTO_UDP;
	return bits;
}

static void inet_configure(struct ipcdump_bpf *skel, const struct ipcd_options *opts, bool enabled)
{
	(void)enabled;
	skel->rodata->cfg_inet_protos = inet_protos(opts->types);
}

/*
 * The host's own addresses: traffic between two of them never leaves the
 * host.  v4-mapped, as the collector keys them.
 */
static void fill_local_addrs(struct ipcdump_bpf *skel)
{
	int map = bpf_map__fd(skel->maps.local_addrs);
	struct ifaddrs *ifs, *ifa;
	uint8_t one = 1;

	if (getifaddrs(&ifs))
		return;
	for (ifa = ifs; ifa; ifa = ifa->ifa_next) {
		uint8_t key[16] = { 0 };

		if (!ifa->ifa_addr)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			key[10] = key[11] = 0xff;
			memcpy(key + 12, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, 4);
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			memcpy(key, &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		bpf_map_update_elem(map, key, &one, BPF_ANY);
	}
	freeifaddrs(ifs);
}

static void add_listener(void *ctx, uint16_t port, const struct ipcd_task *task)
{
	uint32_t key = port;

	bpf_map_update_elem(*(int *)ctx, &key, task, BPF_ANY);
}

/* TCP servers listening already: their listen() is past, so a connect names them from /proc. */
static void fill_listeners(struct ipcdump_bpf *skel)
{
	int map = bpf_map__fd(skel->maps.listeners);

	tcp_listeners_scan("/proc", add_listener, &map);
}

static void inet_fill_maps(struct ipcdump_bpf *skel)
{
	fill_local_addrs(skel);
	fill_listeners(skel);
}

static const struct ipcd_family_record inet_records[] = {
	{ IPCD_REC_INET_IO, sizeof(struct ipcd_inet_io), "inet_io", on_inet_io, inet_io_channel },
	{ IPCD_REC_INET_CONN, sizeof(struct ipcd_inet_conn), "inet_conn", on_inet_conn, NULL },
	{ 0 },
};

static const struct ipcd_type_alias inet_aliases[] = {
	{ "lo", "loopback", NULL, TCP_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) },
	{ "lt", "loopback-tcp", NULL, TCP_TYPES },
	{ "lu", "loopback-udp", NULL, IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) },
	{ 0 },
};

/* Its event types, by the names every format prints. */
static const struct ipcd_type_label inet_type_labels[] = {
	{ IPCD_TYPE_LOOPBACK_TCP, "loopback-tcp" },
	{ IPCD_TYPE_LOOPBACK_UDP, "loopback-udp" },
	{ IPCD_TYPE_LOOPBACK_TCP_CONN, "loopback-tcp-conn" },
	{ 0, NULL },
};

/* its printer: families/inet_print.c */
extern const struct ipcd_printer ipcd_inet_printer;

const struct ipcd_family ipcd_family_inet = {
	.name = "loopback",
	.collector = IPCD_COLL_INET,
	.prog_prefix = "ipcd_inet_",
	.shared_prog_prefix = "ipcd_sock_",
	.types = TCP_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP),
	.type_labels = inet_type_labels,
	.aliases = inet_aliases,
	.names_rank = 3,
	.records = inet_records,
	.printer = &ipcd_inet_printer,
	.configure = inet_configure,
	.fill_maps = inet_fill_maps,
	.new = inet_new,
	.free = inet_free,
	.expire = inet_expire,
	.flush = inet_flush,
	.describe = inet_describe,
	.dropped = inet_dropped,
	.evicted = inet_evicted,
};
