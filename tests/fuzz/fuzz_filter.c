// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the filter language: the input is an expression;
 * what parses is matched against a few events (text, numbers, payloads
 * with NUL bytes, unknown ends), and freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "engine/event.h"
#include "filter/filter_expr.h"

#define MAX_EXPR (64u << 10)

static const uint8_t http_get[] = "GET /index.html HTTP/1.0\r\n";
static const uint8_t binary[] = { 'a', 0, 'b', 0xff, '\n', 0, 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', '!' };

static void endpoint(struct ipcd_endpoint *ep, int64_t pid, const char *comm)
{
	ipcd_endpoint_unknown(ep);
	ep->pid = ep->tid = pid;
	ep->ppid = 1;
	strncpy(ep->comm, comm, sizeof(ep->comm) - 1);
}

static void make_events(struct ipcd_event *ev)
{
	ipcd_event_init(&ev[0], IPCD_TYPE_LOOPBACK_TCP, 1000);
	endpoint(&ev[0].src, 10, "nginx");
	endpoint(&ev[0].dst, 20, "python3");
	ev[0].bytes = sizeof(http_get) - 1;
	ev[0].latency_ns = 5000;
	ev[0].flags = IPCD_EF_HAS_LATENCY;
	ev[0].has_inet = true;
	ev[0].inet.saddr[12] = ev[0].inet.daddr[12] = 127;
	ev[0].inet.sport = 80;
	ev[0].inet.dport = 5555;
	ev[0].payload = http_get;
	ev[0].payload_len = sizeof(http_get) - 1;

	ipcd_event_init(&ev[1], IPCD_TYPE_SIGNAL, 2000);
	endpoint(&ev[1].src, 30, "bash");
	ev[1].sig = 36;

	ipcd_event_init(&ev[2], IPCD_TYPE_PIPE, 3000);
	endpoint(&ev[2].dst, 40, "wc");
	ev[2].bytes = UINT64_MAX;
	ev[2].latency_ns = UINT64_MAX;
	ev[2].flags = IPCD_EF_HAS_LATENCY;
	ev[2].payload = binary;
	ev[2].payload_len = sizeof(binary);

	ipcd_event_init(&ev[3], IPCD_TYPE_MQ_SYSV, 4000);
	ev[3].mq_has_key = true;
	ev[3].mq_key = 0x1234;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipcd_event ev[4];
	char err[512];
	size_t col;
	struct fexpr *e;
	char *text;

	if (size > MAX_EXPR)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	e = fexpr_parse(text, err, sizeof(err), &col);
	if (e) {
		make_events(ev);
		for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
			(void)fexpr_match(e, &ev[i]);
		fexpr_free(e);
	} else if (col > size || !memchr(err, '\0', sizeof(err))) {
		__builtin_trap();  /* an error points inside the text, in one terminated line */
	}
	free(text);
	return 0;
}
