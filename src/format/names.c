/* SPDX-License-Identifier: GPL-2.0 */
/* The names every family's printer may use: tok lookup, errors, calls, shutdown, flags. */
#include <string.h>
#include "format/format.h"
#include "format/output.h"
#include "format/writer.h"

const char *ipcd_tok_name(const struct ipcd_tok *table, int value, const char *fallback)
{
	for (; table->name; table++)
		if (table->value == value)
			return table->name;
	return fallback;
}

const char *ipcd_error_name(int32_t error)
{
	const char *name = strerrorname_np(error < 0 ? -error : error);

	return name ? name : "unknown";
}

static const struct ipcd_tok shutdown_how_names[] = {
	{ 0, "read" }, { 1, "write" },   /* SHUT_RD, SHUT_WR */
	{ 0, NULL }
};

const char *ipcd_shutdown_how_name(int32_t how)
{
	return ipcd_tok_name(shutdown_how_names, how, "both");
}

static const struct ipcd_tok call_names[] = {
	{ IPCD_CALL_READ, "read" }, { IPCD_CALL_WRITE, "write" },
	{ IPCD_CALL_READV, "readv" }, { IPCD_CALL_WRITEV, "writev" },
	{ IPCD_CALL_SPLICE, "splice" }, { IPCD_CALL_TEE, "tee" },
	{ IPCD_CALL_VMSPLICE, "vmsplice" }, { IPCD_CALL_SENDFILE, "sendfile" },
	{ IPCD_CALL_SENDTO, "sendto" }, { IPCD_CALL_SENDMSG, "sendmsg" },
	{ IPCD_CALL_SENDMMSG, "sendmmsg" }, { IPCD_CALL_RECVFROM, "recvfrom" },
	{ IPCD_CALL_RECVMSG, "recvmsg" }, { IPCD_CALL_RECVMMSG, "recvmmsg" },
	{ 0, NULL }
};

/* NULL for none known: the key is left out. */
const char *ipcd_pipe_call_name(int call)
{
	return ipcd_tok_name(call_names, call, NULL);
}

const struct flag_name ipcd_flag_names[] = {
	{ IPCD_F_ORDER_UNCERTAIN, "order_uncertain" },
	{ IPCD_F_PAYLOAD_TRUNCATED, "truncated" },
	{ IPCD_F_PAYLOAD_UNAVAILABLE, "payload_unavailable" },
	{ IPCD_F_STARTED_BEFORE, "started_before" },
	{ IPCD_F_BLOCKED, "blocked" },
	{ IPCD_F_FIFO, "fifo" },
	{ IPCD_EF_UNREAD, "unread" },
	{ IPCD_EF_WRITER_UNKNOWN, "writer_unknown" },
	{ IPCD_EF_READER_UNKNOWN, "reader_unknown" },
	{ IPCD_F_MSG_TRUNCATED, "msg_truncated" },
};

const size_t ipcd_flag_count = sizeof(ipcd_flag_names) / sizeof(ipcd_flag_names[0]);
