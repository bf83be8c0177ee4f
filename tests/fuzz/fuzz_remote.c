// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for what ipcdump --remote reads from the network: the
 * input is fed as server-sent events and as JSON Lines, cut in two at a
 * place its first byte picks; each event's "record" member is decoded
 * (base64, then sinks/event_record.h) and printed as text and JSON with
 * its bytes.  The whole input is also decoded as a raw record.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/remote_stream.h"
#include "format/output.h"
#include "sinks/event_record.h"
#include "util/base64.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!(devnull = fopen("/dev/null", "w"))) {
		perror("/dev/null");
		exit(1);
	}
	return 0;
}

static void print_record(const uint8_t *rec, size_t len)
{
	struct ipcd_detail_store *st = malloc(sizeof(*st));
	struct ipcd_output o;
	struct ipcd_event e;
	int64_t wall;

	if (st && ipcd_event_record_decode(rec, len, &e, &wall, st)) {
		ipcd_output_init(&o, devnull, IPCD_FORMAT_TEXT, true);
		/* as the client computes it (cli/remote.c): unsigned, so any two times give a clock */
		o.mono_to_real_ns = (int64_t)((uint64_t)wall - e.ts_ns);
		ipcd_output_event(&o, &e);
		ipcd_output_init(&o, devnull, IPCD_FORMAT_JSON, true);
		ipcd_output_event(&o, &e);
	}
	free(st);
}

static int on_object(void *ctx, const char *obj, size_t len)
{
	const char *v;
	size_t n;
	uint8_t *rec;
	ssize_t got;

	(void)ctx;
	if (!remote_json_member(obj, len, "record", &v, &n) || !(rec = malloc(n / 4 * 3 + 1)))
		return 0;
	if ((got = ipcd_base64_decode(v, n, rec, n / 4 * 3 + 1)) >= 0)
		print_record(rec, (size_t)got);
	free(rec);
	remote_json_member(obj, len, "id", &v, &n);
	return 0;
}

static int on_event(void *ctx, const char *last_id, const char *data, size_t len)
{
	(void)last_id;
	return on_object(ctx, data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct remote_sse sse = { .on_event = on_event };
	struct remote_lines lines = { .on_line = on_object };
	size_t cut = size ? data[0] % (size + 1) : 0;
	const char *text = (const char *)data;

	remote_sse_feed(&sse, text, cut);
	remote_sse_feed(&sse, text + cut, size - cut);
	remote_sse_free(&sse);
	remote_lines_feed(&lines, text, cut);
	remote_lines_feed(&lines, text + cut, size - cut);
	remote_lines_end(&lines);
	remote_lines_free(&lines);
	print_record(data, size);
	return 0;
}
