/* SPDX-License-Identifier: GPL-2.0 */
/* The event's wire record (event_record.h): the store's columns and its detail, in one byte string. */
#include "sinks/event_record.h"

#include <stdlib.h>
#include <string.h>
#include "util/base64.h"
#include "util/varint.h"

/* ---- writing ---------------------------------------------------------------- */

static void put_string(struct ipcd_varint_out *o, const char *s, size_t max)
{
	ipcd_put_bytes(o, s, strnlen(s, max));
}

/* The store keeps an unknown end as NULL columns: a presence byte here. */
static void put_endpoint(struct ipcd_varint_out *o, const struct ipcd_endpoint *ep)
{
	ipcd_put_byte(o, ep->pid >= 0);
	if (ep->pid < 0)
		return;
	ipcd_put_signed(o, ep->pid);
	ipcd_put_signed(o, ep->tid);
	ipcd_put_signed(o, ep->ppid);
	put_string(o, ep->comm, sizeof(ep->comm));
	put_string(o, ep->pcomm, sizeof(ep->pcomm));
}

size_t ipcd_event_record_encode(const struct ipcd_event *e, int64_t mono_to_real_ns, uint8_t *buf, size_t cap)
{
	uint8_t detail[IPCD_DETAIL_MAX];
	size_t detail_len = ipcd_detail_encode(e, detail, sizeof(detail));
	struct ipcd_varint_out o = { .buf = buf, .cap = cap };
	const char *type = ipcd_type_name(e->type);

	ipcd_put_byte(&o, IPCD_EVENT_RECORD_VERSION);
	ipcd_put_varint(&o, e->ts_ns + (uint64_t)mono_to_real_ns);
	ipcd_put_varint(&o, e->ts_ns);
	put_string(&o, type, 64);
	ipcd_put_varint(&o, e->flags);
	ipcd_put_varint(&o, e->bytes);
	ipcd_put_varint(&o, e->latency_ns);
	put_endpoint(&o, &e->src);
	put_endpoint(&o, &e->dst);
	ipcd_put_bytes(&o, e->payload, e->payload ? e->payload_len : 0);
	ipcd_put_bytes(&o, detail, detail_len);
	return o.full ? 0 : o.len;
}

/*
 * e's record into a malloc'd *record (freed by the caller): its length, 0
 * out of memory.  On the heap: the API's worker threads should not each
 * carry a record's worth of thread-local storage.
 */
static size_t encode_for_json(const struct ipcd_event *e, int64_t mono_to_real_ns, bool with_bytes,
			      uint8_t **record)
{
	struct ipcd_event bare;

	if (!with_bytes && e->payload) {
		bare = *e;
		bare.payload = NULL;
		bare.payload_len = 0;
		e = &bare;
	}
	if (!(*record = malloc(IPCD_EVENT_RECORD_MAX)))
		return 0;
	return ipcd_event_record_encode(e, mono_to_real_ns, *record, IPCD_EVENT_RECORD_MAX);
}

void ipcd_event_record_json(const struct ipcd_event *e, int64_t mono_to_real_ns, bool with_bytes,
			    struct json_writer *w)
{
	uint8_t *record;
	size_t len = encode_for_json(e, mono_to_real_ns, with_bytes, &record);

	jw_key(w, "record");
	jw_base64(w, record, len);
	free(record);
}

ssize_t ipcd_event_record_member(const struct ipcd_event *e, int64_t mono_to_real_ns, bool with_bytes, char *buf,
				 size_t cap)
{
	static const char key[] = "\"record\":\"";
	uint8_t *record;
	size_t len = encode_for_json(e, mono_to_real_ns, with_bytes, &record);
	size_t head = sizeof(key) - 1;
	ssize_t n = -1;

	if (len && cap >= head + 2)
		n = ipcd_base64_encode(record, len, buf + head, cap - head - 1);
	free(record);
	if (n < 0)
		return -1;
	memcpy(buf, key, head);
	buf[head + (size_t)n] = '"';
	buf[head + (size_t)n + 1] = '\0';
	return (ssize_t)(head + (size_t)n + 1);
}

/* ---- reading ---------------------------------------------------------------- */

/* A string of at most size - 1 bytes into dst, NUL-terminated. */
static void get_text(struct ipcd_varint_in *r, char *dst, size_t size)
{
	size_t n;
	const uint8_t *s = ipcd_get_bytes(r, &n);

	if (n >= size || (n && memchr(s, '\0', n)))
		r->bad = true;
	if (r->bad) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void get_endpoint(struct ipcd_varint_in *r, struct ipcd_endpoint *ep)
{
	if (r->p >= r->end) {
		r->bad = true;
		return;
	}
	if (!*r->p++) {
		ipcd_endpoint_unknown(ep);
		return;
	}
	ep->pid = ipcd_get_signed(r);
	ep->tid = ipcd_get_signed(r);
	ep->ppid = ipcd_get_signed(r);
	get_text(r, ep->comm, sizeof(ep->comm));
	get_text(r, ep->pcomm, sizeof(ep->pcomm));
}

bool ipcd_event_record_decode(const uint8_t *buf, size_t len, struct ipcd_event *e, int64_t *wall_ns,
			      struct ipcd_detail_store *st)
{
	struct ipcd_varint_in r = { .p = buf, .end = buf + len };
	struct ipcd_stored_columns c = { 0 };
	char type_name[64];
	enum ipcd_type type;
	uint64_t wall, ts;

	if (!len || *r.p++ != IPCD_EVENT_RECORD_VERSION)
		return false;
	wall = ipcd_get_varint(&r);
	ts = ipcd_get_varint(&r);
	get_text(&r, type_name, sizeof(type_name));
	if (r.bad || !ipcd_stored_type(type_name, &type))
		return false;
	ipcd_stored_event_init(e, type, ts, true);
	c.flags = (uint32_t)ipcd_get_varint(&r);
	c.bytes = ipcd_get_varint(&r);
	c.latency_ns = ipcd_get_varint(&r);
	get_endpoint(&r, &e->src);
	get_endpoint(&r, &e->dst);
	c.payload = ipcd_get_bytes(&r, &c.payload_len);
	c.detail = ipcd_get_bytes(&r, &c.detail_len);
	if (r.bad || !c.detail)
		return false;
	*wall_ns = (int64_t)wall;
	return ipcd_stored_event_fill(e, &c, st);
}

/* ---- shared with the store's reader ----------------------------------------------- */

bool ipcd_stored_type(const char *name, enum ipcd_type *type)
{
	for (int t = 0; name && t < IPCD_TYPE_COUNT; t++)
		if (!strcmp(name, ipcd_type_name(t))) {
			*type = t;
			return true;
		}
	return false;
}

void ipcd_stored_event_init(struct ipcd_event *e, enum ipcd_type type, uint64_t ts_ns, bool has_detail)
{
	ipcd_event_init(e, type, ts_ns);
	if (has_detail)
		e->src_fd = e->dst_fd = 0;
}

bool ipcd_stored_event_fill(struct ipcd_event *e, const struct ipcd_stored_columns *c, struct ipcd_detail_store *st)
{
	e->bytes = c->bytes;
	e->latency_ns = c->latency_ns;
	e->flags = c->flags;
	e->payload = c->payload_len ? c->payload : NULL;
	e->payload_len = (uint32_t)c->payload_len;
	return !c->detail || !c->detail_len || ipcd_detail_decode(e, c->detail, c->detail_len, st);
}
