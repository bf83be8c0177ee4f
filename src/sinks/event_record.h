/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An event's full wire record: what a remote reader (ipcdump --remote)
 * needs to make the event again exactly as the daemon had it, so that its
 * output equals a local run's.  The record holds the event's columns as
 * the SQLite store keeps them (sinks/sqlite.c) and its detail
 * (sinks/store_detail.h), so a record and a stored row decode alike.
 *
 * Layout (version 1): a version byte, then varints and length-prefixed
 * byte strings in this order: wall_ns, ts_ns, type name, flags, bytes,
 * latency_ns, the source and destination (a presence byte; pid, tid, ppid
 * zigzag; comm, pcomm), the payload, the detail.  A decoder ignores bytes
 * after the detail (a later version 1.x may append); a new version byte
 * means a layout it cannot read.
 */
#ifndef IPCD_EVENT_RECORD_H
#define IPCD_EVENT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "engine/event.h"
#include "sinks/store_detail.h"
#include "util/json_writer.h"

#define IPCD_EVENT_RECORD_VERSION 1
/* Room for any event's record: its columns, a payload and a detail at their longest. */
#define IPCD_EVENT_RECORD_MAX (512 + IPCD_PAYLOAD_MAX + IPCD_DETAIL_MAX)

/*
 * e's record into buf (mono_to_real_ns: add to ts_ns for wall time, as the
 * store's wall_ns column); its length, or 0 when it does not fit in cap.
 */
size_t ipcd_event_record_encode(const struct ipcd_event *e, int64_t mono_to_real_ns, uint8_t *buf, size_t cap);
/*
 * buf's record into e, *wall_ns its wall time; e's strings and payload
 * point into buf, its passed fds and sharers into st.  false if buf is
 * damaged or of another version.
 */
bool ipcd_event_record_decode(const uint8_t *buf, size_t len, struct ipcd_event *e, int64_t *wall_ns,
			      struct ipcd_detail_store *st);

/*
 * For the API's endpoints (encoding=record): the key "record" and e's
 * record in base64, as one more member of the JSON object w is writing;
 * with_bytes (the request's bytes=1): with e's payload, else without.
 * The events endpoint and the stream each add it after the object's
 * other members when the request says encoding=record.
 */
void ipcd_event_record_json(const struct ipcd_event *e, int64_t mono_to_real_ns, bool with_bytes,
			    struct json_writer *w);
/*
 * The same member as text, `"record":"BASE64"` (no comma), NUL-terminated,
 * for an endpoint that has the object as a string: its length, or -1 when
 * cap is too small (IPCD_EVENT_RECORD_JSON_MAX is always enough).
 */
ssize_t ipcd_event_record_member(const struct ipcd_event *e, int64_t mono_to_real_ns, bool with_bytes, char *buf,
				 size_t cap);
#define IPCD_EVENT_RECORD_JSON_MAX (16 + (IPCD_EVENT_RECORD_MAX + 2) / 3 * 4)

/* ---- shared with the store's reader (sinks/sqlite_source.c) ---------------------- */

/* The type a stored name (ipcd_type_name) names; false when this ipcdump knows none. */
bool ipcd_stored_type(const char *name, enum ipcd_type *type);
/*
 * e as a stored event of type at ts_ns, its ends unknown; with a detail,
 * what the detail does not name is 0 (fds included), as it was when stored.
 */
void ipcd_stored_event_init(struct ipcd_event *e, enum ipcd_type type, uint64_t ts_ns, bool has_detail);

/* A stored event's columns besides its time, type and ends. */
struct ipcd_stored_columns {
	uint64_t bytes, latency_ns;
	uint32_t flags;
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *detail;   /* NULL: none (a version 1 row) */
	size_t detail_len;
};

/* The columns into e (made by ipcd_stored_event_init); false when the detail is damaged. */
bool ipcd_stored_event_fill(struct ipcd_event *e, const struct ipcd_stored_columns *c, struct ipcd_detail_store *st);

#endif /* IPCD_EVENT_RECORD_H */
