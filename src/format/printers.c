/* SPDX-License-Identifier: GPL-2.0 */
/* Which family prints an event type: the registry's answer. */
#include "engine/registry.h"
#include "format/channel.h"
#include "format/writer.h"

const struct ipcd_printer *ipcd_printer_of_type(enum ipcd_type type)
{
	const struct ipcd_family *family = ipcd_family_of_type(type);

	return family ? family->printer : NULL;
}

void ipcd_event_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	const struct ipcd_printer *printer = ipcd_printer_of_type(e->type);

	buf[0] = '\0';
	if (printer && printer->channel)
		printer->channel(e, buf, len);
}
