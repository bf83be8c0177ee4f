/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which family prints an event type.  Until the family registry
 * (engine/registry.c) holds each family's printer, this switch does;
 * then ipcd_printer_of_type asks the registry and this file goes.
 */
#include "format/channel.h"
#include "format/writer.h"

extern const struct ipcd_printer ipcd_pipe_printer;
extern const struct ipcd_printer ipcd_signal_printer;
extern const struct ipcd_printer ipcd_unix_printer;
extern const struct ipcd_printer ipcd_inet_printer;
extern const struct ipcd_printer ipcd_pty_printer;
extern const struct ipcd_printer ipcd_mq_printer;
extern const struct ipcd_printer ipcd_shm_printer;

const struct ipcd_printer *ipcd_printer_of_type(enum ipcd_type type)
{
	switch (type) {
	case IPCD_TYPE_PIPE:
		return &ipcd_pipe_printer;
	case IPCD_TYPE_SIGNAL:
		return &ipcd_signal_printer;
	case IPCD_TYPE_UNIX_STREAM:
	case IPCD_TYPE_UNIX_DGRAM:
	case IPCD_TYPE_UNIX_SEQPACKET:
	case IPCD_TYPE_UNIX_CONN:
		return &ipcd_unix_printer;
	case IPCD_TYPE_LOOPBACK_TCP:
	case IPCD_TYPE_LOOPBACK_UDP:
	case IPCD_TYPE_LOOPBACK_TCP_CONN:
		return &ipcd_inet_printer;
	case IPCD_TYPE_PTY:
		return &ipcd_pty_printer;
	case IPCD_TYPE_MQ_SYSV:
	case IPCD_TYPE_MQ_POSIX:
	case IPCD_TYPE_MQ_OP:
		return &ipcd_mq_printer;
	case IPCD_TYPE_SHM:
		return &ipcd_shm_printer;
	default:
		return NULL;
	}
}

void ipcd_event_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	const struct ipcd_printer *printer = ipcd_printer_of_type(e->type);

	buf[0] = '\0';
	if (printer && printer->channel)
		printer->channel(e, buf, len);
}
