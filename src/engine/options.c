/* SPDX-License-Identifier: GPL-2.0 */
#include <stdio.h>
#include <string.h>
#include "engine/options.h"

#define UNIX_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM) | IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM) | \
		    IPCD_TYPE_BIT(IPCD_TYPE_UNIX_SEQPACKET))
#define TCP_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_TCP) | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_TCP_CONN))
#define MQ_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_MQ_SYSV) | IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX))
#define ALL_TYPES (IPCD_TYPE_BIT(IPCD_TYPE_PIPE) | IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL) | UNIX_TYPES | \
		   IPCD_TYPE_BIT(IPCD_TYPE_PTY) | TCP_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) | MQ_TYPES | \
		   IPCD_TYPE_BIT(IPCD_TYPE_SHM))

struct type_alias {
	const char *short_name;
	const char *long_name;
	const char *other_name;
	uint32_t mask;
};

static const struct type_alias type_aliases[] = {
	{ "a", "all", NULL, ALL_TYPES },
	{ "k", "signal", "kill", IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL) },
	{ "u", "unix", NULL, UNIX_TYPES },
	{ "ud", "unix-dgram", NULL, IPCD_TYPE_BIT(IPCD_TYPE_UNIX_DGRAM) },
	{ "us", "unix-stream", NULL, IPCD_TYPE_BIT(IPCD_TYPE_UNIX_STREAM) },
	{ "uq", "unix-seqpacket", NULL, IPCD_TYPE_BIT(IPCD_TYPE_UNIX_SEQPACKET) },
	{ "t", "pty", NULL, IPCD_TYPE_BIT(IPCD_TYPE_PTY) },
	{ "lo", "loopback", NULL, TCP_TYPES | IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) },
	{ "lt", "loopback-tcp", NULL, TCP_TYPES },
	{ "lu", "loopback-udp", NULL, IPCD_TYPE_BIT(IPCD_TYPE_LOOPBACK_UDP) },
	{ "p", "pipe", "fifo", IPCD_TYPE_BIT(IPCD_TYPE_PIPE) },
	{ "mq", "msgqueue", NULL, MQ_TYPES },
	{ "mqs", "mq-sysv", NULL, IPCD_TYPE_BIT(IPCD_TYPE_MQ_SYSV) },
	{ "mqp", "mq-posix", NULL, IPCD_TYPE_BIT(IPCD_TYPE_MQ_POSIX) },
	{ "shm", "shared-memory", NULL, IPCD_TYPE_BIT(IPCD_TYPE_SHM) },
};

uint32_t ipcd_parse_type(const char *name)
{
	for (size_t i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]); i++) {
		const struct type_alias *a = &type_aliases[i];

		if (!strcmp(name, a->short_name) || !strcmp(name, a->long_name) ||
		    (a->other_name && !strcmp(name, a->other_name)))
			return a->mask;
	}
	return 0;
}

#define UNIX_CONN_TYPE IPCD_TYPE_BIT(IPCD_TYPE_UNIX_CONN)
#define MQ_OP_TYPE IPCD_TYPE_BIT(IPCD_TYPE_MQ_OP)

/*
 * What "type == name" matches: the types -t name selects, with the
 * lifecycle events of a whole family (unix: unix-conn; msgqueue: mq-op), or
 * one event type by its printed name (unix-conn, loopback-tcp-conn, lost).
 */
uint32_t ipcd_type_family(const char *name)
{
	uint32_t mask = ipcd_parse_type(name);

	if ((mask & UNIX_TYPES) == UNIX_TYPES)
		mask |= UNIX_CONN_TYPE;
	if ((mask & MQ_TYPES) == MQ_TYPES)
		mask |= MQ_OP_TYPE;
	for (uint32_t type = 0; !mask && type < IPCD_TYPE_COUNT; type++)
		if (!strcmp(name, ipcd_type_name(type)))
			mask = IPCD_TYPE_BIT(type);
	return mask;
}

/* Every name ipcd_type_family knows, comma-separated: the -t names, then the other printed ones. */
void ipcd_type_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]) && used < len; i++) {
		const struct type_alias *a = &type_aliases[i];

		used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "", a->long_name);
		if (a->other_name && used < len)
			used += snprintf(buf + used, len - used, ", %s", a->other_name);
	}
	for (uint32_t type = 0; type < IPCD_TYPE_COUNT && used < len; type++)
		if (!ipcd_parse_type(ipcd_type_name(type)))
			used += snprintf(buf + used, len - used, ", %s", ipcd_type_name(type));
}

uint32_t ipcd_payload_limit(const struct ipcd_options *opts)
{
	/* a capture keeps the bytes, as tcpdump -w keeps packets: -x decides when it is read */
	if (!opts->dump_bytes && !opts->write_path)
		return 0;
	if (opts->max_bytes == 0 || opts->max_bytes > IPCD_PAYLOAD_MAX)
		return IPCD_PAYLOAD_MAX;
	return opts->max_bytes;
}

size_t ipcd_type_alias_names(const char **names, size_t max, bool abbreviations)
{
	size_t count = 0;

	for (size_t i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]) && count + 3 <= max; i++) {
		if (abbreviations)
			names[count++] = type_aliases[i].short_name;
		names[count++] = type_aliases[i].long_name;
		if (type_aliases[i].other_name)
			names[count++] = type_aliases[i].other_name;
	}
	return count;
}

uint32_t ipcd_all_types(void)
{
	return ALL_TYPES;
}

uint32_t ipcd_lifecycle_types(uint32_t types)
{
	uint32_t life = 0;

	if (types & UNIX_TYPES)
		life |= UNIX_CONN_TYPE;
	if (types & MQ_TYPES)
		life |= MQ_OP_TYPE;
	return life;
}

uint32_t ipcd_types_collected_with(uint32_t types)
{
	if (types & UNIX_CONN_TYPE)
		types |= UNIX_TYPES;
	if (types & MQ_OP_TYPE)
		types |= MQ_TYPES;
	return types;
}

#define DEFAULT_BUFFER_SIZE (16u << 20)
/* 100 000 pipes open at once, and room to spare */
#define DEFAULT_MAX_CHANNELS 131072

void ipcd_options_init(struct ipcd_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->buffer_size = DEFAULT_BUFFER_SIZE;
	opts->max_channels = DEFAULT_MAX_CHANNELS;
	opts->top = 10;
}
