/* SPDX-License-Identifier: GPL-2.0 */
/* The -t names come from the families: engine/registry.c. */
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
