/* SPDX-License-Identifier: GPL-2.0 */
/* The -t names come from the families: engine/registry.c. */
#include <string.h>
#include "engine/options.h"

uint32_t ipcd_payload_limit(const struct ipcd_options *opts)
{
	/* a capture keeps the bytes, as tcpdump -w keeps packets: -x decides when it is read */
	if (!opts->dump_bytes && !opts->write_path)
		return 0;
	if (opts->max_bytes == 0 || opts->max_bytes > IPCD_PAYLOAD_MAX)
		return IPCD_PAYLOAD_MAX;
	return opts->max_bytes;
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
	opts->program = "ipcdump";
}
