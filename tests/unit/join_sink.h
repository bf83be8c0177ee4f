/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the family join tests share: a sink that keeps deep copies of the
 * events a join emits (an event points into the join's buffers only during
 * the emit call), records built as the kernel sends them (exactly as long
 * as their size says, so that AddressSanitizer catches a join that reads
 * past one), and assertions on the two ends of an event.
 *
 * Include after <cmocka.h>.
 */
#ifndef IPCD_TEST_JOIN_SINK_H
#define IPCD_TEST_JOIN_SINK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "engine/event.h"
#include "records.h"

/* Names what a raw event leaves out, as the front end does before printing. */
typedef void (*sink_describe_fn)(void *ctx, struct ipcd_event *e);

struct sink {
	struct ipcd_event *events;
	size_t count, cap;
	sink_describe_fn describe;
	void *describe_ctx;
};

static inline void sink_collect(void *ctx, const struct ipcd_event *e)
{
	struct sink *s = ctx;
	struct ipcd_event described = *e;

	if (s->count == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->events = realloc(s->events, s->cap * sizeof(*s->events));
		assert_non_null(s->events);
	}
	if (s->describe)
		s->describe(s->describe_ctx, &described);
	assert_true(ipcd_event_copy(&s->events[s->count++], &described));
}

static inline void sink_free(struct sink *s)
{
	for (size_t i = 0; i < s->count; i++)
		ipcd_event_copy_free(&s->events[i]);
	free(s->events);
	memset(s, 0, sizeof(*s));
}

/* The processes of the tests: tid is pid + 1000, ppid is 1. */
static inline void task_set(struct ipcd_task *t, uint32_t pid, const char *comm)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = pid + 1000;
	t->ppid = 1;
	strncpy(t->comm, comm, IPCD_COMM_LEN - 1);
}

static inline void assert_endpoint(const struct ipcd_endpoint *ep, uint32_t pid, const char *comm)
{
	assert_int_equal(ep->pid, pid);
	assert_int_equal(ep->tid, pid + 1000);
	assert_int_equal(ep->ppid, 1);
	assert_string_equal(ep->comm, comm);
}

static inline void assert_endpoint_unknown(const struct ipcd_endpoint *ep)
{
	assert_int_equal(ep->pid, -1);
	assert_int_equal(ep->tid, -1);
	assert_string_equal(ep->comm, "");
}

static inline void assert_payload(const struct ipcd_event *e, const char *expected)
{
	assert_int_equal(e->payload_len, strlen(expected));
	if (e->payload_len)
		assert_memory_equal(e->payload, expected, strlen(expected));
}

/*
 * A zeroed record of fixed bytes followed by payload_len bytes of payload
 * (NULL: zeroes), its header filled in; the caller frees it.
 */
static inline void *record_new(uint16_t kind, size_t fixed, const void *payload, size_t payload_len,
			       uint64_t ts_ns)
{
	struct ipcd_record_header *hdr = calloc(1, fixed + payload_len);

	assert_non_null(hdr);
	hdr->kind = kind;
	hdr->size = (uint16_t)(fixed + payload_len);
	hdr->ts_ns = ts_ns;
	if (payload)
		memcpy((uint8_t *)hdr + fixed, payload, payload_len);
	return hdr;
}

#endif /* IPCD_TEST_JOIN_SINK_H */
