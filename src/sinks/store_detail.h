/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SQLite store's `detail` column: the fields of an event that the
 * columns do not hold (a pipe's fds and calls, a socket's names, a
 * signal's code, ...), so that reading the store back prints what the
 * live run printed.  Each non-zero field is a tag and a varint (or a
 * length and bytes), so a row keeps only what its family uses; tags are
 * never reused, so old stores stay readable.
 */
#ifndef IPCD_STORE_DETAIL_H
#define IPCD_STORE_DETAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"

/* Room for any event's detail (every string at its longest, every fd described). */
#define IPCD_DETAIL_MAX 16384

/* What a decoded event points to besides the blob (its passed fds, the shm sharers). */
struct ipcd_detail_store {
	struct ipcd_sock_extra extra;
	uint32_t sharers[256];
};

/* e's detail into buf; its length (0: nothing to keep), or 0 when it does not fit. */
size_t ipcd_detail_encode(const struct ipcd_event *e, uint8_t *buf, size_t cap);
/*
 * The fields of buf into e (which holds the columns already); its strings
 * point into buf (each is kept with its NUL), its passed fds and sharers
 * into st.  false if buf is damaged.
 */
bool ipcd_detail_decode(struct ipcd_event *e, const uint8_t *buf, size_t len, struct ipcd_detail_store *st);

#endif /* IPCD_STORE_DETAIL_H */
